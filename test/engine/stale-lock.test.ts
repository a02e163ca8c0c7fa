/**
 * `delivery unlock` against a lock the real Pulumi CLI left behind: `pulumi up` killed while
 * holding it, then refused or cleared depending on what GitHub says of the recorded run. On both
 * backends the platform uses: a file:// directory, and azblob:// on Azurite with a container SAS
 * of the deploy identity's rights (read, add, create, write, delete, list on its own container).
 * (The verdicts themselves: test/core/promotion/lock.test.ts.)
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../cli/main";
import { lockPaths } from "../../core/promotion/lock";
import { captureIo } from "../harness/cli";
import { Azurite, AZURITE_ACCOUNT } from "./azurite";
import { describeEngine, findCli, REPO_ROOT } from "./harness";

const CLI_DIR = findCli();
const PULUMI = CLI_DIR ? path.join(CLI_DIR, "bin", "pulumi") : undefined;

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

/** Where the state lives and how to count the lock files Pulumi left in it. */
interface Backend {
  readonly env: Record<string, string>;
  locks(lockDir: string): Promise<string[]>;
  stop(): Promise<void>;
}

const BACKENDS: Record<string, (dir: string) => Promise<Backend>> = {
  "file://": async (dir) => {
    fs.mkdirSync(path.join(dir, "state"));
    return {
      env: { PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}` },
      locks: async (lockDir) => {
        const abs = path.join(dir, "state", lockDir);
        return fs.existsSync(abs) ? fs.readdirSync(abs).filter((n) => n.endsWith(".json")) : [];
      },
      stop: async () => undefined,
    };
  },
  "azblob:// (Azurite)": async (dir) => {
    const azurite = await Azurite.start(REPO_ROOT, dir);
    const container = "pulumi-state-dev";
    await azurite.createContainer(container);
    return {
      env: { PULUMI_BACKEND_URL: azurite.backendUrl(container), AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_SAS_TOKEN: azurite.containerSas(container, "racwdl") },
      locks: async (lockDir) => (await azurite.blobs(container)).filter((n) => n.startsWith(`${lockDir}/`) && n.endsWith(".json")),
      stop: () => azurite.stop(),
    };
  },
};

for (const kind of Object.keys(BACKENDS)) describeEngine(`against a lock the real Pulumi CLI wrote, on a ${kind} backend`, () => {
  let dir: string;
  let env: Record<string, string>;
  let lockDir: string;
  let backend: Backend;

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
      ...(backend = await BACKENDS[kind](dir)).env,
      PULUMI_CONFIG_PASSPHRASE: "unlock-test",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      GITHUB_REPOSITORY: "contoso/payments-service",
      GITHUB_TOKEN: "ghs_test",
    };
    const init = spawnSync(PULUMI!, ["stack", "init", "dev"], { cwd: prog, env, encoding: "utf8" });
    expect(init.status).toBe(0);

    // The deploy job records its run, then `pulumi up` takes the lock and the runner dies (SIGKILL to the whole process group).
    expect((await unlock(["--stack", "dev", "--record-run", "900"], prog, env, "in_progress")).code).toBe(0);
    const up = spawn(PULUMI!, ["up", "--yes", "--stack", "dev"], { cwd: prog, env: { ...env, HANG: "1" }, detached: true, stdio: "ignore" });
    lockDir = lockPaths("unlock-test", "dev").lockDirs[0];
    for (let i = 0; i < 120 && (await backend.locks(lockDir)).length === 0; i++) await new Promise((r) => setTimeout(r, 250));
    process.kill(-up.pid!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));
  }, 240_000);

  afterAll(async () => {
    await backend?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("GIVEN pulumi up was killed holding the lock THEN the next up fails with 'currently locked'", async () => {
    expect(await backend.locks(lockDir)).toHaveLength(1);
    const again = spawnSync(PULUMI!, ["up", "--yes", "--stack", "dev"], { cwd: path.join(dir, "prog"), env, encoding: "utf8" });
    expect(again.status).not.toBe(0);
    expect(again.stderr + again.stdout).toContain("the stack is currently locked by 1 lock(s)");
  }, 240_000);

  it("refuses while GitHub says the recorded run is still in progress", async () => {
    const r = await unlock(["--stack", "dev"], path.join(dir, "prog"), env, "in_progress");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^delivery: dev stays locked: 1 lock\(s\) may be live: root@.* \(pid \d+\) at .*: taken by run 900, which is still in progress\n$/);
    expect(r.requests).toEqual(["GET /repos/{owner}/{repo}/actions/runs/{run_id} 900"]);
    expect(await backend.locks(lockDir)).toHaveLength(1);
  });

  it("GIVEN the recorded run has ended THEN it clears the lock with pulumi cancel, and the next up runs", async () => {
    const dry = await unlock(["--stack", "dev", "--dry-run"], path.join(dir, "prog"), env, "completed");
    expect(JSON.parse(dry.stdout)).toMatchObject({ action: "clear", cleared: false, dryRun: true });
    const r = await unlock(["--stack", "dev", "--pulumi", PULUMI!], path.join(dir, "prog"), env, "completed");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stack: "dev", action: "clear", cleared: true, recordedRunState: "completed", record: { runId: 900 } });
    expect(await backend.locks(lockDir)).toEqual([]);
    const again = spawnSync(PULUMI!, ["up", "--yes", "--stack", "dev"], { cwd: path.join(dir, "prog"), env, encoding: "utf8" });
    expect(again.stderr).not.toContain("currently locked");
    expect(again.status).toBe(0);
  }, 120_000);
});
