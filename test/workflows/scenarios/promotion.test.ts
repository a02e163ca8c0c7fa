/**
 * The promotion machine on a real runner. `/deploy dev` deploys a pull request's head; the deploy
 * job records where the deployment answers (the Bicep output `functionAppHostName`, which the
 * sandbox's app serves on 127.0.0.1) on its GitHub deployment. The deploy run's completion
 * (`workflow_run`) runs promote.yml: its validation job reads that record through the trusted CLI,
 * and the deployed commit's own `npm run health|smoke`, with no token and no audit records of the
 * deploy runner, checks the endpoint. Healthy: both pass and the machine opens the promotion PR to
 * staging. Failing: both fail and the machine freezes (a failure issue, labelled with its priority,
 * assigned to the person who deployed) and dispatches the rollback to the last known-good commit.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import examples from "@octokit/webhooks-examples";
import { prCommentEvent, type WorkflowEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow, type RunResult } from "../../../sandbox/workflow-runner/run";
import { actionsVariables, bootstrap, createWorld, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";
import { requiredCheckNames } from "../../../workflows";
import { ensureAppServer, setMode, stopAppServer, type AppServer } from "../../../sandbox/health-server";
import type { PullRequest } from "../../../sandbox/github-api/server";

let world: World;
let app: AppServer;
/** A promote run installs two checkouts' dependencies and waits out the checks' retries: more than act's default 15 minutes on a loaded 2-core machine. */
const PROMOTE_RUN_SECONDS = 45 * 60;
const SCENARIO_MS = 75 * 60 * 1000;

function greenPullRequest(branch: string, files: Record<string, string> = {}): PullRequest {
  const head = world.commit(branch, { [`notes/${branch.replace(/\//g, "-")}.txt`]: `${branch}\n`, ...files }, `Change ${branch}`, { from: "dev", author: "alice" });
  const pr = world.github.openPullRequest({ author: "alice", head: branch, headSha: head, base: "dev", baseSha: world.sha("refs/heads/dev") });
  for (const name of requiredCheckNames(world.cfg)) world.github.addCheckRun(head, name, "success");
  return pr;
}

/** `/deploy dev` by alice; returns the deploy run's id (from the deployment it recorded), which GitHub then lists as completed. */
async function deployDev(pr: PullRequest): Promise<number> {
  const run = await runWorkflow(world, { workflow: "deploy.yml", ...prCommentEvent(world, pr, "/deploy dev", "alice"), vars: actionsVariables(world), secrets: workflowSecrets(world) });
  expect(run.results("deploy (dev)")).toEqual(["success"]);
  const deployment = world.github.deployments.filter((d) => d.environment === "dev" && d.sha === pr.head.sha).pop()!;
  const success = world.github.deploymentStatuses.find((s) => s.deployment_id === deployment.id && s.state === "success")!;
  const runId = Number(/\/actions\/runs\/(\d+)$/.exec(success.log_url ?? "")?.[1]);
  const listed = world.github.addEndedDeployRun({ id: runId, conclusion: "success", headSha: world.sha("refs/heads/main"), by: "alice", createdAt: deployment.created_at, artifacts: [{ id: runId * 10, name: `audit-dev-${runId}-1`, expired: false }] });
  expect(listed.html_url).toBe(success.log_url);
  return runId;
}

/** `workflow_run` completed of that deploy run: GitHub runs the default branch's promote.yml at its head. */
function deployCompleted(runId: number): WorkflowEvent {
  const e = structuredClone((examples as unknown as { name: string; examples: Record<string, any>[] }[]).find((d) => d.name === "workflow_run")!.examples.find((x) => x.action === "completed")!); // eslint-disable-line @typescript-eslint/no-explicit-any
  const main = world.sha("refs/heads/main");
  const r = world.github.workflowRuns.find((x) => x.id === runId)!;
  e.workflow_run = { ...e.workflow_run, id: runId, name: "Deploy", event: r.event, status: "completed", conclusion: r.conclusion, head_branch: "main", head_sha: main, html_url: r.html_url };
  e.workflow = { ...e.workflow, name: "Deploy", path: ".github/workflows/deploy.yml" };
  e.repository = { ...e.repository, name: world.github.repo, full_name: world.github.fullName, owner: { ...e.repository.owner, login: world.github.owner }, default_branch: "main", private: true };
  e.sender = { login: "alice", id: world.github.user("alice").id, type: "User" };
  delete e.organization;
  return { eventName: "workflow_run", event: e, ref: "refs/heads/main", sha: main, workflowFrom: "refs/heads/main", actor: "alice" };
}

async function promote(runId: number): Promise<RunResult> {
  return runWorkflow(world, { workflow: "promote.yml", ...deployCompleted(runId), vars: actionsVariables(world), secrets: workflowSecrets(world), timeoutSeconds: PROMOTE_RUN_SECONDS });
}

const statusesOf = (sha: string) => world.github.statuses.filter((s) => s.sha === sha).map((s) => `${s.context}: ${s.state}`);

beforeAll(async () => {
  world = await createWorld();
  world.github.addCollaborator("alice", "write");
  // The deployed app: the sandbox's az answers the function app's host name with its address.
  app = await ensureAppServer(world.sandbox.dir, path.join(world.sandbox.root, "dist", "sandbox", "health-server.js"));
  setMode(world.sandbox.dir, "ok");
  await bootstrap(world, ["dev", "staging", "prod"], { log: (l) => process.stdout.write(`${l}\n`) });
}, 20 * 60 * 1000);

afterAll(async () => {
  if (world) stopAppServer(world.sandbox.dir);
  await world?.close();
});

let good: PullRequest;

it("validates a dev deployment against the endpoint its outputs name, on a runner without its audit records, and promotes it", async () => {
  good = greenPullRequest("feature/healthy");
  const runId = await deployDev(good);
  const deployment = world.github.deployments.filter((d) => d.environment === "dev" && d.sha === good.head.sha).pop()!;
  // The deploy job recorded where the deployment answers.
  expect(world.github.deploymentStatuses.filter((s) => s.deployment_id === deployment.id).map((s) => [s.state, s.environment_url])).toEqual([
    ["in_progress", null],
    ["success", `http://127.0.0.1:${app.port}/`],
  ]);

  const run = await promote(runId);
  expect(run.results("decide")).toEqual(["success"]);
  expect(run.results("validate")).toEqual(["success"]);
  expect(run.results("act")).toEqual(["success"]);
  // The check ran the deployed commit's script against the recorded endpoint, named with its source.
  expect(run.log).toContain(`health (dev): http://127.0.0.1:${app.port}/ (from environment_url of GitHub deployment ${deployment.id}`);
  expect(run.log).toContain("health (dev): passed, 1 check(s)");
  // Reported by act from the validation job's results: that job held no token that writes.
  expect(statusesOf(good.head.sha)).toEqual(["health (dev): success", "smoke (dev): success"]);
  expect(world.github.statuses.filter((s) => s.sha === good.head.sha).map((s) => s.creator?.login)).toEqual(["github-actions[bot]", "github-actions[bot]"]);
  // dev is validated: the machine opens the promotion pull request to staging at exactly that commit.
  const promotion = world.github.pulls.find((p) => p.base.ref === "test" && p.state === "open");
  expect(promotion?.head.sha).toBe(good.head.sha);
  expect(world.github.issues).toEqual([]);
  expect(world.github.dispatches).toEqual([]);
}, SCENARIO_MS);

it("with the endpoint failing, fails validation, freezes with a prioritised issue for the deployer and dispatches the rollback", async () => {
  setMode(world.sandbox.dir, "fail");
  try {
    // The deployed commit's own smoke script also writes passing results for staging and prod into
    // the file the validation job hands to act: act reports only what the machine asked for.
    const pkg = JSON.parse(execFileSync("git", ["--git-dir", world.remote, "show", "refs/heads/dev:package.json"], { encoding: "utf8" }));
    const forge = `const fs=require('fs');const f=process.env.RESULTS;const r=JSON.parse(fs.readFileSync(f,'utf8'));Object.assign(r.checks,{'health (staging)':'success','smoke (staging)':'success','health (prod)':'success'});fs.writeFileSync(f,JSON.stringify(r));process.exit(1)`;
    const bad = greenPullRequest("feature/unhealthy", { "package.json": `${JSON.stringify({ ...pkg, scripts: { ...pkg.scripts, smoke: `node -e "${forge}" --` } }, null, 2)}\n` });
    const runId = await deployDev(bad);
    const run = await promote(runId);
    expect(run.results("decide")).toEqual(["success"]);
    expect(run.results("validate")).toEqual(["failure"]);
    expect(run.results("act")).toEqual(["success"]);
    expect(run.log).toContain(`FAIL http://127.0.0.1:${app.port}/: HTTP 503 (after 3 attempts)`);
    expect(statusesOf(bad.head.sha)).toEqual(["health (dev): failure", "smoke (dev): failure"]);
    // The forgery reached the results act read (so the attack ran), and none of it was posted.
    const handed = fs.readdirSync(world.artifacts).map((run) => path.join(world.artifacts, run, "validation-dev", "results.json")).filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
    expect(handed.find((r) => r.sha === bad.head.sha)?.checks).toEqual({ "health (dev)": "failure", "health (staging)": "success", "smoke (staging)": "success", "health (prod)": "success", "smoke (dev)": "failure" });
    expect(world.github.statuses.filter((s) => !s.context.endsWith("(dev)")).map((s) => s.context)).toEqual([]);

    // The freeze: one failure issue, labelled with dev's priority, assigned to the person who deployed.
    const open = world.github.issues.filter((i) => i.state === "open");
    expect(open).toHaveLength(1);
    expect(open[0].title).toContain(`dev at ${bad.head.sha.slice(0, 12)}`);
    expect(open[0].labels.map((l) => l.name).sort()).toEqual(["deployment-failure", "priority:high"]);
    expect(open[0].assignees.map((a) => a.login)).toEqual(["alice"]);
    expect(open[0].body).toContain(`/actions/runs/${runId}`);
    // The rollback to the last known-good commit (the healthy deployment), by the machine's bot for alice.
    expect(world.github.dispatches.map((d) => ({ workflow: d.workflow_id, ref: d.ref, inputs: d.inputs }))).toEqual([
      { workflow: "deploy.yml", ref: "dev", inputs: { action: "rollback", environment: "dev", sha: good.head.sha, requested_by: "alice" } },
    ]);
    expect(world.github.commentsOn(open[0].number).map((c) => c.body).join("\n")).toContain(`to the last known-good \`${good.head.sha}\``);
  } finally {
    setMode(world.sandbox.dir, "ok");
  }
}, SCENARIO_MS);
