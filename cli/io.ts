/**
 * What every `delivery` command shares with the entry point: where it writes, and the error a
 * user can fix. Its own module so that commands import it and `cli/main.ts` imports the commands,
 * with no cycle between them.
 */

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
