/** Small builders for promotion facts: a happy pipeline, changed one fact at a time per test. */
import type {
  DeploymentFact,
  EnvironmentFacts,
  ManualApprovalFact,
  PipelineEnvironment,
  PromotionFacts,
  PullRequestFact,
  StatusFact,
  ValidationFact,
} from "../../../core/promotion";
import { automatedValidations } from "../../../core/promotion";

export const PIPELINE: readonly PipelineEnvironment[] = [
  { name: "dev", branch: "dev", manualTestApproval: false, soakMinutes: 0, reviewers: { users: [], teams: [] } },
  { name: "staging", branch: "test", manualTestApproval: true, soakMinutes: 60, reviewers: { users: ["qa-alice"], teams: ["qa-leads"] } },
  { name: "prod", branch: "main", manualTestApproval: false, soakMinutes: 120, reviewers: { users: [], teams: ["release-managers"] } },
];

/** A 40-hex SHA made of one repeated digit, e.g. sha("a"). */
export const sha = (c: string) => c.repeat(40).slice(0, 40);

/** Minutes after 2025-06-01T00:00Z as an ISO timestamp. */
export const at = (minutes: number) => new Date(Date.UTC(2025, 5, 1) + minutes * 60_000).toISOString();

let nextId = 1;
export const id = () => nextId++;

export function status(state: StatusFact["state"], minute: number, description = ""): StatusFact {
  return { id: id(), state, createdAt: at(minute), description, logUrl: `https://github.com/contoso/payments-service/actions/runs/${9000 + minute}` };
}

/** A deployment whose statuses are given oldest first (they are stored newest first, as GitHub lists them). */
export function deployment(env: string, commit: string, minute: number, statusesOldestFirst: StatusFact[], task = "deploy", deploymentId = id()): DeploymentFact {
  return { id: deploymentId, sha: commit, ref: commit, task, environment: env, createdAt: at(minute), creator: "github-actions[bot]", statuses: [...statusesOldestFirst].reverse() };
}

/** in_progress at `minute`+1, success at `minute`+10. */
export function succeeded(env: string, commit: string, minute: number, task = "deploy"): DeploymentFact {
  return deployment(env, commit, minute, [status("in_progress", minute + 1), status("success", minute + 10, "Deployed")], task);
}

export function validation(env: string, name: string, commit: string, minute: number, state: ValidationFact["state"]): ValidationFact {
  return { id: id(), source: "check-run", name, sha: commit, state, at: at(minute), url: `https://github.com/contoso/payments-service/actions/runs/${7000 + minute}/job/${minute}` };
}

/** Every automated validation of `env` on `commit`, with the given state, at `minute`. */
export function validations(env: string, commit: string, minute: number, state: ValidationFact["state"] = "success"): ValidationFact[] {
  return automatedValidations(PIPELINE, env).map((name) => validation(env, name, commit, minute, state));
}

/** What `delivery promote sign-off` writes for the committed checklist (docs/signoff-checklist.md). */
export const SIGNED_OFF = "signed off against docs/signoff-checklist.md@e459e9f870c9 (8 items)";

/** A manual-test status; a success names the checklist, as `delivery promote sign-off` writes it. */
export function approval(commit: string, minute: number, state: ManualApprovalFact["state"], login: string | null, reviewer: boolean | null, description = state === "success" ? SIGNED_OFF : ""): ManualApprovalFact {
  return { id: id(), sha: commit, state, login, reviewer, at: at(minute), description, url: null };
}

export function envFacts(name: string, parts: Partial<EnvironmentFacts> = {}): EnvironmentFacts {
  return { name, deployments: [], validations: [], manualApprovals: [], deployRuns: [], failedRun: null, ...parts };
}

export function pr(number: number, state: PullRequestFact["state"], base: string, head: string, minute: number, mergeCommit: string | null = null): PullRequestFact {
  return {
    number,
    state,
    baseRef: base,
    headRef: `promote/x/${head.slice(0, 12)}`,
    headSha: head,
    mergeCommitSha: state === "merged" ? mergeCommit : null,
    createdAt: at(minute - 5),
    mergedAt: state === "merged" ? at(minute) : null,
    url: `https://github.com/contoso/payments-service/pull/${number}`,
  };
}

export function facts(envs: EnvironmentFacts[], rest: Partial<Omit<PromotionFacts, "environments">> = {}): PromotionFacts {
  return { repository: "contoso/payments-service", now: at(24 * 60), environments: envs, pullRequests: [], failureIssues: [], ...rest };
}

/**
 * The resting pipeline: `x` was promoted dev -> staging (PR #10, merged as `s`), `s` staging ->
 * prod (PR #11, merged as `p`); everything validated, soaked and signed off; now is a day later.
 */
export function restingPipeline(): { dev: EnvironmentFacts; staging: EnvironmentFacts; prod: EnvironmentFacts; pullRequests: PullRequestFact[] } {
  const x = sha("1"), s = sha("2"), p = sha("3");
  return {
    dev: envFacts("dev", { deployments: [succeeded("dev", x, 0)], validations: validations("dev", x, 12) }),
    staging: envFacts("staging", {
      deployments: [succeeded("staging", s, 100)],
      validations: validations("staging", s, 112),
      manualApprovals: [approval(s, 115, "pending", "github-actions[bot]", false), approval(s, 130, "success", "qa-alice", true)],
    }),
    // The monitors watch the whole soak (120 min after the success at minute 310), so they report at its end.
    prod: envFacts("prod", { deployments: [succeeded("prod", p, 300)], validations: validations("prod", p, 430) }),
    pullRequests: [pr(10, "merged", "test", x, 90, s), pr(11, "merged", "main", s, 290, p)],
  };
}
