/**
 * The GitHub adapter: the one client type the commands use, built from the variables a workflow
 * job has (`GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_API_URL`), and the reads and writes the
 * IssueOps commands make, each turning an API answer into the facts `core/` decides on. Commands
 * take a factory so tests hand in an Octokit whose `fetch` asks the stand-in GitHub
 * (sandbox/github-api, through test/harness/github.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Octokit } from "@octokit/rest";
import { parseStackConfig, type StackConfig } from "../../core/config";
import {
  GITHUB_ACTIONS_APP_ID,
  type ApprovalFact,
  type CheckFact,
  type GateFacts,
  type LabelFact,
  type Permission,
  type PullRequestFact,
  type RequiredCheck,
  type ReviewFact,
} from "../../core/intent";
import { collectFailureIssues, collectPromotionFacts, evaluatePromotion, type PromotionReport } from "../../core/promotion";
import { fixedIssues } from "../../core/promotion/freeze";
import { readStackFile } from "../../core/stack-file";
import { DEPLOY_WORKFLOW_FILE, requiredCheckNames } from "../../workflows";
import { CliError, type CliIo } from "../io";
import { loadStack } from "./config";

/** The parts of Octokit the commands use. */
export type GitHubClient = Pick<Octokit, "request" | "paginate">;

export interface Repo {
  readonly owner: string;
  readonly repo: string;
}

export type ClientFactory = (io: CliIo) => Promise<GitHubClient>;

/** Octokit with the job's token (`GITHUB_TOKEN`, else `GH_TOKEN`); `@octokit/rest` is ESM-only, so it is loaded when first needed. */
export const defaultClientFactory: ClientFactory = async (io) => {
  const token = io.env.GITHUB_TOKEN || io.env.GH_TOKEN;
  if (!token) throw new CliError("neither GITHUB_TOKEN nor GH_TOKEN is set; in a workflow pass `env: GITHUB_TOKEN: ${{ github.token }}`.");
  const { Octokit: Client } = await import("@octokit/rest");
  return new Client({ auth: token, baseUrl: io.env.GITHUB_API_URL || "https://api.github.com", userAgent: "delivery-platform" });
};

export function repoFromEnv(io: CliIo): Repo {
  const full = io.env.GITHUB_REPOSITORY ?? "";
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(full);
  if (!m) throw new CliError(`GITHUB_REPOSITORY is "${full}"; expected OWNER/NAME (set by GitHub Actions).`);
  return { owner: m[1], repo: m[2] };
}

/**
 * The stack whose configuration IssueOps reads: `--stack` if given, else the committed stack
 * file with `manageRepository: true` (the one that commits the workflows), else the only one.
 */
export function resolveStack(io: CliIo, stack: string | undefined): StackConfig {
  if (stack) return loadStack(io, stack);
  const names = fs
    .readdirSync(io.cwd)
    .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
    .map((f) => f.slice("Pulumi.".length, -".yaml".length))
    .sort();
  const managing = names.filter((n) => {
    try {
      return readStackFile(io.cwd, n).config["delivery-platform:manageRepository"] === "true";
    } catch {
      return false;
    }
  });
  const chosen = managing.length === 1 ? managing[0] : names.length === 1 ? names[0] : undefined;
  if (!chosen) {
    throw new CliError(
      `Cannot tell which stack's configuration to read in ${path.resolve(io.cwd)} (stacks: ${names.join(", ") || "none"}; with manageRepository: ${managing.join(", ") || "none"}). Pass --stack NAME.`,
    );
  }
  return loadStack(io, chosen);
}

/** Appends `key=value` lines to a GITHUB_OUTPUT file; values must be single-line. */
export function writeOutputs(file: string | undefined, values: Record<string, string>): void {
  if (!file) return;
  const lines = Object.entries(values).map(([k, v]) => {
    if (/[\r\n]/.test(v)) throw new Error(`output ${k} must be a single line`);
    return `${k}=${v}\n`;
  });
  fs.appendFileSync(file, lines.join(""));
}

export function appendSummary(file: string | undefined, markdown: string): void {
  if (file) fs.appendFileSync(file, `${markdown}\n\n`);
}

function status(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "status" in err ? Number((err as { status: unknown }).status) : undefined;
}

/** The requester's permission as the API reports it (`role_name` distinguishes maintain and triage). */
export async function fetchPermission(gh: GitHubClient, repo: Repo, username: string): Promise<Permission> {
  try {
    const { data } = await gh.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", { ...repo, username });
    const role = (data as { role_name?: string }).role_name;
    const known: Permission[] = ["admin", "maintain", "write", "triage", "read", "none"];
    if (role && (known as string[]).includes(role)) return role as Permission;
    return (known as string[]).includes(data.permission) ? (data.permission as Permission) : "none";
  } catch (err) {
    if (status(err) === 404) return "none"; // not a collaborator
    throw err;
  }
}

export async function fetchPullRequest(gh: GitHubClient, repo: Repo, number: number): Promise<PullRequestFact & { labels: string[]; headRef: string; fixes: number[] }> {
  const { data } = await gh.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { ...repo, pull_number: number });
  return {
    number: data.number,
    state: data.state === "open" ? "open" : "closed",
    headSha: data.head.sha,
    headRef: data.head.ref,
    baseRef: data.base.ref,
    author: data.user.login,
    fromFork: data.head.repo?.full_name !== `${repo.owner}/${repo.repo}`,
    draft: data.draft === true,
    labels: data.labels.map((l) => l.name),
    // The failure issues it says it fixes: the fix passes the freeze (core/promotion/freeze.ts).
    fixes: fixedIssues(data.title, data.body),
  };
}

/** Check runs on a commit, newest first, with the app that reported each. Commit statuses are not read: anyone with write access can post one. */
export async function fetchChecks(gh: GitHubClient, repo: Repo, sha: string): Promise<CheckFact[]> {
  const runs = await gh.paginate("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { ...repo, ref: sha, per_page: 100 });
  return [...runs].sort((a, b) => b.id - a.id).map((r) => ({ name: r.name, status: r.status, conclusion: r.conclusion ?? null, appId: r.app?.id ?? null }));
}

/**
 * Required checks: the platform's own (preview per stack, docs), reported by GitHub Actions, plus
 * what the branch's rulesets require, each from the app its `integration_id` names (any app when
 * the ruleset names none).
 */
export async function fetchRequiredChecks(gh: GitHubClient, repo: Repo, cfg: StackConfig, branch: string): Promise<RequiredCheck[]> {
  const required = new Map<string, number | null>(requiredCheckNames(cfg).map((name) => [name, GITHUB_ACTIONS_APP_ID]));
  try {
    const rules = await gh.paginate("GET /repos/{owner}/{repo}/rules/branches/{branch}", { ...repo, branch, per_page: 100 });
    for (const rule of rules as { type: string; parameters?: { required_status_checks?: { context: string; integration_id?: number }[] } }[]) {
      if (rule.type !== "required_status_checks") continue;
      for (const c of rule.parameters?.required_status_checks ?? []) {
        // A name the platform requires keeps its app; a ruleset's own check keeps the ruleset's.
        if (!required.has(c.context) || required.get(c.context) === null) required.set(c.context, c.integration_id ?? null);
      }
    }
  } catch (err) {
    if (status(err) !== 404 && status(err) !== 403) throw err;
  }
  return [...required].map(([name, appId]) => ({ name, appId }));
}

type Actor = { login: string; type?: string } | null | undefined;
const accountType = (a: Actor): ReviewFact["type"] => (a?.type === "User" || a?.type === "Bot" || a?.type === "Organization" ? a.type : null);

/** When `sha` was last pushed to `branch` (the repository activity), or null when the activity does not show it. */
export async function fetchLastPushOf(gh: GitHubClient, repo: Repo, branch: string, sha: string): Promise<string | null> {
  try {
    const activity = await gh.paginate("GET /repos/{owner}/{repo}/activity", { ...repo, ref: `refs/heads/${branch}`, direction: "desc", per_page: 100 });
    const pushes = (activity as { after: string; timestamp: string }[]).filter((a) => a.after === sha).map((a) => a.timestamp);
    return pushes.length === 0 ? null : pushes.reduce((latest, t) => (Date.parse(t) > Date.parse(latest) ? t : latest));
  } catch (err) {
    if (status(err) === 404 || status(err) === 403 || status(err) === 422) return null;
    throw err;
  }
}

/**
 * The approval facts of one pull request, for its head commit: every reviewer's latest approving
 * review (with the reviewer's permission), and the approval label if it is on the PR now (who
 * applied it, when, and when the head was last pushed).
 */
export async function fetchApproval(gh: GitHubClient, repo: Repo, pr: { number: number; author: string; labels: readonly string[]; headSha: string; headRef: string }, label: string): Promise<ApprovalFact> {
  const reviews = (await gh.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", { ...repo, pull_number: pr.number, per_page: 100 })) as { user: Actor; state: string; commit_id: string | null }[];
  // GitHub's own rule: a reviewer's latest review that is not a comment is their verdict.
  const latest = new Map<string, { user: NonNullable<Actor>; state: string; commit_id: string | null }>();
  for (const r of reviews) if (r.user && r.state !== "COMMENTED" && r.state !== "PENDING") latest.set(r.user.login.toLowerCase(), { ...r, user: r.user });
  const approving: ReviewFact[] = [];
  for (const r of latest.values()) {
    if (r.state !== "APPROVED" || !r.commit_id) continue;
    approving.push({ login: r.user.login, type: accountType(r.user), permission: await fetchPermission(gh, repo, r.user.login), state: r.state, commitId: r.commit_id });
  }
  let labelFact: LabelFact | null = null;
  if (pr.labels.includes(label)) {
    const events = await gh.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/events", { ...repo, issue_number: pr.number, per_page: 100 });
    const labelled = (events as { event: string; label?: { name: string }; actor?: Actor; created_at: string }[]).filter((e) => e.event === "labeled" && e.label?.name === label);
    const last = labelled[labelled.length - 1];
    if (last?.actor) {
      labelFact = {
        login: last.actor.login,
        type: accountType(last.actor),
        permission: await fetchPermission(gh, repo, last.actor.login),
        appliedAt: last.created_at,
        headPushedAt: await fetchLastPushOf(gh, repo, pr.headRef, pr.headSha),
      };
    }
  }
  return { pullRequest: pr.number, pullRequestAuthor: pr.author, headSha: pr.headSha, reviews: approving, label: labelFact };
}

/** Full SHA of a commit-ish, or null when GitHub does not know it. */
export async function resolveCommit(gh: GitHubClient, repo: Repo, ref: string): Promise<string | null> {
  try {
    const { data } = await gh.request("GET /repos/{owner}/{repo}/commits/{ref}", { ...repo, ref });
    return data.sha;
  } catch (err) {
    if (status(err) === 404 || status(err) === 422) return null;
    throw err;
  }
}

/** Whether `sha` is on `branch` (the branch contains it: compare says ahead or identical). */
export async function isOnBranch(gh: GitHubClient, repo: Repo, sha: string, branch: string): Promise<boolean> {
  const { data } = await gh.request("GET /repos/{owner}/{repo}/compare/{basehead}", { ...repo, basehead: `${sha}...${branch}`, per_page: 1 });
  return data.status === "ahead" || data.status === "identical";
}

/** The merged PR into `branch` that brought `sha`, for approvals and checks of dispatched, pushed and rolled-back commits. */
export async function mergedPullRequestOf(gh: GitHubClient, repo: Repo, sha: string, branch: string) {
  const { data } = await gh.request("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", { ...repo, commit_sha: sha });
  const pr = data.find((p) => p.base.ref === branch && p.merged_at);
  return pr ? { number: pr.number, author: pr.user?.login ?? "", labels: pr.labels.map((l) => l.name), headSha: pr.head.sha, headRef: pr.head.ref, fixes: fixedIssues(pr.title, pr.body) } : undefined;
}

/** The promotion machine's report, read at most once per command. */
export type PromotionReader = () => Promise<PromotionReport>;

/** Reads the promotion facts from GitHub (as `delivery promote status` does) and evaluates them, once. */
export function promotionReader(gh: GitHubClient, repo: Repo, cfg: StackConfig): PromotionReader {
  let report: Promise<PromotionReport> | undefined;
  return () => (report ??= collectPromotionFacts(gh, repo, cfg.environments, { deployWorkflow: DEPLOY_WORKFLOW_FILE }).then((facts) => evaluatePromotion(cfg.environments, facts)));
}

/** Open issues labelled `deployment-failure`: the promotion freeze. */
export async function fetchFreeze(gh: GitHubClient, repo: Repo): Promise<GateFacts["freeze"]> {
  return (await collectFailureIssues(gh, repo)).filter((i) => i.state === "open").map((i) => ({ number: i.number, url: i.url }));
}

export async function postComment(gh: GitHubClient, repo: Repo, pr: number, body: string): Promise<void> {
  await gh.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...repo, issue_number: pr, body });
}
