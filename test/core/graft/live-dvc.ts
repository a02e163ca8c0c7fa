/**
 * Real DVC for the tests that check our reading of a DVC project against DVC's own. DVC runs only
 * when `dvc` is on PATH (`.ci/run` puts it there); without it those tests are skipped, and say so.
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants, openSync, readSync, closeSync } from "node:fs";
import * as path from "node:path";

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const file = path.join(dir || ".", command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The `dvc` on PATH, or undefined. */
export const DVC = onPath("dvc");

/** The Python interpreter a pip-installed `dvc` script names on its first line; undefined for a standalone DVC binary. */
function interpreterOf(script: string): string | undefined {
  const fd = openSync(script, "r");
  try {
    const head = Buffer.alloc(256);
    const line = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString("utf8").split("\n")[0];
    const match = /^#!\s*(\S*python[\d.]*)\s*$/.exec(line);
    return match?.[1];
  } finally {
    closeSync(fd);
  }
}

// Calls DVC's command-line entry point once per checkout, printing a record separator and the exit
// code after each answer.
const DRIVER = `
import os, sys
from dvc.cli import main
for root in sys.argv[1:]:
    os.chdir(root)
    code = main(["status", "--json"])
    sys.stdout.flush()
    print(f"\\x1e{code}", flush=True)
`;

/**
 * `dvc status --json` in each checkout, parsed; each is made a git repository first, as DVC needs.
 * One DVC process answers them all: DVC's start-up is most of a status (about 0.75 s of CPU), and
 * a further checkout in the same process costs about 0.15 s.
 */
export function liveDvcStatuses(roots: readonly string[]): unknown[] {
  if (!DVC) throw new Error("dvc is not on PATH; guard the test with DVC");
  for (const root of roots) execFileSync("git", ["init", "-q"], { cwd: root });
  const python = interpreterOf(DVC);
  if (!python) return roots.map((root) => JSON.parse(execFileSync(DVC, ["status", "--json"], { cwd: root, encoding: "utf8" })));
  const out = execFileSync(python, ["-c", DRIVER, ...roots], { encoding: "utf8" });
  const parts = out.split(/\x1e(-?\d+)\n/);
  return roots.map((root, i) => {
    const [answer, code] = [parts[2 * i], parts[2 * i + 1]];
    if (code !== "0") throw new Error(`dvc status --json in ${root} exited ${code}:\n${answer}`);
    return JSON.parse(answer);
  });
}

/** `dvc status --json` in one checkout, parsed. */
export function liveDvcStatus(root: string): unknown {
  return liveDvcStatuses([root])[0];
}
