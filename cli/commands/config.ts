import type { Command } from "commander";
import { ConfigError, parseStackConfig } from "../../core/config";
import { readStackFile } from "../../core/stack-file";
import { CliError, type CliIo } from "../main";

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
    .description("validate a stack's configuration file offline and print it resolved, with defaults applied")
    .requiredOption("--stack <name>", "stack whose Pulumi.<name>.yaml to read")
    .action((opts: { stack: string }) => {
      const cfg = loadStack(io, opts.stack);
      io.stdout(`${JSON.stringify(cfg, null, 2)}\n`);
    });
}
