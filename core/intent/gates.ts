/**
 * The deploy gates, as a pure function of facts the workflow fetched from the GitHub API when
 * the command was read (see `cli/commands/gate.ts`). Shaped like github/branch-deploy's checks:
 * `{ success, failed_checks }` with machine-readable ids and one human message each.
 *
 * The gates, in order:
 * - `permission`: the requester's repository permission is write, maintain or admin, as the API
 *   reports it (never guessed from `author_association`, which says nothing about write access).
 * - `fork`: code from forks never runs with an environment's credentials.
 * - `pull-request-open`, `commit-mismatch`, `head-moved`: a PR deployment deploys the PR's head
 *   as it was when the command was read; a SHA named in the command must be that head, and a
 *   label event's captured head must still be the head.
 * - `target-not-on-branch`: rollbacks and dispatches deploy only commits on the environment branch.
 * - `branch-policy`: environments that need the approval label deploy only from their own branch
 *   (a PR into it, or a dispatch on it).
 * - `required-checks`: every required check on the target commit completed successfully.
 * - `approval-*`: environments with `requireApprovalLabel` need the label, applied by a person with
 *   write access who is neither the PR author nor the requester. GitHub's required reviewers on
 *   the environment (with self-review prevented) approve the run on top, so at least two people
 *   always take part and one person can never approve alone.
 * - `frozen`: extension point for the promotion issue (a failed promotion freezes deploys).
 */
import type { ActDecision } from "./decide";

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
const DEPLOYING_PERMISSIONS: readonly Permission[] = ["admin", "maintain", "write"];

export type GateId =
  | "permission"
  | "pull-request-open"
  | "fork"
  | "commit-mismatch"
  | "head-moved"
  | "target-not-on-branch"
  | "target-unknown"
  | "branch-policy"
  | "required-checks"
  | "approval-missing"
  | "approval-by-author"
  | "approval-by-requester"
  | "approval-not-a-maintainer"
  | "frozen";

export interface FailedGate {
  readonly id: GateId;
  readonly message: string;
}

export interface CheckFact {
  readonly name: string;
  /** `queued` / `in_progress` / `completed` (check runs) or a commit status's state. */
  readonly status: string;
  /** `success`, `failure`, `neutral`, `skipped`, ... once completed; null before. */
  readonly conclusion: string | null;
}

export interface PullRequestFact {
  readonly number: number;
  readonly state: "open" | "closed";
  readonly headSha: string;
  readonly baseRef: string;
  readonly author: string;
  /** The head branch lives in another repository (a fork, or a deleted one). */
  readonly fromFork: boolean;
}

export interface ApprovalFact {
  /** Whether the approval label is on the PR now. */
  readonly present: boolean;
  /** Who applied it most recently (from the issue's events), if anyone. */
  readonly appliedBy: string | null;
  readonly appliedByType: "User" | "Bot" | "Organization" | null;
  readonly appliedByPermission: Permission;
  /** The PR that carries the approval (the command's PR, or the one that merged a dispatched commit). */
  readonly pullRequest: number | null;
  readonly pullRequestAuthor: string | null;
}

export interface GateFacts {
  readonly requesterPermission: Permission;
  /** The command's PR as the API returned it when the command was read; null for dispatches. */
  readonly pullRequest: PullRequestFact | null;
  /** The commit that would be deployed (resolved: PR head, branch head, or the named commit). */
  readonly target: string | null;
  /** For rollbacks and dispatches: whether `target` is on the environment branch. */
  readonly targetOnBranch: boolean | null;
  readonly requiredChecks: readonly string[];
  /** Checks and statuses on `target`, newest first per name. */
  readonly checks: readonly CheckFact[];
  readonly approval: ApprovalFact | null;
  /** Set by the promotion machine when deploys are frozen (later issue). */
  readonly freeze?: { readonly reason: string } | null;
}

export interface GateEnvironment {
  readonly name: string;
  readonly branch: string;
  readonly requireApprovalLabel: boolean;
}

export interface GateResult {
  readonly success: boolean;
  readonly failed_checks: readonly FailedGate[];
  /** The commit to deploy when `success`. */
  readonly commit: string | null;
  readonly message: string;
}

const PASSING = new Set(["success", "neutral", "skipped"]);

/** Latest result per check name; a check that never ran is missing, not green. */
export function checkProblems(required: readonly string[], checks: readonly CheckFact[]): string[] {
  const latest = new Map<string, CheckFact>();
  for (const c of checks) if (!latest.has(c.name)) latest.set(c.name, c);
  const problems: string[] = [];
  for (const name of required) {
    const c = latest.get(name);
    if (!c) problems.push(`\`${name}\` has not run`);
    else if (c.status !== "completed") problems.push(`\`${name}\` is ${c.status.replace("_", " ")}`);
    else if (!PASSING.has(c.conclusion ?? "")) problems.push(`\`${name}\` concluded ${c.conclusion ?? "without a result"}`);
  }
  return problems;
}

/** Evaluates every gate that applies to the decision; all failures are reported at once. */
export function evaluateGates(decision: ActDecision, env: GateEnvironment, facts: GateFacts, approvalLabel: string): GateResult {
  const failed: FailedGate[] = [];
  const fail = (id: GateId, message: string) => failed.push({ id, message });
  const who = decision.requestedBy;

  if (!DEPLOYING_PERMISSIONS.includes(facts.requesterPermission)) {
    fail("permission", `@${who} has ${facts.requesterPermission} permission on this repository; ${decision.action} needs write, maintain or admin.`);
  }
  if (facts.freeze) fail("frozen", `Deployments are frozen: ${facts.freeze.reason}`);

  const pr = facts.pullRequest;
  if (decision.pullRequest !== null && decision.action !== "rollback") {
    if (!pr) fail("pull-request-open", `Pull request #${decision.pullRequest} could not be read.`);
    else {
      if (pr.state !== "open") fail("pull-request-open", `Pull request #${pr.number} is ${pr.state}.`);
      if (pr.fromFork) fail("fork", `#${pr.number} comes from a fork; its code never runs with deployment credentials. Push the branch to this repository and open a pull request from it.`);
      if (decision.commit !== null && !pr.headSha.startsWith(decision.commit)) {
        const id: GateId = decision.source === "label" ? "head-moved" : "commit-mismatch";
        fail(
          id,
          decision.source === "label"
            ? `The pull request moved: it was at ${decision.commit.slice(0, 12)} when the label was applied and is at ${pr.headSha.slice(0, 12)} now. Apply the label again to deploy the new head.`
            : `You asked for ${decision.commit}, but the head of #${pr.number} is ${pr.headSha.slice(0, 12)}. Deployments from a pull request deploy its head; push or name the head.`,
        );
      }
    }
  }
  if (facts.targetOnBranch === false) {
    fail("target-not-on-branch", `${(facts.target ?? decision.commit ?? "the commit").slice(0, 12)} is not on \`${env.branch}\`; ${env.name} ${decision.action === "rollback" ? "rolls back" : "is dispatched"} only to commits of its branch.`);
  }
  if (facts.target === null) fail("target-unknown", `No commit to ${decision.action} could be resolved.`);

  if (env.requireApprovalLabel && decision.action !== "preview") {
    if (decision.source === "dispatch") {
      if (decision.ref !== `refs/heads/${env.branch}`) fail("branch-policy", `${env.name} is dispatched only from \`${env.branch}\`, not \`${decision.ref ?? "?"}\`.`);
    } else if (pr && decision.action === "deploy" && pr.baseRef !== env.branch) {
      fail("branch-policy", `${env.name} deploys only pull requests into \`${env.branch}\`; #${pr.number} targets \`${pr.baseRef}\`.`);
    }
  }

  if (decision.action !== "preview" && facts.target !== null) {
    const problems = checkProblems(facts.requiredChecks, facts.checks);
    if (problems.length > 0) fail("required-checks", `Required checks on ${facts.target.slice(0, 12)} are not green: ${problems.join("; ")}.`);
  }

  if (env.requireApprovalLabel && decision.action !== "preview") {
    const a = facts.approval;
    if (!a || !a.present || a.appliedBy === null) {
      fail("approval-missing", `${env.name} needs the \`${approvalLabel}\` label on ${a?.pullRequest ? `#${a.pullRequest}` : "the pull request"}, applied by a second person with write access.`);
    } else {
      const labeller = a.appliedBy.toLowerCase();
      if (a.pullRequestAuthor !== null && labeller === a.pullRequestAuthor.toLowerCase()) {
        fail("approval-by-author", `\`${approvalLabel}\` was applied by @${a.appliedBy}, the pull request's author; someone else must apply it.`);
      }
      if (labeller === who.toLowerCase()) {
        fail("approval-by-requester", `\`${approvalLabel}\` was applied by @${a.appliedBy}, who is also asking for the deployment; a second person must apply it.`);
      }
      if (a.appliedByType !== "User" || !DEPLOYING_PERMISSIONS.includes(a.appliedByPermission)) {
        fail("approval-not-a-maintainer", `\`${approvalLabel}\` was applied by @${a.appliedBy} (${a.appliedByType ?? "unknown"}, ${a.appliedByPermission} permission); only a person with write access can approve.`);
      }
    }
  }

  const success = failed.length === 0;
  const message = success
    ? `${decision.action} of ${env.name} at ${(facts.target ?? "").slice(0, 12)} is allowed.`
    : [`${decision.action} of ${env.name} refused:`, ...failed.map((f) => `- ${f.message}`)].join("\n");
  return { success, failed_checks: failed, commit: success ? facts.target : null, message };
}

/** Re-check right before `pulumi up`: the PR must still be where the command found it. */
export function headStillAt(expected: string, current: PullRequestFact): FailedGate | null {
  if (current.state !== "open") return { id: "pull-request-open", message: `Pull request #${current.number} was ${current.state} while the deployment waited; nothing was deployed.` };
  if (current.headSha !== expected) {
    return {
      id: "head-moved",
      message: `Pull request #${current.number} moved from ${expected.slice(0, 12)} to ${current.headSha.slice(0, 12)} after the command was read; nothing was deployed. Ask again to deploy the new head.`,
    };
  }
  return null;
}
