/**
 * `delivery pr-comment`: builds the preview and deploy comments (`core/comment.ts`) from the files
 * a job produced, posts them on the pull request and appends them to the job summary. Comments
 * are posted through the API with the job's token; no comment text ever passes through a shell.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import {
  commentMarker,
  deployEndBody,
  deployStartBody,
  findMarkedComment,
  parseResourceSummary,
  previewCommentBody,
  previewOutcome,
  readStaleDocs,
  whatIfSection,
  type DeployEndInput,
  type ExistingComment,
} from "../../core/comment";
import { isAccountLogin } from "../../core/github-login";
import { CliError, type CliIo } from "../io";
import { appendSummary, defaultClientFactory, repoFromEnv, type ClientFactory, type GitHubClient, type Repo } from "./github-client";

/** The account the job's token comments as; only its comments are ever edited. */
export const DEFAULT_COMMENT_AUTHOR = "github-actions[bot]";

/** Creates the comment carrying `marker`, or edits the one this author already posted. Returns its id. */
export async function upsertComment(gh: GitHubClient, repo: Repo, pr: number, marker: string, body: string, author: string): Promise<{ id: number; updated: boolean }> {
  const comments = (await gh.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...repo, issue_number: pr, per_page: 100 })) as ExistingComment[];
  const existing = findMarkedComment(comments, marker, author);
  if (existing) {
    await gh.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", { ...repo, comment_id: existing.id, body });
    return { id: existing.id, updated: true };
  }
  const { data } = await gh.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...repo, issue_number: pr, body });
  return { id: Number(data.id), updated: false };
}

export function readIfExists(io: CliIo, file: string | undefined): string {
  if (!file) return "";
  const full = path.resolve(io.cwd, file);
  return fs.existsSync(full) ? fs.readFileSync(full, "utf8") : "";
}

/** Every `<deployment>.json` in `dir`, by name; a missing directory is no what-if at all (nothing changed). */
export function readSavedWhatIfs(io: CliIo, dir: string): { name: string; text: string }[] {
  const full = path.resolve(io.cwd, dir);
  if (!fs.existsSync(full)) return [];
  return fs
    .readdirSync(full)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f.slice(0, -".json".length), text: fs.readFileSync(path.join(full, f), "utf8") }));
}

function parsePr(value: string | undefined): number | null {
  if (value === undefined || value === "") return null;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`--pr must be a pull request number, not "${value}"`);
  return n;
}

function sha(value: string): string {
  if (!/^[0-9a-f]{7,40}$/.test(value)) throw new CliError(`--commit must be a commit SHA, not "${value.slice(0, 60)}"`);
  return value;
}

function stackName(value: string): string {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(value)) throw new CliError(`--stack must be an environment name, not "${value.slice(0, 60)}"`);
  return value;
}

interface Common {
  pr?: string;
  runUrl: string;
  summary?: string;
  author: string;
}

export function registerPrComment(program: Command, io: CliIo, clientFactory: ClientFactory = defaultClientFactory): void {
  const cmd = program.command("pr-comment").description("build and post the preview and deployment comments on a pull request (and the job summary)");
  const common = (c: Command) =>
    c
      .option("--pr <number>", "pull request to comment on; empty or absent: only print and summarise")
      .option("--run-url <url>", "link to the workflow run", "")
      .option("--summary <file>", "also append the body here (e.g. $GITHUB_STEP_SUMMARY)")
      .option("--author <login>", "the account the token comments as", DEFAULT_COMMENT_AUTHOR);

  const deliver = async (opts: Common, body: string, marker: string | null) => {
    appendSummary(opts.summary, body);
    const pr = parsePr(opts.pr);
    if (pr === null) {
      io.stdout(`${body}\n`);
      return;
    }
    const gh = await clientFactory(io);
    const repo = repoFromEnv(io);
    if (marker) {
      const { id, updated } = await upsertComment(gh, repo, pr, marker, body, opts.author);
      io.stdout(`${updated ? "updated" : "created"} comment ${id} on #${pr}\n`);
    } else {
      await gh.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...repo, issue_number: pr, body });
      io.stdout(`commented on #${pr}\n`);
    }
  };

  common(cmd.command("preview").description("the per-stack preview comment, updated in place"))
    .requiredOption("--stack <name>", "the stack previewed")
    .requiredOption("--exit-code <n>", "exit code of pulumi preview")
    .requiredOption("--commit <sha>", "the commit previewed")
    .option("--log <file>", "pulumi preview output")
    .option("--whatif <file>", "markdown from `delivery whatif --format markdown`, one block per deployment")
    .option("--whatif-dir <dir>", "the raw what-ifs the preview saved (DELIVERY_WHATIF_DIR), one <deployment>.json each: a headline with the counts and a table per deployment")
    .option("--whatif-artifact <name>", "the run artifact holding the full what-ifs, named where rows are left out to fit")
    .option("--graft <file>", "JSON from `delivery graft-status --json`")
    .action(async (opts: Common & { stack: string; exitCode: string; commit: string; log?: string; whatif?: string; whatifDir?: string; whatifArtifact?: string; graft?: string }) => {
      const log = readIfExists(io, opts.log);
      const whatifText = readIfExists(io, opts.whatif).trim();
      const section = opts.whatifDir ? whatIfSection(readSavedWhatIfs(io, opts.whatifDir), { fullWhatIfAt: opts.whatifArtifact ? `the run's artifact \`${opts.whatifArtifact}\`` : undefined }) : undefined;
      let stale: ReturnType<typeof readStaleDocs> = null;
      try {
        stale = readStaleDocs(JSON.parse(readIfExists(io, opts.graft) || "null"));
      } catch {
        stale = null;
      }
      const exitCode = Number.parseInt(opts.exitCode, 10);
      const body = previewCommentBody({
        stack: stackName(opts.stack),
        outcome: previewOutcome(Number.isNaN(exitCode) ? 1 : exitCode, log),
        commit: sha(opts.commit),
        runUrl: opts.runUrl,
        whatif: section ? section.blocks : whatifText === "" ? [] : whatifText.split("<!-- end -->").map((s) => s.trim()).filter((s) => s !== ""),
        ...(section ? { whatifHeadline: section.headline } : {}),
        staleDocs: stale,
        log,
        counts: parseResourceSummary(log),
      });
      await deliver(opts, body, commentMarker("preview", opts.stack));
    });

  const deployOptions = (c: Command) =>
    common(c)
      .requiredOption("--action <action>", "deploy or rollback")
      .requiredOption("--stack <name>", "the stack deployed")
      .requiredOption("--commit <sha>", "the commit deployed")
      .requiredOption("--requested-by <login>", "who asked");
  const deployInput = (opts: { action: string; stack: string; commit: string; requestedBy: string; runUrl: string }) => {
    if (opts.action !== "deploy" && opts.action !== "rollback") throw new CliError(`--action must be deploy or rollback, not "${opts.action.slice(0, 30)}"`);
    if (!isAccountLogin(opts.requestedBy)) throw new CliError(`--requested-by must be a GitHub login (a user, or an App's name[bot]), not "${opts.requestedBy.slice(0, 60)}"`);
    return { action: opts.action, environment: stackName(opts.stack), commit: sha(opts.commit), requestedBy: opts.requestedBy, runUrl: opts.runUrl } as const;
  };

  // A job's reply to a command (`/promote`, `/unlock`): the text a step wrote, a default when the
  // step died before writing it, and the link to the run.
  common(cmd.command("reply").description("reply to an IssueOps command with the text a step wrote (or --fallback when it wrote none), linking the run"))
    .requiredOption("--body-file <file>", "the reply, in Markdown (missing or empty: --fallback)")
    .requiredOption("--fallback <text>", "the reply when the body file is missing or empty (the step that writes it failed first)")
    .action(async (opts: Common & { bodyFile: string; fallback: string }) => {
      const text = readIfExists(io, opts.bodyFile).trim() || opts.fallback.trim();
      if (!text) throw new CliError("--fallback must not be empty: it is the reply when the step that writes --body-file failed first");
      await deliver(opts, opts.runUrl ? `${text}\n\n<sub>[workflow run](${opts.runUrl})</sub>\n` : `${text}\n`, null);
    });

  deployOptions(cmd.command("deploy-start").description("the comment posted when a deployment starts")).action(
    async (opts: Common & { action: string; stack: string; commit: string; requestedBy: string }) => {
      await deliver(opts, deployStartBody(deployInput(opts)), null);
    },
  );

  deployOptions(cmd.command("deploy-end").description("the comment posted when a deployment ends: counts and duration, retries, or the failure class and next step"))
    .requiredOption("--result <result>", "success, failure or cancelled")
    .option("--attempts <n>", "attempts of pulumi up", "1")
    .option("--duration <seconds>", "seconds the deployment took", "0")
    .option("--log <file>", "output of the last pulumi up")
    .option("--classify <file>", "`delivery classify` output for the last failure")
    .option("--ended-before-recheck", "the deploy job ended before it re-checked the gates (--result is its result): nothing was recorded, and the comment says so")
    .option("--tree-verdict <file>", "`delivery promote verify-tree` output: when it refused the commit, the deployment stopped before `pulumi up` and the comment says why")
    .action(async (opts: Common & { action: string; stack: string; commit: string; requestedBy: string; result: string; attempts: string; duration: string; log?: string; classify?: string; treeVerdict?: string; endedBeforeRecheck?: boolean }) => {
      const result: DeployEndInput["result"] = opts.result === "success" ? "success" : opts.result === "cancelled" ? "cancelled" : "failure";
      const log = readIfExists(io, opts.log);
      let classification: DeployEndInput["classification"] = null;
      try {
        const text = readIfExists(io, opts.classify);
        classification = result === "failure" && text ? (JSON.parse(text) as DeployEndInput["classification"]) : null;
      } catch {
        classification = null;
      }
      let stoppedBefore: string | null = null;
      try {
        const verdict = JSON.parse(readIfExists(io, opts.treeVerdict) || "null") as { ok?: unknown; reason?: unknown } | null;
        if (result === "failure" && verdict?.ok === false && typeof verdict.reason === "string") stoppedBefore = verdict.reason;
      } catch {
        stoppedBefore = null;
      }
      const body = deployEndBody({
        ...deployInput(opts),
        stoppedBefore,
        endedBeforeRecheck: Boolean(opts.endedBeforeRecheck),
        result,
        attempts: Math.max(1, Number.parseInt(opts.attempts, 10) || 1),
        durationSeconds: Number.parseInt(opts.duration, 10) || 0,
        counts: parseResourceSummary(log),
        classification,
        log: result === "success" ? "" : log,
      });
      await deliver(opts, body, null);
    });
}
