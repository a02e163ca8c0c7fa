import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { classify } from "../../core/classify";
import { CliError, type CliIo } from "../io";

/** Reads FILE (relative to the working directory) or, for `-` or no FILE, standard input. */
export async function readInput(io: CliIo, file: string | undefined): Promise<string> {
  if (file === undefined || file === "-") return io.readStdin();
  const abs = path.resolve(io.cwd, file);
  try {
    return fs.readFileSync(abs, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
}

export function registerClassify(program: Command, io: CliIo): void {
  program
    .command("classify")
    .description(
      "classify a failed deployment's output: prints {category, retryable, kind, reason, evidence} as JSON (the provider's retry decisions use the same rules; a log whose retries the provider already spent is retries-exhausted, not retryable)",
    )
    .argument("[file]", "file holding the output; - or nothing reads standard input")
    .action(async (file: string | undefined) => {
      const text = await readInput(io, file);
      io.stdout(`${JSON.stringify(classify(text))}\n`);
    });
}
