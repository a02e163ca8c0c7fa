/**
 * The promotion state machine of seed 002, as one pure function from GitHub facts to each
 * environment's state and what to do next. No state file: every run of `delivery promote`
 * derives the same answer from the same facts, so a human can stop, inspect and resume at any
 * point (seed 000), and the workflow acts on exactly what `delivery promote status` prints.
 *
 * Per environment, from its newest platform deployment:
 *
 * | rule | from -> to               | derived from GitHub |
 * |------|--------------------------|---------------------|
 * | R1   | (merge) -> deploying     | a promotion PR into the branch merged after the newest deployment, or the newest deployment's current status is queued/pending/in_progress (or it has none yet) |
 * | R2   | deploying -> deployed    | current status `success`, no validation reported since |
 * | R3   | deploying -> failed      | current status `failure` or `error` |
 * | R4   | deployed -> validating   | a validation (or the manual-test request) reported since the success, not all passed yet, or soaking |
 * | R5   | validating -> promoted   | every validation passed since the success (plus manual test sign-off by a reviewer where configured) and the soak time has elapsed |
 * | R6   | validating -> failed     | a validation failed since the success, or a reviewer rejected manual testing |
 * | R7   | promoted -> (next PR)    | not the last environment: open a PR to the next branch from a branch created at exactly the validated SHA |
 * | R8   | promoted -> complete     | the last environment (production) |
 * | R9   | failed -> (fix issue)    | open the high-priority failure issue (freezes promotion), then redeploy the last known-good SHA through the deploy workflow |
 *
 * Facts that contradict each other are reported (state `contradictory`, action `investigate`),
 * never resolved by guessing. One promotion at a time: while any environment is deploying,
 * deployed, validating, failed or contradictory, or a promotion PR is open, no new promotion PR
 * is opened; an open failure issue (the freeze) stops all promotion.
 */
import {
  automatedValidations,
  manualTestContext,
  promotionBranch,
  ROLLBACK_TASK,
  type DeploymentFact,
  type EnvironmentFacts,
  type FailureClass,
  type FailureIssueFact,
  type ManualApprovalFact,
  type PipelineEnvironment,
  type PromotionFacts,
  type PullRequestFact,
  type ValidationFact,
  parseFailureDescription,
  failureClassLabel,
  monitorsCheckName,
} from "./facts";
import { assignablePromoter, exemptFromFreeze, failurePriority, type FailurePriority } from "./freeze";
import { parseSignOff, SIGNOFF_CHECKLIST } from "./signoff";

export const PROMOTION_STATES = ["idle", "deploying", "deployed", "validating", "failed", "promoted", "complete", "contradictory"] as const;
export type PromotionState = (typeof PROMOTION_STATES)[number];

/** The states in which an environment is mid-promotion: no other promotion may start. */
export const IN_FLIGHT_STATES: readonly PromotionState[] = ["deploying", "deployed", "validating", "failed", "contradictory"];

export type PromotionAction =
  | { readonly kind: "wait"; readonly environment: string; readonly reason: string }
  | { readonly kind: "done"; readonly environment: string; readonly reason: string }
  | { readonly kind: "investigate"; readonly environment: string | null; readonly reason: string }
  | { readonly kind: "validate"; readonly environment: string; readonly sha: string; readonly deploymentId: number; readonly checks: readonly string[] }
  | {
      readonly kind: "request-manual-approval";
      readonly environment: string;
      readonly sha: string;
      readonly deploymentId: number;
      readonly context: string;
      readonly reviewers: { readonly users: readonly string[]; readonly teams: readonly string[] };
    }
  | {
      readonly kind: "open-pr";
      readonly from: string;
      readonly to: string;
      readonly sha: string;
      readonly base: string;
      readonly head: string;
      readonly title: string;
      /** Open failure issues this commit fixes: the pull request says so, and it may go ahead while the freeze holds. */
      readonly fixes?: readonly number[];
    }
  | {
      readonly kind: "open-failure-issue";
      readonly environment: string;
      readonly sha: string;
      readonly deploymentId: number;
      readonly failure: FailureClass;
      readonly runUrl: string | null;
      readonly auditUrl: string | null;
      readonly lastKnownGoodSha: string | null;
      readonly title: string;
      /** `critical` in production, `high` elsewhere (the issue's priority label). */
      readonly priority: FailurePriority;
      /** The person who asked for the failed deployment (recorded with it), assigned the issue; null when a bot or unknown. */
      readonly assignee: string | null;
    }
  | {
      readonly kind: "close-failure-issue";
      readonly environment: string;
      readonly issue: number;
      /** The deployment that made the environment healthy again (a rollback or the fix). */
      readonly sha: string;
      readonly deploymentId: number;
      readonly reason: string;
    }
  | {
      readonly kind: "rollback";
      readonly environment: string;
      readonly branch: string;
      readonly sha: string;
      readonly fromSha: string;
      readonly failedDeploymentId: number;
      /** The failure issue to report the rollback on, when it exists already. */
      readonly issue: number | null;
      /**
       * The person the rollback acts for: who asked for the failed deployment. The machine's dispatch
       * runs as a bot, and the deploy gate checks this person's permission instead (core/intent).
       */
      readonly requestedBy: string | null;
    };

export type ActionKind = PromotionAction["kind"];
/** Actions that change something on GitHub (or, for `validate`, run the validation jobs). */
export const PERFORMABLE: readonly ActionKind[] = ["open-failure-issue", "rollback", "validate", "request-manual-approval", "open-pr", "close-failure-issue"];

export type ValidationResult = "passed" | "failed" | "pending" | "not-started" | "inconclusive";

export interface ValidationSummary {
  readonly name: string;
  readonly result: ValidationResult;
  readonly url: string | null;
  /** Who signed off or rejected manual testing. */
  readonly by?: string | null;
  /** The checklist the sign-off was made against, with its version (`docs/signoff-checklist.md@1a2b3c4d5e6f`). */
  readonly checklist?: string;
}

export interface EnvironmentReport {
  readonly name: string;
  readonly branch: string;
  readonly state: PromotionState;
  /** The newest platform deployment. */
  readonly deployment: {
    readonly id: number;
    readonly sha: string;
    readonly task: string;
    readonly createdAt: string;
    readonly status: string | null;
    /** A promotion: the commit validated in the environment before whose tree this one was proven to carry. */
    readonly promotedFrom?: { readonly environment: string; readonly sha: string };
  } | null;
  readonly deployedSha: string | null;
  /** The newest deployment whose validation passed (soak not required). */
  readonly lastKnownGoodSha: string | null;
  /** Set when the newest deployment is a rollback: the SHA it replaced. */
  readonly rolledBackFrom: string | null;
  readonly validations: readonly ValidationSummary[];
  readonly soakUntil: string | null;
  readonly failure: (FailureClass & { readonly runUrl: string | null; readonly auditUrl: string | null }) | null;
  readonly blocking: readonly string[];
  readonly contradictions: readonly string[];
  readonly actions: readonly PromotionAction[];
}

export interface PromotionReport {
  readonly repository: string;
  readonly now: string;
  /** Open deployment-failure issues: while any is open, promotion is frozen. */
  readonly frozenBy: readonly { readonly number: number; readonly title: string; readonly url: string }[];
  /** Environments mid-promotion. */
  readonly inFlight: readonly string[];
  /** Open promotion pull requests (into every environment branch but the first). */
  readonly openPullRequests: readonly { readonly number: number; readonly baseRef: string; readonly headSha: string; readonly url: string }[];
  readonly environments: readonly EnvironmentReport[];
  readonly contradictions: readonly { readonly environment: string | null; readonly message: string }[];
  /** What the promote workflow should do now, in order (failures first). */
  readonly actions: readonly PromotionAction[];
}

const short = (sha: string) => sha.slice(0, 12);
const ms = (iso: string) => Date.parse(iso);
const validTime = (iso: string) => Number.isFinite(Date.parse(iso));

/** Newest first by time, then by id, so equal timestamps still order deterministically. */
function newestFirst<T extends { id: number }>(items: readonly T[], at: (t: T) => string): T[] {
  return [...items].sort((a, b) => ms(at(b)) - ms(at(a)) || b.id - a.id);
}

interface DeploymentReading {
  readonly current: DeploymentFact["statuses"][number] | null;
  readonly succeededAt: string | null;
  readonly failed: boolean;
}

function readDeployment(d: DeploymentFact): DeploymentReading {
  const current = d.statuses[0] ?? null;
  const success = d.statuses.find((s) => s.state === "success");
  const failed = d.statuses.some((s) => s.state === "failure" || s.state === "error");
  return { current, succeededAt: success ? success.createdAt : null, failed };
}

/** What in an environment's facts cannot all be true at once. */
function environmentContradictions(env: PipelineEnvironment, facts: EnvironmentFacts): string[] {
  const out: string[] = [];
  const times: [string, string][] = [];
  for (const d of facts.deployments) {
    times.push([`deployment ${d.id} created_at`, d.createdAt]);
    for (const s of d.statuses) times.push([`deployment ${d.id} status ${s.id} created_at`, s.createdAt]);
    if (d.environment !== env.name) out.push(`deployment ${d.id} is listed for ${env.name} but its environment is "${d.environment}"`);
  }
  for (const v of facts.validations) times.push([`validation ${v.name} (${v.id}) time`, v.at]);
  for (const a of facts.manualApprovals) times.push([`manual-test status ${a.id} time`, a.at]);
  for (const r of facts.deployRuns) times.push([`deploy run ${r.id} created_at`, r.createdAt]);
  for (const [what, t] of times) if (!validTime(t)) out.push(`${what} is not a timestamp: "${t}"`);
  if (out.length > 0) return out;

  const latest = newestFirst(facts.deployments, (d) => d.createdAt)[0];
  if (!latest) return out;
  const { current } = readDeployment(latest);
  if (current) {
    for (const s of latest.statuses) {
      if (ms(s.createdAt) > ms(current.createdAt)) {
        out.push(`deployment ${latest.id}: GitHub reports "${current.state}" (${current.createdAt}) as its current status, but "${s.state}" was reported later (${s.createdAt})`);
      }
      if (ms(s.createdAt) < ms(latest.createdAt)) {
        out.push(`deployment ${latest.id}: status "${s.state}" (${s.createdAt}) is older than the deployment itself (${latest.createdAt})`);
      }
    }
    const success = latest.statuses.find((s) => s.state === "success");
    const failure = latest.statuses.find((s) => s.state === "failure" || s.state === "error");
    if (success && failure) {
      out.push(`deployment ${latest.id} has both a success status (${success.createdAt}) and a ${failure.state} status (${failure.createdAt})`);
    }
    if (current.state === "inactive") {
      out.push(`deployment ${latest.id} is the newest deployment of ${env.name}, yet its current status is "inactive" (nothing newer superseded it)`);
    }
  }
  return out;
}

interface ValidationOutcome {
  readonly summaries: ValidationSummary[];
  /** Nothing reported since the deployment succeeded (no check, no manual-test request). */
  readonly nothingReported: boolean;
  readonly failed: { readonly failure: FailureClass; readonly url: string | null } | null;
  /** Automated checks with no result or an inconclusive one, while none is pending. */
  readonly rerun: string[];
  readonly automatedPending: boolean;
  readonly automatedPassed: boolean;
  readonly manual: "not-required" | "approved" | "rejected" | "requested" | "not-requested";
  readonly notes: string[];
}

/** Validation of `sha` in the window [from, until): results reported after the deployment succeeded, before the next one. */
function validationOf(pipeline: readonly PipelineEnvironment[], env: PipelineEnvironment, facts: EnvironmentFacts, sha: string, from: string, until: string | null): ValidationOutcome {
  const inWindow = (at: string) => ms(at) >= ms(from) && (until === null || ms(at) < ms(until));
  const summaries: ValidationSummary[] = [];
  const rerun: string[] = [];
  const notes: string[] = [];
  let failed: ValidationOutcome["failed"] = null;
  let pending = false;
  let passedAll = true;
  let reported = false;
  for (const name of automatedValidations(pipeline, env.name)) {
    const latest = newestFirst(
      facts.validations.filter((v: ValidationFact) => v.name === name && v.sha === sha && inWindow(v.at)),
      (v) => v.at,
    )[0];
    if (latest) reported = true;
    let result: ValidationResult = !latest ? "not-started" : latest.state === "success" ? "passed" : latest.state === "failure" ? "failed" : latest.state;
    // The monitors watch the whole soak: a pass reported before it ends did not cover it, so it runs again.
    const soakEnd = ms(from) + env.soakMinutes * 60_000;
    if (result === "passed" && name === monitorsCheckName(env.name) && env.soakMinutes > 0 && ms(latest!.at) < soakEnd) {
      result = "inconclusive";
      notes.push(`${name} passed at ${latest!.at}, before the soak ends at ${new Date(soakEnd).toISOString()}: it must watch the whole soak, so it runs again`);
    }
    summaries.push({ name, result, url: latest?.url ?? null });
    if (result !== "passed") passedAll = false;
    if (result === "pending") pending = true;
    if (result === "not-started" || result === "inconclusive") rerun.push(name);
    if (result === "failed" && !failed) failed = { failure: { category: "validation", kind: name, detail: `${name} failed on ${short(sha)}` }, url: latest?.url ?? null };
  }

  let manual: ValidationOutcome["manual"] = "not-required";
  if (env.manualTestApproval) {
    const context = manualTestContext(env.name);
    const statuses = newestFirst(
      facts.manualApprovals.filter((a: ManualApprovalFact) => a.sha === sha && inWindow(a.at)),
      (a) => a.at,
    );
    if (statuses.length > 0) reported = true;
    // A sign-off counts only when it names the checklist it was made against (the rejection needs none).
    const signOff = (a: ManualApprovalFact) => parseSignOff(a.description);
    const namesChecklist = (a: ManualApprovalFact) => a.state !== "success" || signOff(a)?.checklist === SIGNOFF_CHECKLIST;
    const decision = statuses.find((a) => a.reviewer === true && a.state !== "pending" && namesChecklist(a));
    for (const a of statuses) {
      if (a.state === "pending" || (decision && ms(a.at) < ms(decision.at))) continue;
      if (a.reviewer === true && !namesChecklist(a)) {
        notes.push(`ignored ${context} "success" by @${a.login ?? "?"}: it names no checklist; sign off against ${SIGNOFF_CHECKLIST} with \`delivery promote sign-off --environment ${env.name} --commit ${sha}\``);
      }
      if (a.reviewer === false) notes.push(`ignored ${context} "${a.state}" by ${a.login ? `@${a.login}` : "an unknown account"}: not one of ${env.name}'s reviewers`);
      if (a.reviewer === null) notes.push(`cannot verify that @${a.login ?? "?"} is one of ${env.name}'s reviewers (the token needs read access to the organisation's team members)`);
    }
    if (decision?.state === "success") manual = "approved";
    else if (decision?.state === "failure") manual = "rejected";
    else manual = statuses.some((a) => a.state === "pending") ? "requested" : "not-requested";
    const result: ValidationResult = manual === "approved" ? "passed" : manual === "rejected" ? "failed" : manual === "requested" ? "pending" : "not-started";
    const checklist = decision ? signOff(decision) : null;
    summaries.push({ name: context, result, url: decision?.url ?? statuses[0]?.url ?? null, by: decision?.login ?? null, ...(checklist ? { checklist: `${checklist.checklist}@${checklist.version}` } : {}) });
    if (manual === "rejected" && !failed) {
      failed = {
        failure: { category: "manual-test", kind: context, detail: `manual testing rejected by @${decision!.login ?? "?"}${decision!.description ? `: ${decision!.description}` : ""}` },
        url: decision!.url,
      };
    }
  }
  return {
    summaries,
    nothingReported: !reported,
    failed,
    rerun: pending ? [] : rerun,
    automatedPending: pending,
    automatedPassed: passedAll,
    manual,
    notes,
  };
}

function passed(o: ValidationOutcome): boolean {
  return o.automatedPassed && (o.manual === "not-required" || o.manual === "approved");
}

/** Every deployment whose validation passed in its own window, newest first. */
function knownGood(pipeline: readonly PipelineEnvironment[], env: PipelineEnvironment, facts: EnvironmentFacts): DeploymentFact[] {
  const ordered = newestFirst(facts.deployments, (d) => d.createdAt);
  const good: DeploymentFact[] = [];
  ordered.forEach((d, i) => {
    const r = readDeployment(d);
    if (!r.succeededAt || r.failed) return;
    const until = i > 0 ? ordered[i - 1].createdAt : null;
    if (passed(validationOf(pipeline, env, facts, d.sha, r.succeededAt, until))) good.push(d);
  });
  return good;
}

/** The commits whose deployment to `environment` passed validation (the promotable ones), newest first. */
export function validatedShas(pipeline: readonly PipelineEnvironment[], environment: string, facts: PromotionFacts): string[] {
  const env = pipeline.find((e) => e.name === environment);
  const f = facts.environments.find((e) => e.name === environment);
  if (!env || !f || environmentContradictions(env, f).length > 0) return [];
  return [...new Set(knownGood(pipeline, env, f).map((d) => d.sha))];
}

interface Local {
  readonly report: Omit<EnvironmentReport, "actions" | "blocking"> & { blocking: string[] };
  /** What this environment wants before the repository-wide gates (freeze, one at a time). */
  readonly wants: PromotionAction[];
  readonly goodShas: ReadonlySet<string>;
  /** Ids of the deployments whose validation passed (a failure issue closes when the newest one is among them). */
  readonly goodIds?: ReadonlySet<number>;
  readonly latest: DeploymentFact | null;
}

/**
 * The branch head is drift when no deployment of the environment deployed it (itself, or as part of
 * a deployed commit's history) and no merged pull request into its branch brought it (a push
 * straight to the branch, by an admin or a bypass):
 * what runs is no longer what the branch says, and promoting from or to it would ship an
 * unreviewed tree. Only once the environment has deployments: a new branch is not drift.
 */
export function branchDrift(env: Pick<PipelineEnvironment, "name" | "branch">, index: number, facts: EnvironmentFacts, all: Pick<PromotionFacts, "pullRequests">): { fact: string; action: string } | null {
  const head = facts.branchHead;
  if (head === undefined || head === null || facts.deployments.length === 0) return null;
  if (facts.deployments.some((d) => d.sha === head)) return null;
  // Deployed as part of a later commit's history (a pull request's head deployed before it merged).
  if (facts.branchHeadContainedBy && facts.deployments.some((d) => d.sha === facts.branchHeadContainedBy)) return null;
  if (all.pullRequests.some((p) => p.state === "merged" && p.baseRef === env.branch && (p.mergeCommitSha === head || p.headSha === head))) return null;
  const fact = `${env.branch} is at ${short(head)}, which no deployment of ${env.name} deployed and no merged pull request into ${env.branch} brought (a direct push?)`;
  const action =
    index === 0
      ? `review it: revert it through a pull request into ${env.branch}, or deploy it deliberately with the deploy workflow's dispatch on ${env.branch}; nothing is promoted from ${env.name} until its head is a deployed commit`
      : `commits reach ${env.name} only by promotion: revert it through a pull request into ${env.branch} (or promote the change from the environment before); nothing is promoted until then`;
  return { fact, action };
}

const emptyFacts = (name: string): EnvironmentFacts => ({ name, deployments: [], validations: [], manualApprovals: [], deployRuns: [], failedRun: null });

function evaluateEnvironment(pipeline: readonly PipelineEnvironment[], index: number, facts: EnvironmentFacts, all: PromotionFacts): Local {
  const env = pipeline[index];
  const base = {
    name: env.name,
    branch: env.branch,
    deployment: null,
    deployedSha: null,
    lastKnownGoodSha: null,
    rolledBackFrom: null,
    validations: [] as ValidationSummary[],
    soakUntil: null,
    failure: null,
    blocking: [] as string[],
    contradictions: [] as string[],
  };
  const contradictions = environmentContradictions(env, facts);
  if (contradictions.length > 0) {
    return {
      report: { ...base, state: "contradictory", contradictions },
      wants: [{ kind: "investigate", environment: env.name, reason: `contradictory facts about ${env.name}: ${contradictions.join("; ")}` }],
      goodShas: new Set(),
      latest: null,
    };
  }

  const drift = branchDrift(env, index, facts, all);
  if (drift) {
    return {
      report: { ...base, state: "contradictory", contradictions: [drift.fact] },
      wants: [{ kind: "investigate", environment: env.name, reason: `${drift.fact}; ${drift.action}` }],
      goodShas: new Set(),
      latest: null,
    };
  }

  const ordered = newestFirst(facts.deployments, (d) => d.createdAt);
  const latest = ordered[0] ?? null;
  const good = knownGood(pipeline, env, facts);
  const goodShas = new Set(good.map((d) => d.sha));
  const goodIds = new Set(good.map((d) => d.id));
  const reading = latest ? readDeployment(latest) : null;
  const deployment = latest
    ? { id: latest.id, sha: latest.sha, task: latest.task, createdAt: latest.createdAt, status: reading!.current?.state ?? null, ...(latest.promotedFrom ? { promotedFrom: latest.promotedFrom } : {}) }
    : null;
  const rolledBackFrom = latest && latest.task === ROLLBACK_TASK && ordered[1] ? ordered[1].sha : null;
  const common = {
    ...base,
    deployment,
    deployedSha: latest?.sha ?? null,
    lastKnownGoodSha: good[0]?.sha ?? null,
    rolledBackFrom,
  };

  // R1: a promotion PR merged into this branch after the newest deployment: its deploy run is due.
  const merged = index > 0 ? newestFirst(all.pullRequests.filter((p) => p.state === "merged" && p.baseRef === env.branch && p.mergedAt !== null && validTime(p.mergedAt)).map((p) => ({ ...p, id: p.number })), (p) => p.mergedAt!)[0] : undefined;
  if (merged && (!latest || ms(merged.mergedAt!) > ms(latest.createdAt))) {
    const reason = `PR #${merged.number} was merged into ${env.branch} at ${merged.mergedAt}; waiting for its deployment to ${env.name}`;
    return { report: { ...common, state: "deploying", blocking: [reason] }, wants: [{ kind: "wait", environment: env.name, reason }], goodShas, goodIds, latest };
  }
  if (!latest) {
    const reason = index === 0 ? `nothing has been deployed to ${env.name} yet; merge a pull request into ${env.branch}` : `nothing has been promoted to ${env.name} yet`;
    return { report: { ...common, state: "idle", blocking: [reason] }, wants: [{ kind: "wait", environment: env.name, reason }], goodShas, goodIds, latest };
  }

  const current = reading!.current;
  // R1: deployment recorded, not finished.
  if (!current || current.state === "queued" || current.state === "pending" || current.state === "in_progress") {
    const reason = `deployment ${latest.id} of ${short(latest.sha)} is ${current ? current.state.replace(/_/g, " ") : "created, with no status yet"}`;
    return { report: { ...common, state: "deploying", blocking: [reason] }, wants: [{ kind: "wait", environment: env.name, reason }], goodShas, goodIds, latest };
  }

  const failedLocal = (failure: FailureClass, runUrl: string | null): Local => {
    const auditUrl = facts.failedRun && facts.failedRun.deploymentId === latest.id ? (facts.failedRun.auditArtifact?.url ?? null) : null;
    const run = runUrl ?? (facts.failedRun && facts.failedRun.deploymentId === latest.id ? facts.failedRun.url : null);
    const rollbackTarget = good.find((d) => d.id !== latest.id) ?? null;
    const wants: PromotionAction[] = [];
    const blocking: string[] = [`${env.name} failed (${failureClassLabel(failure)})${failure.detail ? `: ${failure.detail}` : ""}`];
    const issue = all.failureIssues.find((i) => i.marker !== null && i.marker.environment === env.name && i.marker.deploymentId === latest.id) ?? null;
    if (!issue) {
      wants.push({
        kind: "open-failure-issue",
        environment: env.name,
        sha: latest.sha,
        deploymentId: latest.id,
        failure,
        runUrl: run,
        auditUrl,
        lastKnownGoodSha: rollbackTarget?.sha ?? null,
        title: `Deployment failure: ${env.name} at ${short(latest.sha)} (${failureClassLabel(failure)})`,
        priority: failurePriority(index === pipeline.length - 1),
        assignee: assignablePromoter(latest.requestedBy),
      });
    }
    const failedAt = current.state === "success" ? latest.createdAt : current.createdAt;
    const runs = newestFirst(
      facts.deployRuns.filter((r) => r.event === "workflow_dispatch" && r.headBranch === env.branch && ms(r.createdAt) >= ms(failedAt)),
      (r) => r.createdAt,
    );
    const running = runs.find((r) => r.status !== "completed");
    if (latest.task === ROLLBACK_TASK) {
      wants.push({ kind: "investigate", environment: env.name, reason: `the rollback of ${env.name} to ${short(latest.sha)} failed (deployment ${latest.id}); a person must decide: \`/rollback ${env.name} to <sha>\` or fix forward` });
    } else if (running) {
      const reason = `deploy run ${running.id} on ${env.branch} is ${(running.status ?? "queued").replace(/_/g, " ")} (${running.url})`;
      blocking.push(reason);
      wants.push({ kind: "wait", environment: env.name, reason });
    } else if (runs[0]) {
      wants.push({ kind: "investigate", environment: env.name, reason: `deploy run ${runs[0].id} on ${env.branch} ended ${runs[0].conclusion ?? "without a conclusion"} without recording a new deployment (${runs[0].url})` });
    } else if (!rollbackTarget) {
      wants.push({ kind: "investigate", environment: env.name, reason: `no earlier deployment of ${env.name} passed validation, so there is no known-good commit to roll back to; fix forward` });
    } else {
      wants.push({ kind: "rollback", environment: env.name, branch: env.branch, sha: rollbackTarget.sha, fromSha: latest.sha, failedDeploymentId: latest.id, issue: issue?.number ?? null, requestedBy: assignablePromoter(latest.requestedBy) });
    }
    return { report: { ...common, lastKnownGoodSha: rollbackTarget?.sha ?? null, state: "failed", failure: { ...failure, runUrl: run, auditUrl }, blocking }, wants, goodShas, goodIds, latest };
  };

  // R3: the deployment failed.
  if (current.state === "failure" || current.state === "error") return failedLocal(parseFailureDescription(current.description), current.logUrl);

  // Current status is success (inactive was reported as a contradiction above).
  const succeededAt = current.createdAt;
  const outcome = validationOf(pipeline, env, facts, latest.sha, succeededAt, null);
  const withValidation = { ...common, validations: outcome.summaries };
  // R6: a validation failed, or a reviewer rejected manual testing.
  if (outcome.failed) {
    const l = failedLocal(outcome.failed.failure, outcome.failed.url);
    return { ...l, report: { ...l.report, validations: outcome.summaries } };
  }
  // R2: deployed, nothing reported yet.
  if (outcome.nothingReported) {
    return {
      report: { ...withValidation, state: "deployed", blocking: [`validation of ${short(latest.sha)} has not started`] },
      wants: [{ kind: "validate", environment: env.name, sha: latest.sha, deploymentId: latest.id, checks: outcome.rerun }],
      goodShas,
      goodIds,
      latest,
    };
  }
  const soakUntil = env.soakMinutes > 0 ? new Date(ms(succeededAt) + env.soakMinutes * 60_000).toISOString() : null;
  const soaking = soakUntil !== null && ms(all.now) < ms(soakUntil);
  const withSoak = { ...withValidation, soakUntil };
  // R4: validating.
  if (!passed(outcome) || soaking) {
    const blocking: string[] = [];
    const wants: PromotionAction[] = [];
    for (const v of outcome.summaries) if (v.result !== "passed") blocking.push(`${v.name}: ${v.result.replace("-", " ")}`);
    blocking.push(...outcome.notes);
    if (outcome.rerun.length > 0) wants.push({ kind: "validate", environment: env.name, sha: latest.sha, deploymentId: latest.id, checks: outcome.rerun });
    if (outcome.automatedPassed && outcome.manual === "not-requested") {
      wants.push({ kind: "request-manual-approval", environment: env.name, sha: latest.sha, deploymentId: latest.id, context: manualTestContext(env.name), reviewers: env.reviewers });
    }
    if (soaking) blocking.push(`soaking until ${soakUntil} (${env.soakMinutes} min after the deployment)`);
    if (wants.length === 0) wants.push({ kind: "wait", environment: env.name, reason: blocking.join("; ") });
    return { report: { ...withSoak, state: "validating", blocking }, wants, goodShas, goodIds, latest };
  }
  // R8: validated in production.
  if (index === pipeline.length - 1) {
    return {
      report: { ...withSoak, state: "complete", blocking: [] },
      wants: [{ kind: "done", environment: env.name, reason: `${short(latest.sha)} is deployed and validated in ${env.name}` }],
      goodShas,
      goodIds,
      latest,
    };
  }
  // R5 (then R7 once the repository-wide gates allow it).
  const next = pipeline[index + 1];
  return {
    report: { ...withSoak, state: "promoted", blocking: [] },
    wants: [
      {
        kind: "open-pr",
        from: env.name,
        to: next.name,
        sha: latest.sha,
        base: next.branch,
        head: promotionBranch(env.name, next.name, latest.sha),
        title: `Promote ${short(latest.sha)} from ${env.name} to ${next.name}`,
      },
    ],
    goodShas,
    goodIds,
    latest,
  };
}

/**
 * Evaluates the whole pipeline. Total and deterministic: any facts give exactly one state per
 * environment and never throw; the same facts always give the same report.
 */
/** An environment whose facts cannot all be true: reported, with "investigate", never guessed. */
function contradictory(env: PipelineEnvironment, reason: string): Local {
  return {
    report: { name: env.name, branch: env.branch, state: "contradictory", deployment: null, deployedSha: null, lastKnownGoodSha: null, rolledBackFrom: null, validations: [], soakUntil: null, failure: null, blocking: [], contradictions: [reason] },
    wants: [{ kind: "investigate", environment: env.name, reason }],
    goodShas: new Set(),
    latest: null,
  };
}

export function evaluatePromotion(pipeline: readonly PipelineEnvironment[], listed: PromotionFacts): PromotionReport {
  // Failure issues in number order, so that duplicates (two issues for one failure) resolve the same way whatever order GitHub lists them in.
  const facts: PromotionFacts = { ...listed, failureIssues: [...listed.failureIssues].sort((a, b) => a.number - b.number) };
  const contradictions: { environment: string | null; message: string }[] = [];
  const known = new Set(pipeline.map((e) => e.name));
  const seen = new Set<string>();
  for (const f of facts.environments) {
    if (!known.has(f.name)) contradictions.push({ environment: null, message: `facts name an environment that is not in the pipeline: "${f.name}"` });
    else if (seen.has(f.name)) contradictions.push({ environment: f.name, message: `facts list ${f.name} more than once` });
    seen.add(f.name);
  }
  if (!validTime(facts.now)) contradictions.push({ environment: null, message: `the facts' time is not a timestamp: "${facts.now}"` });

  const locals = pipeline.map((env, i) => {
    const f = facts.environments.filter((e) => e.name === env.name);
    if (f.length > 1) return contradictory(env, `facts list ${env.name} more than once`);
    if (!validTime(facts.now)) return contradictory(env, `the facts' time is not a timestamp: "${facts.now}"`);
    return evaluateEnvironment(pipeline, i, f[0] ?? emptyFacts(env.name), facts);
  });
  for (const l of locals) for (const c of l.report.contradictions) if (!contradictions.some((x) => x.environment === l.report.name && x.message === c)) contradictions.push({ environment: l.report.name, message: c });

  // Open promotion PRs must carry a commit validated in the environment before the target.
  const openPrs: PullRequestFact[] = [...facts.pullRequests.filter((p) => p.state === "open")].sort((a, b) => a.number - b.number);
  for (const pr of openPrs) {
    const target = pipeline.findIndex((e) => e.branch === pr.baseRef);
    if (target <= 0) continue;
    const source = locals[target - 1];
    if (!source.goodShas.has(pr.headSha)) {
      contradictions.push({
        environment: pipeline[target].name,
        message: `PR #${pr.number} into ${pr.baseRef} carries ${short(pr.headSha)}, which never passed validation in ${pipeline[target - 1].name}`,
      });
    }
  }

  const frozenBy = facts.failureIssues.filter((i: FailureIssueFact) => i.state === "open").map((i) => ({ number: i.number, title: i.title, url: i.url }));
  /** The open failure issues a commit on `branch` fixes: a merged pull request that brought it says so. */
  const fixesOf = (commit: string, branch: string): number[] => [
    ...new Set(facts.pullRequests.filter((p) => p.state === "merged" && p.baseRef === branch && (p.mergeCommitSha === commit || p.headSha === commit)).flatMap((p) => p.fixes ?? [])),
  ];
  const inFlight = locals.filter((l) => IN_FLIGHT_STATES.includes(l.report.state)).map((l) => l.report.name);

  // Gate the promotions: most downstream first, one at a time, none while frozen.
  const gated = new Map<number, PromotionAction[]>();
  let promotionClaimed = false;
  for (let i = pipeline.length - 1; i >= 0; i--) {
    const l = locals[i];
    const out: PromotionAction[] = [];
    for (const want of l.wants) {
      if (want.kind !== "open-pr") {
        out.push(want);
        continue;
      }
      const nextEnv = pipeline[i + 1];
      const mergedSame = facts.pullRequests.find((p) => p.state === "merged" && p.baseRef === want.base && p.headSha === want.sha);
      const deployedNext = facts.environments.find((e) => e.name === nextEnv.name)?.deployments.some((d) => d.sha === want.sha);
      const openSame = openPrs.find((p) => p.baseRef === want.base && p.headSha === want.sha);
      const otherOpen = openPrs.find((p) => p !== openSame && pipeline.some((e, k) => k > 0 && e.branch === p.baseRef));
      const freeze = exemptFromFreeze({ frozenBy: frozenBy.map((f) => f.number), kind: "promote", fixes: fixesOf(want.sha, l.report.branch) });
      // The fix goes forward past the environments that failed (that is what it fixes).
      const busy = inFlight.filter((n) => n !== l.report.name && !(freeze.allowed && freeze.because === "fix" && locals.find((x) => x.report.name === n)!.report.state === "failed"));
      let reason: string | null = null;
      if (mergedSame || deployedNext) {
        out.push({ kind: "done", environment: l.report.name, reason: `${short(want.sha)} is already promoted to ${nextEnv.name}${mergedSame ? ` (PR #${mergedSame.number})` : ""}` });
        continue;
      }
      if (openSame) reason = `promotion PR #${openSame.number} into ${want.base} is open`;
      else if (!freeze.allowed) reason = `promotion is frozen by ${frozenBy.map((f) => `#${f.number}`).join(", ")}: only the rollback and the fix (a pull request that says \`Fixes #N\`) move until the failed environment is healthy again`;
      else if (contradictions.length > 0) reason = "facts are contradictory; see contradictions";
      else if (otherOpen) reason = `one promotion at a time: PR #${otherOpen.number} into ${otherOpen.baseRef} is open`;
      else if (busy.length > 0) reason = `one promotion at a time: ${busy.map((n) => `${n} is ${locals.find((x) => x.report.name === n)!.report.state}`).join(", ")}`;
      else if (promotionClaimed) reason = `one promotion at a time: a promotion further down the pipeline goes first`;
      if (reason) {
        l.report.blocking.push(reason);
        out.push({ kind: "wait", environment: l.report.name, reason });
      } else {
        promotionClaimed = true;
        out.push(freeze.allowed && freeze.because === "fix" ? { ...want, fixes: freeze.issues } : want);
      }
    }
    gated.set(i, out);
  }

  // A failure issue closes once its environment is healthy again: a newer deployment (the rollback or the fix) passed validation.
  for (const issue of facts.failureIssues) {
    if (issue.state !== "open" || issue.marker === null) continue;
    const k = pipeline.findIndex((e) => e.name === issue.marker!.environment);
    const l = locals[k];
    if (k < 0 || !l.latest || l.latest.id === issue.marker.deploymentId || !l.goodIds?.has(l.latest.id) || l.report.state === "failed" || l.report.state === "contradictory") continue;
    const what = l.latest.task === ROLLBACK_TASK ? "the rollback" : "a newer deployment";
    gated.get(k)!.push({
      kind: "close-failure-issue",
      environment: l.report.name,
      issue: issue.number,
      sha: l.latest.sha,
      deploymentId: l.latest.id,
      reason: `${l.report.name} is healthy again: ${what} of ${short(l.latest.sha)} (deployment ${l.latest.id}) passed validation after the failure of deployment ${issue.marker.deploymentId}`,
    });
  }

  const environments: EnvironmentReport[] = locals.map((l, i) => {
    const actions = gated.get(i)!;
    return { ...l.report, blocking: [...l.report.blocking], actions };
  });
  const order: ActionKind[] = ["open-failure-issue", "rollback", "close-failure-issue", "validate", "request-manual-approval", "open-pr"];
  const actions: PromotionAction[] = [];
  for (const kind of order) for (const e of environments) for (const a of e.actions) if (a.kind === kind) actions.push(a);
  const openPullRequests = openPrs.filter((p) => pipeline.some((e, k) => k > 0 && e.branch === p.baseRef)).map((p) => ({ number: p.number, baseRef: p.baseRef, headSha: p.headSha, url: p.url }));
  return { repository: facts.repository, now: facts.now, frozenBy, inFlight, openPullRequests, environments, contradictions, actions };
}
