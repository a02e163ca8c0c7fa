/**
 * Manual sign-off against the checklist kept in the repository: `delivery promote sign-off` records
 * who (the token's owner posts the status), which SHA (the status's commit) and which checklist
 * version (its git blob SHA); the machine accepts only sign-offs that name the checklist.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { evaluatePromotion } from "../../core/promotion";
import { gitBlobSha, parseSignOff, signOffDescription } from "../../core/promotion/signoff";
import { promote } from "../core/promotion/cli-harness";
import { recordedGitHub, SHA } from "../core/promotion/recorded-github";
import { approval, at, facts, PIPELINE, restingPipeline, sha, succeeded, validations } from "../core/promotion/builders";
import { REPO_ROOT } from "../harness/program";

const R = "/repos/contoso/payments-service";
const M = "d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4";
const VERSION = gitBlobSha(fs.readFileSync(path.join(REPO_ROOT, "docs", "signoff-checklist.md"))).slice(0, 12);

/** The recorded history with M, the merge staging deployed, and qa-alice's own token. */
function stagingAt(m: string) {
  const gh = recordedGitHub("shared");
  gh.git.addCommit({ sha: m, parents: [SHA.S] });
  return gh;
}

describe("delivery promote sign-off", () => {
  it("posts the manual-test status on the tested commit, naming the checklist's version and linking it at that commit", async () => {
    const gh = stagingAt(M);
    const r = await promote(["sign-off", "--environment", "staging", "--commit", M], { octokit: gh.client("qa-alice") });
    expect(r.stderr).toBe("");
    // The status is the reviewer's own: GitHub records whose token posted it.
    expect(gh.world.statuses.at(-1)).toMatchObject({ sha: M, context: "manual-test (staging)", state: "success", creator: { login: "qa-alice" } });
    expect(gh.writes()).toEqual([
      {
        method: "POST",
        url: `${R}/statuses/${M}`,
        body: {
          state: "success",
          context: "manual-test (staging)",
          description: `signed off against docs/signoff-checklist.md@${VERSION} (8 items)`,
          target_url: `https://github.com/contoso/payments-service/blob/${M}/docs/signoff-checklist.md`,
        },
      },
    ]);
  });

  it("records a rejection with what failed", async () => {
    const gh = stagingAt(M);
    const r = await promote(["sign-off", "--environment", "staging", "--commit", M, "--reject", "refunds return 500"], { octokit: gh.client("qa-alice") });
    expect(r.code).toBe(0);
    expect(gh.writes()[0].body).toMatchObject({ state: "failure", description: `rejected against docs/signoff-checklist.md@${VERSION} (8 items): refunds return 500` });
  });

  it("refuses environments without manual sign-off, before sending anything", async () => {
    const gh = stagingAt(M);
    const r = await promote(["sign-off", "--environment", "dev", "--commit", M], { octokit: gh.client("qa-alice") });
    expect(r).toEqual({ code: 2, stdout: "", stderr: "delivery: dev has no manual test sign-off (environments[dev].manualTestApproval is false)\n" });
    expect(gh.calls).toEqual([]);
  });
});

describe("the machine accepts only sign-offs against the checklist", () => {
  const r = restingPipeline();
  const s2 = sha("6");
  const stagingWith = (description: string) => {
    const staging = { ...r.staging, deployments: [succeeded("staging", s2, 1000), ...r.staging.deployments], validations: [...validations("staging", s2, 1011), ...r.staging.validations], manualApprovals: [approval(s2, 1100, "success", "qa-alice", true, description)] };
    return evaluatePromotion(PIPELINE, facts([r.dev, staging, r.prod], { pullRequests: r.pullRequests, now: at(2000) })).environments[1];
  };

  it("promotes on a reviewer's sign-off that names the checklist, and reports who signed against which version", () => {
    const env = stagingWith(signOffDescription({ checklist: "docs/signoff-checklist.md", version: VERSION, items: 8 }, null));
    expect(env.state).toBe("promoted");
    expect(env.validations.find((v) => v.name === "manual-test (staging)")).toMatchObject({ result: "passed", by: "qa-alice", checklist: `docs/signoff-checklist.md@${VERSION}` });
  });

  it("ignores a bare `success` status, saying how to sign off", () => {
    const env = stagingWith("manual tests passed");
    expect(env.state).toBe("validating");
    expect(env.blocking).toContain(`ignored manual-test (staging) "success" by @qa-alice: it names no checklist; sign off against docs/signoff-checklist.md with \`delivery promote sign-off --environment staging --commit ${s2}\``);
  });

  it("reads back what it writes", () => {
    expect(parseSignOff(signOffDescription({ checklist: "docs/signoff-checklist.md", version: "abcdef123456", items: 3 }, "it broke"))).toEqual({ checklist: "docs/signoff-checklist.md", version: "abcdef123456", items: 3 });
    expect(parseSignOff("manual tests passed")).toBeNull();
  });
});

describe("delivery promote report-validations", () => {
  const validate = (sha: string) => JSON.stringify([{ environment: "staging", sha, deployment_id: 41, checks: ["health (staging)", "smoke (staging)"] }]);
  function resultsDir(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "validation-outcomes-"));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  }

  it("posts what the validation job wrote for the checks decide asked for, and warns about the rest", async () => {
    const gh = stagingAt(M);
    const dir = resultsDir({ "validation-staging/results.json": JSON.stringify({ sha: M, checks: { "health (staging)": "success", "health (prod)": "success" } }) });
    const r = await promote(["report-validations", "--validate", validate(M), "--results", dir, "--run-url", "https://github.com/contoso/payments-service/actions/runs/5"], { octokit: gh.client("github-actions[bot]") });
    expect(r.code).toBe(0);
    expect(gh.writes()).toEqual([
      { method: "POST", url: `${R}/statuses/${M}`, body: { state: "success", context: "health (staging)", description: "health (staging): success", target_url: "https://github.com/contoso/payments-service/actions/runs/5" } },
    ]);
    expect(r.stdout).toContain(`::warning::not reported, the machine asks again: smoke (staging) of ${M.slice(0, 12)}: no result\n`);
  });

  it("does not follow a symbolic link the validation job left in place of its results", async () => {
    const gh = stagingAt(M);
    const dir = resultsDir({ "elsewhere.json": JSON.stringify({ sha: M, checks: { "health (staging)": "success", "smoke (staging)": "success" } }) });
    fs.mkdirSync(path.join(dir, "validation-staging"));
    fs.symlinkSync(path.join(dir, "elsewhere.json"), path.join(dir, "validation-staging", "results.json"));
    const r = await promote(["report-validations", "--validate", validate(M), "--results", dir], { octokit: gh.client("github-actions[bot]") });
    expect(r.code).toBe(0);
    expect(gh.calls).toEqual([]);
    expect(r.stdout).toContain("the results file is not a regular file");
  });

  it("refuses a --validate that is not decide's output, or names checks outside the pipeline, before sending anything", async () => {
    const gh = stagingAt(M);
    const dir = resultsDir({});
    const bad = await promote(["report-validations", "--validate", "[{\"environment\":\"staging\"}]", "--results", dir], { octokit: gh.client("github-actions[bot]") });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^delivery: --validate must be the decide job's validate output, \[\{environment, sha, deployment_id, checks\}\]: /);
    const foreign = await promote(["report-validations", "--validate", JSON.stringify([{ environment: "staging", sha: M, deployment_id: 41, checks: ["deploy (prod)"] }]), "--results", dir], { octokit: gh.client("github-actions[bot]") });
    expect(foreign.stderr).toBe("delivery: --validate names checks that are not validations of the pipeline (deploy (prod))\n");
    expect(gh.calls).toEqual([]);
  });
});
