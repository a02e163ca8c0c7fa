import type { Command } from "commander";
import { parseWhatIf, renderMarkdown, summarizeWhatIf, summaryJson, WhatIfParseError } from "../../core/whatif";
import { CliError, type CliIo } from "../io";
import { readInput } from "./classify";

interface WhatIfOptions {
  readonly format: string;
  readonly title?: string;
  readonly maxChars: string;
  readonly failOnDestructive?: boolean;
}

/** Exit code when --fail-on-destructive is given and the what-if deletes something. */
export const DESTRUCTIVE_EXIT_CODE = 3;

export function registerWhatIf(program: Command, io: CliIo): void {
  program
    .command("whatif")
    .description(
      "summarise a what-if (az's flat shape from `az deployment group|sub what-if --no-pretty-print`, or the ARM REST shape with `properties.changes`): counts per change type, destructive changes and property deltas, as JSON or as PR-comment markdown; any other document is an error",
    )
    .argument("<file>", "file holding the what-if JSON; - reads standard input")
    .option("--format <format>", "json or markdown", "json")
    .option("--title <text>", "markdown heading, e.g. the environment and resource group")
    .option("--max-chars <n>", "markdown size limit (GitHub comments hold 65536)", "60000")
    .option("--fail-on-destructive", `exit with code ${DESTRUCTIVE_EXIT_CODE} when the what-if deletes resources`)
    .action(async (file: string, opts: WhatIfOptions) => {
      if (opts.format !== "json" && opts.format !== "markdown") throw new CliError(`--format must be json or markdown (received ${JSON.stringify(opts.format)})`);
      const maxChars = Number(opts.maxChars);
      if (!Number.isInteger(maxChars) || maxChars < 1000) throw new CliError(`--max-chars must be an integer of at least 1000 (received ${JSON.stringify(opts.maxChars)})`);
      const text = await readInput(io, file);
      let summary;
      try {
        summary = summarizeWhatIf(parseWhatIf(text));
      } catch (err) {
        if (err instanceof WhatIfParseError) throw new CliError(`${file}: ${err.message}`);
        throw err;
      }
      io.stdout(opts.format === "json" ? `${JSON.stringify(summaryJson(summary), null, 2)}\n` : renderMarkdown(summary, { title: opts.title, maxChars }));
      if (opts.failOnDestructive && summary.destructive.length > 0) throw new CliError(`${summary.destructive.length} destructive change(s) in ${file}`, DESTRUCTIVE_EXIT_CODE);
    });
}
