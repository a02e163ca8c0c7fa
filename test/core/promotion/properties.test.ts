/**
 * Properties of the machine over arbitrary facts, including nonsense (unknown states' neighbours,
 * invalid timestamps, deployments of other environments, duplicate facts): it never throws, gives
 * every environment exactly one state, is deterministic and does not depend on the order GitHub
 * lists deployments, checks, pull requests or issues in.
 */
import fc from "fast-check";
import {
  evaluatePromotion,
  IN_FLIGHT_STATES,
  PROMOTION_STATES,
  type EnvironmentFacts,
  type PromotionFacts,
  type PromotionReport,
} from "../../../core/promotion";
import { at, PIPELINE, sha } from "./builders";

const shas = [sha("a"), sha("b"), sha("c"), sha("d"), sha("e"), sha("f")];
const names = ["health (dev)", "smoke (dev)", "health (staging)", "smoke (staging)", "health (prod)", "smoke (prod)", "monitors (prod)", "preview (dev)"];

const time = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 3000 }).map(at) }, { weight: 1, arbitrary: fc.constantFrom("", "not a time") });
const shaArb = fc.constantFrom(...shas);

const statusArb = fc.record({
  id: fc.constant(0),
  state: fc.constantFrom("error", "failure", "inactive", "in_progress", "queued", "pending", "success"),
  createdAt: time,
  description: fc.oneof(fc.constant(""), fc.constant("failed (logic/bicep-compile-error): BCP018"), fc.string({ maxLength: 20 })),
  logUrl: fc.option(fc.constant("https://github.com/contoso/payments-service/actions/runs/9002"), { nil: null }),
});

/** Facts as GitHub would plausibly report them: statuses after their deployment, checks after the success. */
const plausibleEnvArb = (name: string): fc.Arbitrary<EnvironmentFacts> =>
  fc
    .array(
      fc.record({
        sha: shaArb,
        start: fc.integer({ min: 0, max: 2800 }),
        outcome: fc.constantFrom("none", "queued", "in_progress", "success", "failure"),
        task: fc.constantFrom("deploy", "deploy:rollback"),
        checks: fc.constantFrom("none", "pending", "success", "failure", "inconclusive"),
        signOff: fc.constantFrom("none", "pending", "success", "failure"),
      }),
      { maxLength: 3 },
    )
    .chain((ds) => fc.tuple(fc.constant(ds), fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.option(shaArb, { nil: null }) })))
    .map(([ds, branchHead]) => {
      const e: EnvironmentFacts = { name, deployments: [], validations: [], manualApprovals: [], deployRuns: [], failedRun: null, ...(branchHead !== undefined ? { branchHead } : {}) };
      for (const d of ds) {
        const statuses =
          d.outcome === "none" ? [] : d.outcome === "queued" || d.outcome === "in_progress" ? [{ id: 0, state: d.outcome, createdAt: at(d.start + 1), description: "", logUrl: null }] : [{ id: 0, state: d.outcome, createdAt: at(d.start + 10), description: "failed (environmental/throttled): slow down", logUrl: null }, { id: 0, state: "in_progress" as const, createdAt: at(d.start + 1), description: "", logUrl: null }];
        e.deployments.push({ id: 0, sha: d.sha, ref: d.sha, task: d.task, environment: name, createdAt: at(d.start), creator: null, statuses });
        if (d.outcome === "success" && d.checks !== "none") {
          // The monitors watch the whole soak (prod: 120 min after the success at start + 10), so they report at its end.
          for (const n of names.filter((x) => x.endsWith(`(${name})`))) e.validations.push({ id: 0, source: "check-run", name: n, sha: d.sha, state: d.checks, at: at(d.start + (n.startsWith("monitors") ? 130 : 12)), url: null });
        }
        if (d.outcome === "success" && d.signOff !== "none") e.manualApprovals.push({ id: 0, sha: d.sha, state: d.signOff, login: "qa-alice", reviewer: true, at: at(d.start + 15), description: "", url: null });
      }
      return e;
    });

const envArb = (name: string) => fc.oneof({ weight: 4, arbitrary: plausibleEnvArb(name) }, { weight: 1, arbitrary: chaoticEnvArb(name) });

const chaoticEnvArb = (name: string) =>
  fc.record({
    name: fc.constant(name),
    deployments: fc.array(
      fc.record({
        id: fc.constant(0),
        sha: shaArb,
        ref: fc.constant("dev"),
        task: fc.constantFrom("deploy", "deploy:rollback"),
        environment: fc.oneof({ weight: 9, arbitrary: fc.constant(name) }, { weight: 1, arbitrary: fc.constant("elsewhere") }),
        createdAt: time,
        creator: fc.constant(null),
        statuses: fc.array(statusArb, { maxLength: 4 }),
      }),
      { maxLength: 4 },
    ),
    validations: fc.array(
      fc.record({
        id: fc.constant(0),
        source: fc.constantFrom("check-run", "status"),
        name: fc.constantFrom(...names),
        sha: shaArb,
        state: fc.constantFrom("pending", "success", "failure", "inconclusive"),
        at: time,
        url: fc.constant(null),
      }),
      { maxLength: 6 },
    ),
    manualApprovals: fc.array(
      fc.record({
        id: fc.constant(0),
        sha: shaArb,
        state: fc.constantFrom("pending", "success", "failure"),
        login: fc.constantFrom("qa-alice", "mallory", null),
        reviewer: fc.constantFrom(true, false, null),
        at: time,
        description: fc.constant(""),
        url: fc.constant(null),
      }),
      { maxLength: 3 },
    ),
    deployRuns: fc.array(
      fc.record({
        id: fc.constant(0),
        event: fc.constantFrom("workflow_dispatch", "issue_comment"),
        headBranch: fc.constantFrom("dev", "test", "main", null),
        status: fc.constantFrom("queued", "in_progress", "completed", null),
        conclusion: fc.constantFrom("success", "failure", null),
        createdAt: time,
        url: fc.constant("https://github.com/contoso/payments-service/actions/runs/1"),
      }),
      { maxLength: 2 },
    ),
    failedRun: fc.constant(null),
  }) as fc.Arbitrary<EnvironmentFacts>;

const factsArb: fc.Arbitrary<PromotionFacts> = fc
  .record({
    repository: fc.constant("contoso/payments-service"),
    now: time,
    // Sometimes the commit dev runs is a fix: a merged pull request into dev brought it, saying it fixes an open failure issue.
    devRunsAFix: fc.boolean(),
    environments: fc.tuple(envArb("dev"), envArb("staging"), envArb("prod"), fc.oneof({ weight: 19, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: envArb("dev") }), fc.boolean()).map(([d, s, p, extra, dropStaging]) => [d, ...(dropStaging ? [] : [s]), p, ...(extra ? [extra] : [])]),
    pullRequests: fc.oneof(fc.constant([] as PromotionFacts["pullRequests"]), fc.array(
      fc.record({
        number: fc.constant(0),
        state: fc.constantFrom("open", "merged"),
        baseRef: fc.constantFrom("dev", "test", "main"),
        headRef: fc.constant("promote/x"),
        headSha: shaArb,
        mergeCommitSha: fc.option(shaArb, { nil: null }),
        createdAt: time,
        mergedAt: fc.option(time, { nil: null }),
        url: fc.constant("https://github.com/contoso/payments-service/pull/1"),
        // Indexes into the failure issues (numbered below), or past them (an issue that does not exist).
        fixes: fc.option(fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }), { nil: undefined }),
      }),
      { maxLength: 3 },
    )),
    failureIssues: fc.oneof(fc.constant([] as PromotionFacts["failureIssues"]), fc.array(
      fc.record({
        number: fc.constant(0),
        state: fc.constantFrom("open", "closed"),
        title: fc.constant("Deployment failure"),
        url: fc.constant("https://github.com/contoso/payments-service/issues/1"),
        createdAt: time,
        marker: fc.option(fc.record({ environment: fc.constantFrom("dev", "staging", "prod"), deploymentId: fc.integer({ min: 1, max: 30 }), sha: shaArb }), { nil: null }),
      }),
      { maxLength: 2 },
    )),
  })
  .map((f) => {
    // GitHub's ids are unique: number everything in order.
    let n = 1;
    const environments = f.environments.map((e) => ({
      ...e,
      deployments: e.deployments.map((d) => ({ ...d, id: n++, statuses: d.statuses.map((s) => ({ ...s, id: n++ })) })),
      validations: e.validations.map((v) => ({ ...v, id: n++ })),
      manualApprovals: e.manualApprovals.map((a) => ({ ...a, id: n++ })),
      deployRuns: e.deployRuns.map((r) => ({ ...r, id: n++ })),
    }));
    const failureIssues = (f.failureIssues as PromotionFacts["failureIssues"]).map((i) => ({ ...i, number: n++ }));
    const pullRequests = (f.pullRequests as PromotionFacts["pullRequests"]).map((p) => ({
      ...p,
      number: n++,
      ...(p.fixes ? { fixes: p.fixes.map((k) => failureIssues[k]?.number ?? 9999) } : {}),
    }));
    const devSha = environments.find((e) => e.name === "dev")?.deployments.map((d) => d.sha)[0];
    if (f.devRunsAFix && devSha) {
      const issue = { number: n++, state: "open" as const, title: "Deployment failure: prod", url: "https://github.com/contoso/payments-service/issues/1", createdAt: at(0), marker: null };
      failureIssues.push(issue);
      pullRequests.push({ number: n++, state: "merged", baseRef: "dev", headRef: "fix/x", headSha: sha("9"), mergeCommitSha: devSha, createdAt: at(0), mergedAt: at(1), url: "https://github.com/contoso/payments-service/pull/1", fixes: [issue.number] });
    }
    const { devRunsAFix: _, ...rest } = f;
    return { ...rest, environments, pullRequests, failureIssues } as PromotionFacts;
  });

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The same facts, listed in another order (statuses keep theirs: GitHub's order says which is current). */
function reorder(f: PromotionFacts, seed: number): PromotionFacts {
  return {
    ...f,
    environments: shuffle(
      f.environments.map((e, i) => ({ ...e, deployments: shuffle(e.deployments, seed + i), validations: shuffle(e.validations, seed + 7 * i), manualApprovals: shuffle(e.manualApprovals, seed + 11 * i), deployRuns: shuffle(e.deployRuns, seed + 13 * i) })),
      seed,
    ),
    pullRequests: shuffle(f.pullRequests, seed + 1),
    failureIssues: shuffle(f.failureIssues, seed + 2),
  };
}

const decisions = (r: PromotionReport) => ({ states: r.environments.map((e) => [e.name, e.state]), actions: r.actions, contradictions: [...r.contradictions].map((c) => `${c.environment}: ${c.message}`).sort() });

describe("the promotion machine over arbitrary facts", () => {
  it("generates facts that reach every state and every action (so the properties below are not vacuous)", () => {
    const states = new Set<string>();
    const kinds = new Set<string>();
    let fixWhileFrozen = 0;
    fc.assert(
      fc.property(factsArb, (f) => {
        const r = evaluatePromotion(PIPELINE, f);
        for (const e of r.environments) {
          states.add(e.state);
          for (const a of e.actions) kinds.add(a.kind);
        }
        if (r.frozenBy.length > 0 && r.actions.some((a) => a.kind === "open-pr")) fixWhileFrozen++;
      }),
      { numRuns: 3000, seed: 42 },
    );
    expect([...states].sort()).toEqual([...PROMOTION_STATES].sort());
    expect(fixWhileFrozen).toBeGreaterThan(0);
    expect([...kinds].sort()).toEqual(["close-failure-issue", "done", "investigate", "open-failure-issue", "open-pr", "request-manual-approval", "rollback", "validate", "wait"]);
  });

  it("never throws and gives each environment of the pipeline exactly one known state, in pipeline order", () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const r = evaluatePromotion(PIPELINE, f);
        expect(r.environments.map((e) => e.name)).toEqual(["dev", "staging", "prod"]);
        for (const e of r.environments) expect(PROMOTION_STATES).toContain(e.state);
        expect(r.inFlight).toEqual(r.environments.filter((e) => IN_FLIGHT_STATES.includes(e.state)).map((e) => e.name));
        for (const e of r.environments) expect(e.state === "contradictory").toBe(e.contradictions.length > 0);
        for (const e of r.environments) expect(e.actions.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it("is deterministic and independent of the order facts are listed in", () => {
    fc.assert(
      fc.property(factsArb, fc.integer({ min: 1, max: 1_000_000 }), (f, seed) => {
        const first = evaluatePromotion(PIPELINE, f);
        expect(evaluatePromotion(PIPELINE, structuredClone(f))).toEqual(first);
        expect(decisions(evaluatePromotion(PIPELINE, reorder(f, seed)))).toEqual(decisions(first));
      }),
      { numRuns: 300 },
    );
  });

  it("promotes at most one commit at a time, never while contradictory, while frozen only the fix, and only the validated SHA", () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const r = evaluatePromotion(PIPELINE, f);
        const prs = r.actions.filter((a) => a.kind === "open-pr");
        expect(prs.length).toBeLessThanOrEqual(1);
        if (r.contradictions.length > 0 || r.openPullRequests.length > 0) expect(prs).toEqual([]);
        for (const a of prs) {
          if (a.kind !== "open-pr") continue;
          const source = r.environments.find((e) => e.name === a.from)!;
          expect(source.state).toBe("promoted");
          expect(a.sha).toBe(source.deployedSha);
          const frozen = r.frozenBy.map((i) => i.number);
          if (frozen.length > 0) {
            // The fix: it names open failure issues, and only failed environments (what it fixes) may be in flight.
            expect(a.fixes?.length).toBeGreaterThan(0);
            for (const n of a.fixes!) expect(frozen).toContain(n);
            for (const n of r.inFlight) expect(r.environments.find((e) => e.name === n)!.state).toBe("failed");
          } else expect(r.inFlight).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("closes only open failure issues, and only when their environment's newest deployment passed validation", () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const r = evaluatePromotion(PIPELINE, f);
        for (const a of r.actions) {
          if (a.kind !== "close-failure-issue") continue;
          const issue = f.failureIssues.find((i) => i.number === a.issue)!;
          expect(issue.state).toBe("open");
          expect(issue.marker?.environment).toBe(a.environment);
          const e = r.environments.find((x) => x.name === a.environment)!;
          expect(["failed", "contradictory"]).not.toContain(e.state);
          expect(e.deployment?.id).toBe(a.deploymentId);
          expect(a.deploymentId).not.toBe(issue.marker?.deploymentId);
          expect(e.lastKnownGoodSha).toBe(a.sha);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("rolls back only a failed environment, and only to its last known-good SHA", () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const r = evaluatePromotion(PIPELINE, f);
        for (const a of r.actions) {
          if (a.kind !== "rollback") continue;
          const e = r.environments.find((x) => x.name === a.environment)!;
          expect(e.state).toBe("failed");
          expect(a.sha).toBe(e.lastKnownGoodSha);
        }
      }),
      { numRuns: 500 },
    );
  });
});
