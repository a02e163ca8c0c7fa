/**
 * Drift at the CLI level, against the recorded history in the stand-in GitHub: an admin pushed straight to `test`, so
 * its head is a commit no deployment of staging deployed and no pull request brought.
 * `delivery promote status` reports staging contradictory, with the action to take, and nothing
 * is promoted. A head that a deployed commit's history contains (a pull request's head deployed
 * before it merged) is not drift.
 */
import { promote } from "../core/promotion/cli-harness";
import { recordedGitHub, SHA } from "../core/promotion/recorded-github";

const R = "/repos/contoso/payments-service";
const PUSHED = "7e57d1ec7ab1e0c0ffee0123456789abcdef0123";

describe("delivery promote status: a branch head nothing deployed or promoted", () => {
  it("GIVEN test's head moved by a direct push THEN staging is contradictory and the action says what to do", async () => {
    const gh = recordedGitHub("3-rolled-back");
    // The pushed commit sits on top of what staging runs: the deployed commit is behind it.
    gh.git.setBranch("test", gh.git.addCommit({ sha: PUSHED, parents: [SHA.S], message: "hotfix\n" }));
    const r = await promote(["status", "--json"], { octokit: gh.client(), now: "2025-06-02T11:00:00Z" });
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

describe("delivery promote status: a branch head inside what was deployed", () => {
  it("GIVEN test's head is an ancestor of staging's deployed commit THEN staging is not contradictory", async () => {
    const gh = recordedGitHub("3-rolled-back");
    // test's head is a pull request's head that staging deployed before it merged: S merged it.
    gh.git.setBranch("test", gh.git.addCommit({ sha: PUSHED, parents: [SHA.A], message: "the pull request's head\n" }));
    gh.git.commits.set(SHA.S, { ...gh.git.commit(SHA.S)!, parents: [SHA.A, PUSHED] });
    const r = await promote(["status", "--json"], { octokit: gh.client(), now: "2025-06-02T11:00:00Z" });
    expect(r.stderr).toBe("");
    const staging = JSON.parse(r.stdout).environments.find((e: { name: string }) => e.name === "staging");
    expect(staging.state).not.toBe("contradictory");
    expect(gh.requests()).toContain(`GET ${R}/compare/${PUSHED}...${SHA.S}`);
  });
});
