/**
 * `delivery promote`: the promotion machine (core/promotion) from a shell or the promote workflow.
 *
 * - `status [--json]`: each environment's state, deployed and last known-good SHA, what blocks it,
 *   and a Mermaid diagram of the pipeline (Markdown for the job summary, or JSON);
 * - `next`: the machine's decision as JSON (and job outputs for the workflow);
 * - `act [--dry-run]`: performs that decision (failure issue, rollback, promotion PR, manual-test request);
 * - `facts`: prints the facts read from GitHub (what `--facts FILE` reads back);
 * - `verify-tree`: the deploy job proves, before `pulumi up`, that the commit it is about to deploy
 *   carries exactly the tree validated in the environment before (squash or rebase merges);
 * - `record start|finish`: the deploy job records the GitHub deployment of the commit it deploys
 *   (and, on success, the endpoint its outputs name, as the status's `environment_url`);
 * - `record export`: the validation job writes that record where `delivery validate` reads it;
 * - `check`: a validation job reports health/smoke/monitors as a commit status on the deployed SHA.
 *
 * The pipeline comes from the committed stack file (`--stack`, default `prod`: every stack holds the
 * same `environments`); GitHub is reached with `GITHUB_TOKEN` (or `GH_TOKEN`) for `GITHUB_REPOSITORY`
 * (else the config's `repository`). `--facts FILE` replaces the API reads with recorded facts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { FAILURE_CATEGORIES, type FailureCategory } from "../../core/classify";
import type { StackConfig } from "../../core/config";
import {
  collectPromotionFacts,
  evaluatePromotion,
  failureStatusDescription,
  performActions,
  PERFORMABLE,
  promotionFactsSchema,
  recordDeploymentFinish,
  recordDeploymentStart,
  reportValidation,
  automatedValidations,
  manualTestContext,
  renderMarkdown,
  renderMermaid,
  type ActionKind,
  type PromotionClient,
  type PromotionFacts,
  type PromotionReport,
  type RepoRef,
} from "../../core/promotion";
import { readDeploymentRecord } from "../../core/promotion/github-facts";
import { verifyPromotedTree } from "../../core/promotion/tree";
import { RESULTS_FILE, RESULTS_MAX_BYTES, validationOutcomes, validationRequestSchema, VALIDATION_ARTIFACT_PREFIX, type ResultsFile, type ValidationRequest } from "../../core/promotion/validation-results";
import { DEPLOYMENT_OUTPUTS_KEY, deploymentEnvironmentUrl, githubDeploymentRecordFile, type DeploymentEndpoints, type GitHubDeploymentRecord } from "../../core/validate";
import { checklistItems, gitBlobSha, signOffDescription, SIGNOFF_CHECKLIST } from "../../core/promotion/signoff";
import { DEPLOY_WORKFLOW_FILE } from "../../workflows/deploy";
import { CliError, type CliIo } from "../io";
import { loadStack } from "./config";
import { defaultClientFactory, type ClientFactory } from "./github-client";

const REPO = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

/** `GITHUB_REPOSITORY` where the command runs in Actions, else the stack config's `repository`. */
export function resolveRepo(io: CliIo, cfg: Pick<StackConfig, "repository">): RepoRef {
  const full = io.env.GITHUB_REPOSITORY || cfg.repository;
  const m = REPO.exec(full);
  if (!m) throw new CliError(`GITHUB_REPOSITORY is "${full.slice(0, 120)}"; expected OWNER/NAME`);
  return { owner: m[1], repo: m[2] };
}

interface Common {
  stack: string;
  facts?: string;
  history: string;
}

function readFacts(io: CliIo, file: string): PromotionFacts {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(io.cwd, file), "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = promotionFactsSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new CliError(`${file} does not hold promotion facts: ${first.path.join(".") || "(root)"}: ${first.message}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : ""}`);
  }
  return parsed.data;
}

function historyOf(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new CliError(`--history must be a whole number from 1 to 100, not "${value.slice(0, 20)}"`);
  return n;
}

function shaOf(value: string, option: string): string {
  if (!/^[0-9a-f]{40}$/.test(value)) throw new CliError(`${option} must be a full 40-character commit SHA, not "${value.slice(0, 60)}"`);
  return value;
}

interface Loaded {
  readonly cfg: StackConfig;
  readonly repo: RepoRef;
  readonly facts: PromotionFacts;
  readonly report: PromotionReport;
  client: PromotionClient | null;
}

async function load(io: CliIo, opts: Common, factory: ClientFactory, now: () => Date): Promise<Loaded> {
  const cfg = loadStack(io, opts.stack);
  const history = historyOf(opts.history);
  if (opts.facts) {
    const facts = readFacts(io, opts.facts);
    const m = REPO.exec(facts.repository);
    const repo = m ? { owner: m[1], repo: m[2] } : resolveRepo(io, cfg);
    return { cfg, repo, facts, report: evaluatePromotion(cfg.environments, facts), client: null };
  }
  const repo = resolveRepo(io, cfg);
  const client = await factory(io);
  const facts = await collectPromotionFacts(client, repo, cfg.environments, { history, deployWorkflow: DEPLOY_WORKFLOW_FILE, now });
  return { cfg, repo, facts, report: evaluatePromotion(cfg.environments, facts), client };
}

function appendFile(io: CliIo, file: string | undefined, text: string): void {
  if (file) fs.appendFileSync(path.resolve(io.cwd, file), text);
}

/** `key=value` lines for $GITHUB_OUTPUT; values are single-line JSON or words. */
export function nextOutputs(report: PromotionReport): Record<string, string> {
  const validate = report.actions.filter((a) => a.kind === "validate").map((a) => a.kind === "validate" && { environment: a.environment, sha: a.sha, deployment_id: a.deploymentId, checks: a.checks });
  return {
    actions: JSON.stringify(report.actions),
    has_actions: String(report.actions.some((a) => a.kind !== "validate")),
    validate: JSON.stringify(validate),
    frozen: String(report.frozenBy.length > 0),
  };
}

/** What `delivery promote next` prints. */
export function nextJson(report: PromotionReport) {
  return {
    repository: report.repository,
    now: report.now,
    frozen: report.frozenBy.length > 0,
    frozenBy: report.frozenBy,
    inFlight: report.inFlight,
    contradictions: report.contradictions,
    environments: report.environments.map((e) => ({ name: e.name, state: e.state, deployedSha: e.deployedSha, lastKnownGoodSha: e.lastKnownGoodSha, actions: e.actions })),
    actions: report.actions,
  };
}

function parseOnly(value: string | undefined): ActionKind[] | null {
  if (value === undefined) return null;
  const kinds = value.split(",").map((k) => k.trim()).filter((k) => k.length > 0);
  for (const k of kinds) {
    if (!(PERFORMABLE as readonly string[]).includes(k)) throw new CliError(`--only takes ${PERFORMABLE.join(", ")}; "${k.slice(0, 40)}" is not one of them`);
  }
  return kinds as ActionKind[];
}

export function registerPromote(program: Command, io: CliIo, factory: ClientFactory = defaultClientFactory, now: () => Date = () => new Date()): void {
  const promote = program.command("promote").description("promotion dev -> staging -> prod, derived from GitHub: status, the next decision, acting on it, recording deployments");
  const common = (c: Command) =>
    c
      .option("--stack <name>", "stack whose committed Pulumi.<name>.yaml holds the pipeline (every stack holds the same one)", "prod")
      .option("--facts <file>", "read recorded facts (the JSON `delivery promote facts` prints) instead of calling the GitHub API")
      .option("--history <n>", "deployments read per environment when looking for the last known-good commit", "10");

  common(promote.command("status").description("print each environment's state, deployed and last known-good SHA, what blocks it, and a Mermaid diagram"))
    .option("--json", "print the report as JSON (with the Mermaid source in `mermaid`)")
    .option("--summary <file>", "also append the Markdown report here (e.g. $GITHUB_STEP_SUMMARY)")
    .action(async (opts: Common & { json?: boolean; summary?: string }) => {
      const { report } = await load(io, opts, factory, now);
      const markdown = renderMarkdown(report);
      appendFile(io, opts.summary, `${markdown}\n`);
      io.stdout(opts.json ? `${JSON.stringify({ ...report, mermaid: renderMermaid(report) }, null, 2)}\n` : markdown);
    });

  common(promote.command("next").description("print the machine's decision as JSON: the actions to perform now, in order"))
    .option("--github-output <file>", "also write actions, has_actions, validate and frozen as step outputs (e.g. $GITHUB_OUTPUT)")
    .action(async (opts: Common & { githubOutput?: string }) => {
      const { report } = await load(io, opts, factory, now);
      if (opts.githubOutput) appendFile(io, opts.githubOutput, Object.entries(nextOutputs(report)).map(([k, v]) => `${k}=${v}\n`).join(""));
      io.stdout(`${JSON.stringify(nextJson(report), null, 2)}\n`);
    });

  common(promote.command("act").description("perform the decision: open the failure issue, request the rollback, open the promotion PR, ask for manual test sign-off"))
    .option("--dry-run", "print the requests without sending them")
    .option("--only <kinds>", `comma-separated subset of ${PERFORMABLE.join(", ")}`)
    .option("--run-url <url>", "the workflow run to link from what is created")
    .action(async (opts: Common & { dryRun?: boolean; only?: string; runUrl?: string }) => {
      const only = parseOnly(opts.only);
      const loaded = await load(io, opts, factory, now);
      const actions = loaded.report.actions.filter((a) => only === null || only.includes(a.kind));
      const client = opts.dryRun ? null : (loaded.client ?? (await factory(io)));
      const results = await performActions(client, loaded.repo, actions, { dryRun: Boolean(opts.dryRun), deployWorkflow: DEPLOY_WORKFLOW_FILE, runUrl: opts.runUrl || null });
      io.stdout(`${JSON.stringify({ dryRun: Boolean(opts.dryRun), results }, null, 2)}\n`);
      if (results.some((r) => r.status === "failed")) throw new CliError(`${results.filter((r) => r.status === "failed").map((r) => `${r.action.kind}: ${r.detail}`).join("; ")}`, 1);
    });

  common(promote.command("verify-tree").description("prove that --commit carries exactly the tree validated in the environment before --environment (run by the deploy job before `pulumi up`); exits 1 with the reason when it does not"))
    .requiredOption("--environment <name>", "the environment about to be deployed")
    .requiredOption("--commit <sha>", "the commit about to be deployed (40 hex characters)")
    .option("--github-output <file>", "also write ok, method, validated_commit and validated_in as step outputs (e.g. $GITHUB_OUTPUT)")
    .action(async (opts: Common & { environment: string; commit: string; githubOutput?: string }) => {
      const commit = shaOf(opts.commit, "--commit");
      const cfg = loadStack(io, opts.stack);
      if (!cfg.environments.some((e) => e.name === opts.environment)) throw new CliError(`--environment must be one of ${cfg.environments.map((e) => e.name).join(", ")}, not "${opts.environment.slice(0, 40)}"`);
      const loaded = await load(io, opts, factory, now);
      let client = loaded.client;
      const treeOf = async (sha: string) => {
        client ??= await factory(io);
        const { data } = await client.request("GET /repos/{owner}/{repo}/commits/{ref}", { ...loaded.repo, ref: sha });
        return data.commit.tree.sha;
      };
      const verdict = await verifyPromotedTree(loaded.cfg.environments, loaded.facts, opts.environment, commit, treeOf);
      if (opts.githubOutput) {
        const out = { ok: String(verdict.ok), method: verdict.method ?? "", validated_commit: verdict.validatedCommit ?? "", validated_in: verdict.validatedIn ?? "" };
        appendFile(io, opts.githubOutput, Object.entries(out).map(([k, v]) => `${k}=${v}\n`).join(""));
      }
      io.stdout(`${JSON.stringify(verdict, null, 2)}\n`);
      if (!verdict.ok) throw new CliError(`the promotion to ${opts.environment} stops: ${verdict.reason}`, 1);
    });

  common(promote.command("facts").description("print the facts read from GitHub as JSON (to inspect them, or to replay them with --facts)")).action(async (opts: Common) => {
    const { facts } = await load(io, opts, factory, now);
    io.stdout(`${JSON.stringify(facts, null, 2)}\n`);
  });

  promote
    .command("check")
    .description("report a validation (health, smoke, monitors) as a commit status on the deployed commit")
    .option("--stack <name>", "stack whose committed file holds the pipeline", "prod")
    .requiredOption("--commit <sha>", "the deployed commit (40 hex characters)")
    .requiredOption("--name <name>", 'the validation, e.g. "health (dev)"')
    .requiredOption("--state <state>", "pending, success or failure")
    .option("--description <text>", "one line shown next to the status", "")
    .option("--run-url <url>", "the run that validated")
    .action(async (opts: { stack: string; commit: string; name: string; state: string; description: string; runUrl?: string }) => {
      const cfg = loadStack(io, opts.stack);
      const sha = shaOf(opts.commit, "--commit");
      const names = cfg.environments.flatMap((e) => automatedValidations(cfg.environments, e.name));
      if (!names.includes(opts.name)) throw new CliError(`--name must be one of ${names.join(", ")}, not "${opts.name.slice(0, 60)}" (manual test sign-off comes from a reviewer, not from a job)`);
      if (opts.state !== "pending" && opts.state !== "success" && opts.state !== "failure") throw new CliError(`--state must be pending, success or failure, not "${opts.state.slice(0, 30)}"`);
      const client = await factory(io);
      await reportValidation(client, resolveRepo(io, cfg), { sha, name: opts.name, state: opts.state, description: opts.description || `${opts.name}: ${opts.state}`, runUrl: opts.runUrl || null });
      io.stdout(`${JSON.stringify({ commit: sha, name: opts.name, state: opts.state })}\n`);
    });

  promote
    .command("report-validations")
    .description(`post the validation job's outcomes as commit statuses, reading its results files (${VALIDATION_ARTIFACT_PREFIX}<environment>/${RESULTS_FILE} under --results) as data, for exactly the checks --validate asks for`)
    .option("--stack <name>", "stack whose committed file holds the pipeline", "prod")
    .requiredOption("--validate <json>", "the decide job's `validate` output: [{environment, sha, deployment_id, checks}]")
    .requiredOption("--results <dir>", "where the validation artifacts were downloaded")
    .option("--run-url <url>", "the run that validated")
    .action(async (opts: { stack: string; validate: string; results: string; runUrl?: string }) => {
      const cfg = loadStack(io, opts.stack);
      let requests: ValidationRequest[];
      try {
        requests = z.array(validationRequestSchema).parse(JSON.parse(opts.validate));
      } catch (err) {
        throw new CliError(`--validate must be the decide job's validate output, [{environment, sha, deployment_id, checks}]: ${err instanceof Error ? err.message.split("\n")[0].slice(0, 200) : err}`);
      }
      const allowed = new Set(cfg.environments.flatMap((e) => automatedValidations(cfg.environments, e.name)));
      for (const r of requests) {
        const unknown = r.checks.filter((name) => !allowed.has(name));
        if (!cfg.environments.some((e) => e.name === r.environment) || unknown.length > 0) throw new CliError(`--validate names ${unknown.length > 0 ? `checks that are not validations of the pipeline (${unknown.join(", ").slice(0, 80)})` : `an environment that is not in the pipeline ("${r.environment.slice(0, 40)}")`}`);
      }
      const resultsFile = (environment: string): ResultsFile => {
        const file = path.resolve(io.cwd, opts.results, `${VALIDATION_ARTIFACT_PREFIX}${environment}`, RESULTS_FILE);
        const stat = fs.lstatSync(file, { throwIfNoEntry: false });
        if (!stat) return undefined;
        // Written by untrusted code: only a regular file, and no more of it than the size limit allows.
        if (!stat.isFile()) return { problem: "the results file is not a regular file" };
        const fd = fs.openSync(file, "r");
        try {
          const buffer = Buffer.alloc(RESULTS_MAX_BYTES + 1);
          return buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString("utf8");
        } finally {
          fs.closeSync(fd);
        }
      };
      const outcomes = validationOutcomes(requests, resultsFile);
      for (const line of outcomes.unreported) io.stdout(`::warning::not reported, the machine asks again: ${line}\n`);
      if (outcomes.report.length === 0) return;
      const client = await factory(io);
      const repo = resolveRepo(io, cfg);
      for (const o of outcomes.report) {
        await reportValidation(client, repo, { sha: o.sha, name: o.name, state: o.state, description: `${o.name}: ${o.state}`, runUrl: opts.runUrl || null });
        io.stdout(`${JSON.stringify({ commit: o.sha, name: o.name, state: o.state })}\n`);
      }
    });

  promote
    .command("sign-off")
    .description(`a reviewer signs off (or rejects) manual testing of the deployed commit against ${SIGNOFF_CHECKLIST}, with their own token: posts the manual-test status that records who, on which commit, against which version of the checklist`)
    .option("--stack <name>", "stack whose committed file holds the pipeline", "prod")
    .requiredOption("--environment <name>", "the environment tested (one with manualTestApproval)")
    .requiredOption("--commit <sha>", "the deployed commit you tested (40 hex characters)")
    .option("--reject <what failed>", "reject instead of signing off, saying what failed")
    .action(async (opts: { stack: string; environment: string; commit: string; reject?: string }) => {
      const cfg = loadStack(io, opts.stack);
      const env = cfg.environments.find((e) => e.name === opts.environment);
      if (!env) throw new CliError(`--environment must be one of ${cfg.environments.map((e) => e.name).join(", ")}, not "${opts.environment.slice(0, 40)}"`);
      if (!env.manualTestApproval) throw new CliError(`${env.name} has no manual test sign-off (environments[${env.name}].manualTestApproval is false)`);
      const sha = shaOf(opts.commit, "--commit");
      if (opts.reject !== undefined && opts.reject.trim().length < 5) throw new CliError("--reject needs a few words on what failed (at least 5 characters)");
      let text: Buffer;
      try {
        text = fs.readFileSync(path.resolve(io.cwd, SIGNOFF_CHECKLIST));
      } catch {
        throw new CliError(`${SIGNOFF_CHECKLIST} is missing: run this from the repository root (the checklist is kept in the repository)`);
      }
      const items = checklistItems(text.toString("utf8")).length;
      if (items === 0) throw new CliError(`${SIGNOFF_CHECKLIST} lists no items ("- [ ] ..." lines); a sign-off must be against a checklist`);
      const signOff = { checklist: SIGNOFF_CHECKLIST, version: gitBlobSha(text).slice(0, 12), items };
      const repo = resolveRepo(io, cfg);
      const description = signOffDescription(signOff, opts.reject ?? null);
      const checklistUrl = `${io.env.GITHUB_SERVER_URL || "https://github.com"}/${repo.owner}/${repo.repo}/blob/${sha}/${SIGNOFF_CHECKLIST}`;
      const client = await factory(io);
      const state = opts.reject === undefined ? "success" : "failure";
      await reportValidation(client, repo, { sha, name: manualTestContext(env.name), state, description, runUrl: checklistUrl });
      io.stdout(`${JSON.stringify({ environment: env.name, commit: sha, state, context: manualTestContext(env.name), description, checklist: checklistUrl })}\n`);
    });

  const record = promote.command("record").description("record the GitHub deployment of the commit a deploy job deploys (the facts the machine reads)");
  record
    .command("start")
    .description("create the deployment for --commit in --environment and mark it in progress; prints {deploymentId}")
    .option("--stack <name>", "stack whose committed file holds the pipeline", "prod")
    .requiredOption("--environment <name>", "environment deployed")
    .requiredOption("--commit <sha>", "the commit actually deployed (40 hex characters)")
    .option("--rollback", "this deployment is a rollback")
    .option("--run-url <url>", "the deploy run")
    .option("--requested-by <login>", "who asked for it")
    .option("--validated-commit <sha>", "a promotion: the commit validated in the environment before, whose tree `verify-tree` proved --commit carries (recorded with the deployment)")
    .option("--github-output <file>", "also write deployment_id as a step output")
    .action(async (opts: { stack: string; environment: string; commit: string; rollback?: boolean; runUrl?: string; requestedBy?: string; validatedCommit?: string; githubOutput?: string }) => {
      const cfg = loadStack(io, opts.stack);
      const index = cfg.environments.findIndex((e) => e.name === opts.environment);
      if (index < 0) throw new CliError(`--environment must be one of ${cfg.environments.map((e) => e.name).join(", ")}, not "${opts.environment.slice(0, 40)}"`);
      const sha = shaOf(opts.commit, "--commit");
      let promotedFrom: { environment: string; sha: string } | null = null;
      if (opts.validatedCommit) {
        if (index === 0) throw new CliError(`--validated-commit names the commit validated in the environment before; ${opts.environment} is the first environment and has none`);
        if (opts.rollback) throw new CliError("--validated-commit is for promotions; a rollback redeploys a commit this environment ran before");
        promotedFrom = { environment: cfg.environments[index - 1].name, sha: shaOf(opts.validatedCommit, "--validated-commit") };
      }
      const client = await factory(io);
      const { id } = await recordDeploymentStart(client, resolveRepo(io, cfg), {
        promotedFrom,
        environment: opts.environment,
        sha,
        rollback: Boolean(opts.rollback),
        production: index === cfg.environments.length - 1,
        runUrl: opts.runUrl || null,
        requestedBy: opts.requestedBy || null,
      });
      if (opts.githubOutput) appendFile(io, opts.githubOutput, `deployment_id=${id}\n`);
      io.stdout(`${JSON.stringify({ deploymentId: id, ...(promotedFrom ? { promotedFrom } : {}) })}\n`);
    });
  record
    .command("finish")
    .description("post the deployment's final status; a failure's description carries the failure class from `delivery classify`")
    .option("--stack <name>", "stack whose committed file holds the pipeline", "prod")
    .requiredOption("--deployment-id <id>", "what `record start` printed")
    .requiredOption("--result <result>", "success or failure")
    .option("--classify <file>", "the JSON `delivery classify` printed for the failed output")
    .option("--run-url <url>", "the deploy run")
    .option("--stack-outputs <file>", `on success: \`pulumi stack output --json\` of the deployed stack; the first endpoint its ${DEPLOYMENT_OUTPUTS_KEY} name is recorded as the status's environment_url, which the promote workflow's checks call`)
    .action(async (opts: { stack: string; deploymentId: string; result: string; classify?: string; runUrl?: string; stackOutputs?: string }) => {
      const cfg = loadStack(io, opts.stack);
      const id = deploymentIdOf(opts.deploymentId);
      if (opts.result !== "success" && opts.result !== "failure") throw new CliError(`--result must be success or failure, not "${opts.result.slice(0, 30)}"`);
      let environmentUrl: string | null = null;
      const notes: string[] = [];
      if (opts.stackOutputs !== undefined && opts.result === "success") {
        const chosen = deploymentEnvironmentUrl(templateOutputsOf(io, opts.stackOutputs));
        if ("problem" in chosen) notes.push(`no environment_url recorded: ${chosen.problem}`);
        else {
          environmentUrl = chosen.url;
          notes.push(`environment_url ${chosen.url} (from ${chosen.source})`);
          if (chosen.notRecorded.length > 0) notes.push(`GitHub keeps one URL per deployment status: ${chosen.notRecorded.join(", ")} not recorded (configure healthEndpoints to check every endpoint)`);
        }
      }
      let description = "Deployed";
      if (opts.result === "failure") {
        let category: FailureCategory = "unknown";
        let kind: string | null = null;
        let reason = "the deployment failed; no classification was recorded";
        const file = opts.classify ? path.resolve(io.cwd, opts.classify) : null;
        if (file && fs.existsSync(file)) {
          try {
            const c = JSON.parse(fs.readFileSync(file, "utf8")) as { category?: unknown; kind?: unknown; reason?: unknown };
            if (typeof c.category === "string" && (FAILURE_CATEGORIES as readonly string[]).includes(c.category)) category = c.category as FailureCategory;
            if (typeof c.kind === "string" && /^[A-Za-z0-9_.-]{1,60}$/.test(c.kind)) kind = c.kind;
            if (typeof c.reason === "string" && c.reason.trim() !== "") reason = c.reason;
          } catch {
            reason = `${opts.classify} is not the JSON \`delivery classify\` prints`;
          }
        }
        description = failureStatusDescription(category, kind, reason);
      }
      const client = await factory(io);
      await recordDeploymentFinish(client, resolveRepo(io, cfg), { deploymentId: id, state: opts.result, description, runUrl: opts.runUrl || null, environmentUrl });
      io.stdout(`${JSON.stringify({ deploymentId: id, state: opts.result, description, ...(opts.stackOutputs !== undefined && opts.result === "success" ? { environmentUrl, notes } : {}) })}\n`);
    });
  record
    .command("export")
    .description(
      "write what GitHub records of a successful deployment (commit, environment_url) as a record file `delivery validate` reads from --audit-dir: the promote workflow's trusted step, for checks running on a runner that did not deploy",
    )
    .option("--stack <name>", "stack whose committed file holds the pipeline", "prod")
    .requiredOption("--deployment-id <id>", "the deployment the machine asks to validate")
    .requiredOption("--environment <name>", "its environment")
    .requiredOption("--commit <sha>", "its commit (40 hex characters)")
    .requiredOption("--dir <dir>", "where to write github-deployment-<id>.json (created if missing); pass it to the checks as DELIVERY_AUDIT_DIR")
    .action(async (opts: { stack: string; deploymentId: string; environment: string; commit: string; dir: string }) => {
      const cfg = loadStack(io, opts.stack);
      if (!cfg.environments.some((e) => e.name === opts.environment)) throw new CliError(`--environment must be one of ${cfg.environments.map((e) => e.name).join(", ")}, not "${opts.environment.slice(0, 40)}"`);
      const want = { deploymentId: deploymentIdOf(opts.deploymentId), environment: opts.environment, sha: shaOf(opts.commit, "--commit") };
      const client = await factory(io);
      let record: GitHubDeploymentRecord;
      try {
        record = await readDeploymentRecord(client, resolveRepo(io, cfg), want);
      } catch (err) {
        throw new CliError(`cannot export deployment ${want.deploymentId}: ${(err as Error).message}`, 1);
      }
      const dir = path.resolve(io.cwd, opts.dir);
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, githubDeploymentRecordFile(record.deploymentId));
      fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
      io.stdout(`${JSON.stringify({ file: path.relative(io.cwd, file) || file, record })}\n`);
    });
}

/** The deployment's template outputs from `pulumi stack output --json` (the stack output `DEPLOYMENT_OUTPUTS_KEY`), or why they cannot be read. */
function templateOutputsOf(io: CliIo, file: string): DeploymentEndpoints {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(path.resolve(io.cwd, file), "utf8"));
  } catch (err) {
    return { problem: `${file} is not readable JSON (\`pulumi stack output --json\`): ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}` };
  }
  const outputs = (json as Record<string, unknown> | null)?.[DEPLOYMENT_OUTPUTS_KEY];
  if (outputs === null || typeof outputs !== "object" || Array.isArray(outputs)) return { problem: `${file} has no object ${DEPLOYMENT_OUTPUTS_KEY} (the stack output of the Bicep deployment's outputs)` };
  return { recordName: `the stack output ${DEPLOYMENT_OUTPUTS_KEY}`, outputs: outputs as Record<string, unknown> };
}

function deploymentIdOf(text: string): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id <= 0) throw new CliError(`--deployment-id must be a deployment id (a positive whole number), not "${text.slice(0, 30)}"`);
  return id;
}
