/** Runs `delivery promote ...` in process with a fake Octokit and a fixed clock. */
import { Command, CommanderError } from "commander";
import type { Octokit } from "@octokit/rest";
import { registerPromote } from "../../../cli/commands/promote";
import { CliError, type CliIo } from "../../../cli/main";
import { captureIo } from "../../harness/cli";

export interface PromoteRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function promote(
  argv: readonly string[],
  options: { octokit?: Pick<Octokit, "request">; now?: string; env?: CliIo["env"]; cwd?: string } = {},
): Promise<PromoteRun> {
  const { io, stdout, stderr } = captureIo({ env: options.env ?? { GITHUB_REPOSITORY: "contoso/payments-service", GITHUB_TOKEN: "ghs_test" }, ...(options.cwd ? { cwd: options.cwd } : {}) });
  const program = new Command("delivery").exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  let factoryCalls = 0;
  registerPromote(
    program,
    io,
    async () => {
      factoryCalls++;
      if (!options.octokit) throw new CliError("no GitHub client in this test");
      return options.octokit;
    },
    () => new Date(options.now ?? "2025-06-02T10:30:00Z"),
  );
  let code = 0;
  try {
    await program.parseAsync(["promote", ...argv], { from: "user" });
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`delivery: ${err.message}\n`);
      code = err.exitCode;
    } else if (err instanceof CommanderError) code = err.exitCode;
    else throw err;
  }
  void factoryCalls;
  return { code, stdout: stdout(), stderr: stderr() };
}
