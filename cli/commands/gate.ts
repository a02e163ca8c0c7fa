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
  evaluateGates,
  evaluatePromoteGates,
  evaluateUnlockGates,
  headStillAt,
  intentConfig,
  mayDeploy,
  recheckResult,
  requestingPerson,
  type ActDecision,
  type ApprovalFact,
  type Decision,
  type GateFacts,
  type GateResult,
  type Permission,
  type RequiredCheck,
} from "../../core/intent";
import { previewClientIdVariable } from "../../workflows";
import { CliError, type CliIo } from "../io";
import {
  appendSummary,
  defaultClientFactory,
  fetchApproval,
  fetchChecks,
  fetchFreeze,
  fetchPermission,
  fetchPullRequest,
  fetchRequiredChecks,
  isOnBranch,
  mergedPullRequestOf,
  postComment,
  promotionReader,
  repoFromEnv,
  resolveCommit,
  resolveStack,
  writeOutputs,
  type ClientFactory,
  type GitHubClient,
  type PromotionReader,
  type Repo,
} from "./github-client";

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
    case "unlock": {
      const result = evaluateUnlockGates(decision, { requesterPermission: await fetchPermission(gh, repo, decision.requestedBy) });
      return { decision, result, reply: result.success ? null : `❌ ${result.message}`, outputs: { ...base, proceed: String(result.success), environment: decision.environment } };
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
