/**
 * Runs the real `az` through execa: no shell, arguments as a list, a timeout per command (the
 * process is stopped with SIGTERM, then SIGKILL), and failures turned into AzCommandError for
 * core/ to classify. `az` missing from PATH says what to install.
 */
import { execa } from "execa";
import { azError, type AzOutput, type AzRunOptions, type AzRunner } from "../../core/bicep/az";

export interface ExecaAzRunnerOptions {
  /** Directory relative template paths are resolved in (the repository root). */
  readonly cwd: string;
  /** Environment for az; defaults to this process's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with each command before it runs (for debug logs); arguments only, never output. */
  readonly onCommand?: (args: readonly string[]) => void;
}

export function execaAzRunner(options: ExecaAzRunnerOptions): AzRunner {
  return {
    async run(args: readonly string[], { timeoutMs }: AzRunOptions): Promise<AzOutput> {
      options.onCommand?.(args);
      const result = await execa("az", [...args], {
        cwd: options.cwd,
        env: { ...(options.env ?? process.env), AZURE_CORE_NO_COLOR: "true", AZURE_CORE_SURVEY_MESSAGE: "false" },
        extendEnv: false,
        stdin: "ignore",
        timeout: timeoutMs,
        forceKillAfterDelay: 5_000,
        reject: false,
        stripFinalNewline: false,
        maxBuffer: 200 * 1024 * 1024,
      });
      const stdout = String(result.stdout ?? "");
      const stderr = String(result.stderr ?? "");
      if (!result.failed) return { stdout, stderr };
      if (result.timedOut) throw azError(args, "timeout", { stdout, stderr, timeoutMs });
      if ((result as { code?: string }).code === "ENOENT") throw azError(args, "not-found", {});
      return Promise.reject(azError(args, "exit", { stdout, stderr, exitCode: result.exitCode }));
    },
  };
}
