import { checkProblems, evaluateGates, evaluatePromoteGates, headStillAt, type ActDecision, type GateEnvironment, type GateFacts, type PromoteDecision, type PromoteGateFacts } from "../../core/intent";

const HEAD = "a".repeat(40);
const OTHER = "b".repeat(40);
const PROD: GateEnvironment = { name: "prod", branch: "main", requireApprovalLabel: true, firstEnvironment: "dev" };
const DEV: GateEnvironment = { name: "dev", branch: "dev", requireApprovalLabel: false, firstEnvironment: "dev" };
const STAGING: GateEnvironment = { name: "staging", branch: "test", requireApprovalLabel: false, firstEnvironment: "dev" };
const REQUIRED = ["preview (dev)", "preview (prod)"];
const GREEN = REQUIRED.map((name) => ({ name, status: "completed", conclusion: "success" }));

function decision(over: Partial<ActDecision> = {}): ActDecision {
  return { action: "deploy", environment: "prod", commit: null, ref: null, commentId: 1, source: "comment", requestedBy: "alice", pullRequest: 7, ...over };
}

function facts(over: Partial<GateFacts> = {}): GateFacts {
  return {
    requesterPermission: "write",
    pullRequest: { number: 7, state: "open", headSha: HEAD, baseRef: "main", author: "alice", fromFork: false },
    target: HEAD,
    targetOnBranch: null,
    requiredChecks: REQUIRED,
    checks: GREEN,
    approval: { present: true, appliedBy: "bob", appliedByType: "User", appliedByPermission: "maintain", pullRequest: 7, pullRequestAuthor: "alice" },
    freeze: [],
    lastKnownGood: null,
    mergedPullRequest: null,
    ...over,
  };
}

const ids = (r: { failed_checks: readonly { id: string }[] }) => r.failed_checks.map((f) => f.id);

describe("evaluateGates", () => {
  it("GIVEN a writer's /deploy prod on a green PR into main approved by someone else THEN it deploys the head", () => {
    const r = evaluateGates(decision(), PROD, facts(), "approved:prod");
    expect(r).toEqual({ success: true, failed_checks: [], commit: HEAD, message: `deploy of prod at ${HEAD.slice(0, 12)} is allowed.` });
  });

  it.each([
    ["read", false],
    ["triage", false],
    ["none", false],
    ["write", true],
    ["maintain", true],
    ["admin", true],
  ] as const)("permission %s -> allowed %s", (permission, ok) => {
    const r = evaluateGates(decision({ environment: "dev" }), DEV, facts({ requesterPermission: permission, approval: null }), "approved:prod");
    expect(r.success).toBe(ok);
    if (!ok) expect(r.failed_checks[0]).toEqual({ id: "permission", message: `@alice has ${permission} permission on this repository; deploy needs write, maintain or admin.` });
  });

  it("refuses when the SHA named in the command is not the head", () => {
    const r = evaluateGates(decision({ commit: "bbbbbbb" }), PROD, facts(), "approved:prod");
    expect(r.failed_checks).toEqual([{ id: "commit-mismatch", message: `You asked for bbbbbbb, but the head of #7 is ${HEAD.slice(0, 12)}. Deployments from a pull request deploy its head; push or name the head.` }]);
    expect(r.commit).toBeNull();
  });

  it("refuses a label deployment when the PR moved after the label", () => {
    const r = evaluateGates(decision({ source: "label", commit: OTHER, environment: "dev" }), DEV, facts({ approval: null }), "approved:prod");
    expect(ids(r)).toEqual(["head-moved"]);
  });

  it("refuses closed and forked pull requests", () => {
    const pr = facts().pullRequest!;
    expect(ids(evaluateGates(decision(), PROD, facts({ pullRequest: { ...pr, state: "closed" } }), "l"))).toEqual(["pull-request-open"]);
    expect(ids(evaluateGates(decision(), PROD, facts({ pullRequest: { ...pr, fromFork: true } }), "l"))).toEqual(["fork"]);
  });

  it("requires every required check to have run and passed on the commit", () => {
    const checks = [
      { name: "preview (dev)", status: "completed", conclusion: "failure" },
      { name: "preview (dev)", status: "completed", conclusion: "success" }, // older run: the newest counts
    ];
    const r = evaluateGates(decision(), PROD, facts({ checks }), "approved:prod");
    expect(r.failed_checks).toEqual([{ id: "required-checks", message: `Required checks on ${HEAD.slice(0, 12)} are not green: \`preview (dev)\` concluded failure; \`preview (prod)\` has not run.` }]);
  });

  it("treats neutral and skipped like GitHub does, and in-progress as not yet green", () => {
    expect(checkProblems(["a", "b", "c"], [
      { name: "a", status: "completed", conclusion: "neutral" },
      { name: "b", status: "completed", conclusion: "skipped" },
      { name: "c", status: "in_progress", conclusion: null },
    ])).toEqual(["`c` is in progress"]);
  });

  describe("two-person approval for prod", () => {
    it("needs the label", () => {
      const r = evaluateGates(decision(), PROD, facts({ approval: { ...facts().approval!, present: false } }), "approved:prod");
      expect(r.failed_checks).toEqual([{ id: "approval-missing", message: "prod needs the `approved:prod` label on #7, applied by a second person with write access." }]);
    });

    it("refuses a label applied by the PR author", () => {
      const r = evaluateGates(decision({ requestedBy: "carol" }), PROD, facts({ approval: { ...facts().approval!, appliedBy: "alice" } }), "approved:prod");
      expect(ids(r)).toEqual(["approval-by-author"]);
    });

    it("refuses a label applied by the person asking, even if they are not the author", () => {
      const r = evaluateGates(decision({ requestedBy: "Bob" }), PROD, facts(), "approved:prod");
      expect(r.failed_checks).toEqual([{ id: "approval-by-requester", message: "`approved:prod` was applied by @bob, who is also asking for the deployment; a second person must apply it." }]);
    });

    it("one person who authored, labelled and asked fails twice", () => {
      const r = evaluateGates(decision(), PROD, facts({ approval: { ...facts().approval!, appliedBy: "alice" } }), "approved:prod");
      expect(ids(r)).toEqual(["approval-by-author", "approval-by-requester"]);
    });

    it("refuses labels applied by bots or by people without write access", () => {
      expect(ids(evaluateGates(decision(), PROD, facts({ approval: { ...facts().approval!, appliedBy: "some-app[bot]", appliedByType: "Bot" } }), "l"))).toEqual(["approval-not-a-maintainer"]);
      expect(ids(evaluateGates(decision(), PROD, facts({ approval: { ...facts().approval!, appliedByPermission: "triage" } }), "l"))).toEqual(["approval-not-a-maintainer"]);
    });

    it("deploys prod only from pull requests into its branch", () => {
      const pr = facts().pullRequest!;
      const r = evaluateGates(decision(), PROD, facts({ pullRequest: { ...pr, baseRef: "test" } }), "approved:prod");
      expect(r.failed_checks).toEqual([{ id: "branch-policy", message: "prod deploys only pull requests into `main`; #7 targets `test`." }]);
    });

    it("dispatches prod only from its branch", () => {
      const d = decision({ source: "dispatch", pullRequest: null, ref: "refs/heads/feature", commentId: null });
      expect(ids(evaluateGates(d, PROD, facts({ pullRequest: null }), "approved:prod"))).toEqual(["branch-policy"]);
      expect(ids(evaluateGates({ ...d, ref: "refs/heads/main" }, PROD, facts({ pullRequest: null }), "approved:prod"))).toEqual([]);
    });

    it("previews need no approval", () => {
      expect(evaluateGates(decision({ action: "preview" }), PROD, facts({ approval: null, checks: [] }), "l").success).toBe(true);
    });
  });

  it("rolls back only to commits on the environment branch", () => {
    const r = evaluateGates(decision({ action: "rollback", environment: "dev", commit: "bbbbbbb" }), DEV, facts({ target: OTHER, targetOnBranch: false, approval: null }), "l");
    expect(r.failed_checks).toEqual([{ id: "target-not-on-branch", message: `${OTHER.slice(0, 12)} is not on \`dev\`; dev rolls back only to commits of its branch.` }]);
  });

  describe("the promotion freeze (an open deployment-failure issue)", () => {
    const frozen = { freeze: [{ number: 57, url: "https://github.com/contoso/payments-service/issues/57" }] };
    const stagingPr = { number: 7, state: "open" as const, headSha: HEAD, baseRef: "test", author: "alice", fromFork: false };

    it("refuses deployments to every environment but the first, with the issue to close", () => {
      const r = evaluateGates(decision({ environment: "staging" }), STAGING, facts({ ...frozen, approval: null, pullRequest: stagingPr }), "approved:prod");
      expect(r.failed_checks).toEqual([
        {
          id: "frozen",
          message: "Promotion is frozen while #57 is open (label `deployment-failure`): only rollbacks and deployments to dev run. Deploy the fix to dev, and close the issue once it is validated there.",
        },
      ]);
      expect(ids(evaluateGates(decision(), PROD, facts(frozen), "approved:prod"))).toEqual(["frozen"]);
    });

    it("names every open issue", () => {
      const two = { freeze: [...frozen.freeze, { number: 58, url: "https://github.com/contoso/payments-service/issues/58" }] };
      expect(evaluateGates(decision(), PROD, facts(two), "approved:prod").failed_checks[0].message).toMatch(/^Promotion is frozen while #57, #58 are open /);
    });

    it("never blocks deployments to the first environment (how the fix arrives)", () => {
      expect(evaluateGates(decision({ environment: "dev" }), DEV, facts({ ...frozen, approval: null }), "l").success).toBe(true);
    });

    it("never blocks rollbacks (how the freeze is handled) or previews", () => {
      const rollback = decision({ action: "rollback", environment: "staging", commit: "abcdef1", pullRequest: null, source: "dispatch", ref: "refs/heads/test", commentId: null });
      expect(evaluateGates(rollback, STAGING, facts({ ...frozen, approval: null, pullRequest: null, targetOnBranch: true }), "l").success).toBe(true);
      expect(evaluateGates(decision({ action: "preview" }), PROD, facts({ ...frozen, approval: null, checks: [] }), "l").success).toBe(true);
    });
  });

  describe("/rollback <env> without a SHA: the last known-good commit", () => {
    const rollback = decision({ action: "rollback", environment: "staging", commit: null });

    it("rolls back to the machine's last known-good commit, when it is on the branch", () => {
      const r = evaluateGates(rollback, STAGING, facts({ approval: null, target: OTHER, targetOnBranch: true, lastKnownGood: { sha: OTHER, deployedSha: HEAD, state: "validating" } }), "l");
      expect(r).toEqual({ success: true, failed_checks: [], commit: OTHER, message: `rollback of staging at ${OTHER.slice(0, 12)} is allowed.` });
    });

    it("rolls a failed environment back even to the commit it runs (a redeploy of the known-good one)", () => {
      const r = evaluateGates(rollback, STAGING, facts({ approval: null, target: OTHER, targetOnBranch: true, lastKnownGood: { sha: OTHER, deployedSha: OTHER, state: "failed" } }), "l");
      expect(r.success).toBe(true);
    });

    it("refuses when there is no known-good commit, and says how to name one", () => {
      const r = evaluateGates(rollback, STAGING, facts({ approval: null, target: null, lastKnownGood: { sha: null, deployedSha: HEAD, state: "failed" } }), "l");
      expect(r.failed_checks).toEqual([
        { id: "no-known-good", message: "staging has no last known-good commit (its promotion state is failed): no deployment of it passed validation. Name the commit: `/rollback staging to <sha>`." },
      ]);
    });

    it("refuses to 'roll back' to what already runs", () => {
      const r = evaluateGates(rollback, STAGING, facts({ approval: null, target: HEAD, targetOnBranch: true, lastKnownGood: { sha: HEAD, deployedSha: HEAD, state: "promoted" } }), "l");
      expect(r.failed_checks).toEqual([
        { id: "already-known-good", message: `staging already runs its last known-good commit ${HEAD.slice(0, 12)}; to go further back, name the commit: \`/rollback staging to <sha>\`.` },
      ]);
    });

    it("still requires the known-good commit to be on the environment branch", () => {
      const r = evaluateGates(rollback, STAGING, facts({ approval: null, target: OTHER, targetOnBranch: false, lastKnownGood: { sha: OTHER, deployedSha: HEAD, state: "validating" } }), "l");
      expect(ids(r)).toEqual(["target-not-on-branch"]);
    });
  });

  describe("a push to an environment branch", () => {
    const pushed = decision({ environment: "staging", source: "push", commit: HEAD, ref: "refs/heads/test", pullRequest: null, commentId: null });
    const merged = { number: 40, headSha: OTHER };

    it("deploys the pushed commit when a merged pull request with green checks brought it", () => {
      expect(evaluateGates(pushed, STAGING, facts({ pullRequest: null, approval: null, targetOnBranch: true, mergedPullRequest: merged }), "l")).toMatchObject({ success: true, commit: HEAD });
    });

    it("refuses a push no pull request brought", () => {
      const r = evaluateGates(pushed, STAGING, facts({ pullRequest: null, approval: null, targetOnBranch: true, checks: [] }), "l");
      expect(r.failed_checks).toEqual([
        { id: "unreviewed-push", message: `${HEAD.slice(0, 12)} reached \`test\` without a merged pull request, so it is not deployed on push. Deploy it with the deploy workflow's manual dispatch on \`test\`.` },
      ]);
    });

    it("reads the required checks on the merged pull request's head, and says so", () => {
      const r = evaluateGates(pushed, STAGING, facts({ pullRequest: null, approval: null, targetOnBranch: true, mergedPullRequest: merged, checks: [] }), "l");
      expect(r.failed_checks).toEqual([{ id: "required-checks", message: `Required checks on ${OTHER.slice(0, 12)} (the head of #40) are not green: \`preview (dev)\` has not run; \`preview (prod)\` has not run.` }]);
    });

    it("deploys prod only from pushes to its branch", () => {
      const r = evaluateGates({ ...pushed, environment: "prod", ref: "refs/heads/test" }, PROD, facts({ pullRequest: null, targetOnBranch: true, mergedPullRequest: merged }), "approved:prod");
      expect(r.failed_checks).toEqual([{ id: "branch-policy", message: "prod is dispatched only from `main`, not `refs/heads/test`." }]);
    });
  });

  it("reports every failure at once", () => {
    const r = evaluateGates(decision(), PROD, facts({ requesterPermission: "read", checks: [], approval: null }), "approved:prod");
    expect(ids(r)).toEqual(["permission", "required-checks", "approval-missing"]);
    expect(r.message.split("\n")[0]).toBe("deploy of prod refused:");
  });
});

describe("headStillAt", () => {
  const pr = { number: 7, state: "open" as const, headSha: HEAD, baseRef: "main", author: "alice", fromFork: false };
  it("passes when the PR has not moved", () => expect(headStillAt(HEAD, pr)).toBeNull());
  it("refuses when it moved", () => expect(headStillAt(OTHER, pr)?.id).toBe("head-moved"));
  it("refuses when it was closed", () => expect(headStillAt(HEAD, { ...pr, state: "closed" })?.id).toBe("pull-request-open"));
});

describe("evaluatePromoteGates (/promote <from> <to>)", () => {
  const PIPELINE = ["dev", "staging", "prod"];
  const promote = (from: string, to: string): PromoteDecision => ({ action: "promote", from, to, commentId: 1, source: "comment", requestedBy: "alice", pullRequest: 7 });
  const openPr = { kind: "open-pr" as const, from: "dev", to: "staging", sha: HEAD, base: "test", head: `promote/dev-to-staging/${HEAD.slice(0, 12)}`, title: "Promote" };
  const machine = (dev: Partial<NonNullable<PromoteGateFacts["promotion"]>["environments"][number]>): PromoteGateFacts["promotion"] => ({
    environments: [
      { name: "dev", state: "promoted", blocking: [], actions: [openPr], ...dev },
      { name: "staging", state: "complete", blocking: [], actions: [] },
    ],
  });

  it("allows exactly the promotion the machine asks for, at the validated SHA", () => {
    expect(evaluatePromoteGates(promote("dev", "staging"), PIPELINE, { requesterPermission: "write", promotion: machine({}) })).toEqual({
      success: true,
      failed_checks: [],
      commit: HEAD,
      message: `promote of ${HEAD.slice(0, 12)} from dev to staging is allowed.`,
    });
  });

  it("refuses people without write access, without reading the pipeline", () => {
    const r = evaluatePromoteGates(promote("dev", "staging"), PIPELINE, { requesterPermission: "triage", promotion: null });
    expect(r.failed_checks).toEqual([{ id: "permission", message: "@alice has triage permission on this repository; promote needs write, maintain or admin." }]);
    expect(r.message).toBe("promote from dev to staging refused:\n- @alice has triage permission on this repository; promote needs write, maintain or admin.");
  });

  it("promotes only to the next environment", () => {
    expect(evaluatePromoteGates(promote("dev", "prod"), PIPELINE, { requesterPermission: "write", promotion: machine({}) }).failed_checks).toEqual([
      { id: "not-next-environment", message: "`/promote` moves a commit one environment along the pipeline (dev -> staging -> prod): dev promotes only to staging, not to prod." },
    ]);
    expect(evaluatePromoteGates(promote("staging", "dev"), PIPELINE, { requesterPermission: "write", promotion: machine({}) }).failed_checks[0].id).toBe("not-next-environment");
    expect(evaluatePromoteGates(promote("prod", "dev"), PIPELINE, { requesterPermission: "write", promotion: machine({}) }).failed_checks).toEqual([
      { id: "not-next-environment", message: "prod is the last environment of the pipeline (dev -> staging -> prod); there is nothing to promote it to." },
    ]);
  });

  it("replies with what blocks the environment when the machine does not ask for the promotion", () => {
    const blocked = machine({ state: "validating", blocking: ["smoke (dev): pending", "soaking until 2025-06-02T11:00:00.000Z (60 min after the deployment)"], actions: [{ kind: "wait", environment: "dev", reason: "x" }] });
    expect(evaluatePromoteGates(promote("dev", "staging"), PIPELINE, { requesterPermission: "write", promotion: blocked }).failed_checks).toEqual([
      { id: "not-promotable", message: "dev is not ready to promote to staging (dev is validating): smoke (dev): pending; soaking until 2025-06-02T11:00:00.000Z (60 min after the deployment)." },
    ]);
  });

  it("says what the machine does instead when nothing blocks (e.g. already promoted)", () => {
    const done = machine({ actions: [{ kind: "done", environment: "dev", reason: `${HEAD.slice(0, 12)} is already promoted to staging (PR #41)` }] });
    expect(evaluatePromoteGates(promote("dev", "staging"), PIPELINE, { requesterPermission: "admin", promotion: done }).failed_checks).toEqual([
      { id: "not-promotable", message: `dev is not ready to promote to staging (dev is promoted): done: ${HEAD.slice(0, 12)} is already promoted to staging (PR #41).` },
    ]);
  });
});
