/**
 * Engine benchmark (docs/sandbox.md): `node dist/scripts/bench-engine.js [--latency L] [--sizes 1,4,8]`
 *
 * 1. The sandbox stack (the real program): time from starting `pulumi preview` to the first
 *    resource registered (the first resource event in the engine's event log, watched as it is
 *    written), and the whole preview, on an empty stack and on an unchanged deployed stack.
 * 2. N Bicep deployments (the real BicepDeploymentResource and provider, in a small JavaScript
 *    program) whose fake `az` what-if takes L seconds: preview wall time when nothing changed
 *    (must make zero az calls) and when a parameter changed (ideally close to L, not N x L), with
 *    the number of az calls of each kind. Run once more with PULUMI_PARALLEL_DIFF=true.
 *
 * 3. The sandbox wrapper: `npm run sandbox -- preview` against the `pulumi preview` it runs (same
 *    arguments and environment), on a deployed sandbox stack, median of five each, interleaved, and
 *    `npm run sandbox -- env` (the wrapper's own work, no preview) (`--wrapper-only` runs just this).
 *
 * Everything runs in throwaway workspaces (scripts/engine-workspace.ts) or a throwaway sandbox
 * directory, offline.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { ensureStack, parseArgs, pulumiArgs, sandboxEnv, sandboxPaths } from "./sandbox";
import { Workspace, REPO_ROOT, engineSkipReason, runProcess } from "./engine-workspace";
import { median } from "./stats";

interface Options {
  latency: number;
  sizes: number[];
}

function parse(argv: readonly string[]): Options {
  const o: Options = { latency: 2, sizes: [1, 4, 8] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--latency") o.latency = Number(argv[++i]);
    else if (argv[i] === "--sizes") o.sizes = argv[++i].split(",").map(Number);
  }
  return o;
}

/** Runs a preview streaming engine events as JSON (PULUMI_ENABLE_STREAMING_JSON_PREVIEW): seconds to the first resource event, and in total. */
function timedPreview(ws: Workspace, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ firstResource?: number; firstCustom?: number; total: number; code: number; output: string }> {
  const started = Date.now();
  let firstResource: number | undefined;
  let firstCustom: number | undefined;
  let output = "";
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ws.paths.cliBin, "pulumi"), [...args, "--json"], { cwd: ws.dir, env: { ...ws.env, ...env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => {
      const text = d.toString();
      output += text;
      const at = (Date.now() - started) / 1000;
      if (firstResource === undefined && text.includes('"resourcePreEvent"')) firstResource = at;
      if (firstCustom === undefined && /"type":\s*"(?!pulumi:pulumi:Stack|pulumi:providers:|delivery:)[a-z-]+:[^"]*"/.test(text) && text.includes('"resourcePreEvent"')) firstCustom = at;
    });
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ firstResource, firstCustom, total: (Date.now() - started) / 1000, code: code ?? 1, output }));
  });
}

const fmt = (s: number | undefined) => (s === undefined ? "n/a" : `${s.toFixed(2)} s`);

async function sandboxStack(): Promise<void> {
  const ws = Workspace.create("bench-sandbox");
  try {
    ensureStack(ws.paths, "sandbox", ws.env, ws.dir);
    const coldPlain = await ws.sandbox(["preview"]);
    const cold = await timedPreview(ws, ["preview", "--stack", "sandbox", "--policy-pack", "policies", "--policy-pack-config", "policies/config/dev.json"]);
    const up = await ws.sandbox(["up"]);
    if (up.code !== 0) throw new Error(`sandbox up failed:\n${up.output}`);
    ws.resetAzCalls();
    const warmPlain = await ws.sandbox(["preview"]);
    const warm = await timedPreview(ws, ["preview", "--stack", "sandbox", "--policy-pack", "policies", "--policy-pack-config", "policies/config/dev.json"]);
    const noPolicy = await timedPreview(ws, ["preview", "--stack", "sandbox"]);
    for (const r of [cold, warm, noPolicy]) if (r.code !== 0) throw new Error(`preview failed:\n${r.output.slice(-3000)}`);
    console.log("sandbox stack (the real program, ~29 resources, policy pack on):");
    console.log(`  empty stack:     whole preview ${fmt(coldPlain.seconds)}; with streamed JSON events: start -> first resource registered ${fmt(cold.firstResource)} (first cloud resource ${fmt(cold.firstCustom)}), whole ${fmt(cold.total)}`);
    console.log(`  deployed stack:  whole preview ${fmt(warmPlain.seconds)} (az calls ${ws.azCalls().length}); with streamed JSON events: start -> first resource registered ${fmt(warm.firstResource)} (first cloud resource ${fmt(warm.firstCustom)}), whole ${fmt(warm.total)}`);
    console.log(`  without policies: whole preview ${fmt(noPolicy.total)}`);
  } finally {
    ws.dispose();
  }
}

const SUBSCRIPTION = "8d2f6a41-93c7-4b0e-a5d8-1e6f2c9b7a30";

/** A JavaScript Pulumi project with N BicepDeploymentResources, each into its own (pre-created) resource group. */
function benchProject(ws: Workspace, n: number): void {
  const dir = path.join(ws.dir, "bench");
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  fs.symlinkSync(path.join(REPO_ROOT, "dist"), path.join(dir, "dist"));
  fs.cpSync(path.join(REPO_ROOT, "bicep"), path.join(dir, "bicep"), { recursive: true });
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: bench-bicep\nruntime: nodejs\n");
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bench-bicep", main: "index.js" }));
  fs.writeFileSync(
    path.join(dir, "index.js"),
    `const pulumi = require("@pulumi/pulumi");
const { BicepDeploymentResource } = require("./dist/providers/bicep/index.js");
const n = ${n};
for (let i = 0; i < n; i++) {
  new BicepDeploymentResource("bench-" + i, {
    name: "bench-" + i, root: __dirname, template: "bicep/main.bicep", parameters: "bicep/parameters/dev.bicepparam",
    resourceGroupName: "rg-bench-" + i, subscriptionId: "${SUBSCRIPTION}", mode: "Incremental", overrides: {},
    verifyHealth: false, healthEndpoints: [], auditDir: ${JSON.stringify(path.join(ws.paths.dir, "audit"))},
    retry: {}, timeouts: {}, deletePolicy: "keep", stack: "bench",
    // As the BicepDeployment component sets it: only a preview's check runs the what-if.
    preview: pulumi.runtime.isDryRun(),
  });
}
`,
  );
  // The resource groups exist in the sandbox's Azure (as the azure-native stand-in would have created them).
  const resources = Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-bench-${i}`, { type: "azure-native:resources:ResourceGroup", urn: `bench-${i}`, inputs: {}, outputs: { name: `rg-bench-${i}`, location: "westeurope" } }]),
  );
  fs.mkdirSync(path.join(ws.paths.dir, "cloud"), { recursive: true });
  fs.writeFileSync(path.join(ws.paths.dir, "cloud", "azure-native.json"), JSON.stringify({ version: 1, resources, counters: {} }));
}

async function bicepDeployments(o: Options): Promise<void> {
  console.log(`\nN Bicep deployments, fake az what-if latency L = ${o.latency} s (preview wall time; az calls by command):`);
  for (const parallelDiff of [false, true]) {
    for (const n of o.sizes) {
      const ws = Workspace.create(`bench-bicep-${n}`);
      try {
        benchProject(ws, n);
        const cwd = path.join(ws.dir, "bench");
        const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runProcess(path.join(ws.paths.cliBin, "pulumi"), args, { cwd, env: { ...ws.env, ...env, PULUMI_PARALLEL_DIFF: String(parallelDiff) } });
        const init = await run(["stack", "init", "bench"]);
        if (init.code !== 0) throw new Error(init.output);
        const up = await run(["up", "--yes", "--non-interactive"]);
        if (up.code !== 0) throw new Error(`bench up failed:\n${up.output}`);
        const latency = { SANDBOX_AZ_WHATIF_SECONDS: String(o.latency) };
        ws.resetAzCalls();
        const unchanged = await run(["preview", "--non-interactive"], latency);
        const unchangedCalls = ws.azCalls().length;
        const params = path.join(cwd, "bicep", "parameters", "dev.bicepparam");
        fs.writeFileSync(params, fs.readFileSync(params, "utf8").replace("param storageSoftDeleteDays = 7", "param storageSoftDeleteDays = 14"));
        ws.resetAzCalls();
        const changed = await run(["preview", "--non-interactive"], latency);
        const counts: Record<string, number> = {};
        for (const c of ws.azCalls()) counts[c.command] = (counts[c.command] ?? 0) + 1;
        if (unchanged.code !== 0 || changed.code !== 0) throw new Error(`bench preview failed:\n${unchanged.output}\n${changed.output}`);
        if ((counts["deployment group what-if"] ?? 0) !== n) throw new Error(`the changed preview ran ${counts["deployment group what-if"] ?? 0} what-ifs for ${n} changed deployments: it measured nothing\n${changed.output.slice(-2000)}`);
        const ideal = o.latency;
        console.log(
          `  PULUMI_PARALLEL_DIFF=${parallelDiff} N=${n}: unchanged ${unchanged.seconds.toFixed(2)} s (${unchangedCalls} az calls) | changed ${changed.seconds.toFixed(2)} s (what-if ${counts["deployment group what-if"] ?? 0}, account ${counts["account show"] ?? 0}, build ${counts["bicep build"] ?? 0}); changed - unchanged = ${(changed.seconds - unchanged.seconds).toFixed(2)} s vs L = ${ideal} s, N x L = ${n * ideal} s`,
        );
      } finally {
        ws.dispose();
      }
    }
  }
}

/** Wall seconds of one command, failing loudly when it fails. */
async function timed(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<number> {
  const r = await runProcess(command, args, options);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.code}:\n${r.output.slice(-3000)}`);
  return r.seconds;
}

const RUNS = 5;

/** `npm run sandbox -- preview` against the pulumi command it runs, in a throwaway sandbox directory. */
async function sandboxWrapper(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-wrapper-"));
  const env = { ...process.env, DELIVERY_SANDBOX_DIR: dir, CI: "true" };
  try {
    await timed("npm", ["run", "sandbox", "--", "up"], { cwd: REPO_ROOT, env });
    const p = sandboxPaths(REPO_ROOT, dir);
    const direct = pulumiArgs(parseArgs(["preview"]), false);
    const wrapper: number[] = [];
    const engine: number[] = [];
    const own: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      wrapper.push(await timed("npm", ["run", "sandbox", "--", "preview"], { cwd: REPO_ROOT, env }));
      engine.push(await timed(path.join(p.cliBin, "pulumi"), direct, { cwd: REPO_ROOT, env: sandboxEnv(p, env) }));
      // The wrapper's own work without the preview: npm, Node, the install checks (`env` stops there
      // before `pulumi stack select`, which keeps the stack a hand-run `pulumi` uses, ~0.4 s).
      own.push(await timed("npm", ["run", "sandbox", "--", "env"], { cwd: REPO_ROOT, env }));
    }
    const w = median(wrapper);
    const e = median(engine);
    const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(", ");
    console.log(`sandbox wrapper (deployed sandbox stack, median of ${RUNS}, interleaved):`);
    console.log(`  npm run sandbox -- preview ${w.toFixed(2)} s | pulumi ${direct.join(" ")} ${e.toFixed(2)} s | difference ${(w - e).toFixed(2)} s`);
    console.log(`  the wrapper's own work (npm run sandbox -- env): ${median(own).toFixed(2)} s`);
    console.log(`  runs: wrapper ${list(wrapper)}; pulumi ${list(engine)}; own work ${list(own)}`);
  } finally {
    await timed("npm", ["run", "sandbox", "--", "app", "stop"], { cwd: REPO_ROOT, env }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const reason = engineSkipReason();
  if (reason) {
    console.error(`bench-engine: cannot run: ${reason}`);
    process.exitCode = 2;
    return;
  }
  const o = parse(process.argv.slice(2));
  const only = ["--sandbox-only", "--bicep-only", "--wrapper-only"].find((flag) => process.argv.includes(flag));
  if (!only || only === "--sandbox-only") await sandboxStack();
  if (!only || only === "--bicep-only") await bicepDeployments(o);
  if (!only || only === "--wrapper-only") await sandboxWrapper();
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exitCode = 1;
  });
}
