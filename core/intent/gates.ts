/**
 * The deploy gates, as a pure function of facts the workflow fetched from the GitHub API when
 * the command was read (see `cli/commands/gate.ts`). Shaped like github/branch-deploy's checks:
 * `{ success, failed_checks }` with machine-readable ids and one human message each.
 *
 * The gates, in order:
 * - `permission`: the requester's repository permission is write, maintain or admin, as the API
 *   reports it (never guessed from `author_association`, which says nothing about write access).
 * - `fork`: code from forks never runs with an environment's credentials.
 * - `permission` for a bot's dispatch (the promotion machine's rollback): the dispatch must name
 *   the person who started it (`onBehalfOf`, the workflow input `requested_by`), and that person's
 *   permission is checked; the person then counts as the requester everywhere below.
 * - `pull-request-open`, `draft`, `commit-mismatch`, `head-moved`: a PR deployment deploys the PR's
 *   head as it was when the command was read, never from a draft; a SHA named in the command must
 *   be that head, and a label event's captured head must still be the head.
 * - `target-not-on-branch`: rollbacks, dispatches and pushes deploy only commits on the environment branch.
 * - `no-known-good`, `already-known-good`: `/rollback <env>` without a SHA goes to the environment's
 *   last known-good commit, as the promotion machine derives it; there must be one, and it must
 *   not be what already runs (unless the environment failed: then redeploying it is the rollback).
 * - `unreviewed-push`: a push deploys only when a merged pull request brought the commit.
 * - `branch-policy`: environments that need the approval label deploy only from their own branch
 *   (a PR into it, or a dispatch or push on it).
 * - `required-checks`: every required check completed successfully on the target commit (for a
 *   push: on the head of the merged pull request, which is what the branch's rulesets checked), as
 *   a check run reported by the app the ruleset names (`integration_id`; GitHub Actions for the
 *   platform's own checks). Commit statuses never count: anyone with write access can post one.
 * - `approval-*`: environments with `requireApprovalLabel` need a second person's approval of the
 *   exact commit: an approving review whose `commit_id` is the approved head, or the approval
 *   label applied after that head was pushed (the repository activity says when), by a person
 *   with write access who is neither the PR author nor the requester. The approval comes from the
 *   pull request of the commit: the command's PR for a PR deployment, and for pushes, dispatches
 *   and rollbacks the merged pull request that brought the commit to the branch (never the PR a
 *   rollback comment happens to be on). GitHub's required reviewers on the environment (with
 *   self-review prevented) approve the run on top, so at least two people always take part and
 *   one person can never approve alone. The deploy job evaluates every gate again right before
 *   `pulumi up` (`delivery gate --recheck`), so an approval withdrawn or outdated while the run
 *   waited stops it.
 * - `frozen`: while an issue labelled `deployment-failure` is open (the freeze), no `deploy` runs
 *   in any environment except the fix: a pull request that says it fixes an open failure issue
 *   (`Fixes #57`, core/promotion/freeze.ts). Rollbacks and previews are never frozen (a rollback
 *   is how the freeze is handled).
 *
 * `/promote <from> <to>` has its own gates (`evaluatePromoteGates`): the permission, `to` is the
 * environment right after `from`, and the promotion machine asks for exactly that promotion now.
 */
import type { EnvironmentReport, PromotionState } from "../promotion/machine";
import { describeAction } from "../promotion/render";
import type { ActDecision, PromoteDecision, UnlockDecision } from "./decide";
import { DEPLOYMENT_FAILURE_LABEL } from "../labels";
import { exemptFromFreeze } from "../promotion/freeze";

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
const DEPLOYING_PERMISSIONS: readonly Permission[] = ["admin", "maintain", "write"];

/** Whether a repository permission may deploy, roll back or promote (write, maintain or admin). */
export function mayDeploy(permission: Permission): boolean {
  return DEPLOYING_PERMISSIONS.includes(permission);
}

export type GateId =
  | "permission"
  | "pull-request-open"
  | "draft"
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
  | "approval-stale"
  | "recheck-commit-changed"
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

/** The GitHub App id of GitHub Actions: the app that reports the platform's own checks (a ruleset's `integration_id`). */
export const GITHUB_ACTIONS_APP_ID = 15368;

/** A check run on a commit (commit statuses are not facts here: anyone with write access can post one). */
export interface CheckFact {
  readonly name: string;
  /** `queued` / `in_progress` / `completed`. */
  readonly status: string;
  /** `success`, `failure`, `neutral`, `skipped`, ... once completed; null before. */
  readonly conclusion: string | null;
  /** The id of the GitHub App that reported it (`app.id`); null when GitHub does not say. */
  readonly appId: number | null;
}

/** A check that must be green: its name, and the app that must report it (null: any app, still a check run). */
export interface RequiredCheck {
  readonly name: string;
  readonly appId: number | null;
}

export interface PullRequestFact {
  readonly number: number;
  readonly state: "open" | "closed";
  readonly headSha: string;
  readonly baseRef: string;
  readonly author: string;
  /** The head branch lives in another repository (a fork, or a deleted one). */
  readonly fromFork: boolean;
  /** A draft pull request is not ready: it is never deployed. */
  readonly draft: boolean;
}

/** Someone whose approval may count: who, what kind of account, and their repository permission. */
export interface Approver {
  readonly login: string;
  readonly type: "User" | "Bot" | "Organization" | null;
  readonly permission: Permission;
}

/** A reviewer's latest review of the pull request. */
export interface ReviewFact extends Approver {
  /** `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`. */
  readonly state: string;
  /** The commit the review was given on. */
  readonly commitId: string;
}

/** The approval label, as the issue events and the repository activity tell it. */
export interface LabelFact extends Approver {
  /** When it was applied (most recently). */
  readonly appliedAt: string;
  /** When the head commit was last pushed to the pull request's branch; null when that is unknown. */
  readonly headPushedAt: string | null;
}

export interface ApprovalFact {
  /** The PR that carries the approval (the command's PR, or the merged PR that brought the commit). */
  readonly pullRequest: number | null;
  readonly pullRequestAuthor: string | null;
  /** The commit the approval must be on: that PR's head. */
  readonly headSha: string | null;
  /** Each reviewer's latest review. */
  readonly reviews: readonly ReviewFact[];
  /** The approval label if it is on the PR now (null when it is not). */
  readonly label: LabelFact | null;
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
  /** The permission of the person asking: the requester, or for a bot's dispatch the person it names. */
  readonly requesterPermission: Permission;
  /** The command's PR as the API returned it when the command was read; null for dispatches. */
  readonly pullRequest: PullRequestFact | null;
  /** The commit that would be deployed (resolved: PR head, branch head, or the named commit). */
  readonly target: string | null;
  /** For rollbacks and dispatches: whether `target` is on the environment branch. */
  readonly targetOnBranch: boolean | null;
  readonly requiredChecks: readonly RequiredCheck[];
  /** Check runs on the checked commit, newest first. */
  readonly checks: readonly CheckFact[];
  readonly approval: ApprovalFact | null;
  /** Open `deployment-failure` issues (read for `deploy`; empty otherwise). */
  readonly freeze: readonly FreezeIssue[];
  /** Failure issues the deployed change's pull request says it fixes (`fixedIssues` of its title and body); absent: none. */
  readonly fixes?: readonly number[];
  /** For a rollback without a SHA: the promotion machine's answer (`target` is its `sha`); null otherwise. */
  readonly lastKnownGood: LastKnownGoodFact | null;
  /** For a push: the merged pull request into the branch that brought `target` (null when none did, or not a push). */
  readonly mergedPullRequest: { readonly number: number; readonly headSha: string } | null;
}

export interface GateEnvironment {
  readonly name: string;
  readonly branch: string;
  readonly requireApprovalLabel: boolean;
  /** The pipeline's first environment, where fixes arrive (the freeze names it). */
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

/**
 * The newest check run of each required name from the required app; a check that never ran (or
 * ran only as another app) is missing, not green.
 */
export function checkProblems(required: readonly RequiredCheck[], checks: readonly CheckFact[]): string[] {
  const problems: string[] = [];
  for (const { name, appId } of required) {
    const c = checks.find((x) => x.name === name && (appId === null || x.appId === appId));
    const from = appId === null ? "" : appId === GITHUB_ACTIONS_APP_ID ? " by GitHub Actions" : ` by app ${appId}`;
    if (!c) problems.push(`\`${name}\` has not run${from}`);
    else if (c.status !== "completed") problems.push(`\`${name}\` is ${c.status.replace("_", " ")}`);
    else if (!PASSING.has(c.conclusion ?? "")) problems.push(`\`${name}\` concluded ${c.conclusion ?? "without a result"}`);
  }
  return problems;
}

/** Whose approval cannot count: the pull request's author, and whoever asks for the deployment. */
export interface ApprovalParties {
  readonly author: string | null;
  readonly requesters: readonly string[];
}

/** Why one approver's approval does not count (empty: it counts). */
function approverProblems(a: Approver, what: string, parties: ApprovalParties): FailedGate[] {
  const out: FailedGate[] = [];
  const login = a.login.toLowerCase();
  if (parties.author !== null && login === parties.author.toLowerCase()) out.push({ id: "approval-by-author", message: `${what} is by @${a.login}, the pull request's author; someone else must approve.` });
  if (parties.requesters.some((r) => r.toLowerCase() === login)) out.push({ id: "approval-by-requester", message: `${what} is by @${a.login}, who is also asking for the deployment; a second person must approve.` });
  if (a.type !== "User" || !DEPLOYING_PERMISSIONS.includes(a.permission)) {
    out.push({ id: "approval-not-a-maintainer", message: `${what} is by @${a.login} (${a.type ?? "unknown"}, ${a.permission} permission); only a person with write access can approve.` });
  }
  return out;
}

/**
 * The approval of the exact commit: an approving review whose commit is the head, or the label
 * applied after the head was pushed, by someone who is neither the author nor a requester. Returns
 * nothing when one approval counts, else why none does.
 */
export function approvalProblems(a: ApprovalFact | null, parties: ApprovalParties, envName: string, approvalLabel: string): FailedGate[] {
  const where = a?.pullRequest ? `#${a.pullRequest}` : "the pull request that brought the commit";
  const head = a?.headSha ? a.headSha.slice(0, 12) : "its head";
  const missing: FailedGate = {
    id: "approval-missing",
    message: `${envName} needs a second person's approval of ${head} on ${where}: an approving review of that commit, or the \`${approvalLabel}\` label applied after it was pushed, by someone with write access who is neither the author nor the requester.`,
  };
  if (!a || a.pullRequest === null || a.headSha === null) return [missing];
  const problems: FailedGate[] = [];
  let candidates = 0;
  for (const r of a.reviews.filter((x) => x.state === "APPROVED")) {
    candidates++;
    const own = approverProblems(r, `The approving review of ${where}`, parties);
    if (r.commitId !== a.headSha) {
      own.push({ id: "approval-stale", message: `@${r.login} approved ${r.commitId.slice(0, 12)}, not ${head}, the commit that would be deployed; the new commits need a new approval.` });
    }
    if (own.length === 0) return [];
    problems.push(...own);
  }
  if (a.label) {
    candidates++;
    const own = approverProblems(a.label, `\`${approvalLabel}\` on ${where}`, parties);
    if (a.label.headPushedAt === null || !(Date.parse(a.label.appliedAt) > Date.parse(a.label.headPushedAt))) {
      own.push({
        id: "approval-stale",
        message:
          a.label.headPushedAt === null
            ? `\`${approvalLabel}\` on ${where} cannot be tied to ${head}: when that commit was pushed is unknown. Approve the commit with a review instead.`
            : `\`${approvalLabel}\` was applied at ${a.label.appliedAt}, before ${head} was pushed at ${a.label.headPushedAt}; apply it again (or approve with a review) to approve the new commits.`,
      });
    }
    if (own.length === 0) return [];
    problems.push(...own);
  }
  return candidates === 0 ? [missing] : problems;
}

/** Evaluates every gate that applies to the decision; all failures are reported at once. */
export function evaluateGates(decision: ActDecision, env: GateEnvironment, facts: GateFacts, approvalLabel: string): GateResult {
  const failed: FailedGate[] = [];
  const fail = (id: GateId, message: string) => failed.push({ id, message });
  const person = requestingPerson(decision);
  const who = person ?? decision.requestedBy;

  if (person === null) {
    fail("permission", `@${decision.requestedBy} is a bot and its ${decision.action} names no person who started it; a bot's dispatch must carry that person (the workflow input requested_by), whose permission is checked.`);
  } else if (!DEPLOYING_PERMISSIONS.includes(facts.requesterPermission)) {
    const via = person === decision.requestedBy ? "" : ` (on whose behalf @${decision.requestedBy} dispatched)`;
    fail("permission", `@${who}${via} has ${facts.requesterPermission} permission on this repository; ${decision.action} needs write, maintain or admin.`);
  }
  if (decision.action === "deploy" && !exemptFromFreeze({ frozenBy: facts.freeze.map((i) => i.number), kind: "deploy", fixes: facts.fixes ?? [] }).allowed) {
    const issues = facts.freeze.map((i) => `#${i.number}`).join(", ");
    fail(
      "frozen",
      `Every deploy is frozen while ${issues} ${facts.freeze.length === 1 ? "is" : "are"} open (label \`${DEPLOYMENT_FAILURE_LABEL.name}\`): only the rollback and the fix run, in every environment. Deploy the fix through a pull request into ${env.firstEnvironment}'s branch that says \`Fixes ${facts.freeze[0] ? `#${facts.freeze[0].number}` : "#N"}\`; the issue closes itself once the failed environment is healthy again.`,
    );
  }

  const pr = facts.pullRequest;
  if (decision.pullRequest !== null && decision.action !== "rollback") {
    if (!pr) fail("pull-request-open", `Pull request #${decision.pullRequest} could not be read.`);
    else {
      if (pr.state !== "open") fail("pull-request-open", `Pull request #${pr.number} is ${pr.state}.`);
      if (pr.draft && decision.action === "deploy") fail("draft", `#${pr.number} is a draft; mark it ready for review before deploying it.`);
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
    const requesters = [decision.requestedBy, ...(person !== null && person !== decision.requestedBy ? [person] : [])];
    failed.push(...approvalProblems(facts.approval, { author: facts.approval?.pullRequestAuthor ?? null, requesters }, env.name, approvalLabel));
  }

  const success = failed.length === 0;
  const message = success
    ? `${decision.action} of ${env.name} at ${(facts.target ?? "").slice(0, 12)} is allowed.`
    : [`${decision.action} of ${env.name} refused:`, ...failed.map((f) => `- ${f.message}`)].join("\n");
  return { success, failed_checks: failed, commit: success ? facts.target : null, message };
}

/** A login GitHub gives to apps (`name[bot]`). */
export function isBotLogin(login: string): boolean {
  return login.endsWith("[bot]");
}

/**
 * The person a decision is for: the requester, or for a bot's dispatch the person it names
 * (`onBehalfOf`); null when a bot names nobody (or names another bot).
 */
export function requestingPerson(decision: Pick<ActDecision, "requestedBy" | "onBehalfOf">): string | null {
  if (!isBotLogin(decision.requestedBy)) return decision.requestedBy;
  const named = decision.onBehalfOf;
  return named !== undefined && named !== null && !isBotLogin(named) ? named : null;
}

/**
 * The re-check right before `pulumi up`: every gate evaluated again on fresh facts must pass and
 * still deploy the very commit the deploy job was started for.
 */
export function recheckResult(expectedCommit: string, again: GateResult): GateResult {
  if (!again.success) return { ...again, message: again.message.replace(/ refused:\n/, " refused when re-checked before deploying (nothing was deployed):\n") };
  if (again.commit !== expectedCommit) {
    const failed: FailedGate[] = [
      { id: "recheck-commit-changed", message: `The deployment was started for ${expectedCommit.slice(0, 12)}, but the gates now resolve ${String(again.commit).slice(0, 12)}; nothing was deployed. Ask again to deploy the new commit.` },
    ];
    return { success: false, failed_checks: failed, commit: null, message: [`re-check refused:`, `- ${failed[0].message}`].join("\n") };
  }
  return again;
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

/**
 * `/unlock <env>`: the same permission as a deploy (write, maintain or admin; comments from bots
 * never get here). What may be cleared is decided by `delivery unlock --force` in the
 * environment's deploy concurrency group: never a lock whose run is still going.
 */
export function evaluateUnlockGates(decision: UnlockDecision, facts: { readonly requesterPermission: Permission }): GateResult {
  if (!DEPLOYING_PERMISSIONS.includes(facts.requesterPermission)) {
    const failed: FailedGate[] = [{ id: "permission", message: `@${decision.requestedBy} has ${facts.requesterPermission} permission on this repository; unlock needs write, maintain or admin.` }];
    return { success: false, failed_checks: failed, commit: null, message: [`unlock of ${decision.environment} refused:`, ...failed.map((f) => `- ${f.message}`)].join("\n") };
  }
  return { success: true, failed_checks: [], commit: null, message: `unlock of ${decision.environment} is allowed: locks no live run can hold are cleared.` };
}
