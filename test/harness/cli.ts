import type { CliIo } from "../../cli/io";
import { REPO_ROOT } from "./program";

/** A CliIo that records what a command writes, for in-process CLI tests. */
export function captureIo(overrides: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: async () => "",
    cwd: REPO_ROOT,
    env: {},
    ...overrides,
  };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}
