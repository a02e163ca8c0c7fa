/**
 * A throwaway copy of the project in which the real Pulumi CLI runs the real program (so a test or
 * the engine benchmark can edit a parameters file or add a stack without touching the repository),
 * with its own sandbox directory: its own PULUMI_HOME (the CLI linked in, the stand-in plugins
 * installed), file backend, stand-in clouds and fake-az state. Nothing is shared between two
 * workspaces, so the engine tests (test/engine) may run in parallel.
 *
 * The CLI is looked for where the sandbox installs it (.sandbox/pulumi-home) and in ~/.pulumi; when
 * it is in neither, `engineSkipReason()` says so.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureStack, parseArgs, pulumiArgs, sandboxEnv, sandboxPaths, type SandboxPaths } from "./sandbox";
import { installStandInPlugins } from "../sandbox/providers/install";

/** The repository root, from scripts/ (jest) or dist/scripts/ (the compiled benchmark). */
export const REPO_ROOT = ((up) => (path.basename(up) === "dist" ? path.dirname(up) : up))(path.resolve(__dirname, ".."));
const CLI_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", "pulumi", "package.json"), "utf8")) as { version: string }).version;

/** The directory holding the installed CLI (pulumi, its language host, the dynamic-provider launcher), if any. */
export function findCli(): string | undefined {
  const candidates = [path.join(REPO_ROOT, ".sandbox", "pulumi-home", "versions", CLI_VERSION), path.join(os.homedir(), ".pulumi", "versions", CLI_VERSION)];
  return candidates.find((dir) => {
    try {
      fs.accessSync(path.join(dir, "bin", "pulumi"), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the engine tests cannot run here, or undefined when they can. */
export function engineSkipReason(): string | undefined {
  if (!findCli()) return `the Pulumi CLI v${CLI_VERSION} is not installed (neither .sandbox/pulumi-home nor ~/.pulumi): run \`npm run sandbox -- preview\` or \`bash scripts/install-pulumi-cli.sh\``;
  if (!fs.existsSync(path.join(REPO_ROOT, "dist", "sandbox", "providers", "main.js"))) return "dist/ is not built: run `npm run build`";
  return undefined;
}

const COPIED = ["index.ts", "Pulumi.yaml", "Pulumi.sandbox.yaml", "package.json", "tsconfig.json", "tsconfig.pulumi.json", "components", "core", "providers", "workflows", "bicep", "docs", "policies", path.join("sandbox", "bin"), path.join("test", "fakes", "generator")];
const LINKED = ["node_modules", "dist"];

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together. */
  readonly output: string;
  readonly seconds: number;
}

/** Runs a command to its end, collecting its output and wall time; never rejects on a non-zero exit. */
export function runProcess(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGTERM"), options.timeoutMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, output: `${stdout}\n${stderr}`, seconds: (Date.now() - started) / 1000 });
    });
  });
}

export interface AzCall {
  readonly command: string;
  readonly args: readonly string[];
}

export class Workspace {
  readonly paths: SandboxPaths;
  readonly env: NodeJS.ProcessEnv;

  private constructor(readonly dir: string) {
    this.paths = sandboxPaths(dir, path.join(dir, ".sandbox"));
    this.env = { ...sandboxEnv(this.paths, { ...process.env, PULUMI_CONFIG_PASSPHRASE: undefined, DELIVERY_AUDIT_DIR: undefined }), SANDBOX_AZ_LOG: this.azLog, NO_COLOR: "1" };
    delete this.env.SANDBOX_AZ_SCENARIO;
    delete this.env.SANDBOX_AZ_WHATIF_SECONDS;
  }

  /** A copy of the project with its own sandbox, the CLI linked in and the stand-ins installed. */
  static create(label: string): Workspace {
    const cli = findCli();
    if (!cli) throw new Error(engineSkipReason());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `engine-${label}-`));
    for (const entry of COPIED) {
      fs.mkdirSync(path.dirname(path.join(dir, entry)), { recursive: true });
      fs.cpSync(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
    }
    for (const entry of LINKED) fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(dir, entry));
    const ws = new Workspace(dir);
    fs.mkdirSync(path.join(ws.paths.pulumiHome, "versions"), { recursive: true });
    fs.symlinkSync(cli, path.join(ws.paths.pulumiHome, "versions", CLI_VERSION));
    installStandInPlugins({ pulumiHome: ws.paths.pulumiHome, sandboxDir: ws.paths.dir, repoRoot: REPO_ROOT });
    fs.mkdirSync(ws.paths.backend, { recursive: true });
    return ws;
  }

  get azLog(): string {
    return path.join(this.dir, ".sandbox", "az-calls.jsonl");
  }

  /** Runs pulumi in the workspace; never rejects on a non-zero exit. */
  pulumi(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 240_000): Promise<RunResult> {
    return runProcess(path.join(this.paths.cliBin, "pulumi"), args, { cwd: this.dir, env: { ...this.env, ...extraEnv }, timeoutMs });
  }

  /** `npm run sandbox -- <argv>` as the sandbox script builds it (stack init included), without its setup step. */
  async sandbox(argv: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    const parsed = parseArgs(argv);
    ensureStack(this.paths, parsed.stack, this.env, this.dir);
    return this.pulumi([...pulumiArgs(parsed, false), "--color", "never", "--non-interactive"], extraEnv);
  }

  azCalls(): AzCall[] {
    if (!fs.existsSync(this.azLog)) return [];
    return fs
      .readFileSync(this.azLog, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as AzCall);
  }

  resetAzCalls(): void {
    fs.rmSync(this.azLog, { force: true });
  }

  /** A stand-in's cloud: resource id -> stored resource. */
  cloud(pkg: "github" | "azure-native" | "aws"): Record<string, { type: string; outputs: Record<string, unknown> }> {
    const file = path.join(this.paths.dir, "cloud", `${pkg}.json`);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as { resources: Record<string, { type: string; outputs: Record<string, unknown> }> }).resources : {};
  }

  async stackResources(stack: string): Promise<{ urn: string; type: string }[]> {
    const r = await this.pulumi(["stack", "export", "--stack", stack]);
    if (r.code !== 0) throw new Error(`pulumi stack export failed:\n${r.output}`);
    return ((JSON.parse(r.stdout) as { deployment?: { resources?: { urn: string; type: string }[] } }).deployment?.resources ?? []) as { urn: string; type: string }[];
  }

  async stackOutputs(stack: string): Promise<Record<string, unknown>> {
    const r = await this.pulumi(["stack", "output", "--json", "--stack", stack]);
    if (r.code !== 0) throw new Error(`pulumi stack output failed:\n${r.output}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  write(relative: string, text: string): void {
    fs.writeFileSync(path.join(this.dir, relative), text);
  }

  read(relative: string): string {
    return fs.readFileSync(path.join(this.dir, relative), "utf8");
  }

  dispose(): void {
    if (process.env.KEEP_ENGINE_WORKSPACES) {
      console.warn(`engine workspace kept: ${this.dir}`);
      return;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The last "Resources:" summary of a pulumi run (an `up` prints its preview's first), e.g. { create: 29 } or { unchanged: 29 }. */
export function resourceSummary(output: string): Record<string, number> {
  const blocks = output.split(/\nResources:\n/);
  const block = blocks.length > 1 ? blocks[blocks.length - 1] : "";
  const out: Record<string, number> = {};
  for (const m of block.matchAll(/^\s+[+~\-]*\s*(\d+) (to create|to update|to delete|to replace|created|updated|deleted|replaced|unchanged)/gm)) {
    out[m[2].replace(/^to /, "")] = Number(m[1]);
  }
  return out;
}
