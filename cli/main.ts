/**
 * The `delivery` command: the one entry point the workflows call. Each subcommand is a thin
 * shell around `core/`, so the rules the workflows act on are the rules the Pulumi program and
 * its providers use.
 */
import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands";

/** Where a command writes; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads standard input to the end (for `-` file arguments). */
  readonly readStdin: () => Promise<string>;
  /** Repository root commands resolve relative paths against. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A failure the user can fix; printed without a stack trace, exit code as given. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export function processIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    cwd: process.cwd(),
    env: process.env,
  };
}

export function buildProgram(io: CliIo): Command {
  const program = new Command("delivery")
    .description("Run the delivery platform's logic from a shell or a workflow: classify failures, summarise what-ifs, parse IssueOps intents, render workflows, report stale docs and promotion state.")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerCommands(program, io);
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
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
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
