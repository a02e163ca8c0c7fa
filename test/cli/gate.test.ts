import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decideIntent, intentConfig, type Decision } from "../../core/intent";
import { evaluatePromotion, promotionFactsSchema, type PromotionReport } from "../../core/promotion";
import { run } from "../../cli/main";
import { runGate } from "../../cli/commands/gate";
import { captureIo } from "../harness/cli";
import { dispatch, prComment, prLabeled, push } from "../fixtures/events";
import { R, activity, branchRules, checkRuns, combinedStatus, commit, compare, failureIssues, fakeGitHub, labelEvents, mergedPullsOf, notCollaborator, permission, pullRequest, reviews, type Recorded } from "../fixtures/github-api";
import { FIXTURES, readRoutes, SHA } from "../core/promotion/fake-octokit";
import { stackConfig } from "../workflows/helpers";

const cfg = stackConfig("prod");
const repo = { owner: "Codertocat", repo: "Hello-World" };
const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const REQUIRED = ["preview (dev)", "preview (staging)", "preview (prod)", "docs (graft-status)"];
const GREEN = checkRuns(REQUIRED.map((name) => ({ name })));
const NOT_FROZEN = { [`GET ${R}/issues`]: failureIssues([{ number: 50, state: "closed" }]) };

/** The promotion machine's report over recorded facts (test/fixtures/github/promotion/facts). */
function recordedPromotion(file: string): () => Promise<PromotionReport> {
  const facts = promotionFactsSchema.parse(JSON.parse(fs.readFileSync(path.join(FIXTURES, "facts", file), "utf8")));
  return async () => evaluatePromotion(cfg.environments, facts);
}

/** Every read `delivery promote` makes in a recorded stage (test/fixtures/github/promotion/<stage>), as routes for fakeGitHub. */
function promotionApi(stage: string): Record<string, Recorded> {
  const load = (file: string) => {
    const own = path.join(FIXTURES, stage, file);
    return JSON.parse(fs.readFileSync(fs.existsSync(own) ? own : path.join(FIXTURES, "shared", file), "utf8"));
  };
  const exists = (file: string) => fs.existsSync(path.join(FIXTURES, stage, file)) || fs.existsSync(path.join(FIXTURES, "shared", file));
  return Object.fromEntries(
    Object.entries(readRoutes())
      .filter(([, file]) => exists(file as string))
      .map(([route, file]) => [route, { body: load(file as string) }]),
  );
}
const PAYMENTS = { owner: "contoso", repo: "payments-service" };
const P = "/repos/contoso/payments-service";

function decide(eventName: string, payload: unknown): Decision {
  return decideIntent(eventName, payload, intentConfig(cfg));
}

/** The API as it looks for a green PR #2 into main by alice, whose head bob approved with a review. */
function prodRoutes(over: Record<string, Recorded> = {}): Record<string, Recorded> {
  return {
    [`GET ${R}/collaborators/carol/permission`]: permission("carol", "write"),
    [`GET ${R}/collaborators/bob/permission`]: permission("bob", "maintain"),
    [`GET ${R}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "main", author: "alice" }) },
    [`GET ${R}/pulls/2/reviews`]: reviews([{ user: "bob", state: "APPROVED", commit: HEAD }]),
    [`GET ${R}/rules/branches/main`]: branchRules(["preview (prod)"]),
    [`GET ${R}/commits/${HEAD}/check-runs`]: GREEN,
    ...NOT_FROZEN,
    ...over,
  };
}

/** The same PR approved instead by bob's `approved:prod` label, applied at 00:01 (labelEvents' clock). */
function labelRoutes(pushedAt: string, over: Record<string, Recorded> = {}): Record<string, Recorded> {
  return prodRoutes({
    [`GET ${R}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "main", author: "alice", labels: ["approved:prod"] }) },
    [`GET ${R}/pulls/2/reviews`]: reviews([]),
    [`GET ${R}/issues/2/events`]: labelEvents([{ label: "deploy:dev", actor: "alice" }, { label: "approved:prod", actor: "bob" }]),
    [`GET ${R}/activity`]: activity([{ after: HEAD, at: pushedAt }]),
    ...over,
  });
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
    expect(outcome.outputs).toEqual({ proceed: "true", action: "deploy", environment: "prod", from: "", commit: HEAD, pr: "2", requested_by: "carol", preview_client_id_variable: "AZURE_PREVIEW_CLIENT_ID_PROD" });
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
      labelRoutes("2025-12-31T23:00:00Z", {
        [`GET ${R}/issues/2/events`]: labelEvents([{ label: "approved:prod", actor: "bob" }, { label: "approved:prod", actor: "alice" }]),
        [`GET ${R}/collaborators/alice/permission`]: permission("alice", "write"),
      }),
    );
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["approval-by-author"]);
  });

  it("accepts bob's label applied after the head was pushed (the repository activity says when)", async () => {
    const gh = fakeGitHub(labelRoutes("2025-12-31T23:00:00Z"));
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(gh.calls.map((c) => c.route)).toContain(`GET ${R}/activity?ref=refs%2Fheads%2Fchanges&direction=desc&per_page=100`);
  });

  it("ATTACK: the author pushes after the approval label, then asks for prod", async () => {
    // bob labelled at 00:01; alice pushed the head at 00:30 and carol comments /deploy prod.
    const gh = fakeGitHub(labelRoutes("2026-01-01T00:30:00Z"));
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.outputs.proceed).toBe("false");
    expect(outcome.result?.failed_checks).toEqual([
      {
        id: "approval-stale",
        message: "`approved:prod` was applied at 2026-01-01T00:01:00Z, before ec26c3e57ca3 was pushed at 2026-01-01T00:30:00Z; apply it again (or approve with a review) to approve the new commits.",
      },
    ]);
  });

  it("ATTACK: the author pushes after bob's review, then asks for prod", async () => {
    const gh = fakeGitHub(prodRoutes({ [`GET ${R}/pulls/2/reviews`]: reviews([{ user: "bob", state: "APPROVED", commit: "b".repeat(40) }]) }));
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["approval-stale"]);
  });

  it("ATTACK: a draft pull request is not deployed", async () => {
    const gh = fakeGitHub(prodRoutes({ [`GET ${R}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "main", author: "alice", draft: true }) } }));
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([{ id: "draft", message: "#2 is a draft; mark it ready for review before deploying it." }]);
  });

  it("ATTACK: a commit status, or another app's check run, with a required check's name does not satisfy it", async () => {
    const gh = fakeGitHub(
      prodRoutes({
        [`GET ${R}/rules/branches/main`]: branchRules(["security-scan"]),
        // What anyone with write access can post: `gh api repos/O/R/statuses/SHA -f state=success -f context=security-scan`.
        [`GET ${R}/commits/${HEAD}/status`]: combinedStatus([{ context: "security-scan", state: "success" }]),
        [`GET ${R}/commits/${HEAD}/check-runs`]: checkRuns([...REQUIRED.map((name) => ({ name })), { name: "security-scan", app: { id: 4242, slug: "someone-elses-app" } }]),
      }),
    );
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([{ id: "required-checks", message: "Required checks on ec26c3e57ca3 are not green: `security-scan` has not run by GitHub Actions." }]);
    // Statuses are not even read.
    expect(gh.calls.some((c) => c.route.endsWith("/status"))).toBe(false);
  });

  it("refuses prod when a required check (including the ruleset's) is red on the head", async () => {
    const gh = fakeGitHub(
      prodRoutes({
        [`GET ${R}/rules/branches/main`]: branchRules(["security-scan"]),
        [`GET ${R}/commits/${HEAD}/check-runs`]: checkRuns([...REQUIRED.map((name) => ({ name })), { name: "security-scan", conclusion: "failure" }]),
      }),
    );
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([{ id: "required-checks", message: "Required checks on ec26c3e57ca3 are not green: `security-scan` concluded failure." }]);
  });

  it("ATTACK: /rollback prod on an approved PR takes the approval from the PR that brought the target, not from the PR it is written on", async () => {
    const target = "c".repeat(40);
    const e = carolsComment();
    e.comment.body = `/rollback prod to ${target}`;
    const routes = prodRoutes({
      [`GET ${R}/commits/${target}`]: commit(target),
      [`GET ${R}/compare/${target}...main`]: compare("ahead"),
      [`GET ${R}/commits/${target}/check-runs`]: GREEN,
      // #9 brought the target to main; nobody approved its head.
      [`GET ${R}/commits/${target}/pulls`]: { body: [pullRequest({ number: 9, head: "d".repeat(40), base: "main", author: "mallory", state: "closed", mergedAt: "2026-01-02T00:00:00Z" })] },
      [`GET ${R}/pulls/9/reviews`]: reviews([{ user: "mallory", state: "COMMENTED", commit: "d".repeat(40) }]),
    });
    const outcome = await runGate(fakeGitHub(routes).client, repo, cfg, decide("issue_comment", e));
    expect(outcome.result?.failed_checks).toEqual([
      {
        id: "approval-missing",
        message:
          "prod needs a second person's approval of dddddddddddd on #9: an approving review of that commit, or the `approved:prod` label applied after it was pushed, by someone with write access who is neither the author nor the requester.",
      },
    ]);
    // With #9's head approved by bob, the same rollback goes through.
    const approved = { ...routes, [`GET ${R}/pulls/9/reviews`]: reviews([{ user: "bob", state: "APPROVED", commit: "d".repeat(40) }]) };
    expect((await runGate(fakeGitHub(approved).client, repo, cfg, decide("issue_comment", e))).outputs).toMatchObject({ proceed: "true", action: "rollback", commit: target });
  });

  it("refuses a label deployment if the PR moved after the label was applied", async () => {
    const e = prLabeled("deploy:dev", { sender: "carol" });
    const gh = fakeGitHub({
      [`GET ${R}/collaborators/carol/permission`]: permission("carol", "write"),
      [`GET ${R}/pulls/2`]: { body: pullRequest({ head: "f".repeat(40), base: "dev" }) },
      [`GET ${R}/rules/branches/dev`]: { status: 404, body: { message: "Not Found" } },
      [`GET ${R}/commits/${"f".repeat(40)}/check-runs`]: GREEN,
      [`GET ${R}/commits/${"f".repeat(40)}/status`]: combinedStatus(),
      ...NOT_FROZEN,
    });
    const outcome = await runGate(gh.client, repo, cfg, decide("pull_request_target", e));
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
      [`GET ${R}/commits/${HEAD}/pulls`]: { body: [pullRequest({ number: 5, head: HEAD, base: "main", author: "alice", state: "closed", mergedAt: "2026-01-02T00:00:00Z" })] },
      [`GET ${R}/pulls/5/reviews`]: reviews([{ user: "bob", state: "APPROVED", commit: HEAD }]),
      ...NOT_FROZEN,
    });
    const outcome = await runGate(gh.client, repo, cfg, decide("workflow_dispatch", dispatch({ action: "deploy", environment: "prod", sha: "" })));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toMatchObject({ proceed: "true", commit: HEAD, pr: "" });
  });

  it("answers /help without touching the API", async () => {
    const gh = fakeGitHub({});
    const help = await runGate(gh.client, repo, cfg, decide("issue_comment", prComment("/help")));
    expect(help.reply).toContain("**IssueOps commands**");
    expect(gh.calls).toEqual([]);
  });
});

describe("the promotion freeze in runGate", () => {
  const FROZEN = { [`GET ${R}/issues`]: failureIssues([{ number: 57 }, { number: 50, state: "closed" }]) };
  const stagingRoutes = (over: Record<string, Recorded> = {}): Record<string, Recorded> => ({
    [`GET ${R}/collaborators/carol/permission`]: permission("carol", "write"),
    [`GET ${R}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "test" }) },
    [`GET ${R}/rules/branches/test`]: branchRules([]),
    [`GET ${R}/commits/${HEAD}/check-runs`]: GREEN,
    [`GET ${R}/commits/${HEAD}/status`]: combinedStatus(),
    ...FROZEN,
    ...over,
  });
  const carols = (body: string) => {
    const e = prComment(body, { login: "carol" });
    e.issue.number = 2;
    return e;
  };

  it("refuses /deploy staging while a deployment-failure issue is open, naming it", async () => {
    const gh = fakeGitHub(stagingRoutes());
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carols("/deploy staging")));
    expect(outcome.outputs.proceed).toBe("false");
    expect(outcome.reply).toBe(
      "❌ deploy of staging refused:\n- Every deploy is frozen while #57 is open (label `deployment-failure`): only the rollback and the fix run, in every environment. Deploy the fix through a pull request into dev's branch that says `Fixes #57`; the issue closes itself once the failed environment is healthy again.",
    );
    expect(gh.calls.map((c) => c.route)).toContain(`GET ${R}/issues?labels=deployment-failure&state=all&sort=created&direction=desc&per_page=30`);
  });

  it("lets the fix into dev while frozen (its pull request says it fixes the open issue), and refuses anything else there too", async () => {
    const fixPr = { ...(pullRequest({ head: HEAD, base: "dev" }) as Record<string, unknown>), body: "Fixes #57: restore the orders queue" };
    const gh = fakeGitHub(stagingRoutes({ [`GET ${R}/pulls/2`]: { body: fixPr }, [`GET ${R}/rules/branches/dev`]: branchRules([]) }));
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carols("/deploy dev")));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toMatchObject({ proceed: "true", environment: "dev", commit: HEAD });
    const other = fakeGitHub(stagingRoutes({ [`GET ${R}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "dev" }) }, [`GET ${R}/rules/branches/dev`]: branchRules([]) }));
    const refused = await runGate(other.client, repo, cfg, decide("issue_comment", carols("/deploy dev")));
    expect(refused.result?.failed_checks.map((f) => f.id)).toEqual(["frozen"]);
  });

  it("lets rollbacks through while frozen, without reading the freeze", async () => {
    const full = `0123abc${"0".repeat(33)}`;
    const gh = fakeGitHub(
      stagingRoutes({
        [`GET ${R}/commits/0123abc`]: commit(full),
        [`GET ${R}/compare/${full}...test`]: compare("ahead"),
        [`GET ${R}/commits/${full}/check-runs`]: GREEN,
        [`GET ${R}/commits/${full}/status`]: combinedStatus(),
      }),
    );
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carols("/rollback staging to 0123abc")));
    expect(outcome.outputs).toMatchObject({ proceed: "true", action: "rollback", environment: "staging", commit: full });
    expect(gh.calls.some((c) => c.route.startsWith(`GET ${R}/issues?`))).toBe(false);
  });
});

describe("/rollback <env> without a SHA goes to the last known-good commit", () => {
  const carols = () => {
    const e = prComment("/rollback dev", { login: "carol" });
    e.issue.number = 2;
    return e;
  };

  it("resolves dev to its last known-good commit from the promotion machine, then gates it like any rollback", async () => {
    const gh = fakeGitHub({
      [`GET ${R}/collaborators/carol/permission`]: permission("carol", "write"),
      [`GET ${R}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "dev" }) },
      [`GET ${R}/compare/${SHA.A}...dev`]: compare("ahead"),
      [`GET ${R}/rules/branches/dev`]: branchRules([]),
      [`GET ${R}/commits/${SHA.A}/check-runs`]: GREEN,
      [`GET ${R}/commits/${SHA.A}/status`]: combinedStatus(),
    });
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carols()), recordedPromotion("dev-failed.json"));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toEqual({ proceed: "true", action: "rollback", environment: "dev", from: "", commit: SHA.A, pr: "2", requested_by: "carol", preview_client_id_variable: "AZURE_PREVIEW_CLIENT_ID_DEV" });
    // Not the branch head: nothing asked for heads/dev.
    expect(gh.calls.some((c) => c.route.includes("heads/dev"))).toBe(false);
  });

  it("reads the last known-good commit from GitHub as `delivery promote` does (recorded responses)", async () => {
    const gh = fakeGitHub({
      ...promotionApi("1-failed"),
      [`GET ${P}/collaborators/carol/permission`]: permission("carol", "write"),
      [`GET ${P}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "dev" }) },
      [`GET ${P}/compare/${SHA.A}...dev`]: compare("ahead"),
      [`GET ${P}/rules/branches/dev`]: branchRules([]),
      [`GET ${P}/commits/${SHA.A}/check-runs?per_page=100`]: GREEN,
      [`GET ${P}/commits/${SHA.A}/status`]: combinedStatus(),
    });
    const outcome = await runGate(gh.client, PAYMENTS, cfg, decide("issue_comment", carols()));
    expect(outcome.outputs).toMatchObject({ proceed: "true", action: "rollback", environment: "dev", commit: SHA.A });
    expect(gh.calls.map((c) => c.route)).toContain(`GET ${P}/deployments?environment=dev&per_page=10`);
  });

  it("refuses, with how to name a commit, when the environment already runs its last known-good commit", async () => {
    const e = prComment("/rollback staging", { login: "carol" });
    e.issue.number = 2;
    const gh = fakeGitHub({
      [`GET ${R}/collaborators/carol/permission`]: permission("carol", "write"),
      [`GET ${R}/pulls/2`]: { body: pullRequest({ head: HEAD, base: "test" }) },
      [`GET ${R}/compare/${SHA.S}...test`]: compare("identical"),
      [`GET ${R}/rules/branches/test`]: branchRules([]),
      [`GET ${R}/commits/${SHA.S}/check-runs`]: GREEN,
      [`GET ${R}/commits/${SHA.S}/status`]: combinedStatus(),
    });
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", e), recordedPromotion("dev-failed.json"));
    expect(outcome.reply).toBe("❌ rollback of staging refused:\n- staging already runs its last known-good commit 5c9e1a7b3d2f; to go further back, name the commit: `/rollback staging to <sha>`.");
  });

  it("lets the promotion machine's own rollback dispatch through, checking the person who started it", async () => {
    const e = dispatch({ action: "rollback", environment: "dev", sha: SHA.A, requested_by: "carol" }, "refs/heads/dev");
    e.sender.login = "github-actions[bot]";
    e.sender.type = "Bot";
    const gh = fakeGitHub({
      [`GET ${R}/collaborators/carol/permission`]: permission("carol", "write"),
      [`GET ${R}/commits/${SHA.A}`]: commit(SHA.A),
      [`GET ${R}/compare/${SHA.A}...dev`]: compare("ahead"),
      [`GET ${R}/rules/branches/dev`]: branchRules([]),
      [`GET ${R}/commits/${SHA.A}/check-runs`]: GREEN,
    });
    const d = decide("workflow_dispatch", e);
    expect(d).toMatchObject({ action: "rollback", requestedBy: "github-actions[bot]", onBehalfOf: "carol" });
    const outcome = await runGate(gh.client, repo, cfg, d);
    expect(outcome.outputs).toMatchObject({ proceed: "true", action: "rollback", environment: "dev", commit: SHA.A, requested_by: "github-actions[bot]" });
    expect(gh.calls.map((c) => c.route)).toContain(`GET ${R}/collaborators/carol/permission`);
  });

  it("ATTACK: a bot's dispatch naming nobody, or naming someone without write access, is refused", async () => {
    const routes = {
      [`GET ${R}/collaborators/mallory/permission`]: permission("mallory", "read"),
      [`GET ${R}/commits/${SHA.A}`]: commit(SHA.A),
      [`GET ${R}/compare/${SHA.A}...dev`]: compare("ahead"),
      [`GET ${R}/rules/branches/dev`]: branchRules([]),
      [`GET ${R}/commits/${SHA.A}/check-runs`]: GREEN,
    };
    const botDispatch = (inputs: Record<string, string>) => {
      const e = dispatch({ action: "rollback", environment: "dev", sha: SHA.A, ...inputs }, "refs/heads/dev");
      e.sender.login = "github-actions[bot]";
      e.sender.type = "Bot";
      return decide("workflow_dispatch", e);
    };
    const nobody = await runGate(fakeGitHub(routes).client, repo, cfg, botDispatch({}));
    expect(nobody.result?.failed_checks.map((f) => f.id)).toEqual(["permission"]);
    const reader = await runGate(fakeGitHub(routes).client, repo, cfg, botDispatch({ requested_by: "mallory" }));
    expect(reader.result?.failed_checks).toEqual([{ id: "permission", message: "@mallory (on whose behalf @github-actions[bot] dispatched) has read permission on this repository; rollback needs write, maintain or admin." }]);
  });
});

describe("/promote <from> <to> in runGate", () => {
  const C = "c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";
  const carols = (body: string) => {
    const e = prComment(body, { login: "carol" });
    e.issue.number = 2;
    return e;
  };

  it("proceeds when the machine asks for exactly that promotion, with the validated SHA", async () => {
    const gh = fakeGitHub({ [`GET ${R}/collaborators/carol/permission`]: permission("carol", "write") });
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carols("/promote dev staging")), recordedPromotion("dev-validated.json"));
    expect(outcome.reply).toBeNull();
    expect(outcome.outputs).toEqual({ proceed: "true", action: "promote", environment: "staging", from: "dev", commit: C, pr: "2", requested_by: "carol", preview_client_id_variable: "" });
  });

  it("replies with what blocks the environment (recorded responses: dev failed)", async () => {
    const gh = fakeGitHub({ ...promotionApi("1-failed"), [`GET ${P}/collaborators/carol/permission`]: permission("carol", "maintain") });
    const outcome = await runGate(gh.client, PAYMENTS, cfg, decide("issue_comment", carols("/promote dev staging")));
    expect(outcome.outputs).toMatchObject({ proceed: "false", action: "promote", environment: "staging", from: "dev", commit: "" });
    expect(outcome.reply).toBe(
      '❌ promote from dev to staging refused:\n- dev is not ready to promote to staging (dev is failed): dev failed (logic/bicep-compile-error): main.bicep(12,5) : Error BCP018: Expected the "=" character at this location.',
    );
  });

  it("refuses a skip to a later environment, and people without write access, before reading the pipeline", async () => {
    const gh = fakeGitHub({ [`GET ${R}/collaborators/carol/permission`]: permission("carol", "triage") });
    const outcome = await runGate(gh.client, repo, cfg, decide("issue_comment", carols("/promote dev prod")), async () => {
      throw new Error("the pipeline must not be read");
    });
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["permission", "not-next-environment"]);
    expect(gh.calls.map((c) => c.route)).toEqual([`GET ${R}/collaborators/carol/permission`]);
  });
});

describe("a push to an environment branch (deploy on merge)", () => {
  const M = "5c9e1a7b3d2f4e6a8c0b9d7f5e3a1c2b4d6f8e0a";
  const routes = (over: Record<string, Recorded> = {}): Record<string, Recorded> => ({
    [`GET ${R}/collaborators/octocat/permission`]: permission("octocat", "write"),
    [`GET ${R}/compare/${M}...test`]: compare("identical"),
    [`GET ${R}/commits/${M}/pulls`]: mergedPullsOf([{ number: 40, head: HEAD, base: "test" }]),
    [`GET ${R}/rules/branches/test`]: branchRules([]),
    [`GET ${R}/commits/${HEAD}/check-runs`]: GREEN,
    [`GET ${R}/commits/${HEAD}/status`]: combinedStatus(),
    ...NOT_FROZEN,
    ...over,
  });

  it("deploys the merge commit, with the required checks read on the merged pull request's head", async () => {
    const gh = fakeGitHub(routes());
    const outcome = await runGate(gh.client, repo, cfg, decide("push", push("test", { after: M, sender: "octocat" })));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toEqual({ proceed: "true", action: "deploy", environment: "staging", from: "", commit: M, pr: "", requested_by: "octocat", preview_client_id_variable: "AZURE_PREVIEW_CLIENT_ID_STAGING" });
    expect(gh.calls.map((c) => c.route)).toContain(`GET ${R}/commits/${HEAD}/check-runs?per_page=100`);
  });

  it("does not deploy a push that no pull request brought", async () => {
    const gh = fakeGitHub(routes({ [`GET ${R}/commits/${M}/pulls`]: { body: [] } }));
    const outcome = await runGate(gh.client, repo, cfg, decide("push", push("test", { after: M, sender: "octocat" })));
    expect(outcome.result?.failed_checks).toEqual([
      { id: "unreviewed-push", message: "5c9e1a7b3d2f reached `test` without a merged pull request, so it is not deployed on push. Deploy it with the deploy workflow's manual dispatch on `test`." },
    ]);
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
      ...NOT_FROZEN,
    });
    const e = prComment("/deploy dev", { login: "carol" });
    e.issue.number = 2;
    fs.writeFileSync(path.join(dir, "intent.json"), JSON.stringify(decide("issue_comment", e)));
    const { io, stdout, stderr } = captureIo({ env: { GITHUB_REPOSITORY: "Codertocat/Hello-World", GITHUB_TOKEN: "t" } });
    const out = path.join(dir, "output");
    const summary = path.join(dir, "summary");
    const code = await run(["gate", "--intent", path.join(dir, "intent.json"), "--stack", "prod", "--github-output", out, "--summary", summary, "--run-url", "https://x/run", "--post"], io, { github: async () => gh.client });
    expect([code, stderr()]).toEqual([0, ""]); // a refusal is a decision (proceed=false), not a failure of the command
    expect(fs.readFileSync(out, "utf8")).toBe("proceed=false\naction=deploy\nenvironment=dev\nfrom=\ncommit=\npr=2\nrequested_by=carol\npreview_client_id_variable=AZURE_PREVIEW_CLIENT_ID_DEV\n");
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
    const code = await run(["gate", "--recheck", "--pr", "2", "--commit", HEAD, "--post"], io, { github: async () => gh.client });
    expect(code).toBe(1);
    expect(stderr()).toBe(`delivery: Pull request #2 moved from ${HEAD.slice(0, 12)} to ffffffffffff after the command was read; nothing was deployed. Ask again to deploy the new head.\n`);
    expect(gh.calls.map((c) => c.route)).toEqual([`GET ${R}/pulls/2`, `POST ${R}/issues/2/comments`]);
  });

  it("--recheck --intent evaluates every gate again right before deploying, and refuses when the approval is gone", async () => {
    fs.writeFileSync(path.join(dir, "intent.json"), JSON.stringify(decide("issue_comment", carolsComment())));
    const recheck = async (routes: Record<string, Recorded>, commitSha: string) => {
      const gh = fakeGitHub({ ...routes, [`POST ${R}/issues/2/comments`]: { status: 201, body: { id: 79 } } });
      const { io, stdout, stderr } = captureIo({ env: { GITHUB_REPOSITORY: "Codertocat/Hello-World", GITHUB_TOKEN: "t" } });
      const code = await run(["gate", "--recheck", "--intent", path.join(dir, "intent.json"), "--stack", "prod", "--commit", commitSha, "--post"], io, { github: async () => gh.client });
      return { gh, code, stdout, stderr };
    };
    const ok = await recheck(prodRoutes(), HEAD);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout())).toEqual({ proceed: true, commit: HEAD, failed_checks: [] });

    // ATTACK: bob's review was dismissed while the deployment waited for the environment's reviewers.
    const withdrawn = await recheck(prodRoutes({ [`GET ${R}/pulls/2/reviews`]: reviews([{ user: "bob", state: "APPROVED", commit: HEAD }, { user: "bob", state: "DISMISSED", commit: HEAD }]) }), HEAD);
    expect(withdrawn.code).toBe(1);
    expect(withdrawn.stderr()).toMatch(/^delivery: deploy of prod refused when re-checked before deploying \(nothing was deployed\):\n- prod needs a second person's approval of ec26c3e57ca3 on #2/);
    expect(withdrawn.gh.calls.filter((c) => c.route.startsWith("POST")).length).toBe(1);

    // The gates now resolve another head than the one the deploy job was started for.
    const moved = await recheck(prodRoutes(), "f".repeat(40));
    expect([moved.code, moved.stderr()]).toEqual([1, `delivery: re-check refused:\n- The deployment was started for ffffffffffff, but the gates now resolve ${HEAD.slice(0, 12)}; nothing was deployed. Ask again to deploy the new commit.\n`]);
  });

  it("is listed by delivery --help", async () => {
    const { io, stdout } = captureIo();
    await run(["--help"], io);
    for (const c of ["intent", "gate", "pr-comment", "render-workflows"]) expect(stdout()).toContain(c);
  });
});
