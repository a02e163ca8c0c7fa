import {
  GITHUB_ACTIONS_APP_ID,
  checkProblems,
  evaluateGates,
  evaluatePromoteGates,
  headStillAt,
  recheckResult,
  requestingPerson,
  type ActDecision,
  type ApprovalFact,
  type GateEnvironment,
  type GateFacts,
  type PromoteDecision,
  type PromoteGateFacts,
  type ReviewFact,
} from "../../core/intent";

const HEAD = "a".repeat(40);
const OTHER = "b".repeat(40);
const PROD: GateEnvironment = { name: "prod", branch: "main", requireApprovalLabel: true, firstEnvironment: "dev" };
const DEV: GateEnvironment = { name: "dev", branch: "dev", requireApprovalLabel: false, firstEnvironment: "dev" };
const STAGING: GateEnvironment = { name: "staging", branch: "test", requireApprovalLabel: false, firstEnvironment: "dev" };
const ACTIONS = GITHUB_ACTIONS_APP_ID;
const REQUIRED = [
  { name: "preview (dev)", appId: ACTIONS },
  { name: "preview (prod)", appId: ACTIONS },
];
const GREEN = REQUIRED.map(({ name }) => ({ name, status: "completed", conclusion: "success", appId: ACTIONS }));
/** bob, a maintainer, approved the head with a review. */
const BOB_APPROVES_HEAD: ReviewFact = { login: "bob", type: "User", permission: "maintain", state: "APPROVED", commitId: HEAD };
const APPROVED: ApprovalFact = { pullRequest: 7, pullRequestAuthor: "alice", headSha: HEAD, reviews: [BOB_APPROVES_HEAD], label: null };

function decision(over: Partial<ActDecision> = {}): ActDecision {
  return { action: "deploy", environment: "prod", commit: null, ref: null, commentId: 1, source: "comment", requestedBy: "alice", pullRequest: 7, ...over };
}

function facts(over: Partial<GateFacts> = {}): GateFacts {
  return {
    requesterPermission: "write",
    pullRequest: { number: 7, state: "open", headSha: HEAD, baseRef: "main", author: "alice", fromFork: false, draft: false },
    target: HEAD,
    targetOnBranch: null,
    requiredChecks: REQUIRED,
    checks: GREEN,
    approval: APPROVED,
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
      { name: "preview (dev)", status: "completed", conclusion: "failure", appId: ACTIONS },
      { name: "preview (dev)", status: "completed", conclusion: "success", appId: ACTIONS }, // older run: the newest counts
    ];
    const r = evaluateGates(decision(), PROD, facts({ checks }), "approved:prod");
    expect(r.failed_checks).toEqual([{ id: "required-checks", message: `Required checks on ${HEAD.slice(0, 12)} are not green: \`preview (dev)\` concluded failure; \`preview (prod)\` has not run by GitHub Actions.` }]);
  });

  it("treats neutral and skipped like GitHub does, and in-progress as not yet green", () => {
    const any = (name: string) => ({ name, appId: null });
    expect(checkProblems([any("a"), any("b"), any("c")], [
      { name: "a", status: "completed", conclusion: "neutral", appId: 1 },
      { name: "b", status: "completed", conclusion: "skipped", appId: 2 },
      { name: "c", status: "in_progress", conclusion: null, appId: 3 },
    ])).toEqual(["`c` is in progress"]);
  });

  it("ATTACK: a green check of the required name from another app does not satisfy a check GitHub Actions must report", () => {
    const forged = REQUIRED.map(({ name }) => ({ name, status: "completed", conclusion: "success", appId: 999 }));
    const r = evaluateGates(decision(), PROD, facts({ checks: forged }), "approved:prod");
    expect(r.failed_checks).toEqual([
      { id: "required-checks", message: `Required checks on ${HEAD.slice(0, 12)} are not green: \`preview (dev)\` has not run by GitHub Actions; \`preview (prod)\` has not run by GitHub Actions.` },
    ]);
    // A newer forged success does not hide the real, older failure either.
    const real = [{ ...forged[0] }, { name: "preview (dev)", status: "completed", conclusion: "failure", appId: ACTIONS }, GREEN[1]];
    expect(ids(evaluateGates(decision(), PROD, facts({ checks: real }), "approved:prod"))).toEqual(["required-checks"]);
  });

  it("ATTACK: a draft pull request is not deployed (previews of it are)", () => {
    const draft = { ...facts().pullRequest!, draft: true };
    expect(evaluateGates(decision({ environment: "dev" }), DEV, facts({ pullRequest: draft, approval: null }), "l").failed_checks).toEqual([
      { id: "draft", message: "#7 is a draft; mark it ready for review before deploying it." },
    ]);
    expect(evaluateGates(decision({ action: "preview" }), PROD, facts({ pullRequest: draft, approval: null, checks: [] }), "l").success).toBe(true);
  });

  describe("two-person approval for prod, bound to the commit", () => {
    const review = (over: Partial<ReviewFact>): ReviewFact => ({ ...BOB_APPROVES_HEAD, ...over });
    const approval = (over: Partial<ApprovalFact>): ApprovalFact => ({ ...APPROVED, ...over });
    const LABEL = { login: "bob", type: "User" as const, permission: "write" as const, appliedAt: "2026-01-01T10:05:00Z", headPushedAt: "2026-01-01T10:00:00Z" };

    it("needs an approval", () => {
      const r = evaluateGates(decision(), PROD, facts({ approval: approval({ reviews: [] }) }), "approved:prod");
      expect(r.failed_checks).toEqual([
        {
          id: "approval-missing",
          message: `prod needs a second person's approval of ${HEAD.slice(0, 12)} on #7: an approving review of that commit, or the \`approved:prod\` label applied after it was pushed, by someone with write access who is neither the author nor the requester.`,
        },
      ]);
    });

    it("ATTACK: the author pushes after the approval and deploys; the review was of the old commit", () => {
      const r = evaluateGates(decision(), PROD, facts({ approval: approval({ reviews: [review({ commitId: OTHER })] }) }), "approved:prod");
      expect(r.failed_checks).toEqual([
        { id: "approval-stale", message: `@bob approved ${OTHER.slice(0, 12)}, not ${HEAD.slice(0, 12)}, the commit that would be deployed; the new commits need a new approval.` },
      ]);
    });

    it("ATTACK: the approval label was applied before the head was pushed", () => {
      const early = { ...LABEL, appliedAt: "2026-01-01T09:00:00Z" };
      const r = evaluateGates(decision(), PROD, facts({ approval: approval({ reviews: [], label: early }) }), "approved:prod");
      expect(r.failed_checks).toEqual([
        {
          id: "approval-stale",
          message: `\`approved:prod\` was applied at 2026-01-01T09:00:00Z, before ${HEAD.slice(0, 12)} was pushed at 2026-01-01T10:00:00Z; apply it again (or approve with a review) to approve the new commits.`,
        },
      ]);
    });

    it("a label applied after the head was pushed approves it; one whose push time is unknown does not", () => {
      expect(evaluateGates(decision(), PROD, facts({ approval: approval({ reviews: [], label: LABEL }) }), "approved:prod").success).toBe(true);
      const unknown = evaluateGates(decision(), PROD, facts({ approval: approval({ reviews: [], label: { ...LABEL, headPushedAt: null } }) }), "approved:prod");
      expect(unknown.failed_checks).toEqual([
        { id: "approval-stale", message: `\`approved:prod\` on #7 cannot be tied to ${HEAD.slice(0, 12)}: when that commit was pushed is unknown. Approve the commit with a review instead.` },
      ]);
    });

    it("refuses an approval by the PR author", () => {
      const r = evaluateGates(decision({ requestedBy: "carol" }), PROD, facts({ approval: approval({ reviews: [review({ login: "alice" })] }) }), "approved:prod");
      expect(ids(r)).toEqual(["approval-by-author"]);
    });

    it("refuses an approval by the person asking, even if they are not the author", () => {
      const r = evaluateGates(decision({ requestedBy: "Bob" }), PROD, facts(), "approved:prod");
      expect(r.failed_checks).toEqual([{ id: "approval-by-requester", message: "The approving review of #7 is by @bob, who is also asking for the deployment; a second person must approve." }]);
    });

    it("one person who authored, approved and asked fails twice", () => {
      const r = evaluateGates(decision(), PROD, facts({ approval: approval({ reviews: [review({ login: "alice" })] }) }), "approved:prod");
      expect(ids(r)).toEqual(["approval-by-author", "approval-by-requester"]);
    });

    it("refuses approvals by bots or by people without write access", () => {
      expect(ids(evaluateGates(decision(), PROD, facts({ approval: approval({ reviews: [review({ login: "some-app[bot]", type: "Bot" })] }) }), "l"))).toEqual(["approval-not-a-maintainer"]);
      expect(ids(evaluateGates(decision(), PROD, facts({ approval: approval({ reviews: [review({ permission: "triage" })] }) }), "l"))).toEqual(["approval-not-a-maintainer"]);
    });

    it("one valid approval is enough beside invalid ones", () => {
      const reviews = [review({ login: "alice" }), review({ login: "dave", commitId: OTHER }), review({ login: "erin" })];
      expect(evaluateGates(decision(), PROD, facts({ approval: approval({ reviews }) }), "approved:prod").success).toBe(true);
    });

    it("ATTACK: a bot's dispatch naming nobody is refused; the person it names is checked, and cannot approve", () => {
      const rollback = decision({ action: "rollback", source: "dispatch", requestedBy: "github-actions[bot]", pullRequest: null, commentId: null, ref: "refs/heads/main", commit: HEAD });
      const base = facts({ pullRequest: null, targetOnBranch: true, approval: approval({ pullRequest: 5 }) });
      expect(evaluateGates(rollback, PROD, base, "approved:prod").failed_checks).toEqual([
        {
          id: "permission",
          message: "@github-actions[bot] is a bot and its rollback names no person who started it; a bot's dispatch must carry that person (the workflow input requested_by), whose permission is checked.",
        },
      ]);
      expect(evaluateGates({ ...rollback, onBehalfOf: "mallory" }, PROD, { ...base, requesterPermission: "read" }, "approved:prod").failed_checks).toEqual([
        { id: "permission", message: "@mallory (on whose behalf @github-actions[bot] dispatched) has read permission on this repository; rollback needs write, maintain or admin." },
      ]);
      expect(ids(evaluateGates({ ...rollback, onBehalfOf: "bob" }, PROD, base, "approved:prod"))).toEqual(["approval-by-requester"]);
      expect(evaluateGates({ ...rollback, onBehalfOf: "carol" }, PROD, base, "approved:prod").success).toBe(true);
      expect(requestingPerson({ requestedBy: "github-actions[bot]", onBehalfOf: "other[bot]" })).toBeNull();
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
    const stagingPr = { number: 7, state: "open" as const, headSha: HEAD, baseRef: "test", author: "alice", fromFork: false, draft: false };

    it("refuses deployments to every environment, the first included, naming the issue the fix must name", () => {
      const message =
        "Every deploy is frozen while #57 is open (label `deployment-failure`): only the rollback and the fix run, in every environment. Deploy the fix through a pull request into dev's branch that says `Fixes #57`; the issue closes itself once the failed environment is healthy again.";
      const r = evaluateGates(decision({ environment: "staging" }), STAGING, facts({ ...frozen, approval: null, pullRequest: stagingPr }), "approved:prod");
      expect(r.failed_checks).toEqual([{ id: "frozen", message }]);
      expect(ids(evaluateGates(decision(), PROD, facts(frozen), "approved:prod"))).toEqual(["frozen"]);
      // GIVEN an open failure issue WHEN an ordinary change is deployed to dev THEN the freeze refuses it too.
      expect(evaluateGates(decision({ environment: "dev" }), DEV, facts({ ...frozen, approval: null }), "l").failed_checks).toEqual([{ id: "frozen", message }]);
    });

    it("names every open issue", () => {
      const two = { freeze: [...frozen.freeze, { number: 58, url: "https://github.com/contoso/payments-service/issues/58" }] };
      expect(evaluateGates(decision(), PROD, facts(two), "approved:prod").failed_checks[0].message).toMatch(/^Every deploy is frozen while #57, #58 are open /);
    });

    it("lets the fix through in any environment: its pull request says it fixes an open failure issue", () => {
      expect(evaluateGates(decision({ environment: "dev" }), DEV, facts({ ...frozen, approval: null, fixes: [57] }), "l").success).toBe(true);
      expect(evaluateGates(decision({ environment: "staging" }), STAGING, facts({ ...frozen, approval: null, pullRequest: stagingPr, fixes: [57] }), "l").success).toBe(true);
      // A fix for another (closed) issue is not the fix.
      expect(ids(evaluateGates(decision({ environment: "dev" }), DEV, facts({ ...frozen, approval: null, fixes: [12] }), "l"))).toEqual(["frozen"]);
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
      expect(r.failed_checks).toEqual([{ id: "required-checks", message: `Required checks on ${OTHER.slice(0, 12)} (the head of #40) are not green: \`preview (dev)\` has not run by GitHub Actions; \`preview (prod)\` has not run by GitHub Actions.` }]);
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

describe("recheckResult (every gate again, right before pulumi up)", () => {
  it("passes only when the gates still pass for the very commit the deployment started with", () => {
    const again = evaluateGates(decision(), PROD, facts(), "approved:prod");
    expect(recheckResult(HEAD, again)).toBe(again);
  });

  it("ATTACK: an approval withdrawn while the run waited stops it", () => {
    const again = evaluateGates(decision(), PROD, facts({ approval: { ...APPROVED, reviews: [] } }), "approved:prod");
    const r = recheckResult(HEAD, again);
    expect(r.success).toBe(false);
    expect(ids(r)).toEqual(["approval-missing"]);
    expect(r.message.split("\n")[0]).toBe("deploy of prod refused when re-checked before deploying (nothing was deployed):");
  });

  it("refuses when the gates now resolve another commit", () => {
    const moved = evaluateGates(decision(), PROD, facts({ target: OTHER, approval: { ...APPROVED, headSha: OTHER, reviews: [{ ...BOB_APPROVES_HEAD, commitId: OTHER }] } }), "approved:prod");
    expect(recheckResult(HEAD, moved).failed_checks).toEqual([
      { id: "recheck-commit-changed", message: `The deployment was started for ${HEAD.slice(0, 12)}, but the gates now resolve ${OTHER.slice(0, 12)}; nothing was deployed. Ask again to deploy the new commit.` },
    ]);
  });
});

describe("headStillAt", () => {
  const pr = { number: 7, state: "open" as const, headSha: HEAD, baseRef: "main", author: "alice", fromFork: false, draft: false };
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
