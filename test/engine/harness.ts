/**
 * Engine tests run the real Pulumi CLI on the real program, each in its own throwaway workspace
 * (scripts/engine-workspace.ts, which the engine benchmark uses too); when the CLI is not installed they
 * are skipped loudly.
 */
import { engineSkipReason } from "../../scripts/engine-workspace";

export { engineSkipReason, findCli, REPO_ROOT, resourceSummary, Workspace, type AzCall, type RunResult } from "../../scripts/engine-workspace";

/** `describe`, or `describe.skip` with the reason in its name and a console warning, so a skip is never silent. */
export function describeEngine(name: string, body: () => void): void {
  const reason = engineSkipReason();
  // CI installs the CLI first; there a missing CLI is a failure, not a reason to skip.
  if (reason && process.env.DELIVERY_REQUIRE_ENGINE_TESTS === "true") throw new Error(`engine tests required (DELIVERY_REQUIRE_ENGINE_TESTS=true) but ${reason}`);
  if (reason) {
    console.warn(`ENGINE TESTS SKIPPED (${name}): ${reason}`);
    describe.skip(`${name} [SKIPPED: ${reason}]`, body);
  } else describe(name, body);
}
