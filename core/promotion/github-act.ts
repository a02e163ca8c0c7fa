/**
 * Performs what the machine decided, through the GitHub REST API, and nothing else:
 *
 * - `open-failure-issue`: `POST /issues` with the deployment-failure label (the freeze), the
 *   failure class, links to the run and the audit artifact, and the marker that ties the issue
 *   to the failed deployment (so it is opened once);
 * - `rollback`: `POST /actions/workflows/{deploy}/dispatches` with `action=rollback` and the
 *   last known-good SHA on the environment branch (the same deploy path as any deployment, which
 *   records a `deploy:rollback` GitHub deployment), then a comment on the failure issue;
 * - `open-pr`: `POST /git/refs` creating `promote/<from>-to-<to>/<sha12>` at exactly the validated
 *   SHA, then `POST /pulls` from it into the next branch; refuses when GitHub reports another head;
 * - `request-manual-approval`: a pending `manual-test (<env>)` commit status on the SHA and a commit
 *   comment mentioning the reviewers;
 * - `validate` is left to the workflow's validation jobs (they report the checks).
 *
 * With `dryRun`, the requests are listed and none is sent.
 */
import type { Octokit } from "@octokit/rest";
import { DEPLOYMENT_FAILURE_LABEL } from "../labels";
import { DEPLOY_TASK, DEPLOYMENT_PAYLOAD_KEY, failureIssueMarker, ROLLBACK_TASK, STATUS_DESCRIPTION_MAX } from "./facts";
import { FAILURE_PRIORITY, fixForLine } from "./freeze";
import { SIGNOFF_CHECKLIST } from "./signoff";
import type { PromotionAction } from "./machine";
import type { RepoRef } from "./github-facts";

export type ActClient = Pick<Octokit, "request">;

/** A request as sent (or, in a dry run, as it would be sent). */
export interface PlannedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: Readonly<Record<string, unknown>> | null;
}

export interface ActResult {
  readonly action: PromotionAction;
  readonly status: "performed" | "planned" | "delegated" | "skipped" | "failed";
  readonly requests: readonly PlannedRequest[];
  readonly detail: string;
  /** URLs and numbers of what was created. */
  readonly created?: Readonly<Record<string, string | number>>;
}

export interface ActOptions {
  readonly dryRun: boolean;
  readonly deployWorkflow: string;
  /** The promote workflow's run, linked from what it creates. */
  readonly runUrl: string | null;
}

/** Splits Octokit-style `METHOD /path/{param}` + params into the path and the body GitHub receives. */
export function planRequest(route: string, params: Readonly<Record<string, unknown>>): PlannedRequest {
  const [method, template] = route.split(" ");
  const used = new Set<string>();
  const path = template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    used.add(name);
    return encodeURIComponent(String(params[name]));
  });
  const rest = Object.fromEntries(Object.entries(params).filter(([k]) => !used.has(k)));
  return { method, path, body: Object.keys(rest).length > 0 ? rest : null };
}

const short = (sha: string) => sha.slice(0, 12);

/** The failure issue's body: what failed, where to look, what happens next. */
export function failureIssueBody(a: Extract<PromotionAction, { kind: "open-failure-issue" }>, promoteRunUrl: string | null): string {
  const lines = [
    failureIssueMarker(a.environment, a.deploymentId, a.sha),
    `**Priority: ${a.priority}** (\`${FAILURE_PRIORITY[a.priority]}\`). ${a.environment} failed at \`${a.sha}\` (deployment ${a.deploymentId}). While this issue is open, every deploy and promotion in every environment is refused except the rollback and the fix.`,
    "",
    "| | |",
    "|---|---|",
    `| Environment | ${a.environment} |`,
    `| Commit | \`${a.sha}\` |`,
    `| Failure class | \`${a.failure.category}${a.failure.kind ? `/${a.failure.kind}` : ""}\` |`,
    `| Detail | ${a.failure.detail.replace(/\|/g, "\\|").replace(/\r?\n/g, " ") || "—"} |`,
    `| Run | ${a.runUrl ?? "not recorded"} |`,
    `| Audit record | ${a.auditUrl ?? "no audit artifact was uploaded"} |`,
    `| Last known-good commit | ${a.lastKnownGoodSha ? `\`${a.lastKnownGoodSha}\`` : "none: fix forward"} |`,
    "",
    "What happens next:",
    a.lastKnownGoodSha
      ? `1. The promote workflow rolls ${a.environment} back to \`${short(a.lastKnownGoodSha)}\` through the deploy workflow (a \`${ROLLBACK_TASK}\` deployment).`
      : `1. There is no known-good commit to roll back to; ${a.environment} stays as it is until a fix is deployed.`,
    `2. The fix goes through the normal path: a pull request into the first environment branch whose description says \`Fixes #<this issue>\`, then promotion (the promotion pull requests carry it on). No direct pushes, no skipped environments.`,
    `3. The promote workflow closes this issue with a comment once ${a.environment} is healthy again (the rollback or the fix passed validation there); that lifts the freeze.`,
  ];
  if (promoteRunUrl) lines.push("", `Opened by ${promoteRunUrl}.`);
  return lines.join("\n");
}

type Send = (route: string, params: Record<string, unknown>) => Promise<{ data: any } | null>;

/** Performs the actions in order; a failed action is reported and does not stop the others. */
export async function performActions(client: ActClient | null, repo: RepoRef, actions: readonly PromotionAction[], options: ActOptions): Promise<ActResult[]> {
  const results: ActResult[] = [];
  /** Issues opened in this run, by environment, so the rollback comment lands on them. */
  const opened = new Map<string, number>();
  for (const action of actions) {
    const requests: PlannedRequest[] = [];
    const send: Send = async (route, params) => {
      requests.push(planRequest(route, { ...repo, ...params }));
      if (options.dryRun || !client) return null;
      return client.request(route as any, { ...repo, ...params } as any) as Promise<{ data: any }>;
    };
    try {
      const outcome = await perform(action, send, repo, options, opened);
      results.push({ action, requests, status: outcome.status ?? (options.dryRun ? "planned" : "performed"), detail: outcome.detail, ...(outcome.created ? { created: outcome.created } : {}) });
    } catch (err) {
      results.push({ action, requests, status: "failed", detail: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}

interface Outcome {
  readonly detail: string;
  readonly status?: ActResult["status"];
  readonly created?: Record<string, string | number>;
}

async function perform(action: PromotionAction, send: Send, repo: RepoRef, options: ActOptions, opened: Map<string, number>): Promise<Outcome> {
  switch (action.kind) {
    case "wait":
    case "done":
    case "investigate":
      return { status: "skipped", detail: `nothing to perform for ${action.kind}` };
    case "validate":
      return { status: "delegated", detail: `the promote workflow's validation jobs run ${action.checks.join(", ")} on ${short(action.sha)}` };
    case "open-failure-issue": {
      const res = await send("POST /repos/{owner}/{repo}/issues", {
        title: action.title,
        body: failureIssueBody(action, options.runUrl),
        labels: [DEPLOYMENT_FAILURE_LABEL.name, FAILURE_PRIORITY[action.priority]],
        ...(action.assignee ? { assignees: [action.assignee] } : {}),
      });
      if (!res) return { detail: `would open "${action.title}"` };
      opened.set(action.environment, res.data.number);
      return { detail: `opened #${res.data.number}`, created: { issue: res.data.number, url: res.data.html_url } };
    }
    case "rollback": {
      const res = await send("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", {
        workflow_id: options.deployWorkflow,
        ref: action.branch,
        // The dispatch runs as this token's bot; the gate checks the person it acts for.
        inputs: { action: "rollback", environment: action.environment, sha: action.sha, ...(action.requestedBy ? { requested_by: action.requestedBy } : {}) },
        return_run_details: true,
      });
      const issue = action.issue ?? opened.get(action.environment) ?? null;
      const runUrl: string | null = res?.data?.html_url ?? null;
      if (issue !== null) {
        await send("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
          issue_number: issue,
          body: `Rollback of ${action.environment} from \`${short(action.fromSha)}\` to the last known-good \`${action.sha}\` requested${runUrl ? `: ${runUrl}` : ""}.`,
        });
      }
      if (!res) return { detail: `would dispatch ${options.deployWorkflow} on ${action.branch} to roll ${action.environment} back to ${short(action.sha)}` };
      return { detail: `dispatched ${options.deployWorkflow}${runUrl ? ` (${runUrl})` : ""}`, created: { ...(res.data?.workflow_run_id ? { run: Number(res.data.workflow_run_id) } : {}), ...(runUrl ? { url: runUrl } : {}) } };
    }
    case "open-pr": {
      const ref = await send("POST /repos/{owner}/{repo}/git/refs", { ref: `refs/heads/${action.head}`, sha: action.sha }).catch(async (err) => {
        // The branch exists from an earlier attempt: use it only if it still points at the SHA.
        if ((err as { status?: number }).status !== 422) throw err;
        const existing = await send("GET /repos/{owner}/{repo}/git/ref/{ref}", { ref: `heads/${action.head}` });
        if (existing && existing.data.object.sha !== action.sha) {
          throw new Error(`branch ${action.head} exists at ${existing.data.object.sha}, not at the validated ${action.sha}; delete it and run again`);
        }
        return existing;
      });
      const body = [
        `Promotes \`${action.sha}\`, validated in ${action.from}, to ${action.to}.`,
        "",
        `The head branch \`${action.head}\` was created at exactly that commit; if it moves, the promotion machine reports this pull request as contradictory and promotes nothing.`,
        ...(action.fixes && action.fixes.length > 0 ? ["", fixForLine(action.fixes)] : []),
        ...(options.runUrl ? ["", `Opened by ${options.runUrl}.`] : []),
      ].join("\n");
      const pr = await send("POST /repos/{owner}/{repo}/pulls", { title: action.title, head: action.head, base: action.base, body, maintainer_can_modify: false });
      if (!ref || !pr) return { detail: `would open a PR from ${action.head} (at ${short(action.sha)}) into ${action.base}` };
      if (pr.data.head.sha !== action.sha) throw new Error(`PR #${pr.data.number} was opened with head ${pr.data.head.sha}, not the validated ${action.sha}; close it`);
      return { detail: `opened PR #${pr.data.number}`, created: { pr: pr.data.number, url: pr.data.html_url } };
    }
    case "close-failure-issue": {
      const comment = await send("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        issue_number: action.issue,
        body: `${action.reason}. Closing this issue lifts the freeze.${options.runUrl ? ` (${options.runUrl})` : ""}`,
      });
      const closed = await send("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { issue_number: action.issue, state: "closed", state_reason: "completed" });
      if (!comment || !closed) return { detail: `would close #${action.issue}: ${action.reason}` };
      return { detail: `closed #${action.issue}`, created: { issue: action.issue } };
    }
    case "request-manual-approval": {
      const who = [...action.reviewers.users.map((u) => `@${u}`), ...action.reviewers.teams.map((t) => `team ${t}`)].join(", ") || "a reviewer";
      const description = `Awaiting manual test sign-off by ${who}`.slice(0, STATUS_DESCRIPTION_MAX);
      const status = await send("POST /repos/{owner}/{repo}/statuses/{sha}", { sha: action.sha, state: "pending", context: action.context, description, ...(options.runUrl ? { target_url: options.runUrl } : {}) });
      const mentions = [...action.reviewers.users.map((u) => `@${u}`), ...action.reviewers.teams.map((t) => `@${repo.owner}/${t}`)];
      await send("POST /repos/{owner}/{repo}/commits/{commit_sha}/comments", {
        commit_sha: action.sha,
        body: [
          `${mentions.join(" ")} ${action.environment} runs \`${action.sha}\` and its automated checks passed. Please work through [the checklist](https://github.com/${repo.owner}/${repo.repo}/blob/${action.sha}/${SIGNOFF_CHECKLIST}), then sign off (or reject) with your own token, from a checkout of the repository:`,
          "",
          "```sh",
          `GITHUB_TOKEN="$(gh auth token)" npx delivery promote sign-off --environment ${action.environment} --commit ${action.sha}`,
          `# or: ... --reject "what failed"`,
          "```",
        ].join("\n"),
      });
      if (!status) return { detail: `would ask ${who} to sign off ${action.environment} at ${short(action.sha)}` };
      return { detail: `set ${action.context} pending on ${short(action.sha)}` };
    }
  }
}

/** Parameters of the deployment the deploy job records for the commit it really deploys (`POST /deployments`). */
export function deploymentRecord(input: {
  environment: string;
  sha: string;
  rollback: boolean;
  production: boolean;
  runUrl: string | null;
  requestedBy: string | null;
  /** A promotion: the commit validated in the previous environment whose tree `sha` was proven to carry (`promote verify-tree`). */
  promotedFrom?: { environment: string; sha: string } | null;
}): Record<string, unknown> {
  return {
    ref: input.sha,
    task: input.rollback ? ROLLBACK_TASK : DEPLOY_TASK,
    environment: input.environment,
    auto_merge: false,
    required_contexts: [],
    payload: {
      [DEPLOYMENT_PAYLOAD_KEY]: {
        action: input.rollback ? "rollback" : "deploy",
        commit: input.sha,
        runUrl: input.runUrl,
        requestedBy: input.requestedBy,
        ...(input.promotedFrom ? { promotedFrom: { environment: input.promotedFrom.environment, commit: input.promotedFrom.sha } } : {}),
      },
    },
    description: input.promotedFrom
      ? `Promotion of ${short(input.sha)} to ${input.environment} (the tree validated in ${input.promotedFrom.environment} at ${short(input.promotedFrom.sha)})`
      : `${input.rollback ? "Rollback" : "Deployment"} of ${short(input.sha)} to ${input.environment}`,
    transient_environment: false,
    production_environment: input.production,
  };
}

/**
 * `delivery promote record start`: the deploy job records the deployment of the commit it deploys
 * (not the run's GITHUB_SHA) and marks it in progress. Returns the deployment id.
 */
export async function recordDeploymentStart(
  client: ActClient,
  repo: RepoRef,
  input: Parameters<typeof deploymentRecord>[0],
): Promise<{ id: number; requests: PlannedRequest[] }> {
  const params = deploymentRecord(input);
  const requests = [planRequest("POST /repos/{owner}/{repo}/deployments", { ...repo, ...params })];
  const { data } = (await client.request("POST /repos/{owner}/{repo}/deployments" as any, { ...repo, ...params } as any)) as { data: { id?: number; message?: string } };
  if (typeof data.id !== "number") throw new Error(`GitHub did not create the deployment: ${data.message ?? "no id in the response"}`);
  const status = { deployment_id: data.id, state: "in_progress", description: `${input.rollback ? "Rolling back" : "Deploying"} ${short(input.sha)}`, ...(input.runUrl ? { log_url: input.runUrl } : {}) };
  requests.push(planRequest("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", { ...repo, ...status }));
  await client.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses" as any, { ...repo, ...status } as any);
  return { id: data.id, requests };
}

/** `delivery promote record finish`: the final status; a failure carries its class in the description. */
export async function recordDeploymentFinish(
  client: ActClient,
  repo: RepoRef,
  input: { deploymentId: number; state: "success" | "failure" | "error"; description: string; runUrl: string | null; environmentUrl?: string | null },
): Promise<PlannedRequest[]> {
  const status = {
    deployment_id: input.deploymentId,
    state: input.state,
    description: input.description.slice(0, STATUS_DESCRIPTION_MAX),
    ...(input.runUrl ? { log_url: input.runUrl } : {}),
    // Where the deployment answers (from its own outputs): what the promote workflow's checks call.
    ...(input.environmentUrl ? { environment_url: input.environmentUrl } : {}),
    // Older successful deployments become inactive, so GitHub shows one active deployment per environment.
    ...(input.state === "success" ? { auto_inactive: true } : {}),
  };
  await client.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses" as any, { ...repo, ...status } as any);
  return [planRequest("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", { ...repo, ...status })];
}

/**
 * `delivery promote check`: a validation job reports its result as a commit status on the
 * deployed SHA. (A job's own check run lands on its run's commit, which for `workflow_run` and
 * comment-triggered runs is the default branch, not the deployed commit.)
 */
export async function reportValidation(
  client: ActClient,
  repo: RepoRef,
  input: { sha: string; name: string; state: "pending" | "success" | "failure"; description: string; runUrl: string | null },
): Promise<PlannedRequest[]> {
  const params = { sha: input.sha, state: input.state, context: input.name, description: input.description.slice(0, STATUS_DESCRIPTION_MAX), ...(input.runUrl ? { target_url: input.runUrl } : {}) };
  await client.request("POST /repos/{owner}/{repo}/statuses/{sha}" as any, { ...repo, ...params } as any);
  return [planRequest("POST /repos/{owner}/{repo}/statuses/{sha}", { ...repo, ...params })];
}
