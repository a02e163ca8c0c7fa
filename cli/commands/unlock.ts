/**
 * `delivery unlock --stack NAME`: clears a Pulumi lock that no live run can hold (core/promotion/lock.ts),
 * with `pulumi cancel`, so the next `pulumi up` finishes the interrupted update.
 *
 * - `--record-run ID`: the deploy job, before `pulumi up`, records that run ID on this runner is
 *   about to take the lock (written beside the backend's locks, outside the directory Pulumi counts);
 * - no flag: read the locks and the record, ask GitHub whether the recorded run has ended, and
 *   clear them only when every one is stale (`--dry-run` says what it would do);
 * - `--force`: `/unlock ENV`, after the deploy gates' permission check: also clears locks no
 *   recorded run took, never one whose run is still going.
 *
 * The backend is `--backend` or `PULUMI_BACKEND_URL`; `file://` backends are read directly.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Command } from "commander";
import { execa } from "execa";
import { parse as parseYaml } from "yaml";
import { lockPaths, lockVerdict, parseLock, type RunRecord, type RunState, type StackLock } from "../../core/promotion/lock";
import { CliError, type CliIo } from "../io";
import { defaultClientFactory, type ClientFactory } from "./github-client";

const STACK = /^[A-Za-z0-9_.-]{1,100}$/;

function backendRoot(io: CliIo, backend: string | undefined): string {
  const url = backend ?? io.env.PULUMI_BACKEND_URL;
  if (!url) throw new CliError("no backend: pass --backend file:///path/to/state or set PULUMI_BACKEND_URL as `pulumi up` sees it");
  if (url.startsWith("file://")) {
    const p = url.slice("file://".length).replace(/\?.*$/, "");
    if (p === "" || p === "~") return os.homedir();
    return path.resolve(io.cwd, p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p);
  }
  throw new CliError(`backend ${url.replace(/\/\/[^@/]*@/, "//***@").slice(0, 80)} is not a file:// backend; only file:// backends are read directly for now (for azblob://, list .pulumi/locks/organization/<project>/<stack>/ with \`az storage blob list\` and run \`pulumi cancel\` after checking the run)`);
}

function projectName(io: CliIo): string {
  const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(io.cwd, f)).find((f) => fs.existsSync(f));
  if (!file) throw new CliError(`no Pulumi.yaml in ${io.cwd}: run this where \`pulumi up\` runs`);
  const name = (parseYaml(fs.readFileSync(file, "utf8")) as { name?: unknown })?.name;
  if (typeof name !== "string" || !STACK.test(name)) throw new CliError(`${path.basename(file)} has no usable project name`);
  return name;
}

function readLocks(root: string, dirs: readonly string[]): StackLock[] {
  const out: StackLock[] = [];
  for (const dir of dirs) {
    const abs = path.join(root, dir);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) continue;
    // `.attrs` files are the file backend's metadata, not locks.
    for (const name of fs.readdirSync(abs).filter((n) => n.endsWith(".json")).sort()) {
      const lock = parseLock(`${dir}/${name}`, fs.readFileSync(path.join(abs, name), "utf8"));
      if (lock) out.push(lock);
    }
  }
  return out;
}

function readRecord(file: string): RunRecord | null {
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8")) as RunRecord;
    return typeof r.runId === "number" && typeof r.hostname === "string" && typeof r.startedAt === "string" ? r : null;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function runIdOf(text: string | undefined, option: string): number | null {
  if (text === undefined || text === "") return null;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`${option} must be a workflow run id (a positive whole number), not "${text.slice(0, 30)}"`);
  return n;
}

async function recordedRunState(io: CliIo, factory: ClientFactory, record: RunRecord | null, current: number | null): Promise<RunState> {
  if (!record || record.runId === current) return "unknown";
  const m = /^([^/]+)\/([^/]+)$/.exec(io.env.GITHUB_REPOSITORY ?? "");
  if (!m) return "unknown";
  try {
    const client = await factory(io);
    const { data } = await client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", { owner: m[1], repo: m[2], run_id: record.runId });
    return data.status === "completed" ? "completed" : data.status === "queued" || data.status === "waiting" || data.status === "pending" || data.status === "requested" ? "queued" : "in_progress";
  } catch {
    return "unknown";
  }
}

export function registerUnlock(program: Command, io: CliIo, factory: ClientFactory = defaultClientFactory, hostname: () => string = os.hostname): void {
  program
    .command("unlock")
    .description("clear a Pulumi stack lock that no live run can hold (a runner that died mid-deploy), with `pulumi cancel`; --record-run records the run about to take the lock")
    .requiredOption("--stack <name>", "the stack, as `pulumi up --stack` names it")
    .option("--backend <url>", "the state backend (default: $PULUMI_BACKEND_URL)")
    .option("--record-run <id>", "record that this workflow run is about to run `pulumi up` (the deploy job, before it)")
    .option("--run-url <url>", "with --record-run: the run's URL")
    .option("--run-id <id>", "the run asking (default: $GITHUB_RUN_ID)")
    .option("--force", "`/unlock ENV`: also clear locks no recorded run took (never one whose run is still going)")
    .option("--dry-run", "say what would be done, change nothing")
    .option("--pulumi <path>", "the pulumi executable", "pulumi")
    .action(async (opts: { stack: string; backend?: string; recordRun?: string; runUrl?: string; runId?: string; force?: boolean; dryRun?: boolean; pulumi: string }) => {
      if (!STACK.test(opts.stack)) throw new CliError(`--stack must be a stack name (letters, digits, _ . -), not "${opts.stack.slice(0, 40)}"`);
      const root = backendRoot(io, opts.backend);
      const paths = lockPaths(projectName(io), opts.stack);
      const recordFile = path.join(root, paths.record);
      const recordRun = runIdOf(opts.recordRun, "--record-run");
      if (recordRun !== null) {
        const record: RunRecord = { runId: recordRun, runUrl: opts.runUrl || null, hostname: hostname(), startedAt: new Date().toISOString() };
        fs.mkdirSync(path.dirname(recordFile), { recursive: true });
        fs.writeFileSync(recordFile, `${JSON.stringify(record)}\n`);
        io.stdout(`${JSON.stringify({ recorded: record, file: paths.record })}\n`);
        return;
      }
      const current = runIdOf(opts.runId ?? io.env.GITHUB_RUN_ID, "--run-id");
      const locks = readLocks(root, paths.lockDirs);
      const record = readRecord(recordFile);
      const state = locks.length > 0 ? await recordedRunState(io, factory, record, current) : "unknown";
      const verdict = lockVerdict({ locks, record, currentRunId: current, recordedRunState: state, localHostname: hostname(), pidAlive, force: Boolean(opts.force) });
      const report = { stack: opts.stack, action: verdict.action, reason: verdict.reason, locks: verdict.locks, record, recordedRunState: state, dryRun: Boolean(opts.dryRun) };
      if (verdict.action === "refuse") {
        io.stdout(`${JSON.stringify(report, null, 2)}\n`);
        throw new CliError(`${opts.stack} stays locked: ${verdict.reason}`, 1);
      }
      if (verdict.action === "clear" && !opts.dryRun) {
        const r = await execa(opts.pulumi, ["cancel", "--stack", opts.stack, "--yes", "--non-interactive"], { cwd: io.cwd, env: { ...io.env, PULUMI_BACKEND_URL: opts.backend ?? io.env.PULUMI_BACKEND_URL }, extendEnv: false, reject: false, stdin: "ignore" });
        if ((r as { code?: string }).code === "ENOENT") throw new CliError(`${opts.pulumi} was not found; pass --pulumi with the CLI's path`);
        const left = readLocks(root, paths.lockDirs);
        if (r.exitCode !== 0 || left.length > 0) throw new CliError(`pulumi cancel did not clear the lock (exit ${r.exitCode}, ${left.length} lock(s) left):\n${String(r.stderr || r.stdout).trim()}`);
      }
      io.stdout(`${JSON.stringify({ ...report, cleared: verdict.action === "clear" && !opts.dryRun }, null, 2)}\n`);
    });
}
