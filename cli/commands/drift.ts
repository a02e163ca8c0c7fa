/**
 * `delivery drift-issue`: after a scheduled `pulumi preview --refresh --expect-no-changes` of one
 * stack, opens, updates or closes that stack's drift issue (core/drift.ts decides which). Exits 1
 * when the preview failed for another reason than drift, so the run shows red without an issue.
 */
import type { Command } from "commander";
import { parseResourceSummary, whatIfSection } from "../../core/comment";
import { driftIssueAction, driftOutcome, type OpenIssue } from "../../core/drift";
import { CliError, type CliIo } from "../io";
import { defaultClientFactory, repoFromEnv, type ClientFactory } from "./github-client";
import { DEFAULT_COMMENT_AUTHOR, readIfExists, readSavedWhatIfs } from "./pr-comment";

interface DriftOptions {
  readonly stack: string;
  readonly exitCode: string;
  readonly log?: string;
  readonly whatifDir?: string;
  readonly whatifArtifact?: string;
  readonly runUrl: string;
  readonly commit: string;
  readonly author: string;
}

export function registerDrift(program: Command, io: CliIo, clientFactory: ClientFactory = defaultClientFactory): void {
  program
    .command("drift-issue")
    .description("after `pulumi preview --refresh --expect-no-changes` of a stack: open or update its drift issue when it drifted, close it when clean")
    .requiredOption("--stack <name>", "the stack checked")
    .requiredOption("--exit-code <n>", "exit code of the preview")
    .option("--log <file>", "the preview's output")
    .option("--whatif-dir <dir>", "the what-ifs the preview saved (DELIVERY_WHATIF_DIR)")
    .option("--whatif-artifact <name>", "the run artifact holding the full what-ifs")
    .option("--run-url <url>", "link to the workflow run", "")
    .requiredOption("--commit <sha>", "the commit checked")
    .option("--author <login>", "the account the token writes issues as", DEFAULT_COMMENT_AUTHOR)
    .action(async (opts: DriftOptions) => {
      if (!/^[a-z][a-z0-9-]{0,30}$/.test(opts.stack)) throw new CliError(`--stack must be an environment name, not "${opts.stack.slice(0, 60)}"`);
      if (!/^[0-9a-f]{7,40}$/.test(opts.commit)) throw new CliError(`--commit must be a commit SHA, not "${opts.commit.slice(0, 60)}"`);
      const exitCode = Number.parseInt(opts.exitCode, 10);
      if (Number.isNaN(exitCode)) throw new CliError(`--exit-code must be a number, not "${opts.exitCode.slice(0, 20)}"`);
      const log = readIfExists(io, opts.log);
      const outcome = driftOutcome(exitCode, log);
      const section = opts.whatifDir ? whatIfSection(readSavedWhatIfs(io, opts.whatifDir), { fullWhatIfAt: opts.whatifArtifact ? `the run's artifact \`${opts.whatifArtifact}\`` : undefined }) : undefined;
      const gh = await clientFactory(io);
      const repo = repoFromEnv(io);
      const open = (await gh.paginate("GET /repos/{owner}/{repo}/issues", { ...repo, state: "open", creator: opts.author, per_page: 100 })) as OpenIssue[];
      const action = driftIssueAction(outcome, opts.stack, open, opts.author, {
        stack: opts.stack,
        runUrl: opts.runUrl,
        commit: opts.commit,
        counts: parseResourceSummary(log),
        ...(section ? { whatifHeadline: section.headline } : {}),
        whatif: section?.blocks ?? [],
        log,
      });
      if (action.kind === "open") {
        const { data } = await gh.request("POST /repos/{owner}/{repo}/issues", { ...repo, title: action.title, body: action.body });
        io.stdout(`${JSON.stringify({ stack: opts.stack, outcome, action: "opened", issue: Number(data.number) })}\n`);
      } else if (action.kind === "update") {
        await gh.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...repo, issue_number: action.number, body: action.body });
        io.stdout(`${JSON.stringify({ stack: opts.stack, outcome, action: "updated", issue: action.number })}\n`);
      } else if (action.kind === "close") {
        await gh.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...repo, issue_number: action.number, body: action.comment });
        await gh.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...repo, issue_number: action.number, state: "closed", state_reason: "completed" });
        io.stdout(`${JSON.stringify({ stack: opts.stack, outcome, action: "closed", issue: action.number })}\n`);
      } else {
        io.stdout(`${JSON.stringify({ stack: opts.stack, outcome, action: "none", reason: action.reason })}\n`);
      }
      if (outcome === "failed") throw new CliError(`the drift preview of ${opts.stack} failed (exit code ${exitCode}) for another reason than drift; see its log`);
    });
}
