import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../cli/main";
import { captureIo } from "../harness/cli";
import { promote } from "../core/promotion/cli-harness";
import { FIXTURES, recordedGitHub, SHA } from "../core/promotion/recorded-github";

const R = "/repos/contoso/payments-service";
const FACTS = path.join(FIXTURES, "facts");
const C = "c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";
const M = "d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4";
const facts = (name: string) => path.join(FACTS, name);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "promote-"));

describe("delivery promote with recorded facts", () => {
  it("`facts` prints exactly what `--facts` reads back, and both give the same report", async () => {
    const gh = recordedGitHub("1-failed");
    const live = await promote(["facts"], { octokit: gh.client() });
    expect(live.stdout).toBe(fs.readFileSync(facts("dev-failed.json"), "utf8"));
    const fromApi = await promote(["status", "--json"], { octokit: gh.client() });
    expect(gh.writes()).toEqual([]);
    const fromFile = await promote(["status", "--json", "--facts", facts("dev-failed.json")]);
    expect(fromFile).toEqual(fromApi);
  });

  it("`status --summary` appends the Markdown report (for $GITHUB_STEP_SUMMARY)", async () => {
    const summary = path.join(tmp(), "summary.md");
    fs.writeFileSync(summary, "# before\n");
    const r = await promote(["status", "--facts", facts("rolled-back.json"), "--summary", summary]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(summary, "utf8")).toBe(`# before\n${r.stdout}\n`);
    expect(r.stdout).toContain("```mermaid\nflowchart LR\n");
  });

  it("`next` prints the decision and writes the step outputs", async () => {
    const out = path.join(tmp(), "out");
    const r = await promote(["next", "--facts", facts("dev-validated.json"), "--github-output", out]);
    expect(r.code).toBe(0);
    const openPr = { kind: "open-pr", from: "dev", to: "staging", sha: C, base: "test", head: "promote/dev-to-staging/c4d5e6f70819", title: "Promote c4d5e6f70819 from dev to staging" };
    const decision = JSON.parse(r.stdout);
    expect(decision.actions).toEqual([openPr]);
    expect(decision.frozen).toBe(false);
    expect(decision.environments.map((e: { name: string; state: string }) => `${e.name}:${e.state}`)).toEqual(["dev:promoted", "staging:promoted", "prod:complete"]);
    expect(fs.readFileSync(out, "utf8")).toBe(`actions=${JSON.stringify([openPr])}\nhas_actions=true\nvalidate=[]\nfrozen=false\n`);
  });

  it("`act` opens the promotion PR from a branch created at exactly the validated SHA", async () => {
    const gh = recordedGitHub("shared");
    gh.git.addCommit({ sha: C, parents: [SHA.A] });
    const r = await promote(["act", "--facts", facts("dev-validated.json"), "--run-url", "https://github.com/contoso/payments-service/actions/runs/9012"], { octokit: gh.client() });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(gh.writes()).toEqual([
      { method: "POST", url: `${R}/git/refs`, body: { ref: "refs/heads/promote/dev-to-staging/c4d5e6f70819", sha: C } },
      {
        method: "POST",
        url: `${R}/pulls`,
        body: {
          title: "Promote c4d5e6f70819 from dev to staging",
          head: "promote/dev-to-staging/c4d5e6f70819",
          base: "test",
          body: [
            `Promotes \`${C}\`, validated in dev, to staging.`,
            "",
            "The head branch `promote/dev-to-staging/c4d5e6f70819` was created at exactly that commit; if it moves, the promotion machine reports this pull request as contradictory and promotes nothing.",
            "",
            "Opened by https://github.com/contoso/payments-service/actions/runs/9012.",
          ].join("\n"),
          maintainer_can_modify: false,
        },
      },
    ]);
    const opened = gh.world.pulls.at(-1)!;
    expect([opened.head, opened.base.ref, opened.state]).toEqual([{ ref: "promote/dev-to-staging/c4d5e6f70819", sha: C, repo: { full_name: "contoso/payments-service" } }, "test", "open"]);
    expect(gh.git.ref("refs/heads/promote/dev-to-staging/c4d5e6f70819")).toBe(C);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ status: "performed", detail: `opened PR #${opened.number}`, created: { pr: opened.number, url: `https://github.com/contoso/payments-service/pull/${opened.number}` } });
  });

  it("`act` refuses to open the PR when the promotion branch exists at another commit", async () => {
    const gh = recordedGitHub("shared");
    gh.git.addCommit({ sha: C, parents: [SHA.A] });
    gh.git.createRef("refs/heads/promote/dev-to-staging/c4d5e6f70819", gh.git.addCommit({ sha: "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3", parents: [C] }));
    const pulls = gh.world.pulls.length;
    const r = await promote(["act", "--facts", facts("dev-validated.json")], { octokit: gh.client() });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `delivery: open-pr: branch promote/dev-to-staging/c4d5e6f70819 exists at e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3, not at the validated ${C}; delete it and run again\n`,
    );
    expect(gh.writes().map((w) => w.url)).toEqual([`${R}/git/refs`]);
    expect(gh.world.pulls.length).toBe(pulls);
  });

  it("`act` asks staging's reviewers for manual test sign-off with a pending status and a commit comment", async () => {
    const gh = recordedGitHub("shared");
    gh.git.addCommit({ sha: M, parents: [SHA.S] });
    const r = await promote(["act", "--facts", facts("staging-awaiting-sign-off.json"), "--run-url", "https://github.com/contoso/payments-service/actions/runs/9030"], { octokit: gh.client() });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(gh.writes()).toEqual([
      { method: "POST", url: `${R}/statuses/${M}`, body: { state: "pending", context: "manual-test (staging)", description: "Awaiting manual test sign-off by team qa-leads", target_url: "https://github.com/contoso/payments-service/actions/runs/9030" } },
      {
        method: "POST",
        url: `${R}/commits/${M}/comments`,
        body: {
          body: [
            `@contoso/qa-leads staging runs \`${M}\` and its automated checks passed. Please work through [the checklist](https://github.com/contoso/payments-service/blob/${M}/docs/signoff-checklist.md), then sign off (or reject) with your own token, from a checkout of the repository:`,
            "",
            "```sh",
            `GITHUB_TOKEN="$(gh auth token)" npx delivery promote sign-off --environment staging --commit ${M}`,
            '# or: ... --reject "what failed"',
            "```",
          ].join("\n"),
        },
      },
    ]);
  });

  it("`act --only` performs a subset", async () => {
    const r = await promote(["act", "--dry-run", "--only", "rollback", "--facts", facts("dev-failed.json")]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results.map((x: { action: { kind: string } }) => x.action.kind)).toEqual(["rollback"]);
  });
});

describe("delivery promote errors", () => {
  it("names a missing facts file", async () => {
    expect(await promote(["status", "--facts", "nope.json"])).toEqual({ code: 2, stdout: "", stderr: "delivery: cannot read nope.json: no such file\n" });
  });

  it("says which field of a facts file is wrong", async () => {
    const file = path.join(tmp(), "facts.json");
    fs.writeFileSync(file, JSON.stringify({ repository: "contoso/payments-service", now: "2025-06-02T10:30:00Z", environments: [], pullRequests: [{ number: 1 }], failureIssues: [] }));
    const r = await promote(["status", "--facts", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`delivery: ${file} does not hold promotion facts: pullRequests.0.state: Invalid option: expected one of "open"|"merged" (and 7 more)\n`);
  });

  it("rejects unknown --only kinds and a bad --history", async () => {
    expect((await promote(["act", "--only", "merge", "--facts", facts("dev-failed.json")])).stderr).toBe(
      'delivery: --only takes open-failure-issue, rollback, validate, request-manual-approval, open-pr, close-failure-issue; "merge" is not one of them\n',
    );
    expect((await promote(["status", "--history", "0", "--facts", facts("dev-failed.json")])).stderr).toBe('delivery: --history must be a whole number from 1 to 100, not "0"\n');
  });

  it("checks what the deploy job records", async () => {
    expect((await promote(["record", "start", "--environment", "dev", "--commit", "abc123"])).stderr).toBe('delivery: --commit must be a full 40-character commit SHA, not "abc123"\n');
    expect((await promote(["record", "start", "--environment", "qa", "--commit", C])).stderr).toBe('delivery: --environment must be one of dev, staging, prod, not "qa"\n');
    expect((await promote(["record", "finish", "--deployment-id", "1003", "--result", "maybe"])).stderr).toBe('delivery: --result must be success or failure, not "maybe"\n');
  });

  it("records a failure with the class `delivery classify` found", async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "classify.json"), JSON.stringify({ category: "environmental", retryable: true, kind: "throttled", reason: "Azure throttled the request (429)" }));
    const gh = recordedGitHub("2-rollback-running");
    const start = await promote(["record", "start", "--environment", "dev", "--commit", SHA.A, "--run-url", "https://github.com/contoso/payments-service/actions/runs/9004"], { octokit: gh.client() });
    const { deploymentId } = JSON.parse(start.stdout) as { deploymentId: number };
    const before = gh.writes().length;
    const r = await promote(["record", "finish", "--deployment-id", String(deploymentId), "--result", "failure", "--classify", path.join(dir, "classify.json")], { octokit: gh.client() });
    expect(r.code).toBe(0);
    expect(gh.world.deploymentStatuses.filter((s) => s.deployment_id === deploymentId).at(-1)).toMatchObject({ state: "failure", creator: { login: "github-actions[bot]" } });
    expect(gh.writes().slice(before)).toEqual([
      { method: "POST", url: `${R}/deployments/${deploymentId}/statuses`, body: { state: "failure", description: "failed (environmental/throttled): Azure throttled the request (429)" } },
    ]);
  });

  it("is registered in `delivery` and needs a token to reach GitHub", async () => {
    const help = captureIo();
    expect(await run(["--help"], help.io)).toBe(0);
    expect(help.stdout()).toContain("promote");
    const c = captureIo({ env: { GITHUB_REPOSITORY: "contoso/payments-service" } });
    expect(await run(["promote", "status"], c.io)).toBe(2);
    expect(c.stderr()).toBe("delivery: neither GITHUB_TOKEN nor GH_TOKEN is set; in a workflow pass `env: GITHUB_TOKEN: ${{ github.token }}`.\n");
  });
});

describe("delivery promote check", () => {
  it("reports a validation as a commit status on the deployed commit", async () => {
    const gh = recordedGitHub("shared");
    gh.git.addCommit({ sha: M, parents: [SHA.S] });
    const r = await promote(["check", "--commit", M, "--name", "health (staging)", "--state", "success", "--run-url", "https://github.com/contoso/payments-service/actions/runs/9021"], { octokit: gh.client() });
    expect(r).toEqual({ code: 0, stdout: `{"commit":"${M}","name":"health (staging)","state":"success"}\n`, stderr: "" });
    expect(gh.writes()).toEqual([
      { method: "POST", url: `${R}/statuses/${M}`, body: { state: "success", context: "health (staging)", description: "health (staging): success", target_url: "https://github.com/contoso/payments-service/actions/runs/9021" } },
    ]);
  });

  it("refuses the manual-test context: sign-off comes from a reviewer", async () => {
    const r = await promote(["check", "--commit", M, "--name", "manual-test (staging)", "--state", "success"]);
    expect(r.stderr).toBe(
      'delivery: --name must be one of health (dev), smoke (dev), health (staging), smoke (staging), health (prod), smoke (prod), monitors (prod), not "manual-test (staging)" (manual test sign-off comes from a reviewer, not from a job)\n',
    );
  });
});
