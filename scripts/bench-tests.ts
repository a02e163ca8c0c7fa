/**
 * Benchmark for `npm test` (Jest beside the type-check, scripts/test.sh): runs it several times in
 * this checkout and prints, per run, the wall time, the CPU time of everything it started, and
 * Jest's own time; then the medians and the test files that took longest in the middle run.
 *
 *     npm run build && node dist/scripts/bench-tests.js [--runs 3] [--top 10]
 *
 * The machine's speed varies from run to run (on the 2-core development machine the same run used
 * a quarter more CPU at times), so each run also prints how long an empty `node -e 0` takes, and
 * several runs are worth more than one. Needs what `npm test` needs (`npm ci`; DVC on PATH for the
 * live DVC comparisons, as `.ci/run` sets it).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { median, middle } from "./stats";

const REPO = path.resolve(__dirname, "..", "..");

interface Options {
  runs: number;
  top: number;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { runs: 3, top: 10 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in opts)) throw new Error(`unknown option ${argv[i]}: use --runs N and --top N`);
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${key} needs a whole number above 0, got ${argv[i]}`);
    (opts as unknown as Record<string, number>)[key] = value;
  }
  return opts;
}

/** CPU seconds of this process's waited-for children so far (Linux: cutime + cstime of /proc/self/stat). */
function childCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the command name: state is field 3 of stat(5), so cutime (16) and cstime (17) are at 13 and 14.
  const ticks = Number(fields[13]) + Number(fields[14]);
  return ticks / 100; // USER_HZ, 100 on Linux
}

interface Run {
  wall: number;
  cpu: number;
  jest: number;
  floor: number;
  files: { file: string; seconds: number }[];
}

function timeNodeStart(): number {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, ["-e", "0"]);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function runOnce(outDir: string, index: number): Run {
  const floor = timeNodeStart();
  const report = path.join(outDir, `jest-${index}.json`);
  const cpuBefore = childCpuSeconds();
  const started = process.hrtime.bigint();
  const r = spawnSync("bash", ["scripts/test.sh", "--json", `--outputFile=${report}`], { cwd: REPO, env: { ...process.env, CI: "true" }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = childCpuSeconds() - cpuBefore;
  if (r.status !== 0) throw new Error(`npm test failed (exit ${r.status}); nothing measured:\n${`${r.stdout}${r.stderr}`.slice(-4000)}`);
  const json = JSON.parse(readFileSync(report, "utf8")) as { startTime: number; testResults: { name: string; startTime: number; endTime: number }[] };
  const files = json.testResults.map((t) => ({ file: path.relative(REPO, t.name), seconds: (t.endTime - t.startTime) / 1000 }));
  const jest = (Math.max(...json.testResults.map((t) => t.endTime)) - json.startTime) / 1000;
  return { wall, cpu, jest, floor, files };
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const outDir = mkdtempSync(path.join(tmpdir(), "bench-tests-"));
  try {
    const runs: Run[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const run = runOnce(outDir, i);
      runs.push(run);
      console.log(`run ${i + 1}: npm test ${run.wall.toFixed(1)} s wall, ${run.cpu.toFixed(1)} s CPU; Jest ${run.jest.toFixed(1)} s; node -e 0 ${run.floor.toFixed(2)} s`);
    }
    console.log(`median of ${runs.length}: npm test ${median(runs.map((r) => r.wall)).toFixed(1)} s wall, ${median(runs.map((r) => r.cpu)).toFixed(1)} s CPU; Jest ${median(runs.map((r) => r.jest)).toFixed(1)} s`);
    const mid = middle(runs, (r) => r.wall);
    console.log(`longest test files of the middle run (${mid.files.length} files):`);
    for (const f of [...mid.files].sort((a, b) => b.seconds - a.seconds).slice(0, opts.top)) console.log(`  ${f.seconds.toFixed(1).padStart(5)} s  ${f.file}`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

main();
