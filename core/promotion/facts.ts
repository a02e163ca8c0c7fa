/**
 * The facts the promotion machine reads, as plain JSON: what GitHub says about each environment's
 * deployments, the validation results on the deployed commits, the promotion pull requests and
 * the failure issues. `github-facts.ts` collects them through the API; `delivery promote status
 * --facts FILE` reads the same shape from a file. Nothing here talks to GitHub.
 *
 * Also here, once: the names the workflows and the machine must agree on (validation check
 * names, the manual-test status context, the promotion branch name, the failure-issue marker and
 * the deployment-status description that carries the failure class).
 */
import { z } from "zod";
import type { EnvironmentConfig } from "../config";
import { FAILURE_CATEGORIES, type FailureCategory } from "../classify";

/** The pipeline as the machine needs it: `environments` of the stack config, in order. */
export type PipelineEnvironment = Pick<EnvironmentConfig, "name" | "branch" | "manualTestApproval" | "soakMinutes" | "reviewers">;

// ---------------------------------------------------------------------------------------------
// Names shared with the workflows

/** Check run (job) or commit-status context the post-deployment health check reports as. */
export function healthCheckName(environment: string): string {
  return `health (${environment})`;
}
/** Check run (job) or commit-status context the smoke tests report as. */
export function smokeCheckName(environment: string): string {
  return `smoke (${environment})`;
}
/** Check run (job) or commit-status context the production monitors report as (last environment only). */
export function monitorsCheckName(environment: string): string {
  return `monitors (${environment})`;
}
/** Commit-status context a designated reviewer sets to sign off (or reject) manual testing. */
export function manualTestContext(environment: string): string {
  return `manual-test (${environment})`;
}

/**
 * The automated validations an environment needs after a deployment, as seed 002's table says:
 * health checks and smoke tests everywhere, production monitors in the last environment.
 */
export function automatedValidations(pipeline: readonly Pick<PipelineEnvironment, "name">[], environment: string): string[] {
  const names = [healthCheckName(environment), smokeCheckName(environment)];
  if (pipeline.length > 0 && pipeline[pipeline.length - 1].name === environment) names.push(monitorsCheckName(environment));
  return names;
}

/**
 * The branch a promotion pull request comes from. It is created at exactly the validated SHA, so
 * the pull request carries that commit and nothing newer from the source branch.
 */
export function promotionBranch(from: string, to: string, sha: string): string {
  return `promote/${from}-to-${to}/${sha.slice(0, 12)}`;
}

/** Deployment `task` values the platform records (`delivery promote record`). */
export const DEPLOY_TASK = "deploy";
export const ROLLBACK_TASK = "deploy:rollback";

/**
 * Marker in a deployment's `payload` that says the platform recorded it for the commit it really
 * deployed. GitHub's automatic deployments for jobs with `environment:` use the run's
 * `GITHUB_SHA` (the default branch for comment-triggered runs), so they are not trusted.
 */
export const DEPLOYMENT_PAYLOAD_KEY = "delivery";

// ---------------------------------------------------------------------------------------------
// Failure classes carried in deployment statuses and issues

export type FailureClassCategory = FailureCategory | "validation" | "manual-test";

export interface FailureClass {
  readonly category: FailureClassCategory;
  /** The classifier's kind (`throttled`, `bicep-compile-error`) or the failing check's name. */
  readonly kind: string | null;
  readonly detail: string;
}

/** The failure class in a few words: `logic/bicep-compile-error`, `smoke (dev) failed`, `manual test rejected`. */
export function failureClassLabel(f: Pick<FailureClass, "category" | "kind">): string {
  if (f.category === "validation") return `${f.kind ?? "validation"} failed`;
  if (f.category === "manual-test") return "manual test rejected";
  return `${f.category}${f.kind ? `/${f.kind}` : ""}`;
}

/** GitHub caps a deployment status description at 140 characters. */
export const STATUS_DESCRIPTION_MAX = 140;

/** The failure status description the deploy job writes: `failed (logic/bicep-compile-error): reason`. */
export function failureStatusDescription(category: FailureCategory, kind: string | null, reason: string): string {
  const text = `failed (${category}${kind ? `/${kind}` : ""}): ${reason.replace(/\s+/g, " ").trim()}`;
  return text.length <= STATUS_DESCRIPTION_MAX ? text : `${text.slice(0, STATUS_DESCRIPTION_MAX - 1)}…`;
}

const FAILURE_DESCRIPTION = /^failed \(([a-z]+)(?:\/([A-Za-z0-9_.-]+))?\):\s*(.*)$/s;

/** Reads the failure class back from a status description; anything else is `unknown`. */
export function parseFailureDescription(description: string): FailureClass {
  const m = FAILURE_DESCRIPTION.exec(description);
  if (m && (FAILURE_CATEGORIES as readonly string[]).includes(m[1])) {
    return { category: m[1] as FailureCategory, kind: m[2] ?? null, detail: m[3] };
  }
  return { category: "unknown", kind: null, detail: description };
}

/** Hidden marker in a failure issue's body, so each failed deployment gets exactly one issue. */
export function failureIssueMarker(environment: string, deploymentId: number, sha: string): string {
  return `<!-- delivery:promotion-failure environment=${environment} deployment=${deploymentId} sha=${sha} -->`;
}

const MARKER = /<!-- delivery:promotion-failure environment=([a-z][a-z0-9-]*) deployment=(\d+) sha=([0-9a-f]{7,40}) -->/;

export function parseFailureIssueMarker(body: string | null | undefined): FailureIssueFact["marker"] {
  const m = body ? MARKER.exec(body) : null;
  return m ? { environment: m[1], deploymentId: Number(m[2]), sha: m[3] } : null;
}

// ---------------------------------------------------------------------------------------------
// The facts

const isoTime = z.string().min(1);
const sha = z.string().regex(/^[0-9a-f]{7,40}$/, { error: "expected a commit SHA" });

/** One deployment status, as `GET /deployments/{id}/statuses` lists it. */
export const statusFactSchema = z.strictObject({
  id: z.number().int(),
  state: z.enum(["error", "failure", "inactive", "in_progress", "queued", "pending", "success"]),
  createdAt: isoTime,
  description: z.string(),
  /** `log_url`, else `target_url`: the run that reported it. */
  logUrl: z.string().nullable(),
});

export const deploymentFactSchema = z.strictObject({
  id: z.number().int(),
  sha,
  ref: z.string(),
  /** `deploy` or `deploy:rollback`. */
  task: z.string(),
  environment: z.string(),
  createdAt: isoTime,
  creator: z.string().nullable(),
  /** Who asked for it, as the deploy job recorded it in the payload (`record start --requested-by`). */
  requestedBy: z.string().nullable().optional(),
  /**
   * For a promotion: the commit validated in the previous environment whose tree this deployment
   * was proven to carry (`record start --validated-commit`, after `promote verify-tree`).
   */
  promotedFrom: z.strictObject({ environment: z.string(), sha }).nullable().optional(),
  /** In the order GitHub lists them: the first one is what GitHub reports as current. */
  statuses: z.array(statusFactSchema),
});

/**
 * One validation result on a commit: a check run (job) or a commit status with a validation's
 * name. `state` is normalised: `inconclusive` is a completed run that neither passed nor failed
 * (cancelled, skipped, neutral, stale, action_required).
 */
export const validationFactSchema = z.strictObject({
  id: z.number().int(),
  source: z.enum(["check-run", "status"]),
  name: z.string(),
  sha,
  state: z.enum(["pending", "success", "failure", "inconclusive"]),
  /** When it started (check run) or was reported (status). */
  at: isoTime,
  url: z.string().nullable(),
});

/** A `manual-test (<env>)` commit status and whether its author is one of the environment's reviewers. */
export const manualApprovalFactSchema = z.strictObject({
  id: z.number().int(),
  sha,
  state: z.enum(["pending", "success", "failure"]),
  login: z.string().nullable(),
  /** true: a listed user or an active member of a listed team; false: neither; null: could not be verified. */
  reviewer: z.boolean().nullable(),
  at: isoTime,
  description: z.string(),
  url: z.string().nullable(),
});

/** A run of the deploy workflow on the environment's branch (a rollback or redeploy in flight). */
export const deployRunFactSchema = z.strictObject({
  id: z.number().int(),
  event: z.string(),
  headBranch: z.string().nullable(),
  status: z.string().nullable(),
  conclusion: z.string().nullable(),
  createdAt: isoTime,
  url: z.string(),
});

/** The run behind the current failed deployment, with its audit artifact when one was uploaded. */
export const failedRunFactSchema = z.strictObject({
  deploymentId: z.number().int(),
  runId: z.number().int(),
  url: z.string(),
  conclusion: z.string().nullable(),
  auditArtifact: z.strictObject({ name: z.string(), url: z.string() }).nullable(),
});

export const environmentFactsSchema = z.strictObject({
  name: z.string(),
  /** The platform's deployments to this environment, newest first (the API's order). */
  deployments: z.array(deploymentFactSchema),
  validations: z.array(validationFactSchema),
  manualApprovals: z.array(manualApprovalFactSchema),
  deployRuns: z.array(deployRunFactSchema),
  failedRun: failedRunFactSchema.nullable(),
  /**
   * The environment branch's head commit (`GET /git/ref/heads/<branch>`); absent in facts recorded
   * before it was read, null when the branch does not exist. A head that no deployment deployed and
   * no pull request brought is drift (a direct push): reported, never deployed or promoted.
   */
  branchHead: sha.nullable().optional(),
  /**
   * A commit deployed to this environment whose history contains the branch head (`GET /compare`),
   * when the head itself was not deployed: the branch holds nothing beyond what was deployed (a pull
   * request's head deployed before it merged, branched from this head). Absent when not read.
   */
  branchHeadContainedBy: sha.nullable().optional(),
});

/** A pull request into an environment branch other than the first: a promotion. */
export const pullRequestFactSchema = z.strictObject({
  number: z.number().int(),
  state: z.enum(["open", "merged"]),
  baseRef: z.string(),
  headRef: z.string(),
  headSha: sha,
  mergeCommitSha: sha.nullable(),
  createdAt: isoTime,
  mergedAt: isoTime.nullable(),
  url: z.string(),
  /** Failure issues the pull request says it fixes (`Fixes #12`, `fix for #12`; see `fixedIssues`). Absent: none. */
  fixes: z.array(z.number().int()).optional(),
});

/** An issue with the deployment-failure label; an open one freezes promotion. */
export const failureIssueFactSchema = z.strictObject({
  number: z.number().int(),
  state: z.enum(["open", "closed"]),
  title: z.string(),
  url: z.string(),
  createdAt: isoTime,
  marker: z.strictObject({ environment: z.string(), deploymentId: z.number().int(), sha }).nullable(),
});

export const promotionFactsSchema = z.strictObject({
  /** OWNER/NAME. */
  repository: z.string(),
  /** When the facts were read; soak time is measured against it. */
  now: isoTime,
  environments: z.array(environmentFactsSchema),
  pullRequests: z.array(pullRequestFactSchema),
  failureIssues: z.array(failureIssueFactSchema),
});

export type StatusFact = z.infer<typeof statusFactSchema>;
export type DeploymentFact = z.infer<typeof deploymentFactSchema>;
export type ValidationFact = z.infer<typeof validationFactSchema>;
export type ManualApprovalFact = z.infer<typeof manualApprovalFactSchema>;
export type DeployRunFact = z.infer<typeof deployRunFactSchema>;
export type FailedRunFact = z.infer<typeof failedRunFactSchema>;
export type EnvironmentFacts = z.infer<typeof environmentFactsSchema>;
export type PullRequestFact = z.infer<typeof pullRequestFactSchema>;
export type FailureIssueFact = z.infer<typeof failureIssueFactSchema>;
export type PromotionFacts = z.infer<typeof promotionFactsSchema>;

// ---------------------------------------------------------------------------------------------
// Normalising GitHub's states (pure, used by the collector)

/** A check run's status and conclusion as a validation state. */
export function checkRunState(status: string | null, conclusion: string | null): ValidationFact["state"] {
  if (status !== "completed") return "pending";
  if (conclusion === "success") return "success";
  if (conclusion === "failure" || conclusion === "timed_out" || conclusion === "startup_failure") return "failure";
  return "inconclusive";
}

/** A commit status state (`error`, `failure`, `pending`, `success`) as a validation state. */
export function commitStatusState(state: string): ValidationFact["state"] {
  if (state === "success") return "success";
  if (state === "failure" || state === "error") return "failure";
  return "pending";
}

/** The workflow run id in an Actions URL (`.../actions/runs/123` or `.../actions/runs/123/job/4`). */
export function runIdFromUrl(url: string | null | undefined): number | null {
  const m = url ? /\/actions\/runs\/(\d+)(?:[/?#]|$)/.exec(url) : null;
  return m ? Number(m[1]) : null;
}
