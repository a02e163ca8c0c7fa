/**
 * Reads the promotion facts from the GitHub REST API. The client is passed in (a real Octokit in
 * the CLI, a fake replaying recorded responses in tests); nothing here constructs one.
 *
 * Requests, per environment E (branch B) of the pipeline:
 * - `GET /repos/{o}/{r}/deployments?environment=E&per_page=H`: the newest H deployments; only those
 *   the platform recorded (payload carries `delivery`) are trusted, see `DEPLOYMENT_PAYLOAD_KEY`;
 * - `GET /repos/{o}/{r}/deployments/{id}/statuses?per_page=100` for each of them;
 * - `GET /repos/{o}/{r}/commits/{sha}/check-runs?filter=all&per_page=100` and
 *   `GET /repos/{o}/{r}/commits/{sha}/statuses?per_page=100` for each deployed SHA (validations and
 *   the manual-test sign-off);
 * - `GET /orgs/{o}/teams/{team}/memberships/{login}` to tell whether a sign-off came from a reviewer;
 * - `GET /repos/{o}/{r}/actions/workflows/{deploy}/runs?event=workflow_dispatch&branch=B&per_page=10`;
 * - for a failed newest deployment: `GET /repos/{o}/{r}/actions/runs/{id}` and its `/artifacts`;
 * - `GET /repos/{o}/{r}/branches/B`: the branch head (drift: a head no deployment or pull request explains);
 * - `GET /repos/{o}/{r}/compare/HEAD...SHA`: whether a deployed commit's history contains that head;
 * - `GET /repos/{o}/{r}/pulls?state=all&base=B&sort=updated&direction=desc&per_page=20` (promotions,
 *   and in every branch the pull requests that say they fix a failure issue);
 * and once: `GET /repos/{o}/{r}/issues?labels=deployment-failure&state=all&sort=created&direction=desc&per_page=30`.
 *
 * `readDeploymentRecord` (for the validation job): `GET /repos/{o}/{r}/deployments?environment=E&sha=S&per_page=100`
 * and that deployment's statuses.
 */
import type { Octokit } from "@octokit/rest";
import { DEPLOYMENT_FAILURE_LABEL } from "../labels";
import { GITHUB_DEPLOYMENT_RECORD, type GitHubDeploymentRecord } from "../validate";
import { fixedIssues } from "./freeze";
import {
  automatedValidations,
  checkRunState,
  commitStatusState,
  DEPLOYMENT_PAYLOAD_KEY,
  manualTestContext,
  parseFailureIssueMarker,
  runIdFromUrl,
  type DeploymentFact,
  type DeployRunFact,
  type EnvironmentFacts,
  type FailedRunFact,
  type FailureIssueFact,
  type ManualApprovalFact,
  type PipelineEnvironment,
  type PromotionFacts,
  type PullRequestFact,
  type ValidationFact,
} from "./facts";

/** The parts of Octokit the promotion code calls. */
export type PromotionClient = Pick<Octokit, "request">;

export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

export interface CollectOptions {
  /** Deployments read per environment; the last known-good SHA is looked for among them. Defaults to 10. */
  readonly history?: number;
  /** The deploy workflow's file name (rollbacks run through it). */
  readonly deployWorkflow: string;
  /** The clock; tests pass a fixed one. */
  readonly now?: () => Date;
}

function httpStatus(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "status" in err ? Number((err as { status: unknown }).status) : undefined;
}

/** The platform's record in a deployment payload (an object or JSON text), or null when it is not the platform's. */
export function platformPayload(payload: unknown): Record<string, unknown> | null {
  let value = payload;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  const record = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[DEPLOYMENT_PAYLOAD_KEY] : null;
  return typeof record === "object" && record !== null && !Array.isArray(record) ? (record as Record<string, unknown>) : null;
}

/** A deployment payload is an object or JSON text; the platform's carry a `delivery` object. */
export function isPlatformDeployment(payload: unknown): boolean {
  return platformPayload(payload) !== null;
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/** Who asked for the deployment and, for a promotion, the validated commit it carries, as `deploymentRecord` wrote them. */
export function payloadFacts(payload: unknown): Pick<DeploymentFact, "requestedBy" | "promotedFrom"> {
  const record = platformPayload(payload);
  const requestedBy = typeof record?.requestedBy === "string" ? record.requestedBy : null;
  const from = record?.promotedFrom as { environment?: unknown; commit?: unknown } | null | undefined;
  const promotedFrom = from && typeof from.environment === "string" && typeof from.commit === "string" && FULL_SHA.test(from.commit) ? { environment: from.environment, sha: from.commit } : null;
  return { requestedBy, promotedFrom };
}

/** Whether `login` is one of the environment's reviewers: a listed user, or an active member of a listed team. */
export async function isReviewer(client: PromotionClient, org: string, reviewers: PipelineEnvironment["reviewers"], login: string | null): Promise<boolean | null> {
  // Apps and bots are never environment reviewers.
  if (!login || login.endsWith("[bot]")) return false;
  if (reviewers.users.some((u) => u.toLowerCase() === login.toLowerCase())) return true;
  let unknown = false;
  for (const team of reviewers.teams) {
    try {
      const { data } = await client.request("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", { org, team_slug: team, username: login });
      if (data.state === "active") return true;
    } catch (err) {
      if (httpStatus(err) !== 404) unknown = true;
    }
  }
  return unknown ? null : false;
}

async function environmentFacts(client: PromotionClient, repo: RepoRef, pipeline: readonly PipelineEnvironment[], env: PipelineEnvironment, options: CollectOptions): Promise<EnvironmentFacts> {
  const { data: listed } = await client.request("GET /repos/{owner}/{repo}/deployments", { ...repo, environment: env.name, per_page: options.history ?? 10 });
  const deployments: DeploymentFact[] = [];
  for (const d of listed) {
    if (!isPlatformDeployment(d.payload)) continue;
    const recorded = payloadFacts(d.payload);
    const { data: statuses } = await client.request("GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", { ...repo, deployment_id: Number(d.id), per_page: 100 });
    deployments.push({
      id: Number(d.id),
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      environment: d.environment,
      createdAt: d.created_at,
      creator: d.creator?.login ?? null,
      ...(recorded.requestedBy !== null ? { requestedBy: recorded.requestedBy } : {}),
      ...(recorded.promotedFrom !== null ? { promotedFrom: recorded.promotedFrom } : {}),
      statuses: statuses.map((s) => ({ id: Number(s.id), state: s.state, createdAt: s.created_at, description: s.description ?? "", logUrl: s.log_url || s.target_url || null })),
    });
  }

  const names = new Set(automatedValidations(pipeline, env.name));
  const context = manualTestContext(env.name);
  const validations: ValidationFact[] = [];
  const manualApprovals: ManualApprovalFact[] = [];
  const reviewerCache = new Map<string, boolean | null>();
  for (const sha of [...new Set(deployments.map((d) => d.sha))]) {
    const { data: checks } = await client.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { ...repo, ref: sha, filter: "all", per_page: 100 });
    for (const c of checks.check_runs) {
      if (!names.has(c.name)) continue;
      // A finished run's result is known when it completed (a soak-long monitors run completes at the soak's end).
      const at = c.status === "completed" ? (c.completed_at ?? c.started_at) : (c.started_at ?? c.completed_at);
      validations.push({ id: Number(c.id), source: "check-run", name: c.name, sha, state: checkRunState(c.status, c.conclusion), at: at ?? "", url: c.html_url ?? c.details_url ?? null });
    }
    const { data: statuses } = await client.request("GET /repos/{owner}/{repo}/commits/{ref}/statuses", { ...repo, ref: sha, per_page: 100 });
    for (const s of statuses) {
      if (names.has(s.context)) {
        validations.push({ id: s.id, source: "status", name: s.context, sha, state: commitStatusState(s.state), at: s.created_at, url: s.target_url ?? null });
      } else if (env.manualTestApproval && s.context === context) {
        const login = s.creator?.login ?? null;
        const state = s.state === "success" ? "success" : s.state === "failure" || s.state === "error" ? "failure" : "pending";
        // Anyone (the workflow) may ask for sign-off; only a decision needs a reviewer.
        let reviewer: boolean | null = false;
        if (state !== "pending") {
          const key = login ?? "";
          if (!reviewerCache.has(key)) reviewerCache.set(key, await isReviewer(client, repo.owner, env.reviewers, login));
          reviewer = reviewerCache.get(key)!;
        }
        manualApprovals.push({ id: s.id, sha, state, login, reviewer, at: s.created_at, description: s.description ?? "", url: s.target_url ?? null });
      }
    }
  }

  const { data: runs } = await client.request("GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", {
    ...repo,
    workflow_id: options.deployWorkflow,
    event: "workflow_dispatch",
    branch: env.branch,
    per_page: 10,
  });
  const deployRuns: DeployRunFact[] = runs.workflow_runs.map((r) => ({ id: Number(r.id), event: r.event, headBranch: r.head_branch, status: r.status, conclusion: r.conclusion, createdAt: r.created_at, url: r.html_url }));

  const latest = [...deployments].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id)[0];
  let failedRun: FailedRunFact | null = null;
  const current = latest?.statuses[0];
  const validationFailed = latest !== undefined && (validations.some((v) => v.sha === latest.sha && v.state === "failure") || manualApprovals.some((a) => a.sha === latest.sha && a.state === "failure"));
  if (latest && current && (current.state === "failure" || current.state === "error" || (current.state === "success" && validationFailed))) {
    const runId = runIdFromUrl(latest.statuses.find((s) => runIdFromUrl(s.logUrl) !== null)?.logUrl);
    if (runId !== null) {
      const { data: run } = await client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", { ...repo, run_id: runId });
      const { data: artifacts } = await client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts", { ...repo, run_id: runId, per_page: 100 });
      const audit = artifacts.artifacts.find((a) => a.name.startsWith(`audit-${env.name}-`) && !a.expired);
      failedRun = {
        deploymentId: latest.id,
        runId,
        url: run.html_url,
        conclusion: run.conclusion,
        auditArtifact: audit ? { name: audit.name, url: `${run.html_url}/artifacts/${audit.id}` } : null,
      };
    }
  }
  let branchHead: string | null = null;
  try {
    const { data: branch } = await client.request("GET /repos/{owner}/{repo}/branches/{branch}", { ...repo, branch: env.branch });
    branchHead = branch.commit.sha;
  } catch (err) {
    if (httpStatus(err) !== 404) throw err;
  }
  // A head no deployment deployed may still be inside what was deployed: IssueOps deploys a pull
  // request's head, branched from this head, before it merges.
  let branchHeadContainedBy: string | null = null;
  if (branchHead !== null && !deployments.some((d) => d.sha === branchHead)) {
    for (const deployed of [...new Set(deployments.map((d) => d.sha))].slice(0, 5)) {
      try {
        const { data: compared } = await client.request("GET /repos/{owner}/{repo}/compare/{basehead}", { ...repo, basehead: `${branchHead}...${deployed}` });
        if (compared.status === "ahead" || compared.status === "identical") {
          branchHeadContainedBy = deployed;
          break;
        }
      } catch (err) {
        if (httpStatus(err) !== 404) throw err;
      }
    }
  }
  return { name: env.name, deployments, validations, manualApprovals, deployRuns, failedRun, branchHead, ...(branchHeadContainedBy ? { branchHeadContainedBy } : {}) };
}

/**
 * Open and merged pull requests into every environment branch: promotions into the branches after
 * the first, and everywhere the failure issues each says it fixes (the fix may pass the freeze).
 */
export async function collectPullRequests(client: PromotionClient, repo: RepoRef, pipeline: readonly PipelineEnvironment[]): Promise<PullRequestFact[]> {
  const out: PullRequestFact[] = [];
  for (const env of pipeline) {
    const { data } = await client.request("GET /repos/{owner}/{repo}/pulls", { ...repo, state: "all", base: env.branch, sort: "updated", direction: "desc", per_page: 20 });
    for (const p of data) {
      if (p.state !== "open" && !p.merged_at) continue;
      out.push({
        number: p.number,
        state: p.state === "open" ? "open" : "merged",
        baseRef: p.base.ref,
        headRef: p.head.ref,
        headSha: p.head.sha,
        mergeCommitSha: p.merged_at ? (p.merge_commit_sha ?? null) : null,
        createdAt: p.created_at,
        mergedAt: p.merged_at ?? null,
        url: p.html_url,
        fixes: fixedIssues(p.title, p.body),
      });
    }
  }
  return out;
}

/** Issues carrying the deployment-failure label (pull requests excluded); open ones are the freeze. */
export async function collectFailureIssues(client: PromotionClient, repo: RepoRef): Promise<FailureIssueFact[]> {
  const { data } = await client.request("GET /repos/{owner}/{repo}/issues", { ...repo, labels: DEPLOYMENT_FAILURE_LABEL.name, state: "all", sort: "created", direction: "desc", per_page: 30 });
  return data
    .filter((i) => !i.pull_request)
    .map((i) => ({ number: i.number, state: i.state === "open" ? "open" : "closed", title: i.title, url: i.html_url, createdAt: i.created_at, marker: parseFailureIssueMarker(i.body) }));
}

/** Everything the machine needs, read now. */
export async function collectPromotionFacts(client: PromotionClient, repo: RepoRef, pipeline: readonly PipelineEnvironment[], options: CollectOptions): Promise<PromotionFacts> {
  const now = (options.now ?? (() => new Date()))().toISOString();
  const environments: EnvironmentFacts[] = [];
  for (const env of pipeline) environments.push(await environmentFacts(client, repo, pipeline, env, options));
  const pullRequests = await collectPullRequests(client, repo, pipeline);
  const failureIssues = await collectFailureIssues(client, repo);
  return { repository: `${repo.owner}/${repo.repo}`, now, environments, pullRequests, failureIssues };
}

/**
 * The record of one successful platform deployment, read from GitHub for `delivery validate` on a
 * runner that did not deploy it (the promote workflow's validation job): the commit, and the URL
 * the deploy job recorded as its success status's `environment_url` (`promote record finish`).
 * Only the platform's own deployment of exactly that environment and commit counts, and only
 * when its newest status is `success`; anything else throws, saying what was found.
 */
export async function readDeploymentRecord(client: PromotionClient, repo: RepoRef, want: { deploymentId: number; environment: string; sha: string }): Promise<GitHubDeploymentRecord> {
  const { data: listed } = await client.request("GET /repos/{owner}/{repo}/deployments", { ...repo, environment: want.environment, sha: want.sha, per_page: 100 });
  const d = listed.find((x) => Number(x.id) === want.deploymentId);
  if (!d) throw new Error(`GitHub lists no deployment ${want.deploymentId} of ${want.sha.slice(0, 12)} in ${want.environment}`);
  const payload = platformPayload(d.payload);
  if (!payload) throw new Error(`deployment ${want.deploymentId} was not recorded by the platform (its payload has no \`${DEPLOYMENT_PAYLOAD_KEY}\`)`);
  const { data: statuses } = await client.request("GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", { ...repo, deployment_id: want.deploymentId, per_page: 100 });
  const newest = [...statuses].sort((a, b) => b.created_at.localeCompare(a.created_at) || Number(b.id) - Number(a.id))[0];
  if (!newest || newest.state !== "success") throw new Error(`deployment ${want.deploymentId}'s current status is ${newest ? newest.state : "missing"}, not success: there is nothing deployed to check`);
  return {
    kind: GITHUB_DEPLOYMENT_RECORD,
    deploymentId: want.deploymentId,
    stack: d.environment,
    gitSha: d.sha,
    result: "succeeded",
    finishedAt: newest.created_at,
    environmentUrl: newest.environment_url || null,
    runUrl: typeof payload.runUrl === "string" ? payload.runUrl : (newest.log_url ?? null),
  };
}
