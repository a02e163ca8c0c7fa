/**
 * `delivery promote verify-tree`, as the deploy job runs it before `pulumi up`: staging is about to
 * deploy S, which PR #40 squash-merged into `test` carrying A, validated in dev. The trees are
 * read from GitHub's commits endpoint (the stand-in, holding the recorded history); the record
 * names both commits.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promote } from "../core/promotion/cli-harness";
import { FIXTURES, recordedGitHub, SHA } from "../core/promotion/recorded-github";

const R = "/repos/contoso/payments-service";
const FACTS = path.join(FIXTURES, "facts", "dev-validated.json");
const VALIDATED_TREE = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4";

/** The recorded history where A (validated in dev) has VALIDATED_TREE and S, PR #40's squash merge into test, has `treeOfS`. */
function squashMerged(treeOfS: string) {
  const gh = recordedGitHub("shared");
  for (const [sha, tree] of [[SHA.A, VALIDATED_TREE], [SHA.S, treeOfS]]) gh.git.commits.set(sha, { ...gh.git.commit(sha)!, tree });
  return gh;
}

describe("delivery promote verify-tree", () => {
  it("GIVEN a squash-merged promotion with the validated tree THEN it passes, names both commits and writes the step outputs", async () => {
    const gh = squashMerged(VALIDATED_TREE);
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "verify-")), "out");
    const r = await promote(["verify-tree", "--environment", "staging", "--commit", SHA.S, "--facts", FACTS, "--github-output", out], { octokit: gh.client() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      environment: "staging",
      commit: SHA.S,
      validatedIn: "dev",
      validatedCommit: SHA.A,
      pullRequest: { number: 40, url: "https://github.com/contoso/payments-service/pull/40" },
      method: "equal-tree",
      trees: { commit: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4", validated: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4" },
      reason: "5c9e1a7b3d2f (merged by PR #40) has tree a1b2c3d4e5f6, exactly the tree of 3f2a9c1d5e7b validated in dev",
    });
    expect(fs.readFileSync(out, "utf8")).toBe(`ok=true\nmethod=equal-tree\nvalidated_commit=${SHA.A}\nvalidated_in=dev\n`);
    expect(gh.requests().sort()).toEqual([`GET ${R}/commits/${SHA.A}`, `GET ${R}/commits/${SHA.S}`]);
  });

  it("GIVEN a squash-merged promotion with a different tree THEN it exits 1 and says why, before anything is deployed", async () => {
    const gh = squashMerged("f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d");
    const r = await promote(["verify-tree", "--environment", "staging", "--commit", SHA.S, "--facts", FACTS], { octokit: gh.client() });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, validatedCommit: SHA.A, trees: { commit: "f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d", validated: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4" } });
    expect(r.stderr).toBe(
      "delivery: the promotion to staging stops: 5c9e1a7b3d2f (merged by PR #40) has tree f0e1d2c3b4a5, but 3f2a9c1d5e7b validated in dev has tree a1b2c3d4e5f6: the merge changed what was validated (a conflict resolution, or other commits on staging's branch). Nothing is deployed; revert the branch to the validated tree or promote again from dev.\n",
    );
    expect(gh.writes()).toEqual([]);
  });

  it("the deploy job then records the promotion with both commits", async () => {
    const gh = recordedGitHub("2-rollback-running");
    const r = await promote(["record", "start", "--environment", "staging", "--commit", SHA.S, "--validated-commit", SHA.A, "--requested-by", "alice-dev"], { octokit: gh.client() });
    const recorded = gh.world.deployments.at(-1)!;
    expect([recorded.environment, recorded.sha]).toEqual(["staging", SHA.S]);
    expect(r).toEqual({ code: 0, stdout: `{"deploymentId":${recorded.id},"promotedFrom":{"environment":"dev","sha":"${SHA.A}"}}\n`, stderr: "" });
    expect(gh.writes()[0]).toMatchObject({
      method: "POST",
      url: `${R}/deployments`,
      body: {
        ref: SHA.S,
        environment: "staging",
        payload: { delivery: { action: "deploy", commit: SHA.S, runUrl: null, requestedBy: "alice-dev", promotedFrom: { environment: "dev", commit: SHA.A } } },
        description: "Promotion of 5c9e1a7b3d2f to staging (the tree validated in dev at 3f2a9c1d5e7b)",
      },
    });
  });

  it("refuses a validated commit where there is no promotion", async () => {
    const gh = recordedGitHub("2-rollback-running");
    const r = await promote(["record", "start", "--environment", "dev", "--commit", SHA.A, "--validated-commit", SHA.B], { octokit: gh.client() });
    expect(r).toEqual({ code: 2, stdout: "", stderr: "delivery: --validated-commit names the commit validated in the environment before; dev is the first environment and has none\n" });
    expect(gh.calls).toEqual([]);
  });

  it("rejects bad input before reading anything", async () => {
    expect((await promote(["verify-tree", "--environment", "qa", "--commit", SHA.S, "--facts", FACTS])).stderr).toBe('delivery: --environment must be one of dev, staging, prod, not "qa"\n');
    expect((await promote(["verify-tree", "--environment", "staging", "--commit", "5c9e1a7", "--facts", FACTS])).stderr).toBe('delivery: --commit must be a full 40-character commit SHA, not "5c9e1a7"\n');
  });
});
