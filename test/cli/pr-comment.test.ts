import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { upsertComment } from "../../cli/commands/pr-comment";
import { run } from "../../cli/main";
import { commentMarker } from "../../core/comment";
import { captureIo } from "../harness/cli";
import { R, fakeGitHub } from "../fixtures/github-api";

const SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const BOT = { login: "github-actions[bot]", type: "Bot" };
const repo = { owner: "Codertocat", repo: "Hello-World" };

describe("upsertComment", () => {
  it("edits this stack's own comment in place", async () => {
    const gh = fakeGitHub({
      [`GET ${R}/issues/2/comments`]: {
        body: [
          { id: 11, body: `${commentMarker("preview", "dev-eu")}\nold eu`, user: BOT },
          { id: 12, body: `${commentMarker("preview", "dev")}\nforged`, user: { login: "mallory", type: "User" } },
          { id: 13, body: `${commentMarker("preview", "dev")}\nold dev`, user: BOT },
        ],
      },
      [`PATCH ${R}/issues/comments/13`]: { body: { id: 13 } },
    });
    expect(await upsertComment(gh.client, repo, 2, commentMarker("preview", "dev"), "new", BOT.login)).toEqual({ id: 13, updated: true });
    expect(gh.calls.map((c) => c.route)).toEqual([`GET ${R}/issues/2/comments?per_page=100`, `PATCH ${R}/issues/comments/13`]);
  });

  it("creates one when there is none", async () => {
    const gh = fakeGitHub({ [`GET ${R}/issues/2/comments`]: { body: [] }, [`POST ${R}/issues/2/comments`]: { status: 201, body: { id: 99 } } });
    expect(await upsertComment(gh.client, repo, 2, commentMarker("preview", "prod"), "body", BOT.login)).toEqual({ id: 99, updated: false });
  });
});

describe("delivery pr-comment", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "prc-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function cli(args: string[], routes = {}) {
    const gh = fakeGitHub(routes);
    const capture = captureIo({ cwd: dir, env: { GITHUB_REPOSITORY: "Codertocat/Hello-World", GITHUB_TOKEN: "t" } });
    const code = await run(args, capture.io, { github: async () => gh.client });
    return { ...capture, gh, code };
  }

  it("builds the preview comment from the job's files and posts it", async () => {
    fs.writeFileSync(path.join(dir, "preview.log"), "Policy Violations:\n    [mandatory]  delivery-policies  prod-requires-reviewers\nResources:\n    ~ 1 to update\n");
    fs.writeFileSync(path.join(dir, "whatif.md"), "**rg-a**: 1 modify\n<!-- end -->\n**rg-b**: no change\n<!-- end -->\n");
    fs.writeFileSync(path.join(dir, "graft.json"), JSON.stringify({ stale: [{ output: "docs/api.md", reasons: ["dep changed: src/api.ts"] }] }));
    const { gh } = await cli(
      ["pr-comment", "preview", "--pr", "2", "--stack", "prod", "--exit-code", "255", "--commit", SHA, "--log", "preview.log", "--whatif", "whatif.md", "--graft", "graft.json", "--summary", path.join(dir, "summary.md"), "--run-url", "https://x/run"],
      { [`GET ${R}/issues/2/comments`]: { body: [] }, [`POST ${R}/issues/2/comments`]: { status: 201, body: { id: 5 } } },
    );
    const body = (gh.calls[1].body as { body: string }).body;
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
      ["pr-comment", "deploy-end", "--pr", "2", "--action", "deploy", "--stack", "prod", "--commit", SHA, "--requested-by", "octocat", "--result", "failure", "--attempts", "1", "--duration", "75", "--log", "up.log", "--classify", "classify.json"],
      { [`POST ${R}/issues/2/comments`]: { status: 201, body: { id: 6 } } },
    );
    const body = (gh.calls[0].body as { body: string }).body;
    expect(body).toContain("❌ The deploy of `prod` to ec26c3e57ca3 failed after 1 attempt(s) in 1 min 15 s.");
    expect(body).toContain("Failure class: **logic** (`authorization-failed`), not retried.");
    expect(body).toContain("Next step: The deploy identity lacks a role; check its role assignments.");
  });

  it("says the deployment stopped before pulumi up, and why, when verify-tree refused the commit", async () => {
    const reason = "fc3afc6a1f30 is not a commit validated in staging, and no merged pull request into main has it as its merge commit: only a tree validated in staging may be deployed to prod.";
    fs.writeFileSync(path.join(dir, "tree.json"), JSON.stringify({ environment: "prod", commit: SHA, ok: false, reason }));
    const routes = { [`POST ${R}/issues/2/comments`]: { status: 201, body: { id: 6 } } };
    const args = ["pr-comment", "deploy-end", "--pr", "2", "--action", "deploy", "--stack", "prod", "--commit", SHA, "--requested-by", "octocat", "--result", "failure", "--log", "up.log", "--tree-verdict", "tree.json"];
    const { gh } = await cli(args, routes);
    const body = (gh.calls[0].body as { body: string }).body;
    expect(body.split("\n").slice(0, 3)).toEqual([`❌ The deploy of \`prod\` to ${SHA.slice(0, 12)} stopped before \`pulumi up\`; nothing was deployed.`, "", reason]);
    expect(body).not.toContain("attempt");
    // A verdict that passed says nothing about a later failure: the failure is reported as usual.
    fs.writeFileSync(path.join(dir, "tree.json"), JSON.stringify({ ok: true, reason: "itself a commit validated in staging" }));
    const later = await cli(args, routes);
    expect((later.gh.calls[0].body as { body: string }).body).toContain("failed after 1 attempt(s)");
  });

  it("replies to a command with the text its job wrote, or the fallback when the job died first, linking the run", async () => {
    const routes = { [`POST ${R}/issues/7/comments`]: { status: 201, body: { id: 8 } } };
    fs.writeFileSync(path.join(dir, "reply.md"), "✅ `/unlock dev`: cleared: the run that held it ended.\n");
    const written = await cli(["pr-comment", "reply", "--pr", "7", "--body-file", "reply.md", "--fallback", "❌ `/unlock dev` failed; see the workflow run.", "--run-url", "https://x/run/1"], routes);
    expect(written.code).toBe(0);
    expect((written.gh.calls[0].body as { body: string }).body).toBe("✅ `/unlock dev`: cleared: the run that held it ended.\n\n<sub>[workflow run](https://x/run/1)</sub>\n");
    const died = await cli(["pr-comment", "reply", "--pr", "7", "--body-file", "missing.md", "--fallback", "❌ `/unlock dev` failed; see the workflow run.", "--run-url", "https://x/run/2"], routes);
    expect(died.gh.calls.map((c) => [c.route, (c.body as { body: string }).body])).toEqual([[`POST ${R}/issues/7/comments`, "❌ `/unlock dev` failed; see the workflow run.\n\n<sub>[workflow run](https://x/run/2)</sub>\n"]]);
    const empty = await cli(["pr-comment", "reply", "--pr", "7", "--body-file", "missing.md", "--fallback", " "], routes);
    expect([empty.code, empty.gh.calls]).toEqual([2, []]);
  });

  it("refuses values that are not what they claim to be", async () => {
    const stack = await cli(["pr-comment", "deploy-start", "--action", "deploy", "--stack", "dev; rm", "--commit", SHA, "--requested-by", "octocat"]);
    expect([stack.code, stack.stderr()]).toEqual([2, 'delivery: --stack must be an environment name, not "dev; rm"\n']);
    const commit = await cli(["pr-comment", "deploy-start", "--action", "deploy", "--stack", "dev", "--commit", "HEAD", "--requested-by", "octocat"]);
    expect([commit.code, commit.stderr()]).toEqual([2, 'delivery: --commit must be a commit SHA, not "HEAD"\n']);
  });
});
