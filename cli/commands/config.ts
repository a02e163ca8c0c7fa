import type { Command } from "commander";
import { ConfigError, parseStackConfig } from "../../core/config";
import { defaultsMarkdown } from "../../core/defaults";
import { readStackFile } from "../../core/stack-file";
import { CliError, type CliIo } from "../io";

/** Loads and validates a committed stack file, the way `pulumi preview --stack NAME` would see it. */
export function loadStack(io: CliIo, stack: string) {
  let raw;
  try {
    raw = readStackFile(io.cwd, stack);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  try {
    return parseStackConfig(raw.config, stack);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}

export function registerConfig(program: Command, io: CliIo): void {
  program
    .command("config")
    .description("validate a stack's configuration (Pulumi.<name>.yaml over Pulumi.yaml's project config) offline and print it resolved, with defaults applied; or print the table of defaults")
    .option("--stack <name>", "stack whose configuration to read")
    .option("--defaults", "print every default (core/defaults.ts) as a Markdown table instead")
    .action((opts: { stack?: string; defaults?: boolean }) => {
      if (opts.defaults) {
        io.stdout(`${defaultsMarkdown()}\n`);
        return;
      }
      if (!opts.stack) throw new CliError("config needs --stack NAME (the stack whose configuration to print) or --defaults");
      const cfg = loadStack(io, opts.stack);
      io.stdout(`${JSON.stringify(cfg, null, 2)}\n`);
    });
}
