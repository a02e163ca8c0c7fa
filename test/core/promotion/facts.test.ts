import type { Octokit } from "@octokit/rest";
import {
  automatedValidations,
  checkRunState,
  commitStatusState,
  evaluatePromotion,
  failureIssueMarker,
  failureStatusDescription,
  isPlatformDeployment,
  isReviewer,
  parseFailureDescription,
  parseFailureIssueMarker,
  promotionBranch,
  renderMermaid,
  runIdFromUrl,
} from "../../../core/promotion";
import { at, facts, PIPELINE, pr, restingPipeline, sha, succeeded, validations } from "./builders";

describe("names shared with the workflows", () => {
  it("validations: health and smoke everywhere, monitors in production", () => {
    expect(automatedValidations(PIPELINE, "dev")).toEqual(["health (dev)", "smoke (dev)"]);
    expect(automatedValidations(PIPELINE, "prod")).toEqual(["health (prod)", "smoke (prod)", "monitors (prod)"]);
  });

  it("the promotion branch names the SHA it was created at", () => {
    expect(promotionBranch("dev", "staging", sha("a"))).toBe("promote/dev-to-staging/aaaaaaaaaaaa");
  });

  it("failure descriptions round-trip, capped at GitHub's 140 characters", () => {
    const d = failureStatusDescription("logic", "bicep-compile-error", "BCP018:\n  expected =");
    expect(d).toBe("failed (logic/bicep-compile-error): BCP018: expected =");
    expect(parseFailureDescription(d)).toEqual({ category: "logic", kind: "bicep-compile-error", detail: "BCP018: expected =" });
    const long = failureStatusDescription("unknown", null, "x".repeat(300));
    expect(long).toHaveLength(140);
    expect(long.endsWith("…")).toBe(true);
    expect(parseFailureDescription("failed (weird/x): y")).toEqual({ category: "unknown", kind: null, detail: "failed (weird/x): y" });
  });

  it("the failure-issue marker round-trips and ignores anything else", () => {
    expect(parseFailureIssueMarker(`text\n${failureIssueMarker("dev", 1002, sha("b"))}`)).toEqual({ environment: "dev", deploymentId: 1002, sha: sha("b") });
    expect(parseFailureIssueMarker("no marker")).toBeNull();
    expect(parseFailureIssueMarker(null)).toBeNull();
  });
});

describe("normalising GitHub's states", () => {
  it.each([
    ["in_progress", null, "pending"],
    ["completed", "success", "success"],
    ["completed", "failure", "failure"],
    ["completed", "timed_out", "failure"],
    ["completed", "cancelled", "inconclusive"],
    ["completed", "skipped", "inconclusive"],
  ])("check run %s/%s is %s", (status, conclusion, expected) => {
    expect(checkRunState(status, conclusion)).toBe(expected);
  });

  it("commit statuses", () => {
    expect(["success", "failure", "error", "pending"].map(commitStatusState)).toEqual(["success", "failure", "failure", "pending"]);
  });

  it("run ids from Actions URLs", () => {
    expect(runIdFromUrl("https://github.com/o/r/actions/runs/9002")).toBe(9002);
    expect(runIdFromUrl("https://github.com/o/r/actions/runs/9002/job/7")).toBe(9002);
    expect(runIdFromUrl("https://example.com/deploy/1")).toBeNull();
    expect(runIdFromUrl(null)).toBeNull();
  });

  it("trusts only deployments the platform recorded (payload object or JSON text)", () => {
    expect(isPlatformDeployment({ delivery: { action: "deploy" } })).toBe(true);
    expect(isPlatformDeployment('{"delivery":{"action":"rollback"}}')).toBe(true);
    expect(isPlatformDeployment({})).toBe(false);
    expect(isPlatformDeployment("")).toBe(false);
    expect(isPlatformDeployment({ delivery: null })).toBe(false);
  });
});

describe("isReviewer", () => {
  const client = (answers: Record<string, number | "active" | "pending">) =>
    ({
      request: async (_route: string, p: { team_slug: string; username: string }) => {
        const a = answers[`${p.team_slug}/${p.username}`];
        if (a === "active" || a === "pending") return { data: { state: a, role: "member", url: "" } };
        throw Object.assign(new Error("HTTP error"), { status: a ?? 404 });
      },
    }) as unknown as Pick<Octokit, "request">;
  const reviewers = { users: ["QA-Alice"], teams: ["qa-leads", "release-managers"] };

  it("a listed user (any case), an active team member, nobody else; bots never", async () => {
    expect(await isReviewer(client({}), "contoso", reviewers, "qa-alice")).toBe(true);
    expect(await isReviewer(client({ "release-managers/bob": "active" }), "contoso", reviewers, "bob")).toBe(true);
    expect(await isReviewer(client({ "qa-leads/bob": "pending" }), "contoso", reviewers, "bob")).toBe(false);
    expect(await isReviewer(client({}), "contoso", reviewers, "mallory")).toBe(false);
    expect(await isReviewer(client({ "qa-leads/x[bot]": "active" }), "contoso", reviewers, "x[bot]")).toBe(false);
  });

  it("unknown when the token may not read team membership", async () => {
    expect(await isReviewer(client({ "qa-leads/bob": 403 }), "contoso", reviewers, "bob")).toBeNull();
  });
});

describe("the Mermaid diagram", () => {
  it("labels the edge carrying an open promotion PR and styles each state", () => {
    const r = restingPipeline();
    const y = sha("4");
    const dev = { ...r.dev, deployments: [succeeded("dev", y, 1000), ...r.dev.deployments], validations: [...validations("dev", y, 1011), ...r.dev.validations] };
    const report = evaluatePromotion(PIPELINE, facts([dev, r.staging, r.prod], { pullRequests: [...r.pullRequests, pr(12, "open", "test", y, 1100)], now: at(1200) }));
    expect(renderMermaid(report)).toBe(
      [
        "flowchart LR",
        '  env_dev["<b>dev</b> (dev)<br/>promoted<br/>444444444444"]',
        '  env_staging["<b>staging</b> (test)<br/>promoted<br/>222222222222"]',
        '  env_prod["<b>prod</b> (main)<br/>complete<br/>333333333333"]',
        '  env_dev -->|"PR #12"| env_staging',
        "  env_staging --> env_prod",
        "  classDef promoted fill:#dafbe1,stroke:#1a7f37,color:#044f1e",
        "  classDef complete fill:#1a7f37,stroke:#044f1e,color:#ffffff",
        "  class env_dev,env_staging promoted",
        "  class env_prod complete",
      ].join("\n"),
    );
  });
});
