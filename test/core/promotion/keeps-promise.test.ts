/**
 * Promotion that keeps its promise, at the machine level: the validated tree is what ships, a
 * failing health endpoint or an alert during the soak drives the rollback, the freeze halts every
 * environment except the rollback and the fix and lifts itself when the environment is healthy
 * again, and drift of a branch away from what was deployed is reported with the action to take.
 */
import * as fc from "fast-check";
import { evaluatePromotion, type EnvironmentReport, type PromotionFacts, type PromotionReport } from "../../../core/promotion";
import { assignablePromoter, exemptFromFreeze, fixedIssues, fixForLine } from "../../../core/promotion/freeze";
import { branchDrift } from "../../../core/promotion/machine";
import { deploymentRecord } from "../../../core/promotion/github-act";
import { payloadFacts } from "../../../core/promotion/github-facts";
import { judgeTrees, treeCheckPlan, verifyPromotedTree } from "../../../core/promotion/tree";
import { at, deployment, envFacts, facts, PIPELINE, pr, restingPipeline, sha, status, succeeded, validation, validations } from "./builders";

const x = sha("1"); // dev's known-good commit
const s = sha("2"); // staging's commit (squash of PR #10 carrying x)
const p = sha("3"); // prod's commit
const y = sha("4"); // a new dev commit
const fix = sha("5"); // the fix, merged into dev by PR #70

function env(report: PromotionReport, name: string): EnvironmentReport {
  return report.environments.find((e) => e.name === name)!;
}

const issue = (number: number, environment: string, deploymentId: number, commit: string, state: "open" | "closed" = "open") => ({
  number,
  state,
  title: `Deployment failure: ${environment}`,
  url: `https://github.com/contoso/payments-service/issues/${number}`,
  createdAt: at(1020),
  marker: { environment, deploymentId, sha: commit },
});

describe("the validated tree is what ships (promote verify-tree)", () => {
  const r = restingPipeline();
  const all = (): PromotionFacts => facts([r.dev, r.staging, r.prod], { pullRequests: r.pullRequests });
  const trees = (map: Record<string, string>) => async (commit: string) => {
    if (!(commit in map)) throw new Error(`Mock not implemented: tree of ${commit}`);
    return map[commit];
  };

  it("GIVEN a squash-merged promotion whose tree equals the validated one THEN it passes and names both commits", async () => {
    const verdict = await verifyPromotedTree(PIPELINE, all(), "staging", s, trees({ [s]: "t".repeat(40), [x]: "t".repeat(40) }));
    expect(verdict).toEqual({
      ok: true,
      environment: "staging",
      commit: s,
      validatedIn: "dev",
      validatedCommit: x,
      pullRequest: { number: 10, url: "https://github.com/contoso/payments-service/pull/10" },
      method: "equal-tree",
      trees: { commit: "t".repeat(40), validated: "t".repeat(40) },
      reason: `222222222222 (merged by PR #10) has tree tttttttttttt, exactly the tree of 111111111111 validated in dev`,
    });
  });

  it("GIVEN a squash-merged promotion whose tree differs THEN it stops, saying why", async () => {
    const verdict = await verifyPromotedTree(PIPELINE, all(), "staging", s, trees({ [s]: "a".repeat(40), [x]: "b".repeat(40) }));
    expect(verdict.ok).toBe(false);
    expect(verdict.validatedCommit).toBe(x);
    expect(verdict.reason).toBe(
      "222222222222 (merged by PR #10) has tree aaaaaaaaaaaa, but 111111111111 validated in dev has tree bbbbbbbbbbbb: the merge changed what was validated (a conflict resolution, or other commits on staging's branch). Nothing is deployed; revert the branch to the validated tree or promote again from dev.",
    );
  });

  it("passes a fast-forward (the validated commit itself) without reading any tree", async () => {
    const verdict = await verifyPromotedTree(PIPELINE, all(), "staging", x, trees({}));
    expect(verdict).toMatchObject({ ok: true, method: "fast-forward", validatedCommit: x, trees: null });
  });

  it("has nothing to verify in the first environment", () => {
    expect(treeCheckPlan(PIPELINE, all(), "dev", y)).toEqual({ verdict: expect.objectContaining({ ok: true, method: "first-environment" }) });
  });

  it("stops a commit no promotion pull request brought", async () => {
    const verdict = await verifyPromotedTree(PIPELINE, all(), "staging", y, trees({}));
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/^444444444444 is not a commit validated in dev, and no merged pull request into test has it as its merge commit/);
  });

  it("stops a promotion PR whose head never passed validation upstream", async () => {
    const facts_ = facts([r.dev, r.staging, r.prod], { pullRequests: [...r.pullRequests, pr(12, "merged", "test", y, 2000, sha("6"))] });
    const verdict = await verifyPromotedTree(PIPELINE, facts_, "staging", sha("6"), trees({}));
    expect(verdict).toMatchObject({ ok: false, pullRequest: { number: 12 }, validatedCommit: null });
    expect(verdict.reason).toBe("PR #12 merged 444444444444 into test as 666666666666, but 444444444444 never passed validation in dev; nothing is deployed to staging.");
  });

  it("the deployment record carries both commits and who asked, and the collector reads them back", () => {
    const record = deploymentRecord({ environment: "staging", sha: s, rollback: false, production: false, runUrl: null, requestedBy: "alice-dev", promotedFrom: { environment: "dev", sha: x } });
    expect(payloadFacts(record.payload)).toEqual({ requestedBy: "alice-dev", promotedFrom: { environment: "dev", sha: x } });
    expect(payloadFacts(JSON.stringify(record.payload))).toEqual({ requestedBy: "alice-dev", promotedFrom: { environment: "dev", sha: x } });
    expect(payloadFacts({ delivery: { promotedFrom: { environment: "dev", commit: "not a sha" } } })).toEqual({ requestedBy: null, promotedFrom: null });
  });

  it("judges any two trees: equal passes, different stops (property)", () => {
    const hex = fc.stringMatching(/^[0-9a-f]{40}$/);
    fc.assert(
      fc.property(hex, hex, (a, b) => {
        const base = { environment: "staging", commit: s, validatedIn: "dev", validatedCommit: x, pullRequest: { number: 10, url: "u" } };
        expect(judgeTrees(base, { commit: a, validated: b }).ok).toBe(a === b);
      }),
    );
  });
});

describe("a failing validation drives the rollback", () => {
  const r = restingPipeline();
  const y2 = sha("7");

  it("GIVEN dev's health endpoint fails after a deployment THEN dev is failed, the issue opens and dev rolls back to the known-good commit", () => {
    const d = succeeded("dev", y2, 1000);
    const dev = { ...r.dev, deployments: [d, ...r.dev.deployments], validations: [...r.dev.validations, validation("dev", "health (dev)", y2, 1011, "failure")] };
    const report = evaluatePromotion(PIPELINE, facts([dev, r.staging, r.prod], { pullRequests: r.pullRequests, now: at(1100) }));
    expect(env(report, "dev").state).toBe("failed");
    expect(report.actions.map((a) => a.kind)).toEqual(["open-failure-issue", "rollback"]);
    expect(report.actions[0]).toMatchObject({ kind: "open-failure-issue", environment: "dev", priority: "high", failure: { category: "validation", kind: "health (dev)" } });
    expect(report.actions[1]).toEqual({ kind: "rollback", environment: "dev", branch: "dev", sha: x, fromSha: y2, failedDeploymentId: d.id, issue: null, requestedBy: null });
  });

  it("GIVEN a Sev1 alert fires during production's soak THEN the monitors check fails, prod is failed (critical, assigned to the promoter) and rolls back", () => {
    const p2 = sha("8");
    const d = { ...succeeded("prod", p2, 1000), requestedBy: "release-rita" };
    const during = [validation("prod", "health (prod)", p2, 1011, "success"), validation("prod", "smoke (prod)", p2, 1011, "success"), validation("prod", "monitors (prod)", p2, 1050, "failure")];
    const prod = { ...r.prod, deployments: [d, ...r.prod.deployments], validations: [...r.prod.validations, ...during] };
    const report = evaluatePromotion(PIPELINE, facts([r.dev, r.staging, prod], { pullRequests: r.pullRequests, now: at(1060) }));
    expect(env(report, "prod").state).toBe("failed");
    expect(report.actions[0]).toMatchObject({ kind: "open-failure-issue", environment: "prod", priority: "critical", assignee: "release-rita", failure: { category: "validation", kind: "monitors (prod)" } });
    expect(report.actions[1]).toMatchObject({ kind: "rollback", environment: "prod", sha: p, fromSha: p2 });
  });
});

describe("the freeze halts everything but the rollback and the fix, and lifts itself", () => {
  const r = restingPipeline();

  it("holds an ordinary promotion, lets the fix go forward past the failed environment, and says it is the fix", () => {
    // prod failed with no known-good to roll back to (fix forward); the fix is validated in dev.
    const failedProd = { ...r.prod, deployments: [deployment("prod", sha("9"), 1000, [status("in_progress", 1001), status("failure", 1012, "failed (logic/bicep-compile-error): BCP018")])], validations: [] };
    const open = issue(70, "prod", failedProd.deployments[0].id, sha("9"));
    const devWith = (commit: string) => ({ ...r.dev, deployments: [succeeded("dev", commit, 1100), ...r.dev.deployments], validations: [...r.dev.validations, ...validations("dev", commit, 1111)] });
    const ordinary = evaluatePromotion(PIPELINE, facts([devWith(y), r.staging, failedProd], { pullRequests: [...r.pullRequests, pr(69, "merged", "dev", sha("a"), 1090, y)], failureIssues: [open], now: at(1200) }));
    expect(env(ordinary, "dev").actions.map((a) => a.kind)).toEqual(["wait"]);
    expect(ordinary.actions.some((a) => a.kind === "open-pr")).toBe(false);

    const fixPr = { ...pr(71, "merged", "dev", sha("b"), 1090, fix), fixes: [70] };
    const fixing = evaluatePromotion(PIPELINE, facts([devWith(fix), r.staging, failedProd], { pullRequests: [...r.pullRequests, fixPr], failureIssues: [open], now: at(1200) }));
    const openPr = fixing.actions.find((a) => a.kind === "open-pr");
    expect(openPr).toEqual({ kind: "open-pr", from: "dev", to: "staging", sha: fix, base: "test", head: "promote/dev-to-staging/555555555555", title: "Promote 555555555555 from dev to staging", fixes: [70] });
  });

  it("closes the failure issue with a comment once the failed environment is healthy again (the rollback passed validation)", () => {
    const failed = deployment("dev", y, 1000, [status("in_progress", 1001), status("failure", 1012, "failed (environmental/throttled): 429")]);
    const rollback = succeeded("dev", x, 1100, "deploy:rollback");
    const open = issue(57, "dev", failed.id, y);
    const rolling = { ...r.dev, deployments: [rollback, failed, ...r.dev.deployments] };
    const validating = evaluatePromotion(PIPELINE, facts([rolling, r.staging, r.prod], { pullRequests: r.pullRequests, failureIssues: [open], now: at(1115) }));
    expect(validating.actions.some((a) => a.kind === "close-failure-issue")).toBe(false);

    const healthy = { ...rolling, validations: [...rolling.validations, ...validations("dev", x, 1112)] };
    const report = evaluatePromotion(PIPELINE, facts([healthy, r.staging, r.prod], { pullRequests: r.pullRequests, failureIssues: [open], now: at(1120) }));
    expect(report.actions).toEqual([
      {
        kind: "close-failure-issue",
        environment: "dev",
        issue: 57,
        sha: x,
        deploymentId: rollback.id,
        reason: `dev is healthy again: the rollback of 111111111111 (deployment ${rollback.id}) passed validation after the failure of deployment ${failed.id}`,
      },
    ]);
  });

  it("closes duplicate failure issues of one failure in issue-number order, whatever order GitHub lists them in", () => {
    const failed = deployment("dev", y, 1000, [status("in_progress", 1001), status("failure", 1012, "failed (environmental/throttled): 429")]);
    const rollback = succeeded("dev", x, 1100, "deploy:rollback");
    const healthy = { ...r.dev, deployments: [rollback, failed, ...r.dev.deployments], validations: [...r.dev.validations, ...validations("dev", x, 1112)] };
    const closed = (issues: ReturnType<typeof issue>[]) =>
      evaluatePromotion(PIPELINE, facts([healthy, r.staging, r.prod], { pullRequests: r.pullRequests, failureIssues: issues, now: at(1120) })).actions.map((a) => (a.kind === "close-failure-issue" ? a.issue : a.kind));
    expect(closed([issue(58, "dev", failed.id, y), issue(57, "dev", failed.id, y)])).toEqual([57, 58]);
    expect(closed([issue(57, "dev", failed.id, y), issue(58, "dev", failed.id, y)])).toEqual([57, 58]);
  });

  it("exempts exactly the rollback and the fix of an open issue (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 4 }), fc.constantFrom("deploy" as const, "promote" as const, "rollback" as const), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 4 }), (frozenBy, kind, fixes) => {
        const answer = exemptFromFreeze({ frozenBy, kind, fixes });
        const expected = frozenBy.length === 0 || kind === "rollback" || fixes.some((n) => frozenBy.includes(n));
        expect(answer.allowed).toBe(expected);
      }),
    );
  });

  it("reads the fix from a pull request's text: GitHub's closing keywords and `fix for`", () => {
    expect(fixedIssues("Fixes #57", "also closes: #3 and resolved #57; see #9, other/repo#12, fix for #80")).toEqual([57, 3, 80]);
    expect(fixedIssues(null, undefined, "prefix#57 fixes#1")).toEqual([]);
    expect(fixedIssues(fixForLine([57, 58]))).toEqual([57, 58]);
  });

  it("assigns people, never bots", () => {
    expect(assignablePromoter("release-rita")).toBe("release-rita");
    expect(assignablePromoter("github-actions[bot]")).toBeNull();
    expect(assignablePromoter(null)).toBeNull();
  });
});

describe("drift: an environment branch whose head nothing deployed or promoted", () => {
  const r = restingPipeline();

  it("GIVEN an admin pushed straight to test THEN staging is contradictory, with the action to take, and nothing is promoted", () => {
    const staging = { ...r.staging, branchHead: sha("c") };
    const report = evaluatePromotion(PIPELINE, facts([r.dev, staging, r.prod], { pullRequests: r.pullRequests }));
    expect(env(report, "staging").state).toBe("contradictory");
    expect(env(report, "staging").actions).toEqual([
      {
        kind: "investigate",
        environment: "staging",
        reason:
          "test is at cccccccccccc, which no deployment of staging deployed and no merged pull request into test brought (a direct push?); commits reach staging only by promotion: revert it through a pull request into test (or promote the change from the environment before); nothing is promoted until then",
      },
    ]);
    expect(report.actions.some((a) => a.kind === "open-pr")).toBe(false);
  });

  it("is not drift when the head is deployed, merged by a pull request (its deployment is due), unknown, or the environment never deployed", () => {
    expect(branchDrift(PIPELINE[1], 1, { ...r.staging, branchHead: s }, { pullRequests: r.pullRequests })).toBeNull();
    expect(branchDrift(PIPELINE[1], 1, { ...r.staging, branchHead: sha("d") }, { pullRequests: [pr(15, "merged", "test", x, 2000, sha("d"))] })).toBeNull();
    expect(branchDrift(PIPELINE[1], 1, { ...r.staging, branchHead: null }, { pullRequests: [] })).toBeNull();
    expect(branchDrift(PIPELINE[1], 1, envFacts("staging", { branchHead: sha("d") }), { pullRequests: [] })).toBeNull();
    expect(branchDrift(PIPELINE[0], 0, { ...r.dev, branchHead: sha("d") }, { pullRequests: [] })?.action).toMatch(/^review it: revert it through a pull request into dev, or deploy it deliberately/);
  });

  it("is not drift when a deployed commit's history contains the head, and is when the containing commit was never deployed here", () => {
    expect(branchDrift(PIPELINE[1], 1, { ...r.staging, branchHead: sha("d"), branchHeadContainedBy: s }, { pullRequests: [] })).toBeNull();
    expect(branchDrift(PIPELINE[1], 1, { ...r.staging, branchHead: sha("d"), branchHeadContainedBy: sha("e") }, { pullRequests: [] })?.fact).toMatch(/^test is at dddddddddddd/);
  });
});
