import { evaluatePromotion, type EnvironmentReport, type PromotionFacts, type PromotionReport } from "../../../core/promotion";
import {
  approval,
  at,
  deployment,
  envFacts,
  facts,
  PIPELINE,
  pr,
  restingPipeline,
  sha,
  status,
  succeeded,
  validation,
  validations,
} from "./builders";

const x = sha("1"); // dev's known-good commit, promoted long ago
const y = sha("4"); // the new dev commit
const s = sha("2"); // staging's commit
const p = sha("3"); // prod's commit

function env(report: PromotionReport, name: string): EnvironmentReport {
  return report.environments.find((e) => e.name === name)!;
}

/** The resting pipeline with dev's newest deployment replaced by the given facts. */
function withDev(devParts: Partial<PromotionFacts["environments"][number]>, rest: Partial<Omit<PromotionFacts, "environments">> = {}): PromotionFacts {
  const r = restingPipeline();
  const dev = { ...r.dev, ...devParts, deployments: [...(devParts.deployments ?? []), ...r.dev.deployments], validations: [...(devParts.validations ?? []), ...r.dev.validations] };
  return facts([dev, r.staging, r.prod], { pullRequests: r.pullRequests, ...rest });
}

describe("the resting pipeline", () => {
  it("is promoted, promoted, complete, with nothing to do", () => {
    const r = restingPipeline();
    const report = evaluatePromotion(PIPELINE, facts([r.dev, r.staging, r.prod], { pullRequests: r.pullRequests }));
    expect(report.environments.map((e) => e.state)).toEqual(["promoted", "promoted", "complete"]);
    expect(report.actions).toEqual([]);
    expect(env(report, "dev").actions).toEqual([{ kind: "done", environment: "dev", reason: "111111111111 is already promoted to staging (PR #10)" }]);
    expect(env(report, "prod").actions).toEqual([{ kind: "done", environment: "prod", reason: "333333333333 is deployed and validated in prod" }]);
    expect(report.contradictions).toEqual([]);
    expect(report.inFlight).toEqual([]);
  });

  it("is idle where nothing was ever deployed", () => {
    const report = evaluatePromotion(PIPELINE, facts([]));
    expect(report.environments.map((e) => e.state)).toEqual(["idle", "idle", "idle"]);
    expect(env(report, "dev").blocking).toEqual(["nothing has been deployed to dev yet; merge a pull request into dev"]);
    expect(env(report, "staging").blocking).toEqual(["nothing has been promoted to staging yet"]);
  });
});

describe("transitions", () => {
  it("R1: a promotion PR merged into the branch puts the environment in deploying, and so does an unfinished deployment", () => {
    const r = restingPipeline();
    const s2 = sha("5");
    const dev = envFacts("dev", { deployments: [succeeded("dev", y, 900), ...r.dev.deployments], validations: [...validations("dev", y, 912), ...r.dev.validations] });
    const before = evaluatePromotion(PIPELINE, facts([dev, r.staging, r.prod], { pullRequests: [...r.pullRequests, pr(12, "open", "test", y, 950)] }));
    expect(env(before, "staging").state).toBe("promoted");

    const merged = evaluatePromotion(PIPELINE, facts([dev, r.staging, r.prod], { pullRequests: [...r.pullRequests, pr(12, "merged", "test", y, 1000, s2)] }));
    expect(env(merged, "staging").state).toBe("deploying");
    expect(env(merged, "staging").blocking).toEqual([`PR #12 was merged into test at ${at(1000)}; waiting for its deployment to staging`]);

    const staging = { ...r.staging, deployments: [deployment("staging", s2, 1001, [status("queued", 1001)]), ...r.staging.deployments] };
    const queued = evaluatePromotion(PIPELINE, facts([dev, staging, r.prod], { pullRequests: [...r.pullRequests, pr(12, "merged", "test", y, 1000, s2)] }));
    expect(env(queued, "staging").state).toBe("deploying");
    expect(env(queued, "staging").blocking).toEqual([`deployment ${staging.deployments[0].id} of 555555555555 is queued`]);
  });

  it("R2: deploying -> deployed when the deployment succeeds; validation is asked for", () => {
    const running = deployment("dev", y, 1000, [status("in_progress", 1001)]);
    expect(env(evaluatePromotion(PIPELINE, withDev({ deployments: [running] })), "dev").state).toBe("deploying");

    const done = deployment("dev", y, 1000, [status("in_progress", 1001), status("success", 1010)], "deploy", running.id);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [done] }));
    expect(env(report, "dev").state).toBe("deployed");
    expect(env(report, "dev").actions).toEqual([{ kind: "validate", environment: "dev", sha: y, deploymentId: done.id, checks: ["health (dev)", "smoke (dev)"] }]);
    expect(report.actions).toEqual(env(report, "dev").actions);
  });

  it("R3: deploying -> failed when the deployment fails; the failure issue and the rollback to the last known-good SHA follow", () => {
    const failed = deployment("dev", y, 1000, [status("in_progress", 1001), status("failure", 1012, "failed (environmental/throttled): Too many requests")]);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [failed] }));
    const dev = env(report, "dev");
    expect(dev.state).toBe("failed");
    expect(dev.failure).toEqual({ category: "environmental", kind: "throttled", detail: "Too many requests", runUrl: "https://github.com/contoso/payments-service/actions/runs/10012", auditUrl: null });
    expect(dev.lastKnownGoodSha).toBe(x);
    expect(dev.blocking).toEqual(["dev failed (environmental/throttled): Too many requests"]);
    expect(report.actions).toEqual([
      {
        kind: "open-failure-issue",
        environment: "dev",
        sha: y,
        deploymentId: failed.id,
        failure: { category: "environmental", kind: "throttled", detail: "Too many requests" },
        runUrl: "https://github.com/contoso/payments-service/actions/runs/10012",
        auditUrl: null,
        lastKnownGoodSha: x,
        title: "Deployment failure: dev at 444444444444 (environmental/throttled)",
        priority: "high",
        assignee: null,
      },
      { kind: "rollback", environment: "dev", branch: "dev", sha: x, fromSha: y, failedDeploymentId: failed.id, issue: null, requestedBy: null },
    ]);
  });

  it("R4: deployed -> validating once a check is reported", () => {
    const d = succeeded("dev", y, 1000);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d], validations: [validation("dev", "health (dev)", y, 1011, "pending")] }));
    const dev = env(report, "dev");
    expect(dev.state).toBe("validating");
    expect(dev.blocking).toEqual(["health (dev): pending", "smoke (dev): not started"]);
    expect(dev.actions).toEqual([{ kind: "wait", environment: "dev", reason: "health (dev): pending; smoke (dev): not started" }]);
    expect(report.actions).toEqual([]);
  });

  it("R5: validating -> promoted when every check passes (dev has no soak)", () => {
    const d = succeeded("dev", y, 1000);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d], validations: validations("dev", y, 1011) }));
    const dev = env(report, "dev");
    expect(dev.state).toBe("promoted");
    expect(dev.lastKnownGoodSha).toBe(y);
    expect(dev.validations).toEqual([
      { name: "health (dev)", result: "passed", url: "https://github.com/contoso/payments-service/actions/runs/8011/job/1011" },
      { name: "smoke (dev)", result: "passed", url: "https://github.com/contoso/payments-service/actions/runs/8011/job/1011" },
    ]);
  });

  it("R6: validating -> failed when a check fails", () => {
    const d = succeeded("dev", y, 1000);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d], validations: [validation("dev", "health (dev)", y, 1011, "success"), validation("dev", "smoke (dev)", y, 1012, "failure")] }));
    const dev = env(report, "dev");
    expect(dev.state).toBe("failed");
    expect(dev.failure).toEqual({ category: "validation", kind: "smoke (dev)", detail: "smoke (dev) failed on 444444444444", runUrl: "https://github.com/contoso/payments-service/actions/runs/8012/job/1012", auditUrl: null });
    expect(report.actions.map((a) => a.kind)).toEqual(["open-failure-issue", "rollback"]);
    expect(report.actions[1]).toMatchObject({ kind: "rollback", sha: x, fromSha: y });
  });

  it("R7: promoted -> a PR to the next branch carrying exactly the validated SHA; once open, the machine waits", () => {
    const d = succeeded("dev", y, 1000);
    const parts = { deployments: [d], validations: validations("dev", y, 1011) };
    const report = evaluatePromotion(PIPELINE, withDev(parts));
    expect(report.actions).toEqual([
      { kind: "open-pr", from: "dev", to: "staging", sha: y, base: "test", head: "promote/dev-to-staging/444444444444", title: "Promote 444444444444 from dev to staging" },
    ]);

    const r = restingPipeline();
    const opened = evaluatePromotion(PIPELINE, withDev(parts, { pullRequests: [...r.pullRequests, pr(12, "open", "test", y, 1100)] }));
    expect(env(opened, "dev").actions).toEqual([{ kind: "wait", environment: "dev", reason: "promotion PR #12 into test is open" }]);
    expect(opened.actions).toEqual([]);
    expect(opened.openPullRequests).toEqual([{ number: 12, baseRef: "test", headSha: y, url: "https://github.com/contoso/payments-service/pull/12" }]);
  });

  it("R8: promoted -> complete in production once monitors pass and the soak time has elapsed", () => {
    const r = restingPipeline();
    const p2 = sha("6");
    const prod = (v: ReturnType<typeof validations>) => ({ ...r.prod, deployments: [succeeded("prod", p2, 1000), ...r.prod.deployments], validations: [...v, ...r.prod.validations] });
    const monitoring = evaluatePromotion(PIPELINE, facts([r.dev, r.staging, prod([validation("prod", "health (prod)", p2, 1011, "success"), validation("prod", "smoke (prod)", p2, 1011, "success"), validation("prod", "monitors (prod)", p2, 1011, "pending")])], { now: at(1100) }));
    expect(env(monitoring, "prod").state).toBe("validating");
    expect(env(monitoring, "prod").blocking).toEqual(["monitors (prod): pending", `soaking until ${at(1130)} (120 min after the deployment)`]);

    // A monitors pass reported before the soak ends (1130) did not watch the whole soak: it runs again.
    const early = evaluatePromotion(PIPELINE, facts([r.dev, r.staging, prod(validations("prod", p2, 1100))], { now: at(1200) }));
    expect(env(early, "prod").state).toBe("validating");
    expect(env(early, "prod").actions).toEqual([{ kind: "validate", environment: "prod", sha: p2, deploymentId: expect.any(Number), checks: ["monitors (prod)"] }]);
    expect(env(early, "prod").blocking).toContain(`monitors (prod) passed at ${at(1100)}, before the soak ends at ${at(1130)}: it must watch the whole soak, so it runs again`);
    const complete = evaluatePromotion(PIPELINE, facts([r.dev, r.staging, prod(validations("prod", p2, 1130))], { now: at(1200) }));
    expect(env(complete, "prod").state).toBe("complete");
    expect(env(complete, "prod").actions).toEqual([{ kind: "done", environment: "prod", reason: "666666666666 is deployed and validated in prod" }]);
  });

  it("R9: failed -> the fix issue is open (freeze) and the rollback deployment of the last known-good SHA takes over", () => {
    const failed = deployment("dev", y, 1000, [status("in_progress", 1001), status("failure", 1012, "failed (logic/bicep-compile-error): BCP018")]);
    const issue = { number: 57, state: "open" as const, title: "Deployment failure: dev at 444444444444 (logic/bicep-compile-error)", url: "https://github.com/contoso/payments-service/issues/57", createdAt: at(1013), marker: { environment: "dev", deploymentId: failed.id, sha: y } };
    const rollback = succeeded("dev", x, 1020, "deploy:rollback");
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [rollback, failed] }, { failureIssues: [issue] }));
    const dev = env(report, "dev");
    expect(dev.state).toBe("deployed");
    expect(dev.deployedSha).toBe(x);
    expect(dev.rolledBackFrom).toBe(y);
    expect(report.frozenBy).toEqual([{ number: 57, title: issue.title, url: issue.url }]);
    expect(report.actions).toEqual([{ kind: "validate", environment: "dev", sha: x, deploymentId: rollback.id, checks: ["health (dev)", "smoke (dev)"] }]);
  });
});

describe("failure handling", () => {
  const failed = () => deployment("dev", y, 1000, [status("in_progress", 1001), status("failure", 1012, "failed (logic/bicep-compile-error): BCP018")]);
  const issueFor = (d: { id: number }) => ({ number: 57, state: "open" as const, title: "Deployment failure", url: "https://github.com/contoso/payments-service/issues/57", createdAt: at(1013), marker: { environment: "dev", deploymentId: d.id, sha: y } });

  it("opens the issue once: with an issue for the deployment, only the rollback remains, addressed to it", () => {
    const d = failed();
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d] }, { failureIssues: [issueFor(d)] }));
    expect(report.actions).toEqual([{ kind: "rollback", environment: "dev", branch: "dev", sha: x, fromSha: y, failedDeploymentId: d.id, issue: 57, requestedBy: null }]);
  });

  it("waits while a deploy run dispatched after the failure is in progress", () => {
    const d = failed();
    const run = { id: 9003, event: "workflow_dispatch", headBranch: "dev", status: "in_progress", conclusion: null, createdAt: at(1014), url: "https://github.com/contoso/payments-service/actions/runs/9003" };
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d], deployRuns: [run] }, { failureIssues: [issueFor(d)] }));
    expect(env(report, "dev").actions).toEqual([{ kind: "wait", environment: "dev", reason: "deploy run 9003 on dev is in progress (https://github.com/contoso/payments-service/actions/runs/9003)" }]);
  });

  it("asks a person when the dispatched run ended without a new deployment", () => {
    const d = failed();
    const run = { id: 9003, event: "workflow_dispatch", headBranch: "dev", status: "completed", conclusion: "failure", createdAt: at(1014), url: "https://github.com/contoso/payments-service/actions/runs/9003" };
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d], deployRuns: [run] }, { failureIssues: [issueFor(d)] }));
    expect(env(report, "dev").actions).toEqual([
      { kind: "investigate", environment: "dev", reason: "deploy run 9003 on dev ended failure without recording a new deployment (https://github.com/contoso/payments-service/actions/runs/9003)" },
    ]);
  });

  it("does not roll back a failed rollback again", () => {
    const r = deployment("dev", x, 1000, [status("in_progress", 1001), status("error", 1012, "failed (unknown): boom")], "deploy:rollback");
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [r] }));
    expect(env(report, "dev").actions.map((a) => a.kind)).toEqual(["open-failure-issue", "investigate"]);
    expect(env(report, "dev").actions[1]).toEqual({ kind: "investigate", environment: "dev", reason: "the rollback of dev to 111111111111 failed (deployment " + r.id + "); a person must decide: `/rollback dev to <sha>` or fix forward" });
  });

  it("has nothing to roll back to when no deployment ever passed validation", () => {
    const d = failed();
    const report = evaluatePromotion(PIPELINE, facts([envFacts("dev", { deployments: [d] })]));
    expect(env(report, "dev").lastKnownGoodSha).toBeNull();
    expect(env(report, "dev").actions[1]).toEqual({ kind: "investigate", environment: "dev", reason: "no earlier deployment of dev passed validation, so there is no known-good commit to roll back to; fix forward" });
  });

  it("reads an unknown failure class from a description it cannot parse", () => {
    const d = deployment("dev", y, 1000, [status("failure", 1012, "Job failed")]);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d] }));
    expect(env(report, "dev").failure).toMatchObject({ category: "unknown", kind: null, detail: "Job failed" });
  });

  it("fails on a reviewer's rejection of manual testing", () => {
    const r = restingPipeline();
    const s2 = sha("7");
    const staging = { ...r.staging, deployments: [succeeded("staging", s2, 1000), ...r.staging.deployments], validations: [...validations("staging", s2, 1011), ...r.staging.validations], manualApprovals: [approval(s2, 1050, "failure", "qa-alice", true, "checkout broken"), ...r.staging.manualApprovals] };
    const report = evaluatePromotion(PIPELINE, facts([r.dev, staging, r.prod], { pullRequests: r.pullRequests }));
    expect(env(report, "staging").state).toBe("failed");
    expect(env(report, "staging").failure).toMatchObject({ category: "manual-test", kind: "manual-test (staging)", detail: "manual testing rejected by @qa-alice: checkout broken" });
    expect(report.actions[1]).toMatchObject({ kind: "rollback", environment: "staging", sha: s, branch: "test" });
  });
});

describe("validation", () => {
  const r = restingPipeline();
  const s2 = sha("7");
  const stagingWith = (manualApprovals: ReturnType<typeof approval>[], now = at(2000)) => {
    const staging = { ...r.staging, deployments: [succeeded("staging", s2, 1000), ...r.staging.deployments], validations: [...validations("staging", s2, 1011), ...r.staging.validations], manualApprovals };
    return evaluatePromotion(PIPELINE, facts([r.dev, staging, r.prod], { pullRequests: r.pullRequests, now }));
  };

  it("asks the environment's reviewers for manual test sign-off once the automated checks pass", () => {
    const report = stagingWith([]);
    expect(env(report, "staging").state).toBe("validating");
    expect(report.actions).toEqual([
      { kind: "request-manual-approval", environment: "staging", sha: s2, deploymentId: expect.any(Number), context: "manual-test (staging)", reviewers: { users: ["qa-alice"], teams: ["qa-leads"] } },
    ]);
  });

  it("waits for the sign-off once asked", () => {
    const report = stagingWith([approval(s2, 1015, "pending", "github-actions[bot]", false)]);
    expect(env(report, "staging").actions).toEqual([{ kind: "wait", environment: "staging", reason: "manual-test (staging): pending" }]);
  });

  it("ignores a sign-off by someone who is not a reviewer, and says so", () => {
    const report = stagingWith([approval(s2, 1015, "pending", "github-actions[bot]", false), approval(s2, 1020, "success", "mallory", false)]);
    expect(env(report, "staging").state).toBe("validating");
    expect(env(report, "staging").blocking).toEqual(["manual-test (staging): pending", `ignored manual-test (staging) "success" by @mallory: not one of staging's reviewers`]);
  });

  it("says when it cannot tell whether the author is a reviewer", () => {
    const report = stagingWith([approval(s2, 1020, "success", "maybe-qa", null)]);
    expect(env(report, "staging").blocking).toContain("cannot verify that @maybe-qa is one of staging's reviewers (the token needs read access to the organisation's team members)");
  });

  it("soaks after sign-off before promoting", () => {
    const signed = [approval(s2, 1020, "success", "qa-bob", true)];
    const soaking = stagingWith(signed, at(1050));
    expect(env(soaking, "staging").state).toBe("validating");
    expect(env(soaking, "staging").blocking).toEqual([`soaking until ${at(1070)} (60 min after the deployment)`]);
    expect(env(soaking, "staging").soakUntil).toBe(at(1070));
    expect(env(stagingWith(signed, at(1070)), "staging").state).toBe("promoted");
  });

  it("counts only checks reported after the deployment succeeded: a redeploy of a validated SHA is validated again", () => {
    const redeploy = succeeded("dev", x, 1000);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [redeploy] }));
    expect(env(report, "dev").state).toBe("deployed");
    expect(env(report, "dev").lastKnownGoodSha).toBe(x); // the earlier deployment of x passed in its own window
  });

  it("asks to re-run a check that ended inconclusive", () => {
    const d = succeeded("dev", y, 1000);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d], validations: [validation("dev", "health (dev)", y, 1011, "success"), validation("dev", "smoke (dev)", y, 1011, "inconclusive")] }));
    expect(env(report, "dev").state).toBe("validating");
    expect(report.actions).toEqual([{ kind: "validate", environment: "dev", sha: y, deploymentId: d.id, checks: ["smoke (dev)"] }]);
  });

  it("takes the newest result of a re-run check", () => {
    const d = succeeded("dev", y, 1000);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d], validations: [validation("dev", "health (dev)", y, 1011, "success"), validation("dev", "smoke (dev)", y, 1011, "inconclusive"), validation("dev", "smoke (dev)", y, 1020, "success")] }));
    expect(env(report, "dev").state).toBe("promoted");
  });
});

describe("one promotion at a time, and the freeze", () => {
  it("holds dev's promotion while staging validates", () => {
    const r = restingPipeline();
    const s2 = sha("7");
    const dev = envFacts("dev", { deployments: [succeeded("dev", y, 900), ...r.dev.deployments], validations: [...validations("dev", y, 912), ...r.dev.validations] });
    const staging = { ...r.staging, deployments: [succeeded("staging", s2, 1000), ...r.staging.deployments], validations: [validation("staging", "health (staging)", s2, 1011, "pending"), ...r.staging.validations] };
    const report = evaluatePromotion(PIPELINE, facts([dev, staging, r.prod], { pullRequests: r.pullRequests }));
    expect(report.inFlight).toEqual(["staging"]);
    expect(env(report, "dev").actions).toEqual([{ kind: "wait", environment: "dev", reason: "one promotion at a time: staging is validating" }]);
  });

  it("lets the promotion furthest down the pipeline go first", () => {
    const r = restingPipeline();
    const s2 = sha("7");
    const dev = envFacts("dev", { deployments: [succeeded("dev", y, 900), ...r.dev.deployments], validations: [...validations("dev", y, 912), ...r.dev.validations] });
    const staging = { ...r.staging, deployments: [succeeded("staging", s2, 1000), ...r.staging.deployments], validations: [...validations("staging", s2, 1011), ...r.staging.validations], manualApprovals: [approval(s2, 1020, "success", "qa-alice", true)] };
    const report = evaluatePromotion(PIPELINE, facts([dev, staging, r.prod], { pullRequests: r.pullRequests }));
    expect(report.actions).toEqual([{ kind: "open-pr", from: "staging", to: "prod", sha: s2, base: "main", head: "promote/staging-to-prod/777777777777", title: "Promote 777777777777 from staging to prod" }]);
    expect(env(report, "dev").actions).toEqual([{ kind: "wait", environment: "dev", reason: "one promotion at a time: a promotion further down the pipeline goes first" }]);
  });

  it("freezes promotion while a deployment-failure issue is open, but keeps validating", () => {
    const d = succeeded("dev", y, 1000);
    const issue = { number: 60, state: "open" as const, title: "Deployment failure: staging", url: "https://github.com/contoso/payments-service/issues/60", createdAt: at(900), marker: null };
    const promoted = evaluatePromotion(PIPELINE, withDev({ deployments: [d], validations: validations("dev", y, 1011) }, { failureIssues: [issue] }));
    expect(env(promoted, "dev").actions).toEqual([
      { kind: "wait", environment: "dev", reason: "promotion is frozen by #60: only the rollback and the fix (a pull request that says `Fixes #N`) move until the failed environment is healthy again" },
    ]);
    const deployed = evaluatePromotion(PIPELINE, withDev({ deployments: [d] }, { failureIssues: [issue] }));
    expect(deployed.actions.map((a) => a.kind)).toEqual(["validate"]);
  });

  it("lifts the freeze when the issue is closed", () => {
    const d = succeeded("dev", y, 1000);
    const issue = { number: 60, state: "closed" as const, title: "Deployment failure: staging", url: "https://github.com/contoso/payments-service/issues/60", createdAt: at(900), marker: null };
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d], validations: validations("dev", y, 1011) }, { failureIssues: [issue] }));
    expect(report.frozenBy).toEqual([]);
    expect(report.actions.map((a) => a.kind)).toEqual(["open-pr"]);
  });
});

describe("contradictory facts are reported, not guessed", () => {
  it("a success reported as current although a failure came later", () => {
    const d = deployment("dev", y, 1000, [status("in_progress", 1001), status("failure", 1012), status("success", 1010)]);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d] }));
    const dev = env(report, "dev");
    expect(dev.state).toBe("contradictory");
    expect(dev.contradictions).toEqual([
      `deployment ${d.id}: GitHub reports "success" (${at(1010)}) as its current status, but "failure" was reported later (${at(1012)})`,
      `deployment ${d.id} has both a success status (${at(1010)}) and a failure status (${at(1012)})`,
    ]);
    expect(dev.actions).toEqual([{ kind: "investigate", environment: "dev", reason: `contradictory facts about dev: ${dev.contradictions.join("; ")}` }]);
    expect(report.contradictions).toEqual(dev.contradictions.map((message) => ({ environment: "dev", message })));
    expect(report.inFlight).toEqual(["dev"]);
  });

  it("an inactive newest deployment", () => {
    const d = deployment("dev", y, 1000, [status("success", 1010), status("inactive", 1011)]);
    expect(env(evaluatePromotion(PIPELINE, withDev({ deployments: [d] })), "dev").contradictions).toEqual([
      `deployment ${d.id} is the newest deployment of dev, yet its current status is "inactive" (nothing newer superseded it)`,
    ]);
  });

  it("a status older than its deployment, or a deployment of another environment", () => {
    const d = { ...deployment("dev", y, 1000, [status("success", 990)]), environment: "staging" };
    expect(env(evaluatePromotion(PIPELINE, withDev({ deployments: [d] })), "dev").contradictions).toEqual([
      `deployment ${d.id} is listed for dev but its environment is "staging"`,
    ]);
    const e = deployment("dev", y, 1000, [status("success", 990)]);
    expect(env(evaluatePromotion(PIPELINE, withDev({ deployments: [e] })), "dev").contradictions).toEqual([
      `deployment ${e.id}: status "success" (${at(990)}) is older than the deployment itself (${at(1000)})`,
    ]);
  });

  it("a timestamp that is not one", () => {
    const d = { ...succeeded("dev", y, 1000), createdAt: "yesterday" };
    expect(env(evaluatePromotion(PIPELINE, withDev({ deployments: [d] })), "dev").contradictions).toEqual([`deployment ${d.id} created_at is not a timestamp: "yesterday"`]);
  });

  it("a promotion PR whose head SHA never passed validation upstream; nothing is promoted", () => {
    const r = restingPipeline();
    const rogue = sha("9");
    const d = succeeded("dev", y, 1000);
    const report = evaluatePromotion(PIPELINE, withDev({ deployments: [d], validations: validations("dev", y, 1011) }, { pullRequests: [...r.pullRequests, pr(13, "open", "main", rogue, 1100)] }));
    expect(report.contradictions).toEqual([{ environment: "prod", message: "PR #13 into main carries 999999999999, which never passed validation in staging" }]);
    expect(env(report, "prod").state).toBe("complete");
    expect(report.actions).toEqual([]);
    expect(env(report, "dev").actions).toEqual([{ kind: "wait", environment: "dev", reason: "facts are contradictory; see contradictions" }]);
  });

  it("facts about an environment the pipeline does not have", () => {
    const report = evaluatePromotion(PIPELINE, facts([envFacts("qa")]));
    expect(report.contradictions).toEqual([{ environment: null, message: 'facts name an environment that is not in the pipeline: "qa"' }]);
  });
});
