import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decideIntent, intentConfig, type Decision } from "../../core/intent";
import { evaluatePromotion, promotionFactsSchema, type PromotionReport } from "../../core/promotion";
import { run } from "../../cli/main";
import { runGate } from "../../cli/commands/gate";
import { captureIo } from "../harness/cli";
import { requiredChecksRules, standInGitHub, type StandInGitHub } from "../harness/github";
import { dispatch, prComment, prLabeled, push } from "../fixtures/events";
import { FIXTURES, recordedGitHub, SHA } from "../core/promotion/recorded-github";
import { stackConfig } from "../workflows/helpers";

const cfg = stackConfig("prod");
const repo = { owner: "Codertocat", repo: "Hello-World" };
const R = "/repos/Codertocat/Hello-World";
const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const PAYMENTS = { owner: "contoso", repo: "payments-service" };
const P = "/repos/contoso/payments-service";
const REQUIRED = ["preview (dev)", "preview (staging)", "preview (prod)", "docs (graft-status)"];

/** The promotion machine's report over recorded facts (test/fixtures/github/promotion/facts). */
function recordedPromotion(file: string): () => Promise<PromotionReport> {
  const facts = promotionFactsSchema.parse(JSON.parse(fs.readFileSync(path.join(FIXTURES, "facts", file), "utf8")));
  return async () => evaluatePromotion(cfg.environments, facts);
}

function decide(eventName: string, payload: unknown): Decision {
  return decideIntent(eventName, payload, intentConfig(cfg));
}

/**
 * The stand-in GitHub of Codertocat/Hello-World: main, dev and test at one root commit, and #1, a
 * deployment failure that was closed (so nothing is frozen). The next pull request is #2.
 */
function github(): StandInGitHub & { root: string } {
  const gh = standInGitHub();
  const root = gh.git.addCommit({ message: "initial\n" });
  for (const branch of ["main", "dev", "test"]) gh.git.setBranch(branch, root);
  gh.world.openIssue({ title: "Deployment failure: dev at b7e4d2c9a1f0 (logic/bicep-compile-error)", author: "github-actions[bot]", labels: ["deployment-failure"] }).state = "closed";
  return Object.assign(gh, { root });
}

/** The required checks, green on `sha`, reported by GitHub Actions. */
function green(gh: StandInGitHub, sha: string): void {
  for (const name of REQUIRED) gh.world.addCheckRun(sha, name, "success");
}

/** `sha` as a commit on `branch`: a child of the root, and the branch moved past it (or onto it). */
function onBranch(gh: StandInGitHub & { root: string }, branch: string, sha: string, options: { branchAt?: "it" | "after" } = {}): string {
  gh.git.addCommit({ sha, parents: [gh.root] });
  gh.git.setBranch(branch, options.branchAt === "it" ? sha : gh.git.addCommit({ parents: [sha] }));
  return sha;
}

/** A pull request merged into `base` whose merge commit is `mergeCommit`. */
function mergedPullRequest(gh: StandInGitHub, options: { author: string; headSha: string; base: string; mergeCommit: string }) {
  const pr = gh.world.openPullRequest({ author: options.author, head: `feature-${options.headSha.slice(0, 7)}`, headSha: options.headSha, base: options.base, baseSha: options.mergeCommit });
  Object.assign(pr, { state: "closed", merged_at: "2026-01-02T00:00:00Z", merge_commit_sha: options.mergeCommit });
  return pr;
}

/** Green PR #2 into main by alice (head HEAD on branch `changes`); carol may write, bob maintains. */
function prodPullRequest(options: { draft?: boolean } = {}) {
  const gh = github();
  gh.git.addCommit({ sha: HEAD, parents: [gh.root] });
  gh.git.setBranch("changes", HEAD);
  gh.world.addCollaborator("carol", "write");
  gh.world.addCollaborator("bob", "maintain");
  gh.world.openPullRequest({ author: "alice", head: "changes", headSha: HEAD, base: "main", baseSha: gh.root, draft: options.draft });
  gh.world.branchRules.main = requiredChecksRules(repo, ["preview (prod)"]);
  green(gh, HEAD);
  return gh;
}

/** The same PR, its head approved by bob's review. */
function reviewedByBob() {
  const gh = prodPullRequest();
  gh.world.addReview(2, "bob", "APPROVED", HEAD);
  return gh;
}

/** The same PR approved instead by bob's `approved:prod` label, before or after alice pushed the head. */
function labelledByBob(order: "pushed-then-labelled" | "labelled-then-pushed") {
  const gh = prodPullRequest();
  const pushed = () => gh.world.recordPush("changes", HEAD, { by: "alice" });
  if (order === "pushed-then-labelled") pushed();
  gh.world.addLabel(2, "deploy:dev", "alice");
  gh.world.addLabel(2, "approved:prod", "bob");
  if (order === "labelled-then-pushed") pushed();
  return gh;
}

const carolsComment = (body = "/deploy prod") => {
  const e = prComment(body, { login: "carol" });
  e.issue.number = 2;
  return e;
};

describe("runGate against the stand-in GitHub", () => {
  it("lets a writer deploy prod when a second person approved the head and checks are green", async () => {
    const gh = reviewedByBob();
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toEqual({ proceed: "true", action: "deploy", environment: "prod", from: "", commit: HEAD, pr: "2", requested_by: "carol", preview_client_id_variable: "AZURE_PREVIEW_CLIENT_ID_PROD" });
    expect(outcome.reply).toBeNull();
    // The permission was asked of the API, for the commenter, not guessed from author_association.
    expect(gh.requests()).toContain(`GET ${R}/collaborators/carol/permission`);
  });

  it("refuses someone who is not a collaborator, whatever author_association says", async () => {
    const e = carolsComment();
    e.comment.author_association = "OWNER";
    const gh = reviewedByBob();
    delete gh.world.collaborators.carol;
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", e));
    expect(outcome.outputs.proceed).toBe("false");
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["permission"]);
    expect(outcome.reply).toBe("❌ deploy of prod refused:\n- @carol has none permission on this repository; deploy needs write, maintain or admin.");
  });

  it("refuses triage users (who can apply labels but not push)", async () => {
    const gh = reviewedByBob();
    gh.world.addCollaborator("carol", "triage");
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["permission"]);
  });

  it("refuses prod when the author applied the approval label themselves", async () => {
    const gh = labelledByBob("pushed-then-labelled");
    gh.world.addCollaborator("alice", "write");
    gh.world.addLabel(2, "approved:prod", "alice");
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["approval-by-author"]);
  });

  it("accepts bob's label applied after the head was pushed (the repository activity says when)", async () => {
    const gh = labelledByBob("pushed-then-labelled");
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(gh.requests()).toContain(`GET ${R}/activity?ref=refs%2Fheads%2Fchanges&direction=desc&per_page=100`);
  });

  it("ATTACK: the author pushes after the approval label, then asks for prod", async () => {
    const gh = labelledByBob("labelled-then-pushed");
    const labelled = gh.world.issueEvents.find((e) => e.label.name === "approved:prod")!.created_at;
    const pushed = gh.world.pushes[0].timestamp;
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.outputs.proceed).toBe("false");
    expect(outcome.result?.failed_checks).toEqual([
      {
        id: "approval-stale",
        message: `\`approved:prod\` was applied at ${labelled}, before ec26c3e57ca3 was pushed at ${pushed}; apply it again (or approve with a review) to approve the new commits.`,
      },
    ]);
  });

  it("ATTACK: the author pushes after bob's review, then asks for prod", async () => {
    const gh = prodPullRequest();
    gh.world.addReview(2, "bob", "APPROVED", "b".repeat(40));
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["approval-stale"]);
  });

  it("ATTACK: a draft pull request is not deployed", async () => {
    const gh = prodPullRequest({ draft: true });
    gh.world.addReview(2, "bob", "APPROVED", HEAD);
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([{ id: "draft", message: "#2 is a draft; mark it ready for review before deploying it." }]);
  });

  it("ATTACK: a commit status, or another app's check run, with a required check's name does not satisfy it", async () => {
    const gh = reviewedByBob();
    gh.world.branchRules.main = requiredChecksRules(repo, ["security-scan"]);
    // What anyone with write access can post: `gh api repos/O/R/statuses/SHA -f state=success -f context=security-scan`.
    await gh.client("carol").request("POST /repos/{owner}/{repo}/statuses/{sha}", { ...repo, sha: HEAD, state: "success", context: "security-scan" });
    gh.world.addCheckRun(HEAD, "security-scan", "success", { id: 4242, slug: "someone-elses-app" });
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([{ id: "required-checks", message: "Required checks on ec26c3e57ca3 are not green: `security-scan` has not run by GitHub Actions." }]);
    // Statuses are not even read.
    expect(gh.calls.some((c) => c.path.endsWith("/status") || c.path.includes("/statuses?"))).toBe(false);
  });

  it("refuses prod when a required check (including the ruleset's) is red on the head", async () => {
    const gh = reviewedByBob();
    gh.world.branchRules.main = requiredChecksRules(repo, ["security-scan"]);
    gh.world.addCheckRun(HEAD, "security-scan", "failure");
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment()));
    expect(outcome.result?.failed_checks).toEqual([{ id: "required-checks", message: "Required checks on ec26c3e57ca3 are not green: `security-scan` concluded failure." }]);
  });

  it("ATTACK: /rollback prod on an approved PR takes the approval from the PR that brought the target, not from the PR it is written on", async () => {
    const target = "c".repeat(40);
    const gh = reviewedByBob(); // #2 is approved; the rollback must not borrow that
    onBranch(gh, "main", target);
    green(gh, target);
    // #3 brought the target to main; nobody approved its head.
    const brought = mergedPullRequest(gh, { author: "mallory", headSha: "d".repeat(40), base: "main", mergeCommit: target });
    gh.world.addReview(brought.number, "mallory", "COMMENTED", "d".repeat(40));
    const e = carolsComment(`/rollback prod to ${target}`);
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", e));
    expect(outcome.result?.failed_checks).toEqual([
      {
        id: "approval-missing",
        message: `prod needs a second person's approval of dddddddddddd on #${brought.number}: an approving review of that commit, or the \`approved:prod\` label applied after it was pushed, by someone with write access who is neither the author nor the requester.`,
      },
    ]);
    // With #3's head approved by bob, the same rollback goes through.
    gh.world.addReview(brought.number, "bob", "APPROVED", "d".repeat(40));
    expect((await runGate(gh.client(), repo, cfg, decide("issue_comment", e))).outputs).toMatchObject({ proceed: "true", action: "rollback", commit: target });
  });

  it("refuses a label deployment if the PR moved after the label was applied", async () => {
    const e = prLabeled("deploy:dev", { sender: "carol" });
    const gh = github();
    gh.world.addCollaborator("carol", "write");
    gh.world.openPullRequest({ author: "alice", head: "changes", headSha: onBranch(gh, "changes", "f".repeat(40), { branchAt: "it" }), base: "dev", baseSha: gh.root });
    green(gh, "f".repeat(40));
    expect(e.pull_request.head.sha).not.toBe("f".repeat(40));
    const outcome = await runGate(gh.client(), repo, cfg, decide("pull_request_target", e));
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["head-moved"]);
  });

  it("rolls dev back to a commit only if it is on the dev branch", async () => {
    const full = `0123abc${"0".repeat(33)}`;
    const gh = github();
    gh.world.addCollaborator("carol", "admin");
    gh.world.openPullRequest({ author: "alice", head: "changes", headSha: HEAD, base: "dev", baseSha: gh.root });
    gh.git.addCommit({ sha: full, parents: [gh.root] });
    green(gh, full);
    gh.git.setBranch("dev", gh.git.addCommit({ parents: [gh.root], message: "another line\n" })); // dev never had it
    const e = carolsComment("/rollback dev to 0123abc");
    const refused = await runGate(gh.client(), repo, cfg, decide("issue_comment", e));
    expect(refused.result?.failed_checks.map((f) => f.id)).toEqual(["target-not-on-branch"]);
    gh.git.setBranch("dev", gh.git.addCommit({ parents: [full] }));
    const ok = await runGate(gh.client(), repo, cfg, decide("issue_comment", e));
    expect(ok.outputs).toMatchObject({ proceed: "true", action: "rollback", commit: full });
  });

  it("takes prod approval for a dispatch from the PR that merged the commit", async () => {
    const gh = github();
    gh.world.addCollaborator("octocat", "admin");
    gh.world.addCollaborator("bob", "write");
    onBranch(gh, "main", HEAD, { branchAt: "it" });
    green(gh, HEAD);
    const merged = mergedPullRequest(gh, { author: "alice", headSha: HEAD, base: "main", mergeCommit: HEAD });
    gh.world.addReview(merged.number, "bob", "APPROVED", HEAD);
    const outcome = await runGate(gh.client(), repo, cfg, decide("workflow_dispatch", dispatch({ action: "deploy", environment: "prod", sha: "" })));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toMatchObject({ proceed: "true", commit: HEAD, pr: "" });
  });

  it("answers /help without touching the API", async () => {
    const gh = github();
    const help = await runGate(gh.client(), repo, cfg, decide("issue_comment", prComment("/help")));
    expect(help.reply).toContain("**IssueOps commands**");
    expect(gh.calls).toEqual([]);
  });
});

describe("the promotion freeze in runGate", () => {
  /** PR #2 into test, green, by alice; carol may write; #3, a deployment failure, is open. */
  const frozen = (options: { base?: string } = {}) => {
    const gh = github();
    gh.world.addCollaborator("carol", "write");
    const pr = gh.world.openPullRequest({ author: "alice", head: "changes", headSha: onBranch(gh, "changes", HEAD, { branchAt: "it" }), base: options.base ?? "test", baseSha: gh.root });
    green(gh, HEAD);
    const failure = gh.world.openIssue({ title: "Deployment failure: dev at b7e4d2c9a1f0 (logic/bicep-compile-error)", author: "github-actions[bot]", labels: ["deployment-failure"] });
    return Object.assign(gh, { pr, failure });
  };

  it("refuses /deploy staging while a deployment-failure issue is open, naming it", async () => {
    const gh = frozen();
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment("/deploy staging")));
    expect(outcome.outputs.proceed).toBe("false");
    expect(outcome.reply).toBe(
      `❌ deploy of staging refused:\n- Every deploy is frozen while #${gh.failure.number} is open (label \`deployment-failure\`): only the rollback and the fix run, in every environment. Deploy the fix through a pull request into dev's branch that says \`Fixes #${gh.failure.number}\`; the issue closes itself once the failed environment is healthy again.`,
    );
    expect(gh.requests()).toContain(`GET ${R}/issues?labels=deployment-failure&state=all&sort=created&direction=desc&per_page=30`);
  });

  it("lets the fix into dev while frozen (its pull request says it fixes the open issue), and refuses anything else there too", async () => {
    const gh = frozen({ base: "dev" });
    const refused = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment("/deploy dev")));
    expect(refused.result?.failed_checks.map((f) => f.id)).toEqual(["frozen"]);
    gh.pr.body = `Fixes #${gh.failure.number}: restore the orders queue`;
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment("/deploy dev")));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toMatchObject({ proceed: "true", environment: "dev", commit: HEAD });
  });

  it("lets rollbacks through while frozen, without reading the freeze", async () => {
    const full = `0123abc${"0".repeat(33)}`;
    const gh = frozen();
    onBranch(gh, "test", full);
    green(gh, full);
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment("/rollback staging to 0123abc")));
    expect(outcome.outputs).toMatchObject({ proceed: "true", action: "rollback", environment: "staging", commit: full });
    expect(gh.calls.some((c) => c.path.startsWith(`${R}/issues?`))).toBe(false);
  });
});

describe("/rollback <env> without a SHA goes to the last known-good commit", () => {
  /** PR #2 into `base`, carol a writer, and the pipeline's known-good commit `known` on `branch`. */
  const rollbackWorld = (base: string, known: string, branchAt: "it" | "after") => {
    const gh = github();
    gh.world.addCollaborator("carol", "write");
    gh.world.openPullRequest({ author: "alice", head: "changes", headSha: HEAD, base, baseSha: gh.root });
    onBranch(gh, base, known, { branchAt });
    green(gh, known);
    return gh;
  };

  it("resolves dev to its last known-good commit from the promotion machine, then gates it like any rollback", async () => {
    const gh = rollbackWorld("dev", SHA.A, "after");
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment("/rollback dev")), recordedPromotion("dev-failed.json"));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toEqual({ proceed: "true", action: "rollback", environment: "dev", from: "", commit: SHA.A, pr: "2", requested_by: "carol", preview_client_id_variable: "AZURE_PREVIEW_CLIENT_ID_DEV" });
    // Not the branch head: nothing asked for heads/dev.
    expect(gh.calls.some((c) => c.path.includes("heads/dev") || c.path.includes("heads%2Fdev"))).toBe(false);
  });

  it("reads the last known-good commit from GitHub as `delivery promote` does (recorded history)", async () => {
    const gh = recordedGitHub("1-failed");
    gh.world.addCollaborator("carol", "write");
    gh.world.openPullRequest({ author: "alice", head: "changes", headSha: HEAD, base: "dev", baseSha: SHA.A });
    const pr = gh.world.pulls.at(-1)!;
    green(gh, SHA.A);
    const e = prComment("/rollback dev", { login: "carol" });
    e.issue.number = pr.number;
    const outcome = await runGate(gh.client(), PAYMENTS, cfg, decide("issue_comment", e));
    expect(outcome.reply).toBeNull();
    expect(outcome.outputs).toMatchObject({ proceed: "true", action: "rollback", environment: "dev", commit: SHA.A });
    expect(gh.requests()).toContain(`GET ${P}/deployments?environment=dev&per_page=10`);
  });

  it("refuses, with how to name a commit, when the environment already runs its last known-good commit", async () => {
    const gh = rollbackWorld("test", SHA.S, "it");
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment("/rollback staging")), recordedPromotion("dev-failed.json"));
    expect(outcome.reply).toBe("❌ rollback of staging refused:\n- staging already runs its last known-good commit 5c9e1a7b3d2f; to go further back, name the commit: `/rollback staging to <sha>`.");
  });

  /** The promotion machine's rollback dispatch of dev to SHA.A, sent by the job's bot. */
  const botDispatch = (inputs: Record<string, string>) => {
    const e = dispatch({ action: "rollback", environment: "dev", sha: SHA.A, ...inputs }, "refs/heads/dev");
    e.sender.login = "github-actions[bot]";
    e.sender.type = "Bot";
    return decide("workflow_dispatch", e);
  };
  const dispatchWorld = () => {
    const gh = github();
    onBranch(gh, "dev", SHA.A);
    green(gh, SHA.A);
    return gh;
  };

  it("lets the promotion machine's own rollback dispatch through, checking the person who started it", async () => {
    const gh = dispatchWorld();
    gh.world.addCollaborator("carol", "write");
    const d = botDispatch({ requested_by: "carol" });
    expect(d).toMatchObject({ action: "rollback", requestedBy: "github-actions[bot]", onBehalfOf: "carol" });
    const outcome = await runGate(gh.client(), repo, cfg, d);
    expect(outcome.outputs).toMatchObject({ proceed: "true", action: "rollback", environment: "dev", commit: SHA.A, requested_by: "github-actions[bot]" });
    expect(gh.requests()).toContain(`GET ${R}/collaborators/carol/permission`);
  });

  it("ATTACK: a bot's dispatch naming nobody, or naming someone without write access, is refused", async () => {
    const gh = dispatchWorld();
    gh.world.addCollaborator("mallory", "read");
    const nobody = await runGate(gh.client(), repo, cfg, botDispatch({}));
    expect(nobody.result?.failed_checks.map((f) => f.id)).toEqual(["permission"]);
    const reader = await runGate(gh.client(), repo, cfg, botDispatch({ requested_by: "mallory" }));
    expect(reader.result?.failed_checks).toEqual([{ id: "permission", message: "@mallory (on whose behalf @github-actions[bot] dispatched) has read permission on this repository; rollback needs write, maintain or admin." }]);
  });
});

describe("/promote <from> <to> in runGate", () => {
  const C = "c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";

  it("proceeds when the machine asks for exactly that promotion, with the validated SHA", async () => {
    const gh = github();
    gh.world.addCollaborator("carol", "write");
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment("/promote dev staging")), recordedPromotion("dev-validated.json"));
    expect(outcome.reply).toBeNull();
    expect(outcome.outputs).toEqual({ proceed: "true", action: "promote", environment: "staging", from: "dev", commit: C, pr: "2", requested_by: "carol", preview_client_id_variable: "" });
  });

  it("replies with what blocks the environment (recorded history: dev failed)", async () => {
    const gh = recordedGitHub("1-failed");
    gh.world.addCollaborator("carol", "maintain");
    const outcome = await runGate(gh.client(), PAYMENTS, cfg, decide("issue_comment", carolsComment("/promote dev staging")));
    expect(outcome.outputs).toMatchObject({ proceed: "false", action: "promote", environment: "staging", from: "dev", commit: "" });
    expect(outcome.reply).toBe(
      '❌ promote from dev to staging refused:\n- dev is not ready to promote to staging (dev is failed): dev failed (logic/bicep-compile-error): main.bicep(12,5) : Error BCP018: Expected the "=" character at this location.',
    );
  });

  it("refuses a skip to a later environment, and people without write access, before reading the pipeline", async () => {
    const gh = github();
    gh.world.addCollaborator("carol", "triage");
    const outcome = await runGate(gh.client(), repo, cfg, decide("issue_comment", carolsComment("/promote dev prod")), async () => {
      throw new Error("the pipeline must not be read");
    });
    expect(outcome.result?.failed_checks.map((f) => f.id)).toEqual(["permission", "not-next-environment"]);
    expect(gh.requests()).toEqual([`GET ${R}/collaborators/carol/permission`]);
  });
});

describe("a push to an environment branch (deploy on merge)", () => {
  const M = "5c9e1a7b3d2f4e6a8c0b9d7f5e3a1c2b4d6f8e0a";
  /** M, the merge commit at the head of test; octocat pushed it; HEAD, the merged head, is green. */
  const mergedIntoTest = (options: { byPullRequest: boolean }) => {
    const gh = github();
    gh.world.addCollaborator("octocat", "write");
    gh.git.addCommit({ sha: HEAD, parents: [gh.root] });
    gh.git.addCommit({ sha: M, parents: [gh.root, HEAD], message: "Merge pull request\n" });
    gh.git.setBranch("test", M);
    green(gh, HEAD);
    if (options.byPullRequest) mergedPullRequest(gh, { author: "alice", headSha: HEAD, base: "test", mergeCommit: M });
    return gh;
  };

  it("deploys the merge commit, with the required checks read on the merged pull request's head", async () => {
    const gh = mergedIntoTest({ byPullRequest: true });
    const outcome = await runGate(gh.client(), repo, cfg, decide("push", push("test", { after: M, sender: "octocat" })));
    expect(outcome.result?.failed_checks).toEqual([]);
    expect(outcome.outputs).toEqual({ proceed: "true", action: "deploy", environment: "staging", from: "", commit: M, pr: "", requested_by: "octocat", preview_client_id_variable: "AZURE_PREVIEW_CLIENT_ID_STAGING" });
    expect(gh.requests()).toContain(`GET ${R}/commits/${HEAD}/check-runs?per_page=100`);
  });

  it("does not deploy a push that no pull request brought", async () => {
    const gh = mergedIntoTest({ byPullRequest: false });
    const outcome = await runGate(gh.client(), repo, cfg, decide("push", push("test", { after: M, sender: "octocat" })));
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
  const env = { GITHUB_REPOSITORY: "Codertocat/Hello-World", GITHUB_TOKEN: "t" };

  it("writes outputs and a summary, and posts the reply for a refusal", async () => {
    const gh = github();
    gh.world.addCollaborator("carol", "read");
    gh.world.openPullRequest({ author: "alice", head: "changes", headSha: onBranch(gh, "changes", HEAD, { branchAt: "it" }), base: "dev", baseSha: gh.root });
    green(gh, HEAD);
    fs.writeFileSync(path.join(dir, "intent.json"), JSON.stringify(decide("issue_comment", carolsComment("/deploy dev"))));
    const { io, stdout, stderr } = captureIo({ env });
    const out = path.join(dir, "output");
    const summary = path.join(dir, "summary");
    const code = await run(["gate", "--intent", path.join(dir, "intent.json"), "--stack", "prod", "--github-output", out, "--summary", summary, "--run-url", "https://x/run", "--post"], io, { github: async () => gh.client() });
    expect([code, stderr()]).toEqual([0, ""]); // a refusal is a decision (proceed=false), not a failure of the command
    expect(fs.readFileSync(out, "utf8")).toBe("proceed=false\naction=deploy\nenvironment=dev\nfrom=\ncommit=\npr=2\nrequested_by=carol\npreview_client_id_variable=AZURE_PREVIEW_CLIENT_ID_DEV\n");
    expect(fs.readFileSync(summary, "utf8")).toContain("### IssueOps decision");
    expect(gh.world.commentsOn(2).map((c) => c.body)).toEqual(["❌ deploy of dev refused:\n- @carol has read permission on this repository; deploy needs write, maintain or admin.\n\n<sub>[workflow run](https://x/run)</sub>"]);
    expect(JSON.parse(stdout())).toMatchObject({ proceed: false, failed_checks: [{ id: "permission" }] });
  });

  it("--recheck fails, and says so on the PR, when the PR moved", async () => {
    const gh = github();
    gh.world.openPullRequest({ author: "alice", head: "changes", headSha: "f".repeat(40), base: "main", baseSha: gh.root });
    const { io, stderr } = captureIo({ env });
    const code = await run(["gate", "--recheck", "--pr", "2", "--commit", HEAD, "--post"], io, { github: async () => gh.client() });
    expect(code).toBe(1);
    expect(stderr()).toBe(`delivery: Pull request #2 moved from ${HEAD.slice(0, 12)} to ffffffffffff after the command was read; nothing was deployed. Ask again to deploy the new head.\n`);
    expect(gh.requests()).toEqual([`GET ${R}/pulls/2`, `POST ${R}/issues/2/comments`]);
  });

  it("--recheck --intent evaluates every gate again right before deploying, and refuses when the approval is gone", async () => {
    fs.writeFileSync(path.join(dir, "intent.json"), JSON.stringify(decide("issue_comment", carolsComment())));
    const gh = reviewedByBob();
    const recheck = async (commitSha: string) => {
      const { io, stdout, stderr } = captureIo({ env });
      const code = await run(["gate", "--recheck", "--intent", path.join(dir, "intent.json"), "--stack", "prod", "--commit", commitSha, "--post"], io, { github: async () => gh.client() });
      return { code, stdout, stderr };
    };
    const ok = await recheck(HEAD);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout())).toEqual({ proceed: true, commit: HEAD, failed_checks: [] });
    expect(gh.world.commentsOn(2)).toEqual([]);

    // The gates now resolve another head than the one the deploy job was started for.
    const moved = await recheck("f".repeat(40));
    expect([moved.code, moved.stderr()]).toEqual([1, `delivery: re-check refused:\n- The deployment was started for ffffffffffff, but the gates now resolve ${HEAD.slice(0, 12)}; nothing was deployed. Ask again to deploy the new commit.\n`]);

    // ATTACK: bob's review was dismissed while the deployment waited for the environment's reviewers.
    gh.world.reviews.find((r) => r.user.login === "bob")!.state = "DISMISSED";
    const before = gh.world.commentsOn(2).length;
    const withdrawn = await recheck(HEAD);
    expect(withdrawn.code).toBe(1);
    expect(withdrawn.stderr()).toMatch(/^delivery: deploy of prod refused when re-checked before deploying \(nothing was deployed\):\n- prod needs a second person's approval of ec26c3e57ca3 on #2/);
    expect(gh.world.commentsOn(2).length).toBe(before + 1);
  });

  it("is listed by delivery --help", async () => {
    const { io, stdout } = captureIo();
    await run(["--help"], io);
    for (const c of ["intent", "gate", "pr-comment", "render-workflows"]) expect(stdout()).toContain(c);
  });
});
