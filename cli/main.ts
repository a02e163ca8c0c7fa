/**
 * The `delivery` command: the one entry point the workflows call. Each subcommand is a thin
 * shell around `core/`, so the rules the workflows act on are the rules the Pulumi program and
 * its providers use.
 */
import { Command, CommanderError } from "commander";
import { registerCommands, type CliDeps } from "./commands";
import { CliError, processIo, type CliIo } from "./io";

export type { CliDeps, CliIo };
export { CliError };

/** The program; with `argv`, only the command it names is loaded (see registerCommands). */
export function buildProgram(io: CliIo, deps: CliDeps = {}, argv?: readonly string[]): Command {
  const program = new Command("delivery")
    .description("Run the delivery platform's logic from a shell or a workflow: classify failures, summarise what-ifs, parse IssueOps intents, render workflows, report stale docs and promotion state.")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerCommands(program, io, deps, argv);
  return program;
}

/**
 * Runs the CLI and resolves to the process exit code: the one run loop, used by `bin/delivery.js`
 * and by every in-process test (which pass their own `io` and fake GitHub client in `deps`).
 */
export async function run(argv: readonly string[], io: CliIo = processIo(), deps: CliDeps = {}): Promise<number> {
  const program = buildProgram(io, deps, argv);
  // A command may fail by setting process.exitCode; read it for this run only, so one in-process
  // run's failure does not become the next one's.
  const outer = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      io.stderr(`delivery: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr(`delivery: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  } finally {
    process.exitCode = outer;
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
