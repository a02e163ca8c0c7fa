/**
 * Drift: a scheduled `pulumi preview --refresh --expect-no-changes` per stack (the Bicep
 * provider's `read` runs the what-if, so a resource group that no longer matches its template is
 * a change, and so is anything changed outside Pulumi in GitHub or Azure). This module turns that
 * run into one issue per stack: opened when the stack drifted, updated while it stays drifted,
 * closed when it is clean again. A preview that failed for another reason touches no issue.
 * Pure decisions and text; the GitHub calls are `cli/commands/drift.ts`.
 */
import { commentMarker, countsText, fitComment, findMarkedComment, mdCell, type ResourceCounts } from "./comment";

export type DriftOutcome = "clean" | "drifted" | "failed";

/** What `--expect-no-changes` prints when the preview proposed changes (older and newer Pulumi wording). */
const CHANGES_PROPOSED = /no changes were expected(?: for \w+)? but changes were proposed/;

/** A step of `pulumi preview --diff`: `~ type: (update)`, `+- type: (replace)`, ... (refresh lines only show read state). */
const CHANGE_STEP = /^\s*[~+-]+\s+([\w.-]+:[\w./-]*:[\w./-]+): \((?:update|create|delete|replace|create-replacement|delete-replaced)\)\s*$/gm;

/** The resource types the preview proposes to change, as its `--diff` output lists them. */
export function changedTypes(log: string): string[] {
  return [...log.matchAll(CHANGE_STEP)].map((m) => m[1]);
}

/**
 * exit 0: clean; non-zero with Pulumi's "changes were proposed": drifted, unless the only changes
 * are provider configurations (`pulumi:providers:*`): the drift job reads with its own read-only
 * credentials, so the GitHub provider's token always differs from the deployer's, and that is not
 * a resource changed outside Pulumi. Any other failure: failed. When no change can be read from the
 * log, it is drift (a report too many rather than a drift missed).
 */
export function driftOutcome(exitCode: number, log: string): DriftOutcome {
  if (exitCode === 0) return "clean";
  if (!CHANGES_PROPOSED.test(log)) return "failed";
  const types = changedTypes(log);
  return types.length > 0 && types.every((t) => t.startsWith("pulumi:providers:")) ? "clean" : "drifted";
}

export interface OpenIssue {
  readonly number: number;
  readonly body?: string | null;
  readonly user?: { readonly login: string } | null;
  /** Issues endpoints list pull requests too; those are never drift issues. */
  readonly pull_request?: unknown;
}

export type DriftIssueAction =
  | { readonly kind: "open"; readonly title: string; readonly body: string }
  | { readonly kind: "update"; readonly number: number; readonly body: string }
  | { readonly kind: "close"; readonly number: number; readonly comment: string }
  | { readonly kind: "none"; readonly reason: string };

export function driftIssueTitle(stack: string): string {
  return `Drift in ${stack}: resources differ from the code`;
}

export interface DriftReportInput {
  readonly stack: string;
  readonly runUrl: string;
  readonly commit: string;
  /** Pulumi's resource counts of the refresh preview, when its log has them. */
  readonly counts: ResourceCounts | null;
  /** The what-if section (core/comment.ts whatIfSection) of the Bicep deployments that drifted. */
  readonly whatifHeadline?: string;
  readonly whatif: readonly string[];
  readonly log: string;
}

/** The issue body: marker, what drifted, how to resolve it, the what-if tables and the preview log. */
export function driftIssueBody(i: DriftReportInput): string {
  const head = [
    commentMarker("drift", i.stack),
    `The scheduled drift check of \`${mdCell(i.stack)}\` found resources that differ from the code at ${i.commit.slice(0, 12)} ([run](${i.runUrl})).`,
    "",
    i.counts ? `\`pulumi preview --refresh\`: ${countsText(i.counts)}.` : "`pulumi preview --refresh` proposed changes; see the log below.",
    "",
    "To resolve it, either redeploy the environment (`/deploy " + mdCell(i.stack) + "` on a pull request, or the deploy workflow), which re-applies the code, or change the code to match what was changed by hand. This issue closes itself when the check finds the stack clean.",
  ];
  if (i.whatif.length > 0) head.push("", `#### Azure what-if${i.whatifHeadline ? `: ${i.whatifHeadline}` : ""}`, "", i.whatif.join("\n\n"));
  return fitComment(head.join("\n"), { summary: "pulumi preview --refresh output", content: i.log }, "");
}

/** Open, update or close the stack's drift issue (the open issue `author` posted carrying the stack's marker). */
export function driftIssueAction(outcome: DriftOutcome, stack: string, openIssues: readonly OpenIssue[], author: string, report: DriftReportInput): DriftIssueAction {
  const marker = commentMarker("drift", stack);
  const existing = findMarkedComment(
    openIssues.filter((i) => !i.pull_request).map((i) => ({ id: i.number, body: i.body, user: i.user })),
    marker,
    author,
  );
  if (outcome === "failed") return { kind: "none", reason: `the preview of ${stack} failed for another reason than drift; no issue was changed (see the run)` };
  if (outcome === "clean") {
    return existing
      ? { kind: "close", number: existing.id, comment: `The drift check of \`${mdCell(stack)}\` at ${report.commit.slice(0, 12)} found it clean again ([run](${report.runUrl})).` }
      : { kind: "none", reason: `${stack} has no drift and no open drift issue` };
  }
  const body = driftIssueBody(report);
  return existing ? { kind: "update", number: existing.id, body } : { kind: "open", title: driftIssueTitle(stack), body };
}
