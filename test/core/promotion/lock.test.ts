/**
 * Crash recovery: a stale Pulumi lock no live run can hold. The rule as a pure function, then the
 * whole path against a lock written by the real Pulumi CLI: `pulumi up` killed with SIGKILL while
 * it holds the lock, `delivery unlock` deciding from the recorded run that it is stale, `pulumi
 * cancel`, and the next `pulumi up` running.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../../cli/main";
import { judgeLock, lockPaths, lockVerdict, parseLock, type LockQuestion, type StackLock } from "../../../core/promotion/lock";
import { captureIo } from "../../harness/cli";
import { REPO_ROOT } from "../../harness/program";

const lock = (over: Partial<StackLock> = {}): StackLock => ({ key: ".pulumi/locks/organization/p/dev/1.json", pid: 4242, username: "runner", hostname: "runner-vm-7", timestamp: "2026-12-02T08:00:30Z", ...over });
const base = (over: Partial<LockQuestion> = {}): LockQuestion => ({
  locks: [lock()],
  record: { runId: 900, runUrl: "https://github.com/contoso/payments-service/actions/runs/900", hostname: "runner-vm-7", startedAt: "2026-12-02T08:00:00Z" },
  currentRunId: 901,
  recordedRunState: "completed",
  localHostname: "runner-vm-9",
  pidAlive: () => false,
  force: false,
  ...over,
});

describe("which locks are stale", () => {
  it("clears a lock taken by a recorded run that has ended", () => {
    expect(lockVerdict(base())).toMatchObject({ action: "clear", reason: "1 stale lock(s): taken by run 900 (https://github.com/contoso/payments-service/actions/runs/900), which has ended" });
  });

  it("never clears a lock whose run is still going, or whose process is alive here, even when forced", () => {
    expect(lockVerdict(base({ recordedRunState: "in_progress", force: true })).action).toBe("refuse");
    expect(lockVerdict(base({ localHostname: "runner-vm-7", pidAlive: (pid) => pid === 4242, force: true })).locks[0].reason).toBe("process 4242 on this machine still runs");
  });

  it("clears this run's own lock once its pulumi process is gone", () => {
    expect(judgeLock(lock(), base({ currentRunId: 900, recordedRunState: "unknown" }))).toMatchObject({ stale: true, reason: "taken by this run, whose pulumi process is gone" });
  });

  it("refuses a lock no recorded run took unless a person asks (/unlock), and says how", () => {
    const other = base({ locks: [lock({ hostname: "laptop" })] });
    expect(lockVerdict(other).action).toBe("refuse");
    expect(lockVerdict(other).reason).toMatch(/no recorded run took it .*`\/unlock <env>`/);
    expect(lockVerdict({ ...other, force: true }).action).toBe("clear");
    // A lock older than the record is not the recorded run's.
    expect(judgeLock(lock({ timestamp: "2026-12-02T07:00:00Z" }), base()).stale).toBe(false);
  });

  it("reads Pulumi's lock files and knows where they are", () => {
    expect(parseLock("k", '{"pid":22465,"username":"root","hostname":"vm","timestamp":"2026-12-02T07:51:49.364199168Z"}')).toEqual({ key: "k", pid: 22465, username: "root", hostname: "vm", timestamp: "2026-12-02T07:51:49.364199168Z" });
    expect(parseLock("k", "{}")).toBeNull();
    expect(lockPaths("delivery-platform", "dev").lockDirs[0]).toBe(".pulumi/locks/organization/delivery-platform/dev");
  });
});

const PULUMI = ["3.250.0", ...(fs.existsSync(path.join(os.homedir(), ".pulumi", "versions")) ? fs.readdirSync(path.join(os.homedir(), ".pulumi", "versions")) : [])]
  .map((v) => path.join(os.homedir(), ".pulumi", "versions", v, "bin", "pulumi"))
  .find((f) => fs.existsSync(f));

/** Runs `delivery unlock ...` in process, with GitHub answering the recorded run's status. */
async function unlock(argv: string[], cwd: string, env: Record<string, string>, runStatus: string) {
  const { io, stdout, stderr } = captureIo({ cwd, env });
  const requests: string[] = [];
  const client = {
    request: async (route: string, params: Record<string, unknown>) => {
      requests.push(`${route} ${params.run_id}`);
      if (route !== "GET /repos/{owner}/{repo}/actions/runs/{run_id}") throw new Error(`Mock not implemented: ${route}`);
      return { data: { id: params.run_id, status: runStatus } };
    },
  };
  const code = await run(["unlock", ...argv], io, { github: async () => client as never });
  return { code, stdout: stdout(), stderr: stderr(), requests };
}

(PULUMI ? describe : describe.skip)(`against a lock the real Pulumi CLI wrote (${PULUMI ?? "no CLI in ~/.pulumi/versions"})`, () => {
  let dir: string;
  let env: Record<string, string>;
  let lockDir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "unlock-"));
    const prog = path.join(dir, "prog");
    fs.mkdirSync(prog);
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(prog, "node_modules"));
    fs.writeFileSync(path.join(prog, "Pulumi.yaml"), "name: unlock-test\nruntime: nodejs\nmain: index.js\n");
    // The program holds the update open (and so the lock) while HANG is set.
    fs.writeFileSync(path.join(prog, "index.js"), 'require("@pulumi/pulumi");\nmodule.exports = process.env.HANG ? new Promise((r) => setTimeout(r, 120000)) : undefined;\n');
    env = {
      PATH: `${path.dirname(PULUMI!)}${path.delimiter}${process.env.PATH}`,
      HOME: os.homedir(),
      PULUMI_HOME: path.join(dir, "home"),
      PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "unlock-test",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      GITHUB_REPOSITORY: "contoso/payments-service",
      GITHUB_TOKEN: "ghs_test",
    };
    fs.mkdirSync(path.join(dir, "state"));
    const init = spawnSync(PULUMI!, ["stack", "init", "dev"], { cwd: prog, env, encoding: "utf8" });
    expect(init.status).toBe(0);

    // The deploy job records its run, then `pulumi up` takes the lock and the runner dies (SIGKILL to the whole process group).
    expect((await unlock(["--stack", "dev", "--record-run", "900"], prog, env, "in_progress")).code).toBe(0);
    const up = spawn(PULUMI!, ["up", "--yes", "--stack", "dev"], { cwd: prog, env: { ...env, HANG: "1" }, detached: true, stdio: "ignore" });
    lockDir = path.join(dir, "state", lockPaths("unlock-test", "dev").lockDirs[0]);
    for (let i = 0; i < 120 && !(fs.existsSync(lockDir) && fs.readdirSync(lockDir).some((n) => n.endsWith(".json"))); i++) await new Promise((r) => setTimeout(r, 250));
    process.kill(-up.pid!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
  }, 60_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("GIVEN pulumi up was killed holding the lock THEN the next up fails with 'currently locked'", () => {
    expect(fs.readdirSync(lockDir).filter((n) => n.endsWith(".json"))).toHaveLength(1);
    const again = spawnSync(PULUMI!, ["up", "--yes", "--stack", "dev"], { cwd: path.join(dir, "prog"), env, encoding: "utf8" });
    expect(again.status).not.toBe(0);
    expect(again.stderr + again.stdout).toContain("the stack is currently locked by 1 lock(s)");
  }, 60_000);

  it("refuses while GitHub says the recorded run is still in progress", async () => {
    const r = await unlock(["--stack", "dev"], path.join(dir, "prog"), env, "in_progress");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^delivery: dev stays locked: 1 lock\(s\) may be live: root@.* \(pid \d+\) at .*: taken by run 900, which is still in progress\n$/);
    expect(r.requests).toEqual(["GET /repos/{owner}/{repo}/actions/runs/{run_id} 900"]);
    expect(fs.readdirSync(lockDir).filter((n) => n.endsWith(".json"))).toHaveLength(1);
  });

  it("GIVEN the recorded run has ended THEN it clears the lock with pulumi cancel, and the next up runs", async () => {
    const dry = await unlock(["--stack", "dev", "--dry-run"], path.join(dir, "prog"), env, "completed");
    expect(JSON.parse(dry.stdout)).toMatchObject({ action: "clear", cleared: false, dryRun: true });
    const r = await unlock(["--stack", "dev", "--pulumi", PULUMI!], path.join(dir, "prog"), env, "completed");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stack: "dev", action: "clear", cleared: true, recordedRunState: "completed", record: { runId: 900 } });
    expect(fs.readdirSync(lockDir).filter((n) => n.endsWith(".json"))).toEqual([]);
    const again = spawnSync(PULUMI!, ["up", "--yes", "--stack", "dev"], { cwd: path.join(dir, "prog"), env, encoding: "utf8" });
    expect(again.stderr).not.toContain("currently locked");
    expect(again.status).toBe(0);
  }, 120_000);
});
