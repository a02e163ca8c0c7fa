/**
 * Benchmark for `delivery graft-status`: builds a synthetic Graft repository (by default 1,000
 * prompts with 10 deps each, every document generated and signed, graft.lock.json, dvc.yaml and
 * dvc.lock with DVC's md5s), changes a few deps, and times the real CLI in a fresh Node process:
 * once cold (no hash cache) and several times warm (hash cache in .graft/cache); and, in the same
 * run, the real `dvc status --json` on the same repository when DVC is on PATH, with the ratio.
 *
 *     npm run build && node dist/scripts/bench-graft.js [--prompts 1000] [--deps 10] [--shared 0] [--runs 5] [--keep] [--cli bin/delivery.js]
 *
 * `--shared N` draws N of each prompt's deps from a pool shared by all prompts (default 0: every
 * dep is its own file, the worst case). "Cold" means no hash cache; the OS page cache is warm
 * either way, since the files were just written.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { dvcMd5 } from "../core/graft/hashing";
import { renderRecords, type GenerationRecord } from "../core/graft/record";
import { computeStatus } from "../core/graft/staleness";
import { renderSignedDocument, sha256Hex } from "../core/graft/text";
import { median, middle } from "./stats";

interface Options {
  prompts: number;
  deps: number;
  shared: number;
  runs: number;
  keep: boolean;
  /** The `delivery` entry point to time. Defaults to bin/delivery.js of this checkout. */
  cli: string | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { prompts: 1000, deps: 10, shared: 0, runs: 5, keep: false, cli: undefined };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, "");
    if (key === "keep") opts.keep = true;
    else if (key === "cli") opts.cli = path.resolve(argv[++i]);
    else if (key in opts) (opts as unknown as Record<string, number>)[key] = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return opts;
}

const MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0";

function buildRepository(root: string, opts: Options): { files: number } {
  const write = (rel: string, content: string) => {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    return content;
  };
  const records: Record<string, GenerationRecord> = {};
  const stages: string[] = [];
  const lock: string[] = [];
  const md5 = (s: string) => dvcMd5(Buffer.from(s), "md5");
  const sharedPool = Array.from({ length: Math.max(opts.shared * 20, opts.shared) }, (_, i) => `src/shared/s${String(i).padStart(5, "0")}.ts`);
  const content = new Map<string, string>();
  for (const p of sharedPool) content.set(p, write(p, `export const shared${p.length} = ${JSON.stringify(p)};\n`.repeat(4)));
  let files = sharedPool.length;
  for (let i = 0; i < opts.prompts; i++) {
    const id = String(i).padStart(4, "0");
    const deps: string[] = [];
    for (let j = 0; j < opts.deps; j++) {
      if (j < opts.shared) deps.push(sharedPool[(i * 7 + j * 13) % sharedPool.length]);
      else {
        const dep = `src/m${id}/f${j}.ts`;
        content.set(dep, write(dep, `// module ${id} file ${j}\nexport function f${j}(x: number): number {\n  return x * ${j} + ${i};\n}\n`));
        deps.push(dep);
        files++;
      }
    }
    const prompt = `docs/d${id}.prompt.md`;
    const output = `docs/d${id}.md`;
    const body = `Document module ${id}: what each function computes and how they fit together.\n`;
    const promptText = write(prompt, `---\ndeps:\n${deps.map((d) => `  - ${d}`).join("\n")}\n---\n${body}`);
    const doc = write(output, renderSignedDocument(`# Module ${id}\n\n${"Generated text. ".repeat(40)}\n`, { model: MODEL, sig: sha256Hex(`pack ${id}`), rev: "bench01", date: "2025-11-04" }));
    files += 2;
    records[output] = { prompt, model: MODEL, instructionsSha256: sha256Hex(body), deps: Object.fromEntries(deps.map((d) => [d, sha256Hex(content.get(d)!)])), outputSha256: sha256Hex(doc) };
    const stage = `d${id}`;
    stages.push(`  ${stage}:\n    cmd: graft generate ${prompt}\n    deps:\n${[prompt, ...deps].map((d) => `    - ${d}`).join("\n")}\n    outs:\n    - ${output}:\n        cache: false`);
    const entry = (p: string, text: string) => `    - path: ${p}\n      hash: md5\n      md5: ${md5(text)}\n      size: ${Buffer.byteLength(text)}`;
    lock.push(`  ${stage}:\n    cmd: graft generate ${prompt}\n    deps:\n${[entry(prompt, promptText), ...deps.map((d) => entry(d, content.get(d)!))].join("\n")}\n    outs:\n${entry(output, doc)}`);
  }
  write("graft.lock.json", renderRecords({ version: 1, documents: records }));
  write("dvc.yaml", `stages:\n${stages.join("\n")}\n`);
  write("dvc.lock", `schema: '2.0'\nstages:\n${lock.join("\n")}\n`);
  return { files: files + 3 };
}

interface CliTiming {
  /** Wall time of the whole process, Node start-up included. */
  ms: number;
  /** User + system CPU time of the process, when /usr/bin/time is there to measure it. */
  cpuMs: number | undefined;
  /** Wall time of computeStatus inside the process. */
  statusMs: number;
  stale: number;
  hashed: number;
  cached: number;
}

const GNU_TIME = "/usr/bin/time";

function timeCli(cli: string, root: string): CliTiming {
  const args = [cli, "graft-status", "--root", root, "--json"];
  const withTime = existsSync(GNU_TIME);
  const started = process.hrtime.bigint();
  const res = spawnSync(withTime ? GNU_TIME : process.execPath, withTime ? ["-f", "cpu %U %S", process.execPath, ...args] : args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 0) throw new Error(`graft-status failed (${res.status}): ${res.stderr}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(res.stderr);
  const json = JSON.parse(res.stdout) as { stale: string[]; stats: { filesHashed: number; filesFromCache: number; durationMs: number } };
  return { ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined, statusMs: json.stats.durationMs, stale: json.stale.length, hashed: json.stats.filesHashed, cached: json.stats.filesFromCache };
}

function describe(t: CliTiming): string {
  return `${t.ms.toFixed(0)} ms wall${t.cpuMs !== undefined ? `, ${t.cpuMs.toFixed(0)} ms CPU` : ""}, of which computeStatus ${t.statusMs} ms`;
}

/** `dvc status --json` on the repository (after `dvc init --no-scm`), or undefined without DVC. */
function timeDvc(root: string, runs: number): { version: string; medianMs: number; fastestMs: number; stages: string[] } | undefined {
  const version = spawnSync("dvc", ["--version"], { encoding: "utf8" });
  if (version.status !== 0) return undefined;
  if (!existsSync(path.join(root, ".dvc"))) spawnSync("dvc", ["init", "--no-scm", "-q"], { cwd: root });
  const times: number[] = [];
  let stages: string[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const res = spawnSync("dvc", ["status", "--json"], { cwd: root, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (res.status !== 0) throw new Error(`dvc status failed (${res.status}): ${res.stderr}`);
    stages = Object.keys(JSON.parse(res.stdout) as object).sort();
  }
  return { version: `dvc ${version.stdout.trim()}`, medianMs: median(times), fastestMs: Math.min(...times), stages };
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const root = mkdtempSync(path.join(tmpdir(), "graft-bench-"));
  const cli = opts.cli ?? path.resolve(__dirname, "..", "..", "bin", "delivery.js");
  try {
    const built = Date.now();
    const { files } = buildRepository(root, opts);
    // Touch the content of a few deps so the report has something to say.
    for (const i of [3, 500, 999].filter((n) => n < opts.prompts)) {
      const id = String(i).padStart(4, "0");
      if (opts.shared < opts.deps) writeFileSync(path.join(root, `src/m${id}/f${opts.deps - 1}.ts`), `// changed\n`);
    }
    process.stdout.write(`Synthetic repository: ${opts.prompts} prompts x ${opts.deps} deps (${opts.shared} shared), ${files} files, built in ${Date.now() - built} ms at ${root}\n`);

    rmSync(path.join(root, ".graft"), { recursive: true, force: true });
    const cold = timeCli(cli, root);
    const warm = Array.from({ length: opts.runs }, () => timeCli(cli, root));

    rmSync(path.join(root, ".graft"), { recursive: true, force: true });
    const t0 = performance.now();
    computeStatus(root, { promptGlobs: ["**/*.prompt.md"], defaultModel: MODEL });
    const inProcessCold = performance.now() - t0;
    const t1 = performance.now();
    const status = computeStatus(root, { promptGlobs: ["**/*.prompt.md"], defaultModel: MODEL });
    const inProcessWarm = performance.now() - t1;

    const typical = middle(warm, (t) => t.ms);
    const fastest = warm.reduce((a, b) => (b.ms < a.ms ? b : a));
    const dvc = timeDvc(root, opts.runs);
    const helpStarted = process.hrtime.bigint();
    spawnSync(process.execPath, [cli, "--help"]);
    const startup = Number(process.hrtime.bigint() - helpStarted) / 1e6;
    // The machine's own floor: an empty Node process, so numbers from different machines compare.
    const empty = Math.min(
      ...Array.from({ length: 3 }, () => {
        const t = process.hrtime.bigint();
        spawnSync(process.execPath, ["-e", "0"]);
        return Number(process.hrtime.bigint() - t) / 1e6;
      }),
    );
    process.stdout.write(
      [
        `node ${process.version}; an empty \`node -e 0\` takes ${empty.toFixed(0)} ms here`,
        `graft-status --json in a fresh node process (\`delivery --help\` alone takes ${startup.toFixed(0)} ms):`,
        `  cold (no hash cache, ${cold.hashed} files hashed): ${describe(cold)}`,
        `  warm (${warm[0].cached} files from the hash cache, ${warm[0].hashed} hashed), ${opts.runs} runs: median ${describe(typical)}; fastest ${describe(fastest)}`,
        `computeStatus in process: cold ${inProcessCold.toFixed(0)} ms, warm ${inProcessWarm.toFixed(0)} ms`,
        `stale documents: ${cold.stale} (the same warm: ${warm.every((w) => w.stale === cold.stale) && status.documents.filter((d) => d.stale).length === cold.stale})`,
        dvc === undefined
          ? "dvc status: DVC is not on PATH (python3 -m venv /tmp/dvcvenv && /tmp/dvcvenv/bin/pip install -r requirements-dvc.txt), not measured"
          : [
              `dvc status --json (${dvc.version}), ${opts.runs} runs: median ${dvc.medianMs.toFixed(0)} ms wall, fastest ${dvc.fastestMs.toFixed(0)} ms; stages it lists: ${dvc.stages.join(", ")}`,
              `  stages graft-status's dvc report lists: ${Object.keys(status.dvc?.status ?? {}).sort().join(", ")}`,
              `ratio (median wall): dvc status / warm graft-status = ${(dvc.medianMs / typical.ms).toFixed(1)}x; / warm computeStatus = ${(dvc.medianMs / typical.statusMs).toFixed(1)}x`,
            ].join("\n"),
        "",
      ].join("\n"),
    );
  } finally {
    if (!opts.keep) rmSync(root, { recursive: true, force: true });
  }
}

main();
