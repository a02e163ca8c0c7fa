/**
 * `delivery gate`: asks the GitHub API for the facts the deploy gates need, at the moment the
 * command is read, and evaluates them with `core/intent/gates.ts`. Writes the decision as job
 * outputs, a job summary, and (with `--post`) a reply on the pull request.
 *
 * `delivery gate --recheck --intent FILE --commit SHA` runs right before `pulumi up`: it gathers
 * every fact again and evaluates every gate again (permission, PR head, draft, checks, the approval
 * of the exact commit, the freeze), and refuses unless they still pass for that very commit. The
 * older `--recheck --pr N --commit SHA` checks only that the pull request did not move.
 *
 * With the promotion machine (core/promotion): `deploy` reads the open `deployment-failure`
 * issues (the freeze); `/rollback <env>` without a SHA reads the machine's report for the
 * environment's last known-good commit; `/promote <from> <to>` reads it to check that the machine
 * asks for exactly that promotion, and replies with what blocks it otherwise.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import type { EnvironmentConfig, StackConfig } from "../../core/config";
import { gateReplyBody } from "../../core/comment";
import {
  GITHUB_ACTIONS_APP_ID,
  evaluateGates,
  evaluatePromoteGates,
  headStillAt,
  intentConfig,
  isBotLogin,
  mayDeploy,
  recheckResult,
  requestingPerson,
  type ActDecision,
  type ApprovalFact,
  type CheckFact,
  type Decision,
  type GateFacts,
  type GateResult,
  type LabelFact,
  type Permission,
  type PullRequestFact,
  type RequiredCheck,
  type ReviewFact,
} from "../../core/intent";
import { collectFailureIssues, collectPromotionFacts, evaluatePromotion, type PromotionReport } from "../../core/promotion";
import { DEPLOY_WORKFLOW_FILE, previewClientIdVariable, requiredCheckNames } from "../../workflows";
import { CliError, type CliIo } from "../main";
import { appendSummary, defaultClientFactory, repoFromEnv, resolveStack, writeOutputs, type ClientFactory, type GitHubClient, type Repo } from "./github-client";
import { fixedIssues } from "../../core/promotion/freeze";

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

/** Gathers every fact the gates need for one decision. */
export async function gatherFacts(gh: GitHubClient, repo: Repo, cfg: StackConfig, env: EnvironmentConfig, d: ActDecision, readPromotion: PromotionReader = promotionReader(gh, repo, cfg)): Promise<GateFacts> {
  // A bot (the promotion machine's rollback dispatch) is checked through the person it names; the
  // collaborator API knows no bots, and a bot naming nobody is refused by the gates.
  const person = requestingPerson(d);
  const requesterPermission: Permission = person === null ? "none" : await fetchPermission(gh, repo, person);
  let pullRequest: Awaited<ReturnType<typeof fetchPullRequest>> | null = null;
  if (d.pullRequest !== null) pullRequest = await fetchPullRequest(gh, repo, d.pullRequest);

  let target: string | null = null;
  let targetOnBranch: boolean | null = null;
  let branch = env.branch;
  let lastKnownGood: GateFacts["lastKnownGood"] = null;
  let merged: Awaited<ReturnType<typeof mergedPullRequestOf>> = undefined;
  if (d.action === "rollback") {
    if (d.commit) target = await resolveCommit(gh, repo, d.commit);
    else {
      const report = (await readPromotion()).environments.find((e) => e.name === env.name);
      lastKnownGood = { sha: report?.lastKnownGoodSha ?? null, deployedSha: report?.deployedSha ?? null, state: report?.state ?? "idle" };
      target = lastKnownGood.sha;
    }
    if (target) targetOnBranch = await isOnBranch(gh, repo, target, env.branch);
  } else if (d.source === "push") {
    target = d.commit;
    if (target) {
      targetOnBranch = await isOnBranch(gh, repo, target, env.branch);
      merged = await mergedPullRequestOf(gh, repo, target, env.branch);
    }
  } else if (d.source === "dispatch") {
    branch = (d.ref ?? "").replace(/^refs\/(heads|tags)\//, "");
    target = d.commit ? await resolveCommit(gh, repo, d.commit) : await resolveCommit(gh, repo, d.ref ?? "");
    if (target && d.commit) targetOnBranch = await isOnBranch(gh, repo, target, branch);
  } else if (pullRequest) {
    target = pullRequest.headSha;
    branch = pullRequest.baseRef;
  }

  // A push is checked where the rulesets checked it before the merge: on the merged pull request's head.
  const checked = d.source === "push" ? (merged?.headSha ?? null) : target;
  const needsChecks = d.action !== "preview" && checked !== null;
  const requiredChecks: RequiredCheck[] = needsChecks ? await fetchRequiredChecks(gh, repo, cfg, branch) : [];
  const checks = needsChecks && checked ? await fetchChecks(gh, repo, checked) : [];

  let approval: ApprovalFact | null = null;
  if (env.requireApprovalLabel && d.action !== "preview") {
    // The approval belongs to the commit: a PR deployment's own PR; for a rollback, a push or a
    // dispatch, the merged PR that brought the commit (never the PR a rollback comment is on).
    const carrier = d.action === "deploy" && pullRequest ? pullRequest : (merged ?? (target ? await mergedPullRequestOf(gh, repo, target, env.branch) : undefined));
    approval = carrier
      ? await fetchApproval(gh, repo, carrier, cfg.github.approvalLabel)
      : { pullRequest: null, pullRequestAuthor: null, headSha: null, reviews: [], label: null };
  }
  const freeze = d.action === "deploy" ? await fetchFreeze(gh, repo) : [];
  const mergedPullRequest = merged ? { number: merged.number, headSha: merged.headSha } : null;
  const fixes = (d.action === "deploy" && pullRequest ? pullRequest.fixes : merged?.fixes) ?? [];
  return { requesterPermission, pullRequest, target, targetOnBranch, requiredChecks, checks, approval, freeze, fixes, lastKnownGood, mergedPullRequest };
}

export interface GateOutcome {
  readonly decision: Decision;
  readonly result: GateResult | null;
  /** Markdown to post on the PR, if any. */
  readonly reply: string | null;
  readonly outputs: Record<string, string>;
}

/**
 * Evaluates the gates of one decision and builds the job outputs and the reply. `readPromotion`
 * is the promotion machine's report (read from GitHub unless a test hands one in).
 */
export async function runGate(gh: GitHubClient, repo: Repo, cfg: StackConfig, decision: Decision, readPromotion: PromotionReader = promotionReader(gh, repo, cfg)): Promise<GateOutcome> {
  const base = {
    proceed: "false",
    action: decision.action,
    environment: "",
    from: "",
    commit: "",
    pr: decision.pullRequest === null ? "" : String(decision.pullRequest),
    requested_by: decision.requestedBy ?? "",
    preview_client_id_variable: "",
  };
  switch (decision.action) {
    case "none":
      return { decision, result: null, reply: decision.reply, outputs: base };
    case "help":
      return { decision, result: null, reply: decision.reply, outputs: base };
    case "promote": {
      const requesterPermission = await fetchPermission(gh, repo, decision.requestedBy);
      // Someone who may not promote gets the refusal without the pipeline's state.
      const promotion = mayDeploy(requesterPermission) ? await readPromotion() : null;
      const result = evaluatePromoteGates(decision, cfg.environments.map((e) => e.name), { requesterPermission, promotion });
      const outputs = { ...base, proceed: String(result.success), environment: decision.to, from: decision.from, commit: result.commit ?? "" };
      return { decision, result, reply: result.success ? null : `❌ ${result.message}`, outputs };
    }
    default: {
      const env = cfg.environments.find((e) => e.name === decision.environment);
      if (!env) throw new CliError(`environment ${decision.environment} is not configured`); // decideIntent checked this already
      const facts = await gatherFacts(gh, repo, cfg, env, decision, readPromotion);
      const result = evaluateGates(decision, { ...env, firstEnvironment: cfg.environments[0].name }, facts, cfg.github.approvalLabel);
      const outputs = {
        ...base,
        proceed: String(result.success),
        environment: env.name,
        commit: result.commit ?? "",
        preview_client_id_variable: previewClientIdVariable(env.name),
      };
      return { decision, result, reply: result.success ? null : `❌ ${result.message}`, outputs };
    }
  }
}

export async function postComment(gh: GitHubClient, repo: Repo, pr: number, body: string): Promise<void> {
  await gh.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...repo, issue_number: pr, body });
}

/** The decision `delivery intent` wrote; nothing else is taken from the file, and its environment must still be configured. */
function readDecision(io: CliIo, cfg: StackConfig, file: string): Decision {
  const decision = JSON.parse(fs.readFileSync(path.resolve(io.cwd, file), "utf8")) as Decision;
  if ("environment" in decision && !intentConfig(cfg).environments.includes(decision.environment)) throw new CliError(`intent names unknown environment ${decision.environment}`);
  return decision;
}

function summaryOf(outcome: GateOutcome): string {
  const d = outcome.decision;
  const lines = ["### IssueOps decision", "", "```json", JSON.stringify(d, null, 2).replace(/```/g, "'''"), "```"];
  if (outcome.result) {
    lines.push("", outcome.result.success ? `✅ ${outcome.result.message}` : outcome.result.message.replace(/\n/g, "\n\n"));
  }
  return lines.join("\n");
}

export function registerGate(program: Command, io: CliIo, clientFactory: ClientFactory = defaultClientFactory): void {
  program
    .command("gate")
    .description("check an IssueOps decision against the GitHub API (permission, PR head, required checks, prod approval, the promotion freeze, last known-good rollbacks, /promote) and write job outputs; --recheck evaluates every gate again right before deploying")
    .option("--intent <file>", "the JSON printed by `delivery intent`")
    .option("--stack <name>", "stack file to read (default: the one with manageRepository: true)")
    .option("--github-output <file>", "append outputs here (e.g. $GITHUB_OUTPUT)")
    .option("--summary <file>", "append a markdown summary here (e.g. $GITHUB_STEP_SUMMARY)")
    .option("--run-url <url>", "link to the workflow run, for replies", "")
    .option("--post", "post the reply (help, refusal, parse error) on the pull request")
    .option("--recheck", "right before deploying: evaluate every gate of --intent again and require --commit (or, with --pr, only that the pull request is still open at --commit)")
    .option("--pr <number>", "pull request number (with --recheck, without --intent)")
    .option("--commit <sha>", "the commit the deployment was started for (with --recheck)")
    .action(async (opts: { intent?: string; stack?: string; githubOutput?: string; summary?: string; runUrl: string; post?: boolean; recheck?: boolean; pr?: string; commit?: string }) => {
      const repo = repoFromEnv(io);
      const gh = await clientFactory(io);
      if (opts.recheck && opts.intent) {
        if (!/^[0-9a-f]{40}$/.test(opts.commit ?? "")) throw new CliError(`--recheck needs --commit <40-hex SHA>, the commit the deployment was started for; received ${JSON.stringify(opts.commit ?? "")}`);
        const cfg = resolveStack(io, opts.stack);
        const decision = readDecision(io, cfg, opts.intent);
        if (decision.action !== "deploy" && decision.action !== "rollback") throw new CliError(`--recheck is for deployments and rollbacks; the intent's action is ${decision.action}`);
        const outcome = await runGate(gh, repo, cfg, decision);
        const result = recheckResult(opts.commit!, outcome.result!);
        appendSummary(opts.summary, `### Re-checked before deploying\n\n${result.success ? `✅ ${result.message}` : result.message.replace(/\n/g, "\n\n")}`);
        if (!result.success) {
          if (opts.post && decision.pullRequest !== null) await postComment(gh, repo, decision.pullRequest, gateReplyBody(`❌ ${result.message}`, opts.runUrl));
          io.stdout(`${JSON.stringify({ proceed: false, commit: opts.commit, failed_checks: result.failed_checks })}\n`);
          throw new CliError(result.message, 1);
        }
        io.stdout(`${JSON.stringify({ proceed: true, commit: opts.commit, failed_checks: [] })}\n`);
        return;
      }
      if (opts.recheck) {
        const pr = Number(opts.pr);
        if (!Number.isSafeInteger(pr) || pr <= 0 || !/^[0-9a-f]{40}$/.test(opts.commit ?? "")) throw new CliError("--recheck needs --pr NUMBER and --commit <40-hex SHA>");
        const failure = headStillAt(opts.commit!, await fetchPullRequest(gh, repo, pr));
        if (failure) {
          if (opts.post) await postComment(gh, repo, pr, gateReplyBody(`❌ ${failure.message}`, opts.runUrl));
          throw new CliError(failure.message, 1);
        }
        io.stdout(`#${pr} is still at ${opts.commit}\n`);
        return;
      }
      if (!opts.intent) throw new CliError("--intent FILE is required (or --recheck)");
      const cfg = resolveStack(io, opts.stack);
      const decision = readDecision(io, cfg, opts.intent);
      const outcome = await runGate(gh, repo, cfg, decision);
      writeOutputs(opts.githubOutput, outcome.outputs);
      appendSummary(opts.summary, summaryOf(outcome));
      if (opts.post && outcome.reply && decision.pullRequest !== null) await postComment(gh, repo, decision.pullRequest, gateReplyBody(outcome.reply, opts.runUrl));
      io.stdout(`${JSON.stringify({ ...outcome.outputs, proceed: outcome.outputs.proceed === "true", failed_checks: outcome.result?.failed_checks ?? [] })}\n`);
    });
}
