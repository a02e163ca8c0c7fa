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
 * - `target-not-on-branch`: rollbacks, dispatches and pushes deploy only commits on the environment branch.
 * - `no-known-good`, `already-known-good`: `/rollback <env>` without a SHA goes to the environment's
 *   last known-good commit, as the promotion machine derives it; there must be one, and it must
 *   not be what already runs (unless the environment failed: then redeploying it is the rollback).
 * - `unreviewed-push`: a push deploys only when a merged pull request brought the commit.
 * - `branch-policy`: environments that need the approval label deploy only from their own branch
 *   (a PR into it, or a dispatch or push on it).
 * - `required-checks`: every required check completed successfully on the target commit (for a
 *   push: on the head of the merged pull request, which is what the branch's rulesets checked).
 * - `approval-*`: environments with `requireApprovalLabel` need the label, applied by a person with
 *   write access who is neither the PR author nor the requester. GitHub's required reviewers on
 *   the environment (with self-review prevented) approve the run on top, so at least two people
 *   always take part and one person can never approve alone.
 * - `frozen`: while an issue labelled `deployment-failure` is open (the promotion freeze), `deploy`
 *   goes only to the pipeline's first environment (that is how the fix arrives); rollbacks and
 *   previews are never frozen (a rollback is how the freeze is handled).
 *
 * `/promote <from> <to>` has its own gates (`evaluatePromoteGates`): the permission, `to` is the
 * environment right after `from`, and the promotion machine asks for exactly that promotion now.
 */
import type { EnvironmentReport, PromotionState } from "../promotion/machine";
import { describeAction } from "../promotion/render";
import type { ActDecision, PromoteDecision } from "./decide";
import { DEPLOYMENT_FAILURE_LABEL } from "../labels";

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
const DEPLOYING_PERMISSIONS: readonly Permission[] = ["admin", "maintain", "write"];

/** Whether a repository permission may deploy, roll back or promote (write, maintain or admin). */
export function mayDeploy(permission: Permission): boolean {
  return DEPLOYING_PERMISSIONS.includes(permission);
}

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
  | "frozen"
  | "no-known-good"
  | "already-known-good"
  | "unreviewed-push"
  | "not-next-environment"
  | "not-promotable";

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

/** An open issue labelled `deployment-failure`: while one is open, promotion is frozen. */
export interface FreezeIssue {
  readonly number: number;
  readonly url: string;
}

/** What the promotion machine says about the environment a `/rollback` without a SHA names. */
export interface LastKnownGoodFact {
  /** The newest deployment whose validation passed (for a failed environment: other than the failed one). */
  readonly sha: string | null;
  readonly deployedSha: string | null;
  readonly state: PromotionState;
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
  /** Open `deployment-failure` issues (read for `deploy`; empty otherwise). */
  readonly freeze: readonly FreezeIssue[];
  /** For a rollback without a SHA: the promotion machine's answer (`target` is its `sha`); null otherwise. */
  readonly lastKnownGood: LastKnownGoodFact | null;
  /** For a push: the merged pull request into the branch that brought `target` (null when none did, or not a push). */
  readonly mergedPullRequest: { readonly number: number; readonly headSha: string } | null;
}

export interface GateEnvironment {
  readonly name: string;
  readonly branch: string;
  readonly requireApprovalLabel: boolean;
  /** The pipeline's first environment, where fixes arrive; never frozen. */
  readonly firstEnvironment: string;
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
  if (decision.action === "deploy" && env.name !== env.firstEnvironment && facts.freeze.length > 0) {
    const issues = facts.freeze.map((i) => `#${i.number}`).join(", ");
    fail(
      "frozen",
      `Promotion is frozen while ${issues} ${facts.freeze.length === 1 ? "is" : "are"} open (label \`${DEPLOYMENT_FAILURE_LABEL.name}\`): only rollbacks and deployments to ${env.firstEnvironment} run. Deploy the fix to ${env.firstEnvironment}, and close the issue once it is validated there.`,
    );
  }

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
  const known = decision.action === "rollback" && decision.commit === null ? facts.lastKnownGood : null;
  if (known && known.sha === null) {
    fail("no-known-good", `${env.name} has no last known-good commit (its promotion state is ${known.state}): no deployment of it passed validation. Name the commit: \`/rollback ${env.name} to <sha>\`.`);
  } else if (known && known.sha === known.deployedSha && known.state !== "failed") {
    fail("already-known-good", `${env.name} already runs its last known-good commit ${known.sha!.slice(0, 12)}; to go further back, name the commit: \`/rollback ${env.name} to <sha>\`.`);
  }
  if (facts.targetOnBranch === false) {
    const verb = decision.action === "rollback" ? "rolls back" : decision.source === "push" ? "deploys on push" : "is dispatched";
    fail("target-not-on-branch", `${(facts.target ?? decision.commit ?? "the commit").slice(0, 12)} is not on \`${env.branch}\`; ${env.name} ${verb} only to commits of its branch.`);
  }
  if (facts.target === null && !failed.some((f) => f.id === "no-known-good")) fail("target-unknown", `No commit to ${decision.action} could be resolved.`);
  if (decision.source === "push" && facts.target !== null && facts.mergedPullRequest === null) {
    fail("unreviewed-push", `${facts.target.slice(0, 12)} reached \`${env.branch}\` without a merged pull request, so it is not deployed on push. Deploy it with the deploy workflow's manual dispatch on \`${env.branch}\`.`);
  }

  if (env.requireApprovalLabel && decision.action !== "preview") {
    if (decision.source === "dispatch" || decision.source === "push") {
      if (decision.ref !== `refs/heads/${env.branch}`) fail("branch-policy", `${env.name} is dispatched only from \`${env.branch}\`, not \`${decision.ref ?? "?"}\`.`);
    } else if (pr && decision.action === "deploy" && pr.baseRef !== env.branch) {
      fail("branch-policy", `${env.name} deploys only pull requests into \`${env.branch}\`; #${pr.number} targets \`${pr.baseRef}\`.`);
    }
  }

  // A push is checked where the branch's rulesets checked it: on the merged pull request's head.
  const checked = decision.source === "push" ? (facts.mergedPullRequest?.headSha ?? null) : facts.target;
  if (decision.action !== "preview" && checked !== null) {
    const problems = checkProblems(facts.requiredChecks, facts.checks);
    const where = decision.source === "push" ? `${checked.slice(0, 12)} (the head of #${facts.mergedPullRequest!.number})` : checked.slice(0, 12);
    if (problems.length > 0) fail("required-checks", `Required checks on ${where} are not green: ${problems.join("; ")}.`);
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

/** What `/promote` is checked against. */
export interface PromoteGateFacts {
  readonly requesterPermission: Permission;
  /**
   * The promotion machine's report (`delivery promote status --json`) when the command was read;
   * null when it was not read (the requester may not promote anyway).
   */
  readonly promotion: { readonly environments: readonly Pick<EnvironmentReport, "name" | "state" | "blocking" | "actions">[] } | null;
}

/**
 * `/promote <from> <to>`: a person with write access, `to` right after `from` in `pipeline` (the
 * environment names in order), and the machine asking for exactly that promotion now (an
 * `open-pr` action from `from` to `to`); otherwise the reply lists what blocks `from`. The commit
 * is the validated SHA the promotion pull request will carry.
 */
export function evaluatePromoteGates(decision: PromoteDecision, pipeline: readonly string[], facts: PromoteGateFacts): GateResult {
  const failed: FailedGate[] = [];
  const fail = (id: GateId, message: string) => failed.push({ id, message });
  const { from, to } = decision;
  if (!DEPLOYING_PERMISSIONS.includes(facts.requesterPermission)) {
    fail("permission", `@${decision.requestedBy} has ${facts.requesterPermission} permission on this repository; promote needs write, maintain or admin.`);
  }
  const next = pipeline[pipeline.indexOf(from) + 1];
  if (next === undefined) fail("not-next-environment", `${from} is the last environment of the pipeline (${pipeline.join(" -> ")}); there is nothing to promote it to.`);
  else if (next !== to) fail("not-next-environment", `\`/promote\` moves a commit one environment along the pipeline (${pipeline.join(" -> ")}): ${from} promotes only to ${next}, not to ${to}.`);

  let commit: string | null = null;
  if (failed.length === 0 && facts.promotion) {
    const env = facts.promotion.environments.find((e) => e.name === from);
    const open = env?.actions.find((a) => a.kind === "open-pr" && a.from === from && a.to === to);
    if (open && open.kind === "open-pr") commit = open.sha;
    else {
      const reasons = env ? (env.blocking.length > 0 ? env.blocking : env.actions.map(describeAction)) : ["the promotion machine does not know it"];
      fail("not-promotable", `${from} is not ready to promote to ${to} (${from} is ${env?.state ?? "unknown"}): ${reasons.join("; ").replace(/\.$/, "")}.`);
    }
  } else if (failed.length === 0) {
    fail("not-promotable", `the promotion state of ${from} could not be read.`);
  }

  const success = failed.length === 0;
  const message = success ? `promote of ${commit!.slice(0, 12)} from ${from} to ${to} is allowed.` : [`promote from ${from} to ${to} refused:`, ...failed.map((f) => `- ${f.message}`)].join("\n");
  return { success, failed_checks: failed, commit: success ? commit : null, message };
}
