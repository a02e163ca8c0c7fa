/**
 * The failure path end to end, against recorded GitHub histories (test/fixtures/github/promotion)
 * held by the stand-in GitHub:
 *
 * 1. dev's deployment of B fails (bicep compile error) -> `delivery promote act` opens the
 *    high-priority failure issue (the freeze) and dispatches the deploy workflow to roll dev back
 *    to the last known-good A, commenting on the issue;
 * 2. while that run is in progress the machine waits and opens nothing twice;
 * 3. the deploy job records the rollback as a GitHub deployment of A (`delivery promote record`);
 * 4. once validated, the machine reports dev rolled back to A, with promotion still frozen.
 */
import { recordedGitHub, SHA } from "../core/promotion/recorded-github";
import { promote } from "../core/promotion/cli-harness";

const R = "/repos/contoso/payments-service";
const RUN = "https://github.com/contoso/payments-service/actions/runs";

/** Every read `promote` makes for the committed pipeline, in order, when dev's newest deployment failed. */
const READS_WITH_DEV_FAILED = [
  `${R}/deployments?environment=dev&per_page=10`,
  `${R}/deployments/1002/statuses?per_page=100`,
  `${R}/deployments/1001/statuses?per_page=100`,
  `${R}/commits/${SHA.B}/check-runs?filter=all&per_page=100`,
  `${R}/commits/${SHA.B}/statuses?per_page=100`,
  `${R}/commits/${SHA.A}/check-runs?filter=all&per_page=100`,
  `${R}/commits/${SHA.A}/statuses?per_page=100`,
  `${R}/actions/workflows/deploy.yml/runs?event=workflow_dispatch&branch=dev&per_page=10`,
  `${R}/actions/runs/9002`,
  `${R}/actions/runs/9002/artifacts?per_page=100`,
  `${R}/branches/dev`,
  `${R}/deployments?environment=staging&per_page=10`,
  `${R}/deployments/2001/statuses?per_page=100`,
  `${R}/commits/${SHA.S}/check-runs?filter=all&per_page=100`,
  `${R}/commits/${SHA.S}/statuses?per_page=100`,
  "/orgs/contoso/teams/qa-leads/memberships/qa-bob",
  `${R}/actions/workflows/deploy.yml/runs?event=workflow_dispatch&branch=test&per_page=10`,
  `${R}/branches/test`,
  `${R}/deployments?environment=prod&per_page=10`,
  `${R}/deployments/3001/statuses?per_page=100`,
  `${R}/commits/${SHA.P}/check-runs?filter=all&per_page=100`,
  `${R}/commits/${SHA.P}/statuses?per_page=100`,
  `${R}/actions/workflows/deploy.yml/runs?event=workflow_dispatch&branch=main&per_page=10`,
  `${R}/branches/main`,
  `${R}/pulls?state=all&base=dev&sort=updated&direction=desc&per_page=20`,
  `${R}/pulls?state=all&base=test&sort=updated&direction=desc&per_page=20`,
  `${R}/pulls?state=all&base=main&sort=updated&direction=desc&per_page=20`,
  `${R}/issues?labels=deployment-failure&state=all&sort=created&direction=desc&per_page=30`,
];

const issueBody = (runOfRecord = 9002) => [
  `<!-- delivery:promotion-failure environment=dev deployment=1002 sha=${SHA.B} -->`,
  `**Priority: high** (\`priority:high\`). dev failed at \`${SHA.B}\` (deployment 1002). While this issue is open, every deploy and promotion in every environment is refused except the rollback and the fix.`,
  "",
  "| | |",
  "|---|---|",
  "| Environment | dev |",
  `| Commit | \`${SHA.B}\` |`,
  "| Failure class | `logic/bicep-compile-error` |",
  '| Detail | main.bicep(12,5) : Error BCP018: Expected the "=" character at this location. |',
  `| Run | ${RUN}/9002 |`,
  `| Audit record | ${RUN}/9002/artifacts/77001 |`,
  `| Last known-good commit | \`${SHA.A}\` |`,
  "",
  "What happens next:",
  "1. The promote workflow rolls dev back to `3f2a9c1d5e7b` through the deploy workflow (a `deploy:rollback` deployment).",
  "2. The fix goes through the normal path: a pull request into the first environment branch whose description says `Fixes #<this issue>`, then promotion (the promotion pull requests carry it on). No direct pushes, no skipped environments.",
  "3. The promote workflow closes this issue with a comment once dev is healthy again (the rollback or the fix passed validation there); that lifts the freeze.",
  "",
  `Opened by ${RUN}/9100.`,
].join("\n").replace(`${RUN}/9002/`, `${RUN}/${runOfRecord}/`);

describe("the failure path: deployment fails -> freeze -> rollback -> rolled back", () => {
  it("1. reports dev failed with its failure class, run and audit record", async () => {
    const gh = recordedGitHub("1-failed");
    const r = await promote(["status", "--json"], { octokit: gh.client() });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const report = JSON.parse(r.stdout);
    expect(report.environments.map((e: { name: string; state: string }) => `${e.name}:${e.state}`)).toEqual(["dev:failed", "staging:promoted", "prod:complete"]);
    expect(report.environments[0]).toMatchObject({
      deployedSha: SHA.B,
      lastKnownGoodSha: SHA.A,
      failure: { category: "logic", kind: "bicep-compile-error", runUrl: `${RUN}/9002`, auditUrl: `${RUN}/9002/artifacts/77001` },
      blocking: ['dev failed (logic/bicep-compile-error): main.bicep(12,5) : Error BCP018: Expected the "=" character at this location.'],
    });
    expect(report.frozenBy).toEqual([]);
    expect(gh.requests()).toEqual(READS_WITH_DEV_FAILED.map((url) => `GET ${url}`));
    expect(gh.writes()).toEqual([]);
  });

  it("2. `act` opens the failure issue, dispatches the rollback of the last known-good SHA and links the two", async () => {
    const gh = recordedGitHub("1-failed");
    const r = await promote(["act", "--run-url", `${RUN}/9100`], { octokit: gh.client() });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(gh.calls.filter((q) => q.method === "GET").map((q) => q.path)).toEqual(READS_WITH_DEV_FAILED);
    const issue = gh.world.issues.at(-1)!;
    const { runId } = gh.world.dispatches[0];
    expect(gh.writes()).toEqual([
      { method: "POST", url: `${R}/issues`, body: { title: "Deployment failure: dev at b7e4d2c9a1f0 (logic/bicep-compile-error)", body: issueBody(), labels: ["deployment-failure", "priority:high"], assignees: ["alice-dev"] } },
      { method: "POST", url: `${R}/actions/workflows/deploy.yml/dispatches`, body: { ref: "dev", inputs: { action: "rollback", environment: "dev", sha: SHA.A, requested_by: "alice-dev" }, return_run_details: true } },
      { method: "POST", url: `${R}/issues/${issue.number}/comments`, body: { body: `Rollback of dev from \`b7e4d2c9a1f0\` to the last known-good \`${SHA.A}\` requested: ${RUN}/${runId}.` } },
    ]);
    // What GitHub now holds: the freeze, assigned to the deployer, and the rollback asked of the deploy workflow.
    expect([issue.state, issue.labels.map((l) => l.name), issue.assignees.map((a) => a.login)]).toEqual(["open", ["deployment-failure", "priority:high"], ["alice-dev"]]);
    expect(gh.world.dispatches).toEqual([{ workflow_id: "deploy.yml", ref: "dev", inputs: { action: "rollback", environment: "dev", sha: SHA.A, requested_by: "alice-dev" }, by: expect.objectContaining({ login: "github-actions[bot]" }), runId }]);
    const out = JSON.parse(r.stdout);
    expect(out.results.map((x: { status: string; detail: string; created?: object }) => [x.status, x.detail, x.created])).toEqual([
      ["performed", `opened #${issue.number}`, { issue: issue.number, url: `https://github.com/contoso/payments-service/issues/${issue.number}` }],
      ["performed", `dispatched deploy.yml (${RUN}/${runId})`, { run: runId, url: `${RUN}/${runId}` }],
    ]);

    // Run again, the machine opens nothing twice: the open issue is the freeze, and it names this failure.
    const again = await promote(["act", "--run-url", `${RUN}/9101`], { octokit: gh.client() });
    expect(again.code).toBe(0);
    expect(gh.world.issues.filter((i) => i.state === "open")).toHaveLength(1);
  });

  it("2b. `act --dry-run` plans the same writes and sends none", async () => {
    const gh = recordedGitHub("1-failed");
    const r = await promote(["act", "--dry-run"], { octokit: gh.client() });
    expect(r.code).toBe(0);
    expect(gh.writes()).toEqual([]);
    const out = JSON.parse(r.stdout);
    expect(out.dryRun).toBe(true);
    expect(out.results.map((x: { status: string; detail: string; requests: { method: string; path: string }[] }) => [x.status, x.detail, x.requests.map((q) => `${q.method} ${q.path}`)])).toEqual([
      ["planned", 'would open "Deployment failure: dev at b7e4d2c9a1f0 (logic/bicep-compile-error)"', [`POST ${R}/issues`]],
      ["planned", "would dispatch deploy.yml on dev to roll dev back to 3f2a9c1d5e7b", [`POST ${R}/actions/workflows/deploy.yml/dispatches`]],
    ]);
  });

  it("3. while the rollback run is in progress: frozen, waiting, nothing opened twice", async () => {
    const gh = recordedGitHub("2-rollback-running");
    const next = await promote(["next"], { octokit: gh.client(), now: "2025-06-02T10:40:00Z" });
    expect(next.code).toBe(0);
    const decision = JSON.parse(next.stdout);
    expect(decision.frozen).toBe(true);
    expect(decision.frozenBy).toEqual([{ number: 57, title: "Deployment failure: dev at b7e4d2c9a1f0 (logic/bicep-compile-error)", url: "https://github.com/contoso/payments-service/issues/57" }]);
    expect(decision.actions).toEqual([]);
    expect(decision.environments[0]).toEqual({
      name: "dev",
      state: "failed",
      deployedSha: SHA.B,
      lastKnownGoodSha: SHA.A,
      actions: [{ kind: "wait", environment: "dev", reason: `deploy run 9003 on dev is in progress (${RUN}/9003)` }],
    });

    const act = await promote(["act"], { octokit: gh.client(), now: "2025-06-02T10:40:00Z" });
    expect(act.code).toBe(0);
    expect(JSON.parse(act.stdout)).toEqual({ dryRun: false, results: [] });
    expect(gh.writes()).toEqual([]);
  });

  it("4. the deploy job records the rollback as a GitHub deployment of the known-good SHA", async () => {
    const gh = recordedGitHub("2-rollback-running");
    const start = await promote(["record", "start", "--environment", "dev", "--commit", SHA.A, "--rollback", "--run-url", `${RUN}/9003`, "--requested-by", "github-actions[bot]"], { octokit: gh.client() });
    const id = gh.world.deployments.at(-1)!.id;
    expect(start).toEqual({ code: 0, stdout: `{"deploymentId":${id}}\n`, stderr: "" });
    const finish = await promote(["record", "finish", "--deployment-id", String(id), "--result", "success", "--run-url", `${RUN}/9003`], { octokit: gh.client() });
    expect(finish).toEqual({ code: 0, stdout: `{"deploymentId":${id},"state":"success","description":"Deployed"}\n`, stderr: "" });
    expect(gh.world.deploymentStatuses.filter((s) => s.deployment_id === id).map((s) => s.state)).toEqual(["in_progress", "success"]);
    expect(gh.writes()).toEqual([
      {
        method: "POST",
        url: `${R}/deployments`,
        body: {
          ref: SHA.A,
          task: "deploy:rollback",
          environment: "dev",
          auto_merge: false,
          required_contexts: [],
          payload: { delivery: { action: "rollback", commit: SHA.A, runUrl: `${RUN}/9003`, requestedBy: "github-actions[bot]" } },
          description: "Rollback of 3f2a9c1d5e7b to dev",
          transient_environment: false,
          production_environment: false,
        },
      },
      { method: "POST", url: `${R}/deployments/${id}/statuses`, body: { state: "in_progress", description: "Rolling back 3f2a9c1d5e7b", log_url: `${RUN}/9003` } },
      { method: "POST", url: `${R}/deployments/${id}/statuses`, body: { state: "success", description: "Deployed", log_url: `${RUN}/9003`, auto_inactive: true } },
    ]);
  });

  it("5. reports dev rolled back to the last known-good SHA and healthy again: the issue is to be closed", async () => {
    const gh = recordedGitHub("3-rolled-back");
    const r = await promote(["status"], { octokit: gh.client(), now: "2025-06-02T11:00:00Z" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "## Promotion: contoso/payments-service",
        "",
        "Facts read at 2025-06-02T11:00:00.000Z.",
        "",
        "> **Frozen** by [#57](https://github.com/contoso/payments-service/issues/57) Deployment failure: dev at b7e4d2c9a1f0 (logic/bicep-compile-error): only the rollback and the fix (a pull request that says `Fixes #N`) are deployed or promoted, in every environment. The issue closes itself once the failed environment is healthy again.",
        "",
        "| Environment | State | Deployed SHA | Last known-good SHA | Blocking | Next |",
        "|---|---|---|---|---|---|",
        "| dev (`dev`) | promoted (rolled back from `b7e4d2c9a1f0`) | `3f2a9c1d5e7b` | `3f2a9c1d5e7b` | — | done: 3f2a9c1d5e7b is already promoted to staging (PR #40)<br/>close #57 with a comment: dev is healthy again: the rollback of 3f2a9c1d5e7b (deployment 1003) passed validation after the failure of deployment 1002; this lifts its freeze |",
        "| staging (`test`) | promoted | `5c9e1a7b3d2f` | `5c9e1a7b3d2f` | — | done: 5c9e1a7b3d2f is already promoted to prod (PR #41) |",
        "| prod (`main`) | complete | `9a1b2c3d4e5f` | `9a1b2c3d4e5f` | — | done: 9a1b2c3d4e5f is deployed and validated in prod |",
        "",
        "```mermaid",
        "flowchart LR",
        '  env_dev["<b>dev</b> (dev)<br/>promoted<br/>3f2a9c1d5e7b<br/>rolled back from b7e4d2c9a1f0"]',
        '  env_staging["<b>staging</b> (test)<br/>promoted<br/>5c9e1a7b3d2f"]',
        '  env_prod["<b>prod</b> (main)<br/>complete<br/>9a1b2c3d4e5f"]',
        "  env_dev --> env_staging",
        "  env_staging --> env_prod",
        '  freeze{{"promotion frozen by #57"}}',
        "  style freeze fill:#ffebe9,stroke:#cf222e,color:#82071e",
        "  classDef promoted fill:#dafbe1,stroke:#1a7f37,color:#044f1e",
        "  classDef complete fill:#1a7f37,stroke:#044f1e,color:#ffffff",
        "  class env_dev,env_staging promoted",
        "  class env_prod complete",
        "```",
        "",
      ].join("\n"),
    );
    const json = JSON.parse((await promote(["status", "--json"], { octokit: gh.client(), now: "2025-06-02T11:00:00Z" })).stdout);
    expect(json.environments[0]).toMatchObject({ state: "promoted", deployedSha: SHA.A, lastKnownGoodSha: SHA.A, rolledBackFrom: SHA.B, deployment: { id: 1003, task: "deploy:rollback", status: "success" } });
  });

  it("6. `act` closes the failure issue with a comment once dev is healthy again, which lifts the freeze", async () => {
    const gh = recordedGitHub("3-rolled-back");
    const r = await promote(["act", "--run-url", `${RUN}/9200`], { octokit: gh.client(), now: "2025-06-02T11:00:00Z" });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const reason = "dev is healthy again: the rollback of 3f2a9c1d5e7b (deployment 1003) passed validation after the failure of deployment 1002";
    const freeze = gh.world.issues.find((i) => i.number === 57)!;
    expect([freeze.state, gh.world.commentsOn(57).map((c) => c.body)]).toEqual(["closed", [`${reason}. Closing this issue lifts the freeze. (${RUN}/9200)`]]);
    expect(gh.writes()).toEqual([
      { method: "POST", url: `${R}/issues/57/comments`, body: { body: `${reason}. Closing this issue lifts the freeze. (${RUN}/9200)` } },
      { method: "PATCH", url: `${R}/issues/57`, body: { state: "closed", state_reason: "completed" } },
    ]);
    expect(JSON.parse(r.stdout).results.map((x: { status: string; detail: string }) => [x.status, x.detail])).toEqual([["performed", "closed #57"]]);
  });
});
