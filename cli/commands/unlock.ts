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
 * The backend is `--backend` or `PULUMI_BACKEND_URL`: a `file://` directory, or an `azblob://`
 * container reached with Pulumi's own rules and credentials (cli/azure-blob.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Command } from "commander";
import { execa } from "execa";
import { parse as parseYaml } from "yaml";
import { lockPaths, lockVerdict, parseLock, type RunRecord, type RunState, type StackLock } from "../../core/promotion/lock";
import { openBlobContainer, type BlobContainer } from "../azure-blob";
import { CliError, type CliIo } from "../io";
import { defaultClientFactory, type ClientFactory } from "./github-client";

const STACK = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Where Pulumi keeps the stack's locks, as `pulumi up` sees it: a file:// directory or an
 * azblob:// container. Keys are relative to the backend's root, with forward slashes.
 */
interface StateStore {
  /** The `.json` files directly in a directory of the backend, with their text. */
  jsonFiles(dir: string): Promise<Array<{ key: string; text: string }>>;
  read(key: string): Promise<string | undefined>;
  write(key: string, text: string): Promise<void>;
}

function fileStore(root: string): StateStore {
  return {
    async jsonFiles(dir) {
      const abs = path.join(root, dir);
      if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) return [];
      // `.attrs` files are the file backend's metadata, not locks.
      return fs
        .readdirSync(abs)
        .filter((n) => n.endsWith(".json"))
        .sort()
        .map((n) => ({ key: `${dir}/${n}`, text: fs.readFileSync(path.join(abs, n), "utf8") }));
    },
    async read(key) {
      try {
        return fs.readFileSync(path.join(root, key), "utf8");
      } catch {
        return undefined;
      }
    },
    async write(key, text) {
      const file = path.join(root, key);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    },
  };
}

function blobStore(container: BlobContainer): StateStore {
  return {
    async jsonFiles(dir) {
      // Only the directory's own files: a prefix listing also returns deeper names.
      const names = (await container.list(`${dir}/`)).filter((n) => n.endsWith(".json") && !n.slice(dir.length + 1).includes("/"));
      const out: Array<{ key: string; text: string }> = [];
      for (const key of names) {
        const text = await container.read(key);
        if (text !== undefined) out.push({ key, text }); // deleted since the listing: not a lock any more
      }
      return out;
    },
    read: (key) => container.read(key),
    write: (key, text) => container.write(key, text),
  };
}

/** An access token for Azure Storage from the Azure CLI's login (azure/login in a workflow). */
async function azureCliStorageToken(io: CliIo): Promise<string> {
  const r = await execa("az", ["account", "get-access-token", "--resource", "https://storage.azure.com/", "--query", "accessToken", "--output", "tsv"], { cwd: io.cwd, env: io.env, extendEnv: false, reject: false, stdin: "ignore" });
  if ((r as { code?: string }).code === "ENOENT") throw new CliError("reading an azblob:// backend needs credentials: log in with `az login` (azure/login in a workflow), or set AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_KEY; the Azure CLI `az` was not found");
  const token = String(r.stdout).trim();
  if (r.exitCode !== 0 || !token) throw new CliError(`could not get a storage token from the Azure CLI (az account get-access-token exit ${r.exitCode}): ${String(r.stderr).trim().slice(0, 300)}; log in with \`az login\` (azure/login in a workflow), or set AZURE_STORAGE_SAS_TOKEN`);
  return token;
}

function openStore(io: CliIo, backend: string | undefined): StateStore {
  const url = backend ?? io.env.PULUMI_BACKEND_URL;
  if (!url) throw new CliError("no backend: pass --backend (file:///path/to/state or azblob://container) or set PULUMI_BACKEND_URL as `pulumi up` sees it");
  if (url.startsWith("file://")) {
    const p = url.slice("file://".length).replace(/\?.*$/, "");
    if (p === "" || p === "~") return fileStore(os.homedir());
    return fileStore(path.resolve(io.cwd, p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p));
  }
  if (url.startsWith("azblob://")) return blobStore(openBlobContainer(url, io.env, () => azureCliStorageToken(io)));
  throw new CliError(`backend ${url.replace(/\/\/[^@/]*@/, "//***@").slice(0, 80)} is neither file:// nor azblob://; for another backend, check the run that held the lock and run \`pulumi cancel\` by hand`);
}

function projectName(io: CliIo): string {
  const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(io.cwd, f)).find((f) => fs.existsSync(f));
  if (!file) throw new CliError(`no Pulumi.yaml in ${io.cwd}: run this where \`pulumi up\` runs`);
  const name = (parseYaml(fs.readFileSync(file, "utf8")) as { name?: unknown })?.name;
  if (typeof name !== "string" || !STACK.test(name)) throw new CliError(`${path.basename(file)} has no usable project name`);
  return name;
}

async function readLocks(store: StateStore, dirs: readonly string[]): Promise<StackLock[]> {
  const out: StackLock[] = [];
  for (const dir of dirs) {
    for (const { key, text } of await store.jsonFiles(dir)) {
      const lock = parseLock(key, text);
      if (lock) out.push(lock);
    }
  }
  return out;
}

function parseRecord(text: string | undefined): RunRecord | null {
  if (text === undefined) return null;
  try {
    const r = JSON.parse(text) as RunRecord;
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
      const store = openStore(io, opts.backend);
      const paths = lockPaths(projectName(io), opts.stack);
      const recordRun = runIdOf(opts.recordRun, "--record-run");
      if (recordRun !== null) {
        const record: RunRecord = { runId: recordRun, runUrl: opts.runUrl || null, hostname: hostname(), startedAt: new Date().toISOString() };
        await store.write(paths.record, `${JSON.stringify(record)}\n`);
        io.stdout(`${JSON.stringify({ recorded: record, file: paths.record })}\n`);
        return;
      }
      const current = runIdOf(opts.runId ?? io.env.GITHUB_RUN_ID, "--run-id");
      const locks = await readLocks(store, paths.lockDirs);
      const record = parseRecord(await store.read(paths.record));
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
        const left = await readLocks(store, paths.lockDirs);
        if (r.exitCode !== 0 || left.length > 0) throw new CliError(`pulumi cancel did not clear the lock (exit ${r.exitCode}, ${left.length} lock(s) left):\n${String(r.stderr || r.stdout).trim()}`);
      }
      io.stdout(`${JSON.stringify({ ...report, cleared: verdict.action === "clear" && !opts.dryRun }, null, 2)}\n`);
    });
}
