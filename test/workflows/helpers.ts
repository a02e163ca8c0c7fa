import { execFile, execFileSync } from "node:child_process";
import * as os from "node:os";
import { parseStackConfig, type StackConfig } from "../../core/config";
import { readStackFile } from "../../core/stack-file";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export function stackConfig(stack: string): StackConfig {
  return parseStackConfig(readStackFile(REPO_ROOT, stack).config, stack);
}

/** One actionlint finding (its JSON output, as `-format '{{json .}}'` prints it). */
export interface LintResult {
  readonly message: string;
  readonly filepath: string;
  readonly line: number;
  readonly column: number;
  /** The rule, e.g. `expression`, `shellcheck`. */
  readonly kind: string;
}

let tools: { actionlint: string; shellcheck: string } | undefined;

/** actionlint and shellcheck, built or unpacked on first use by scripts/install-actionlint.sh (cached; milliseconds after). */
export function lintTools(): { actionlint: string; shellcheck: string } {
  if (!tools) {
    const [actionlint, shellcheck] = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "install-actionlint.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n");
    tools = { actionlint, shellcheck };
  }
  return tools;
}

/**
 * Every actionlint finding for one workflow, shellcheck's on its `run:` scripts included; nothing
 * is filtered. Run outside the repository so no project config changes the rules, and without
 * pyflakes so the result does not depend on what else is on PATH.
 */
export function lint(yaml: string, file: string): Promise<LintResult[]> {
  const { actionlint, shellcheck } = lintTools();
  return new Promise((resolve, reject) => {
    const child = execFile(actionlint, ["-format", "{{json .}}", "-shellcheck", shellcheck, "-pyflakes=", "-stdin-filename", file, "-"], { cwd: os.tmpdir(), encoding: "utf8" }, (err, stdout, stderr) => {
      // Exit 1 means findings; anything else is actionlint failing to run.
      if (err && err.code !== 1) return reject(new Error(`actionlint failed (${String(err.code)}): ${stderr}`));
      resolve(JSON.parse(stdout || "[]") as LintResult[]);
    });
    child.stdin!.end(yaml);
  });
}

export { UNTRUSTED_EXPRESSIONS, untrustedInterpolations } from "../../core/workflow-rules";
