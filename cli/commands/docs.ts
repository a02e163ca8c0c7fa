/**
 * `delivery docs request|branch`: the two trusted halves of regenerating a pull request's Graft
 * documents.
 *
 * The `docs` environment (the only subject the Bedrock role trusts) admits runs of the production
 * branch only, so a `docs:generate` label cannot generate in the pull request's own run. Instead:
 *
 * 1. `docs request` (the label's run: `pull_request_target`, the default branch's workflow, no cloud
 *    credentials) checks that the person who applied the label may write, that the pull request is
 *    open and not from a fork, and dispatches the docs workflow on the default branch for it.
 * 2. `docs branch` (the dispatched run, in the `docs` environment) re-reads the pull request and
 *    names its head branch, which the job checks out as data next to the trusted tooling: the
 *    generator reads its prompts and sources and writes documents, and nothing of it is executed.
 *
 * And for `pulumi up` of the stack that owns the documents, whose Graft provider does not generate
 * on a GitHub Actions runner (core/graft/document-resource.ts `generationDeferral`):
 *
 * 3. `docs dispatch-stale` (the deploy job, after `pulumi up`) dispatches the docs workflow on the
 *    default branch, without a pull request, when the deployed commit has stale documents;
 * 4. `docs open-pr` (that run, after pushing the regenerated documents to the bot's branch: the
 *    default branch takes pull requests only) opens the pull request, or names the open one.
 */
import type { Command } from "commander";
import { mayDeploy } from "../../core/intent";
import { CliError, type CliIo } from "../io";
import { defaultClientFactory, fetchPermission, fetchPullRequest, postComment, repoFromEnv, writeOutputs, type ClientFactory, type GitHubClient, type Repo } from "./github-client";
import { graftStatusOrFail, resolveGraftOptions } from "./graft-status";

/** The workflow the request dispatches (workflows/docs.ts renders it). */
export const DOCS_GENERATE_WORKFLOW = "docs-generate.yml";

function prNumber(value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`--pr must be a pull request number, not "${String(value).slice(0, 40)}"`);
  return n;
}

/** Why the pull request's documents cannot be regenerated for `requester`, or null when they can. */
export async function docsRequestRefusal(gh: GitHubClient, repo: Repo, pr: number, requester: string): Promise<string | null> {
  const permission = await fetchPermission(gh, repo, requester);
  if (!mayDeploy(permission)) return `@${requester} has ${permission} permission on ${repo.owner}/${repo.repo}; regenerating documents needs write.`;
  const pull = await fetchPullRequest(gh, repo, pr);
  if (pull.state !== "open") return `#${pr} is closed; documents are regenerated on open pull requests only.`;
  if (pull.fromFork) return `#${pr} comes from a fork: the bot cannot push to it. Regenerate the documents locally (\`delivery graft-generate\`) and push them.`;
  return null;
}

export function registerDocs(program: Command, io: CliIo, clientFactory: ClientFactory = defaultClientFactory): void {
  const docs = program.command("docs").description("regenerate Graft documents through the docs environment: request (from a label), branch (in the dispatched run), dispatch-stale (after pulumi up), open-pr (for the default branch)");
  docs
    .command("request")
    .description("check the requester and the pull request, then dispatch the docs workflow on the default branch for it")
    .requiredOption("--pr <number>", "the pull request")
    .requiredOption("--requested-by <login>", "who applied the label")
    .option("--ref <branch>", "the branch to dispatch the workflow on (the default branch)", "main")
    .option("--post", "reply on the pull request when refused")
    .action(async (opts: { pr: string; requestedBy: string; ref: string; post?: boolean }) => {
      const repo = repoFromEnv(io);
      const gh = await clientFactory(io);
      const pr = prNumber(opts.pr);
      const refusal = await docsRequestRefusal(gh, repo, pr, opts.requestedBy);
      if (refusal) {
        if (opts.post) await postComment(gh, repo, pr, `❌ ${refusal}`);
        throw new CliError(refusal, 1);
      }
      await gh.request("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", { ...repo, workflow_id: DOCS_GENERATE_WORKFLOW, ref: opts.ref, inputs: { pr: String(pr) } });
      io.stdout(`dispatched ${DOCS_GENERATE_WORKFLOW} on ${opts.ref} for #${pr}\n`);
    });
  docs
    .command("dispatch-stale")
    .description("after `pulumi up` on a runner (which does not generate): dispatch the docs workflow on the default branch when documents under --root are stale")
    .option("--root <dir>", "the deployed checkout (read as data)", ".")
    .option("--stack <name>", "read the graft config from Pulumi.<name>.yaml (default: the config defaults)")
    .option("--ref <branch>", "the branch to dispatch the workflow on and regenerate (the default branch)", "main")
    .action(async (opts: { root: string; stack?: string; ref: string }) => {
      const resolved = resolveGraftOptions(io, opts);
      // No hash cache: the checkout is read as data and dies with the runner.
      const status = graftStatusOrFail(resolved.root, resolved.config, false, "report");
      const stale = status.documents.filter((d) => d.stale).map((d) => d.output);
      if (stale.length === 0) {
        io.stdout(`No stale documents under ${opts.root}; nothing for the docs workflow to do.\n`);
        return;
      }
      const repo = repoFromEnv(io);
      const gh = await clientFactory(io);
      await gh.request("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", { ...repo, workflow_id: DOCS_GENERATE_WORKFLOW, ref: opts.ref, inputs: {} });
      io.stdout(`${stale.length} stale document${stale.length === 1 ? "" : "s"} (${stale.join(", ")}): dispatched ${DOCS_GENERATE_WORKFLOW} on ${opts.ref} to regenerate and commit them.\n`);
    });
  docs
    .command("open-pr")
    .description("open the pull request of regenerated documents from --head to --base, or name the one already open")
    .requiredOption("--head <branch>", "the bot's branch carrying the regenerated documents")
    .requiredOption("--base <branch>", "the branch they are for (the default branch)")
    .option("--run-url <url>", "the workflow run, linked from the pull request")
    .action(async (opts: { head: string; base: string; runUrl?: string }) => {
      const repo = repoFromEnv(io);
      const gh = await clientFactory(io);
      const { data: open } = await gh.request("GET /repos/{owner}/{repo}/pulls", { ...repo, state: "open", head: `${repo.owner}:${opts.head}`, base: opts.base });
      if (open.length > 0) {
        io.stdout(`#${open[0].number} already proposes ${opts.head} to ${opts.base}; it now carries the new commit.\n`);
        return;
      }
      const body = [
        `\`pulumi up\` found stale Graft documents on \`${opts.base}\`; the docs workflow regenerated them${opts.runUrl ? ` ([run](${opts.runUrl}))` : ""}.`,
        "",
        `\`${opts.base}\` takes pull requests only, so they arrive as this pull request: review and merge it like any other.`,
      ].join("\n");
      const { data: pr } = await gh.request("POST /repos/{owner}/{repo}/pulls", { ...repo, title: "docs: regenerate stale Graft documents", head: opts.head, base: opts.base, body, maintainer_can_modify: false });
      io.stdout(`opened #${pr.number}: ${opts.head} -> ${opts.base}\n`);
    });
  docs
    .command("branch")
    .description("print (and write as job outputs) the head branch and commit of an open, same-repository pull request")
    .requiredOption("--pr <number>", "the pull request")
    .option("--github-output <file>", "append branch=... and sha=... here")
    .action(async (opts: { pr: string; githubOutput?: string }) => {
      const repo = repoFromEnv(io);
      const gh = await clientFactory(io);
      const pr = prNumber(opts.pr);
      const { data } = await gh.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { ...repo, pull_number: pr });
      if (data.state !== "open") throw new CliError(`#${pr} is closed; nothing to regenerate`, 1);
      if (data.head.repo?.full_name !== `${repo.owner}/${repo.repo}`) throw new CliError(`#${pr} comes from a fork; the bot cannot push to it`, 1);
      writeOutputs(opts.githubOutput, { branch: data.head.ref, sha: data.head.sha });
      io.stdout(`${data.head.ref} ${data.head.sha}\n`);
    });
}
