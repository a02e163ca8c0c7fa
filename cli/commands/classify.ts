import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { classify, deployJobEndedClassification } from "../../core/classify";
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
    .option("--deploy-job-ended <result>", "instead of reading output: the classification of a deploy whose pulumi up reported nothing because its job ended (the job's result, e.g. cancelled)")
    .action(async (file: string | undefined, opts: { deployJobEnded?: string }) => {
      if (opts.deployJobEnded !== undefined) {
        if (file !== undefined) throw new CliError(`give either a file to classify (${file}) or --deploy-job-ended, not both`);
        io.stdout(`${JSON.stringify(deployJobEndedClassification(opts.deployJobEnded))}\n`);
        return;
      }
      const text = await readInput(io, file);
      io.stdout(`${JSON.stringify(classify(text))}\n`);
    });
}
