import { commentMarker, GITHUB_COMMENT_LIMIT } from "../../core/comment";
import { driftIssueAction, driftIssueBody, driftOutcome, driftIssueTitle, type DriftReportInput } from "../../core/drift";

const BOT = "github-actions[bot]";
const SHA = "0123456789abcdef0123456789abcdef01234567";
const report: DriftReportInput = {
  stack: "dev",
  runUrl: "https://github.com/o/r/actions/runs/7",
  commit: SHA,
  counts: { create: 0, update: 1, delete: 0, replace: 0, same: 30 },
  whatifHeadline: "1 to modify, 27 unchanged",
  whatif: ["##### dev: 1 to modify, 27 unchanged\n\n| change | resource | type | property changes (before => after) |"],
  log: "Previewing update (dev)\n",
};

describe("drift outcome", () => {
  it("tells drift from a clean run and from a failure", () => {
    expect(driftOutcome(0, "")).toBe("clean");
    expect(driftOutcome(255, "...\nerror: no changes were expected but changes were proposed\n")).toBe("drifted");
    expect(driftOutcome(255, "error: no changes were expected for preview but changes were proposed")).toBe("drifted");
    expect(driftOutcome(255, "error: could not log in to Azure")).toBe("failed");
  });
  it("is not drift when only a provider's configuration differs (the drift job's read-only token), and is when a resource changed too", () => {
    const proposed = "Resources:\n    ~ 1 to update\nerror: no changes were expected for preview but changes were proposed\n";
    const provider = '    ~ pulumi:providers:github: (update)\n        [urn=urn:pulumi:dev::delivery-platform::pulumi:providers:github::github]\n      ~ token  : "x" => "***"\n';
    const bicep = "    ~ pulumi-nodejs:dynamic/azure:BicepDeployment: (update)\n";
    const refreshed = "        ~ pulumi-nodejs:dynamic/azure:BicepDeployment: (refresh)\n";
    expect(driftOutcome(255, provider + refreshed + proposed)).toBe("clean");
    expect(driftOutcome(255, provider + bicep + proposed)).toBe("drifted");
    expect(driftOutcome(255, "    +- github:index/repositoryEnvironment:RepositoryEnvironment: (replace)\n" + proposed)).toBe("drifted");
    // Nothing readable: reported, never assumed clean.
    expect(driftOutcome(255, proposed)).toBe("drifted");
  });
});

describe("drift issue", () => {
  const ours = { number: 41, body: `${commentMarker("drift", "dev")}\nold`, user: { login: BOT } };

  it("opens one when a stack drifted and none is open", () => {
    const a = driftIssueAction("drifted", "dev", [], BOT, report);
    expect(a).toMatchObject({ kind: "open", title: driftIssueTitle("dev") });
    const body = (a as { body: string }).body;
    expect(body.split("\n")[0]).toBe(commentMarker("drift", "dev"));
    expect(body).toContain("`pulumi preview --refresh`: 0 created, 1 updated, 0 replaced, 0 deleted, 30 unchanged.");
    expect(body).toContain("#### Azure what-if: 1 to modify, 27 unchanged");
  });

  it("updates its own open issue, never another stack's, someone else's or a pull request", () => {
    const others = [
      { number: 1, body: `${commentMarker("drift", "dev")}\nforged`, user: { login: "mallory" } },
      { number: 2, body: `${commentMarker("drift", "dev-eu")}\n`, user: { login: BOT } },
      { number: 3, body: `${commentMarker("drift", "dev")}\n`, user: { login: BOT }, pull_request: {} },
    ];
    expect(driftIssueAction("drifted", "dev", [...others, ours], BOT, report)).toMatchObject({ kind: "update", number: 41 });
    expect(driftIssueAction("drifted", "dev", others, BOT, report)).toMatchObject({ kind: "open" });
  });

  it("closes it when the stack is clean again, and leaves issues alone when the preview failed", () => {
    expect(driftIssueAction("clean", "dev", [ours], BOT, report)).toEqual({ kind: "close", number: 41, comment: expect.stringContaining("found it clean again") });
    expect(driftIssueAction("clean", "dev", [], BOT, report)).toEqual({ kind: "none", reason: "dev has no drift and no open drift issue" });
    expect(driftIssueAction("failed", "dev", [ours], BOT, report).kind).toBe("none");
  });

  it("fits an issue body whatever the log", () => {
    expect(driftIssueBody({ ...report, log: "x".repeat(300_000) }).length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
  });
});
