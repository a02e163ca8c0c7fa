import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { upsertComment } from "../../cli/commands/pr-comment";
import { run } from "../../cli/main";
import { commentMarker } from "../../core/comment";
import { captureIo } from "../harness/cli";
import { standInGitHub } from "../harness/github";

const SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const BOT = "github-actions[bot]";
const R = "/repos/Codertocat/Hello-World";
const repo = { owner: "Codertocat", repo: "Hello-World" };

/** The stand-in GitHub with one open pull request, #1. */
function withPullRequest() {
  const gh = standInGitHub();
  gh.world.openPullRequest({ author: "octocat", head: "changes", headSha: SHA, base: "main", baseSha: "0".repeat(40) });
  return gh;
}

describe("upsertComment", () => {
  it("edits this stack's own comment in place, never another stack's or a forged one", async () => {
    const gh = withPullRequest();
    gh.world.addComment(1, `${commentMarker("preview", "dev-eu")}\nold eu`, BOT);
    gh.world.addComment(1, `${commentMarker("preview", "dev")}\nforged`, "mallory");
    const own = gh.world.addComment(1, `${commentMarker("preview", "dev")}\nold dev`, BOT);
    expect(await upsertComment(gh.client(), repo, 1, commentMarker("preview", "dev"), "new", BOT)).toEqual({ id: own.id, updated: true });
    expect(gh.requests()).toEqual([`GET ${R}/issues/1/comments?per_page=100`, `PATCH ${R}/issues/comments/${own.id}`]);
    expect(gh.world.commentsOn(1).map((c) => c.body)).toEqual([`${commentMarker("preview", "dev-eu")}\nold eu`, `${commentMarker("preview", "dev")}\nforged`, "new"]);
  });

  it("creates one when there is none", async () => {
    const gh = withPullRequest();
    const result = await upsertComment(gh.client(), repo, 1, commentMarker("preview", "prod"), "body", BOT);
    expect(result).toEqual({ id: gh.world.comments[0].id, updated: false });
    expect(gh.world.commentsOn(1).map((c) => [c.user.login, c.body])).toEqual([[BOT, "body"]]);
  });
});

describe("delivery pr-comment", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "prc-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function cli(args: string[]) {
    const gh = withPullRequest();
    gh.world.openIssue({ title: "a command's issue", author: "octocat" }); // #2, where commands are answered
    const capture = captureIo({ cwd: dir, env: { GITHUB_REPOSITORY: "Codertocat/Hello-World", GITHUB_TOKEN: "t" } });
    const code = await run(args, capture.io, { github: async () => gh.client() });
    return { ...capture, gh, code };
  }
  const posted = (gh: ReturnType<typeof standInGitHub>) => gh.writes().map((c) => (c.body as { body: string }).body);

  it("builds the preview comment from the job's files and posts it", async () => {
    fs.writeFileSync(path.join(dir, "preview.log"), "Policy Violations:\n    [mandatory]  delivery-policies  prod-requires-reviewers\nResources:\n    ~ 1 to update\n");
    fs.writeFileSync(path.join(dir, "whatif.md"), "**rg-a**: 1 modify\n<!-- end -->\n**rg-b**: no change\n<!-- end -->\n");
    fs.writeFileSync(path.join(dir, "graft.json"), JSON.stringify({ stale: [{ output: "docs/api.md", reasons: ["dep changed: src/api.ts"] }] }));
    const { gh } = await cli(
      ["pr-comment", "preview", "--pr", "1", "--stack", "prod", "--exit-code", "255", "--commit", SHA, "--log", "preview.log", "--whatif", "whatif.md", "--graft", "graft.json", "--summary", path.join(dir, "summary.md"), "--run-url", "https://x/run"],
    );
    expect(gh.requests()).toEqual([`GET ${R}/issues/1/comments?per_page=100`, `POST ${R}/issues/1/comments`]);
    const [body] = posted(gh);
    expect(body.split("\n")[0]).toBe("<!-- delivery-platform:preview:prod -->");
    expect(body).toContain("**blocked by policy**");
    expect(body).toContain("**rg-a**: 1 modify\n\n**rg-b**: no change");
    expect(body).toContain("| docs/api.md | dep changed: src/api.ts |");
    expect(fs.readFileSync(path.join(dir, "summary.md"), "utf8")).toContain(body);
  });

  it("prints instead of posting when there is no pull request (pushes, dispatches)", async () => {
    const { stdout, gh } = await cli(["pr-comment", "deploy-start", "--pr", "", "--action", "deploy", "--stack", "dev", "--commit", SHA, "--requested-by", "octocat", "--run-url", "https://x/run"]);
    expect(stdout()).toBe(`🚀 Deploying \`dev\` to ${SHA.slice(0, 12)} for @octocat: [follow the run](https://x/run).\n`);
    expect(gh.calls).toEqual([]);
  });

  it("reports a failure with the classifier's explanation", async () => {
    fs.writeFileSync(path.join(dir, "up.log"), "error: Code=AuthorizationFailed");
    fs.writeFileSync(path.join(dir, "classify.json"), JSON.stringify({ category: "logic", retryable: false, kind: "authorization-failed", reason: "The deploy identity lacks a role; check its role assignments." }));
    const { gh } = await cli(
      ["pr-comment", "deploy-end", "--pr", "1", "--action", "deploy", "--stack", "prod", "--commit", SHA, "--requested-by", "octocat", "--result", "failure", "--attempts", "1", "--duration", "75", "--log", "up.log", "--classify", "classify.json"],
    );
    const [body] = posted(gh);
    expect(body).toContain("❌ The deploy of `prod` to ec26c3e57ca3 failed after 1 attempt(s) in 1 min 15 s.");
    expect(body).toContain("Failure class: **logic** (`authorization-failed`), not retried.");
    expect(body).toContain("Next step: The deploy identity lacks a role; check its role assignments.");
  });

  it("says the deployment stopped before pulumi up, and why, when verify-tree refused the commit", async () => {
    const reason = "fc3afc6a1f30 is not a commit validated in staging, and no merged pull request into main has it as its merge commit: only a tree validated in staging may be deployed to prod.";
    fs.writeFileSync(path.join(dir, "tree.json"), JSON.stringify({ environment: "prod", commit: SHA, ok: false, reason }));
    const args = ["pr-comment", "deploy-end", "--pr", "1", "--action", "deploy", "--stack", "prod", "--commit", SHA, "--requested-by", "octocat", "--result", "failure", "--log", "up.log", "--tree-verdict", "tree.json"];
    const { gh } = await cli(args);
    const [body] = posted(gh);
    expect(body.split("\n").slice(0, 3)).toEqual([`❌ The deploy of \`prod\` to ${SHA.slice(0, 12)} stopped before \`pulumi up\`; nothing was deployed.`, "", reason]);
    expect(body).not.toContain("attempt");
    // A verdict that passed says nothing about a later failure: the failure is reported as usual.
    fs.writeFileSync(path.join(dir, "tree.json"), JSON.stringify({ ok: true, reason: "itself a commit validated in staging" }));
    const later = await cli(args);
    expect(posted(later.gh)[0]).toContain("failed after 1 attempt(s)");
  });

  it("says nothing was recorded when the deploy job ended before its re-check, and never claims a failed deployment", async () => {
    const args = ["pr-comment", "deploy-end", "--pr", "1", "--action", "deploy", "--stack", "prod", "--commit", SHA, "--requested-by", "octocat", "--ended-before-recheck"];
    const rejected = posted((await cli([...args, "--result", "failure"])).gh)[0];
    expect(rejected.split("\n").slice(0, 3)).toEqual([
      `❌ The deploy of \`prod\` to ${SHA.slice(0, 12)} ended before its gates were re-checked (deploy job: failure); no deployment was recorded.`,
      "",
      "A reviewer rejected it, it was cancelled, or its job failed before the re-check; the gates pass now. Read the run, then give the command again to retry.",
    ]);
    expect(rejected).not.toContain("attempt");
    expect(posted((await cli([...args, "--result", "cancelled"])).gh)[0]).toMatch(/^⚪ The deploy of `prod` .* \(deploy job: cancelled\)/);
  });

  it("replies to a command with the text its job wrote, or the fallback when the job died first, linking the run", async () => {
    fs.writeFileSync(path.join(dir, "reply.md"), "✅ `/unlock dev`: cleared: the run that held it ended.\n");
    const written = await cli(["pr-comment", "reply", "--pr", "2", "--body-file", "reply.md", "--fallback", "❌ `/unlock dev` failed; see the workflow run.", "--run-url", "https://x/run/1"]);
    expect(written.code).toBe(0);
    expect(written.gh.world.commentsOn(2).map((c) => c.body)).toEqual(["✅ `/unlock dev`: cleared: the run that held it ended.\n\n<sub>[workflow run](https://x/run/1)</sub>\n"]);
    const died = await cli(["pr-comment", "reply", "--pr", "2", "--body-file", "missing.md", "--fallback", "❌ `/unlock dev` failed; see the workflow run.", "--run-url", "https://x/run/2"]);
    expect(died.gh.calls.map((c) => [`${c.method} ${c.path}`, (c.body as { body: string }).body])).toEqual([[`POST ${R}/issues/2/comments`, "❌ `/unlock dev` failed; see the workflow run.\n\n<sub>[workflow run](https://x/run/2)</sub>\n"]]);
    const empty = await cli(["pr-comment", "reply", "--pr", "2", "--body-file", "missing.md", "--fallback", " "]);
    expect([empty.code, empty.gh.calls]).toEqual([2, []]);
  });

  it("refuses values that are not what they claim to be", async () => {
    const stack = await cli(["pr-comment", "deploy-start", "--action", "deploy", "--stack", "dev; rm", "--commit", SHA, "--requested-by", "octocat"]);
    expect([stack.code, stack.stderr()]).toEqual([2, 'delivery: --stack must be an environment name, not "dev; rm"\n']);
    const commit = await cli(["pr-comment", "deploy-start", "--action", "deploy", "--stack", "dev", "--commit", "HEAD", "--requested-by", "octocat"]);
    expect([commit.code, commit.stderr()]).toEqual([2, 'delivery: --commit must be a commit SHA, not "HEAD"\n']);
  });
});
