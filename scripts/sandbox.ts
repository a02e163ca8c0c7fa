/**
 * `npm run sandbox -- <command> [pulumi flags]`: the real program through the real Pulumi engine,
 * with no cloud account (docs/sandbox.md).
 *
 *   preview | up | destroy | refresh   runs `pulumi <command> --stack sandbox` with the policy pack
 *   env                                 prints the environment, to run `pulumi` by hand
 *   reset                               forgets the sandbox's clouds and stack state (keeps the CLI)
 *   app ok|fail|status|stop             the deployed app's local health endpoint (sandbox/health-server.ts):
 *                                       `up` starts it on 127.0.0.1; `fail` makes it answer 503
 *
 * Options (before or after the command): --stack NAME (default sandbox), --policy-pack-config FILE
 * (default policies/config/dev.json). Anything else is passed to pulumi.
 *
 * Everything lives under .sandbox/ (or $DELIVERY_SANDBOX_DIR): an isolated PULUMI_HOME with the CLI
 * and the stand-in provider plugins (never ~/.pulumi), the file backend, the stand-ins' clouds and
 * the audit records. On first run it sets up whatever is missing, saying what it does.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { installStandInPlugins } from "../sandbox/providers/install";
import { APP_MODES, ensureAppServer, readMode, runningServer, setMode, stopAppServer, type AppMode } from "../sandbox/health-server";

/** The passphrase of the sandbox stack's secrets; Pulumi.sandbox.yaml's encryptionsalt matches it. Not a secret: nothing real is encrypted with it. */
export const SANDBOX_PASSPHRASE = "delivery-platform-sandbox";
export const SANDBOX_STACK = "sandbox";

export interface SandboxPaths {
  readonly root: string;
  readonly dir: string;
  readonly pulumiHome: string;
  readonly backend: string;
  readonly cliVersion: string;
  readonly cliBin: string;
}

export function sandboxPaths(root: string = path.resolve(__dirname, "..", ".."), dir: string = process.env.DELIVERY_SANDBOX_DIR ?? path.join(root, ".sandbox")): SandboxPaths {
  const cliVersion = (JSON.parse(fs.readFileSync(path.join(root, "node_modules", "pulumi", "package.json"), "utf8")) as { version: string }).version;
  const pulumiHome = path.join(dir, "pulumi-home");
  return { root, dir, pulumiHome, backend: path.join(dir, "state"), cliVersion, cliBin: path.join(pulumiHome, "versions", cliVersion, "bin") };
}

/** The environment every sandbox command runs in: stand-ins first on PATH, isolated PULUMI_HOME, file backend. */
export function sandboxEnv(p: SandboxPaths, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    PATH: [path.join(p.root, "sandbox", "bin"), p.cliBin, base.PATH ?? ""].join(path.delimiter),
    PULUMI_HOME: p.pulumiHome,
    PULUMI_BACKEND_URL: `file://${p.backend}`,
    PULUMI_CONFIG_PASSPHRASE: base.PULUMI_CONFIG_PASSPHRASE ?? SANDBOX_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // Diffs in parallel, as the workflows run them: the Bicep what-ifs overlap (npm run bench:engine).
    PULUMI_PARALLEL_DIFF: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    DELIVERY_SANDBOX_DIR: p.dir,
    DELIVERY_AUDIT_DIR: base.DELIVERY_AUDIT_DIR ?? path.join(p.dir, "audit"),
  };
}

const isExecutable = (file: string) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).size > 0;
  } catch {
    return false;
  }
};

async function internetReachable(): Promise<boolean> {
  try {
    const res = await fetch("https://get.pulumi.com/", { method: "HEAD", signal: AbortSignal.timeout(4000) });
    return res.status < 500;
  } catch {
    return false;
  }
}

/** Installs what is missing (CLI, stand-in plugins, state directory); idempotent and quiet when all is there. */
export async function ensureSandbox(p: SandboxPaths, say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const cli = path.join(p.cliBin, "pulumi");
  if (!isExecutable(cli)) {
    const home = process.env.HOME ?? "";
    const userCli = path.join(home, ".pulumi", "versions", p.cliVersion, "bin", "pulumi");
    const useScript = isExecutable(userCli) || !(await internetReachable());
    say(`sandbox: installing the Pulumi CLI v${p.cliVersion} into ${p.cliBin} (isolated; ~/.pulumi is not changed)`);
    if (useScript) {
      say(isExecutable(userCli) ? "sandbox:   copying it from ~/.pulumi (scripts/install-pulumi-cli.sh)" : "sandbox:   get.pulumi.com is not reachable: building it from Go modules (scripts/install-pulumi-cli.sh; the first build takes several minutes)");
      const r = spawnSync("bash", [path.join(p.root, "scripts", "install-pulumi-cli.sh")], { cwd: p.root, env: { ...process.env, PULUMI_HOME: p.pulumiHome }, stdio: ["ignore", "inherit", "inherit"] });
      if (r.status !== 0) throw new Error(`Installing the Pulumi CLI failed (scripts/install-pulumi-cli.sh exited ${r.status}); see its output above.`);
    } else {
      say("sandbox:   downloading it through the `pulumi` npm package");
      const previous = process.env.PULUMI_HOME;
      process.env.PULUMI_HOME = p.pulumiHome;
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { resolve } = require(path.join(p.root, "node_modules", "pulumi", "lib", "resolve.js")) as { resolve: (o?: { version?: string }) => Promise<string> };
        await resolve({ version: p.cliVersion });
      } finally {
        if (previous === undefined) delete process.env.PULUMI_HOME;
        else process.env.PULUMI_HOME = previous;
      }
    }
    if (!isExecutable(cli)) throw new Error(`The Pulumi CLI is still missing at ${cli} after installing it.`);
  }
  const dynamic = path.join(p.root, "dist", "providers", "bicep", "impl.js");
  if (!fs.existsSync(dynamic)) throw new Error(`${dynamic} is missing: run \`npm run build\` (npm ci does it) first.`);
  const plugins = installStandInPlugins({ pulumiHome: p.pulumiHome, sandboxDir: p.dir, repoRoot: p.root });
  for (const plugin of plugins.filter((x) => x.changed)) say(`sandbox: installed the stand-in provider plugin ${plugin.pkg} v${plugin.version} (${path.relative(p.root, plugin.launcher)})`);
  fs.mkdirSync(p.backend, { recursive: true });
}

/** Runs pulumi in the sandbox environment; resolves with its exit code (output inherited unless captured). */
export function runPulumi(p: SandboxPaths, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(p.cliBin, "pulumi"), [...args], { cwd: options.cwd ?? p.root, env: options.env ?? sandboxEnv(p), stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** `stack select`, or `stack init` when the stack does not exist yet in the sandbox backend. */
export function ensureStack(p: SandboxPaths, stack: string, env: NodeJS.ProcessEnv = sandboxEnv(p), cwd: string = p.root): void {
  const pulumi = path.join(p.cliBin, "pulumi");
  const select = spawnSync(pulumi, ["stack", "select", stack], { cwd, env, encoding: "utf8" });
  if (select.status === 0) return;
  process.stderr.write(`sandbox: creating the stack "${stack}" in ${p.backend}\n`);
  const init = spawnSync(pulumi, ["stack", "init", stack], { cwd, env, encoding: "utf8" });
  if (init.status !== 0) throw new Error(`pulumi stack init ${stack} failed:\n${init.stderr}${init.stdout}`);
}

export interface ParsedArgs {
  readonly command: string | undefined;
  readonly stack: string;
  readonly policyConfig: string;
  readonly rest: string[];
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  let command: string | undefined;
  let stack = SANDBOX_STACK;
  let policyConfig = path.join("policies", "config", "dev.json");
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--stack" || a === "-s") stack = argv[++i];
    else if (a.startsWith("--stack=")) stack = a.slice("--stack=".length);
    else if (a === "--policy-pack-config") policyConfig = argv[++i];
    else if (a.startsWith("--policy-pack-config=")) policyConfig = a.slice("--policy-pack-config=".length);
    else if (command === undefined && !a.startsWith("-")) command = a;
    else rest.push(a);
  }
  return { command, stack, policyConfig, rest };
}

/** The pulumi arguments for a sandbox command. */
export function pulumiArgs(parsed: ParsedArgs, interactive: boolean): string[] {
  const { command, stack, policyConfig, rest } = parsed;
  const policies = ["--policy-pack", "policies", "--policy-pack-config", policyConfig];
  switch (command) {
    case "preview":
      return ["preview", "--stack", stack, ...policies, ...rest];
    case "up":
      return ["up", "--stack", stack, ...policies, ...(interactive || rest.includes("--yes") || rest.includes("-y") ? [] : ["--yes"]), ...rest];
    case "destroy":
    case "refresh":
      return [command, "--stack", stack, ...(interactive || rest.includes("--yes") || rest.includes("-y") ? [] : ["--yes"]), ...rest];
    default:
      throw new Error(`unknown sandbox command ${JSON.stringify(command)}`);
  }
}

const USAGE = `usage: npm run sandbox -- <preview|up|destroy|refresh|env|reset> [--stack NAME] [--policy-pack-config FILE] [pulumi flags]
       npm run sandbox -- app <ok|fail|status|stop>   the deployed app's health endpoint (127.0.0.1), started by up

Runs this repository's Pulumi program through the real Pulumi engine with no cloud account:
stand-in github / azure-native / aws provider plugins, a fake az that remembers deployments,
the policy pack, a local file backend. Everything lives under .sandbox/ (docs/sandbox.md).`;

export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.command || parsed.command === "help" || argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return parsed.command ? 0 : 2;
  }
  const p = sandboxPaths();
  if (parsed.command === "app") {
    const what = parsed.rest[0] ?? "status";
    if ((APP_MODES as readonly string[]).includes(what)) setMode(p.dir, what as AppMode);
    else if (what === "stop") stopAppServer(p.dir);
    else if (what !== "status") {
      process.stderr.write(`sandbox: app takes ${APP_MODES.join(", ")}, status or stop, not "${what.slice(0, 20)}"\n`);
      return 2;
    }
    const s = what === "stop" ? null : runningServer(p.dir);
    process.stdout.write(s ? `sandbox app: http://127.0.0.1:${s.port}/ answers ${readMode(p.dir) === "fail" ? "503 (failing)" : "200 (healthy)"} (pid ${s.pid})\n` : `sandbox app: not running (npm run sandbox -- up starts it)${what === "status" ? "" : `; mode ${readMode(p.dir)}`}\n`);
    return 0;
  }
  if (parsed.command === "reset") {
    stopAppServer(p.dir);
    for (const sub of ["state", "cloud", "az", "audit", "app"]) fs.rmSync(path.join(p.dir, sub), { recursive: true, force: true });
    process.stderr.write(`sandbox: forgot the stacks and the stand-in clouds under ${p.dir} (the CLI and plugins stay)\n`);
    return 0;
  }
  if (!["preview", "up", "destroy", "refresh", "env"].includes(parsed.command)) {
    process.stderr.write(`sandbox: unknown command "${parsed.command}"\n${USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  await ensureSandbox(p);
  const env = sandboxEnv(p);
  if (parsed.command === "env") {
    for (const k of ["PATH", "PULUMI_HOME", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_SKIP_UPDATE_CHECK", "PULUMI_PARALLEL_DIFF", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "DELIVERY_SANDBOX_DIR", "DELIVERY_AUDIT_DIR"]) {
      process.stdout.write(`export ${k}=${JSON.stringify(env[k])}\n`);
    }
    return 0;
  }
  ensureStack(p, parsed.stack, env);
  if (parsed.command === "up") {
    const app = await ensureAppServer(p.dir, path.join(p.root, "dist", "sandbox", "health-server.js"));
    process.stderr.write(`sandbox: the deployed app answers on http://127.0.0.1:${app.port}/ (${app.started ? "started" : "running"}; \`npm run sandbox -- app fail\` makes it fail)\n`);
  }
  const args = pulumiArgs(parsed, Boolean(process.stdin.isTTY));
  process.stderr.write(`sandbox: pulumi ${args.join(" ")}  (no cloud account: stand-ins from docs/sandbox.md)\n`);
  const code = await runPulumi(p, args, { env });
  process.stderr.write(`sandbox: ${parsed.command} finished in ${((Date.now() - started) / 1000).toFixed(1)}s (exit ${code})\n`);
  if (parsed.command === "up" && code === 0) process.stderr.write(`sandbox: check the deployed app: eval "$(npm run -s sandbox -- env)"; npx delivery validate health --stack ${parsed.stack}\n`);
  if (parsed.command === "destroy" && code === 0) stopAppServer(p.dir);
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`sandbox: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
