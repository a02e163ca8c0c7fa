import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decideIntent, intentConfig, type Decision } from "../../core/intent";
import { run } from "../../cli/main";
import { PROMOTE_NOT_AVAILABLE, runGate } from "../../cli/commands/gate";
import { captureIo } from "../harness/cli";
import { dispatch, prComment, prLabeled } from "../fixtures/events";
import { R, branchRules, checkRuns, combinedStatus, commit, compare, fakeGitHub, labelEvents, notCollaborator, permission, pullRequest, type Recorded } from "../fixtures/github-api";
import { stackConfig } from "../workflows/helpers";

const cfg = stackConfig("prod");
const repo = { owner: "Codertocat", repo: "Hello-World" };
const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const REQUIRED = ["preview (dev)", "preview (staging)", "preview (prod)", "docs (graft-status)"];
const GREEN = checkRuns(REQUIRED.map((name) => ({ name })));

function decide(eventName: string, payload: unknown): Decision {
  return decideIntent(eventName, payload, intentConfig(cfg));
}

/** The API as it looks for a green PR #2 into main by alice, approved by bob. */
function prodRoutes(over: Record<string, Recorded> = {}): Record<string, Recorded> {
  return {
    [`GET ${R}/collaborators/carol/permission`]: permission("carol", "write"),
    [`GET ${R}/collaborators/bob/permission`]: permission("bob", "maintain"),
    [`GET ${R}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "main", author: "alice", labels: ["approved:prod"] }) },
    [`GET ${R}/rules/branches/main`]: branchRules(["preview (prod)"]),
    [`GET ${R}/commits/${HEAD}/check-runs`]: GREEN,
    [`GET ${R}/commits/${HEAD}/status`]: combinedStatus(),
    [`GET ${R}/issues/2/events`]: labelEvents([{ label: "deploy:dev", actor: "alice" }, { label: "approved:prod", actor: "bob" }]),
    ...over,
  };
}

const carolsComment = () => {
  const e = prComment("/deploy prod", { login: "carol" });
  e.issue.number = 2;
  return e;
};

describe("runGate against recorded API responses", () => {
  it("lets a writer deploy prod when a second person applied the label and checks are green", async () => {
    const gh = fakeGitHub(prodRoutes());
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toEqual({ proceed: "true", action: "deploy", environment: "prod", commit: HEAD, pr: "2", requested_by: "carol", preview_client_id_variable: "AZURE_PREVIEW_CLIENT_ID_PROD" });
    expect(outcome.reply).toBeNull();
    // The permission was asked of the API, for the commenter, not guessed from author_association.
    expect(gh.calls.map((c) => c.route)).toContain(`GET ${R}/collaborators/carol/permission`);
  });

  it("refuses someone who is not a collaborator, whatever author_association says", async () => {
    const e = carolsComment();
    e.comment.author_association = "OWNER";
    const gh = fakeGitHub(prodRoutes({ [`GET ${R}/collaborators/carol/permission`]: notCollaborator }));
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", e));
    expect(outcome.outputs.proceed).toBe("false");
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["permission"]);
    expect(outcome.reply).toBe("❌ deploy of prod refused:\n- @carol has none permission on this repository; deploy needs write, maintain or admin.");
  });

  it("refuses triage users (who can apply labels but not push)", async () => {
    const gh = fakeGitHub(prodRoutes({ [`GET ${R}/collaborators/carol/permission`]: permission("carol", "triage") }));
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["permission"]);
  });

  it("refuses prod when the author applied the approval label themselves", async () => {
    const gh = fakeGitHub(
      prodRoutes({
        [`GET ${R}/issues/2/events`]: labelEvents([{ label: "approved:prod", actor: "bob" }, { label: "approved:prod", actor: "alice" }]),
        [`GET ${R}/collaborators/alice/permission`]: permission("alice", "write"),
      }),
    );
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["approval-by-author"]);
  });

  it("refuses prod when required checks (including the ruleset's) are red on the head", async () => {
    const gh = fakeGitHub(
      prodRoutes({
        [`GET ${R}/rules/branches/main`]: branchRules(["security-scan"]),
        [`GET ${R}/commits/${HEAD}/status`]: combinedStatus([{ context: "security-scan", state: "failure" }]),
      }),
    );
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([{ id: "required-checks", message: "Required checks on ec26c3e57ca3 are not green: `security-scan` concluded failure." }]);
  });

  it("refuses a label deployment if the PR moved after the label was applied", async () => {
    const e = prLabeled("deploy:dev", { sender: "carol" });
    const gh = fakeGitHub({
      [`GET ${R}/collaborators/carol/permission`]: permission("carol", "write"),
      [`GET ${R}/pulls/2`]: { body: pullRequest({ head: "f".repeat(40), base: "dev" }) },
      [`GET ${R}/rules/branches/dev`]: { status: 404, body: { message: "Not Found" } },
      [`GET ${R}/commits/${"f".repeat(40)}/check-runs`]: GREEN,
      [`GET ${R}/commits/${"f".repeat(40)}/status`]: combinedStatus(),
    });
    const outcome = await runGate(gh.client, repo, cfg, decide("pull_request", e));
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["head-moved"]);
  });

  it("rolls dev back to a commit only if it is on the dev branch", async () => {
    const e = prComment("/rollback dev to 0123abc", { login: "carol" });
    e.issue.number = 2;
    const full = `0123abc${"0".repeat(33)}`;
    const routes = {
      [`GET ${R}/collaborators/carol/permission`]: permission("carol", "admin"),
      [`GET ${R}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "dev" }) },
      [`GET ${R}/commits/0123abc`]: commit(full),
      [`GET ${R}/compare/${full}...dev`]: compare("diverged"),
      [`GET ${R}/rules/branches/dev`]: branchRules([]),
      [`GET ${R}/commits/${full}/check-runs`]: GREEN,
      [`GET ${R}/commits/${full}/status`]: combinedStatus(),
    };
    const refused = await runGate(fakeGitHub(routes).client, repo, cfg, decide("issue_comment", e));
    expect(refused.result?.failed_checks.map((f) => f.id)).toEqual(["target-not-on-branch"]);
    const ok = await runGate(fakeGitHub({ ...routes, [`GET ${R}/compare/${full}...dev`]: compare("ahead") }).client, repo, cfg, decide("issue_comment", e));
    expect(ok.outputs).toMatchObject({ proceed: "true", action: "rollback", commit: full });
  });

  it("takes prod approval for a dispatch from the PR that merged the commit", async () => {
    const gh = fakeGitHub({
      [`GET ${R}/collaborators/octocat/permission`]: permission("octocat", "admin"),
      [`GET ${R}/collaborators/bob/permission`]: permission("bob", "write"),
      [`GET ${R}/commits/refs/heads/main`]: commit(HEAD),
      [`GET ${R}/rules/branches/main`]: branchRules([]),
      [`GET ${R}/commits/${HEAD}/check-runs`]: GREEN,
      [`GET ${R}/commits/${HEAD}/status`]: combinedStatus(),
      [`GET ${R}/commits/${HEAD}/pulls`]: { body: [pullRequest({ number: 5, head: HEAD, base: "main", author: "alice", labels: ["approved:prod"], state: "closed", mergedAt: "2026-01-02T00:00:00Z" })] },
      [`GET ${R}/issues/5/events`]: labelEvents([{ label: "approved:prod", actor: "bob" }]),
    });
    const outcome = await runGate(gh.client, repo, cfg, decide("workflow_dispatch", dispatch({ action: "deploy", environment: "prod", sha: "" })));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toMatchObject({ proceed: "true", commit: HEAD, pr: "" });
  });

  it("answers /promote and /help without touching the API", async () => {
    const gh = fakeGitHub({});
    const promote = await runGate(gh.client, repo, cfg, decide("issue_comment", prComment("/promote staging prod")));
    expect(promote).toMatchObject({ reply: PROMOTE_NOT_AVAILABLE, outputs: { proceed: "false", action: "promote" } });
    const help = await runGate(gh.client, repo, cfg, decide("issue_comment", prComment("/help")));
    expect(help.reply).toContain("**IssueOps commands**");
    expect(gh.calls).toEqual([]);
  });
});

describe("delivery gate (CLI)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes outputs and a summary, and posts the reply for a refusal", async () => {
    const gh = fakeGitHub({
      [`GET ${R}/collaborators/carol/permission`]: permission("carol", "read"),
      [`GET ${R}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "dev" }) },
      [`GET ${R}/rules/branches/dev`]: branchRules([]),
      [`GET ${R}/commits/${HEAD}/check-runs`]: GREEN,
      [`GET ${R}/commits/${HEAD}/status`]: combinedStatus(),
      [`POST ${R}/issues/2/comments`]: { status: 201, body: { id: 77 } },
    });
    const e = prComment("/deploy dev", { login: "carol" });
    e.issue.number = 2;
    fs.writeFileSync(path.join(dir, "intent.json"), JSON.stringify(decide("issue_comment", e)));
    const { io, stdout } = captureIo({ env: { GITHUB_REPOSITORY: "Codertocat/Hello-World", GITHUB_TOKEN: "t" } });
    const { registerGate } = await import("../../cli/commands/gate");
    const { Command } = await import("commander");
    const program = new Command("delivery").exitOverride();
    registerGate(program, io, async () => gh.client);
    const out = path.join(dir, "output");
    const summary = path.join(dir, "summary");
    await program.parseAsync(["gate", "--intent", path.join(dir, "intent.json"), "--stack", "prod", "--github-output", out, "--summary", summary, "--run-url", "https://x/run", "--post"], { from: "user" });
    expect(fs.readFileSync(out, "utf8")).toBe("proceed=false\naction=deploy\nenvironment=dev\ncommit=\npr=2\nrequested_by=carol\npreview_client_id_variable=AZURE_PREVIEW_CLIENT_ID_DEV\n");
    expect(fs.readFileSync(summary, "utf8")).toContain("### IssueOps decision");
    const post = gh.calls.find((c) => c.route.startsWith("POST"));
    expect(post?.body).toEqual({ body: "❌ deploy of dev refused:\n- @carol has read permission on this repository; deploy needs write, maintain or admin.\n\n<sub>[workflow run](https://x/run)</sub>" });
    expect(JSON.parse(stdout())).toMatchObject({ proceed: false, failed_checks: [{ id: "permission" }] });
  });

  it("--recheck fails, and says so on the PR, when the PR moved", async () => {
    const gh = fakeGitHub({
      [`GET ${R}/pulls/2`]: { body: pullRequest({ head: "f".repeat(40) }) },
      [`POST ${R}/issues/2/comments`]: { status: 201, body: { id: 78 } },
    });
    const { io, stderr } = captureIo({ env: { GITHUB_REPOSITORY: "Codertocat/Hello-World", GITHUB_TOKEN: "t" } });
    const { registerGate } = await import("../../cli/commands/gate");
    const { Command } = await import("commander");
    const program = new Command("delivery").exitOverride();
    registerGate(program, io, async () => gh.client);
    await expect(program.parseAsync(["gate", "--recheck", "--pr", "2", "--commit", HEAD, "--post"], { from: "user" })).rejects.toThrow(
      `Pull request #2 moved from ${HEAD.slice(0, 12)} to ffffffffffff after the command was read; nothing was deployed. Ask again to deploy the new head.`,
    );
    expect(gh.calls.map((c) => c.route)).toEqual([`GET ${R}/pulls/2`, `POST ${R}/issues/2/comments`]);
    expect(stderr()).toBe("");
  });

  it("is listed by delivery --help", async () => {
    const { io, stdout } = captureIo();
    await run(["--help"], io);
    for (const c of ["intent", "gate", "pr-comment", "render-workflows"]) expect(stdout()).toContain(c);
  });
});
