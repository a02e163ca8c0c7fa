import { checkProblems, evaluateGates, headStillAt, type ActDecision, type GateEnvironment, type GateFacts } from "../../core/intent";

const HEAD = "a".repeat(40);
const OTHER = "b".repeat(40);
const PROD: GateEnvironment = { name: "prod", branch: "main", requireApprovalLabel: true };
const DEV: GateEnvironment = { name: "dev", branch: "dev", requireApprovalLabel: false };
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

  it("honours a freeze (promotion extension point)", () => {
    expect(ids(evaluateGates(decision({ environment: "dev" }), DEV, facts({ approval: null, freeze: { reason: "prod rollback in progress" } }), "l"))).toEqual(["frozen"]);
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
