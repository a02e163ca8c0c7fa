/** Runs `delivery promote ...` in process, through the CLI's own run loop, with a fake Octokit and a fixed clock. */
import type { Octokit } from "@octokit/rest";
import { CliError, type CliIo } from "../../../cli/io";
import { run } from "../../../cli/main";
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
  const code = await run(["promote", ...argv], io, {
    github: async () => {
      if (!options.octokit) throw new CliError("no GitHub client in this test");
      return options.octokit as never; // promote asks for `request` only
    },
    now: () => new Date(options.now ?? "2025-06-02T10:30:00Z"),
  });
  return { code, stdout: stdout(), stderr: stderr() };
}
