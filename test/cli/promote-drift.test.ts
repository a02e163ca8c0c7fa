/**
 * Drift at the CLI level, against recorded GitHub answers: an admin pushed straight to `test`, so
 * its head is a commit no deployment of staging deployed and no pull request brought.
 * `delivery promote status` reports staging contradictory, with the action to take, and nothing
 * is promoted.
 */
import { promote } from "../core/promotion/cli-harness";
import { fakeOctokit, readRoutes } from "../core/promotion/fake-octokit";

const R = "/repos/contoso/payments-service";

describe("delivery promote status: a branch head nothing deployed or promoted", () => {
  it("GIVEN test's head moved by a direct push THEN staging is contradictory and the action says what to do", async () => {
    const gh = fakeOctokit("3-rolled-back", { ...readRoutes(), [`GET ${R}/branches/test`]: "branch-test-pushed.json" });
    const r = await promote(["status", "--json"], { octokit: gh.octokit, now: "2025-06-02T11:00:00Z" });
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    const staging = report.environments.find((e: { name: string }) => e.name === "staging");
    expect(staging.state).toBe("contradictory");
    expect(staging.actions).toEqual([
      {
        kind: "investigate",
        environment: "staging",
        reason:
          "test is at 7e57d1ec7ab1, which no deployment of staging deployed and no merged pull request into test brought (a direct push?); commits reach staging only by promotion: revert it through a pull request into test (or promote the change from the environment before); nothing is promoted until then",
      },
    ]);
    expect(report.contradictions).toContainEqual({ environment: "staging", message: "test is at 7e57d1ec7ab1, which no deployment of staging deployed and no merged pull request into test brought (a direct push?)" });
    expect(report.actions.filter((a: { kind: string }) => a.kind === "open-pr")).toEqual([]);
  });
});
