/**
 * IssueOps on a real runner: `/deploy dev` by a writer deploys the PR head through the gate and
 * `pulumi up`; a reader, a moved head and a fork are refused with a reply and nothing deployed;
 * `/preview dev` and `/preview staging` from a comment log in with that environment's preview
 * identity and preview; a pull request previews all three stacks, one comment per stack.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { dispatchEvent, labeledTargetEvent, prCommentEvent, pullRequestEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow, type RunResult } from "../../../sandbox/workflow-runner/run";
import { actionsVariables, bootstrap, createWorld, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";
import type { PullRequest } from "../../../sandbox/github-api/server";

let world: World;
const REQUIRED = ["preview (dev)", "preview (staging)", "preview (prod)", "docs (graft-status)"];
const log = process.env.DELIVERY_RUNNER_VERBOSE ? (l: string) => process.stdout.write(`${l}\n`) : undefined;

/** Deployments of the dev resource group the fake az performed. */
function azCreates(): string[] {
  const file = path.join(world.sandbox.dir, "az", "calls.jsonl");
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { command: string; args: string[] })
    .filter((c) => c.command === "deployment group create")
    .map((c) => c.args[c.args.indexOf("--resource-group") + 1]);
}

function openGreenPullRequest(branch: string, files: Record<string, string>, author = "alice", options: { fork?: boolean } = {}): PullRequest {
  const head = world.commit(branch, files, `Change ${branch}`, { from: "dev", author });
  const pr = world.github.openPullRequest({ author, head: branch, headSha: head, base: "dev", baseSha: world.sha("refs/heads/dev"), fork: options.fork });
  for (const name of REQUIRED) world.github.addCheckRun(head, name, "success");
  return pr;
}

async function comment(pr: PullRequest, body: string, by: string): Promise<RunResult> {
  const event = prCommentEvent(world, pr, body, by);
  return runWorkflow(world, { workflow: "deploy.yml", ...event, vars: actionsVariables(world, "dev"), secrets: workflowSecrets(), onLine: log });
}

beforeAll(async () => {
  world = await createWorld({ log: undefined });
  world.github.addCollaborator("alice", "write");
  world.github.addCollaborator("rita", "read");
  await bootstrap(world, ["dev", "staging", "prod"], { log: (l) => process.stdout.write(`${l}\n`) });
}, 20 * 60 * 1000);

afterAll(async () => {
  await world?.close();
});

it("/deploy dev by a writer passes the gate and deploys exactly the PR head", async () => {
  const pr = openGreenPullRequest("feature/retention", { "bicep/parameters/dev.bicepparam": fs.readFileSync(path.join(world.clone, "bicep/parameters/dev.bicepparam"), "utf8").replace(/storageSoftDeleteDays = \d+/, "storageSoftDeleteDays = 14") });
  const before = azCreates().length;
  const run = await comment(pr, "/deploy dev", "alice");
  expect(run.results("read the command")).toEqual(["success"]);
  expect(run.results("deploy (dev)")).toEqual(["success"]);
  expect(azCreates().length).toBe(before + 1);
  // The deployment the promotion machine reads: of the PR head, in dev, finished successfully.
  const deployment = world.github.deployments.find((d) => d.environment === "dev" && d.sha === pr.head.sha);
  expect(deployment).toBeDefined();
  expect(world.github.deploymentStatuses.filter((s) => s.deployment_id === deployment!.id).map((s) => s.state)).toEqual(["in_progress", "success"]);
  const replies = world.github.commentsOn(pr.number).map((c) => c.body);
  expect(replies.some((b) => b.includes(pr.head.sha.slice(0, 12)) && /✅|succeeded/.test(b))).toBe(true);
});

it("/deploy dev by a reader is refused with a reply, and nothing is deployed", async () => {
  const pr = openGreenPullRequest("feature/reader", { "NOTES.txt": "reader\n" }, "alice");
  const before = azCreates().length;
  const run = await comment(pr, "/deploy dev", "rita");
  expect(run.results("deploy (dev)")).toEqual([]);
  expect(azCreates().length).toBe(before);
  const reply = world.github.commentsOn(pr.number).find((c) => c.user.login === "github-actions[bot]");
  expect(reply?.body).toMatch(/rita.*(permission|write)/is);
});

it("/preview dev from a comment logs in with dev's read-only preview identity and posts the preview", async () => {
  const pr = openGreenPullRequest("feature/preview", { "NOTES.txt": "preview\n" }, "alice");
  const run = await comment(pr, "/preview dev", "alice");
  expect(run.results("read the command")).toEqual(["success"]);
  expect(run.results("issueops preview")).toEqual(["success"]);
  // The job runs in dev's preview environment; dev's preview identity trusts that subject.
  expect(run.log).toContain("subject claim - repo:contoso/payments-service:environment:dev-preview");
  expect(world.github.commentsOn(pr.number).some((c) => c.user.login === "github-actions[bot]" && c.body.includes("dev"))).toBe(true);
});

// Only with DELIVERY_SCENARIOS=all (CI's time budget, jest.workflows.config.js): the same paths as
// /preview dev and prod's PR preview (prod.test.ts), for the other environments.
const extended = process.env.DELIVERY_SCENARIOS === "all" ? it : it.skip;

extended("/preview staging from a comment logs in with staging's read-only preview identity and posts the preview", async () => {
  const pr = openGreenPullRequest("feature/preview-staging", { "NOTES.txt": "preview staging\n" }, "alice");
  const run = await comment(pr, "/preview staging", "alice");
  expect(run.results("issueops preview")).toEqual(["success"]);
  expect(run.log).toContain("subject claim - repo:contoso/payments-service:environment:staging-preview");
  // Staging's own preview identity (id-<resource group>-preview), not dev's or prod's.
  expect(run.log).toMatch(/Login successful as id-\S*staging\S*-preview /);
  expect(world.github.commentsOn(pr.number).some((c) => c.user.login === "github-actions[bot]" && c.body.includes("staging"))).toBe(true);
});

extended("a pull request previews every stack, dev, staging and prod, with one comment per stack", async () => {
  const pr = openGreenPullRequest("feature/all-stacks", { "NOTES.txt": "all stacks\n" }, "alice");
  const run = await runWorkflow(world, { workflow: "preview.yml", ...pullRequestEvent(world, pr, "opened"), vars: actionsVariables(world), secrets: workflowSecrets(), onLine: log });
  expect(run.results("preview (dev)")).toEqual(["success"]);
  expect(run.results("preview (staging)")).toEqual(["success"]);
  expect(run.results("preview (prod)")).toEqual(["success"]);
  const comments = world.github.commentsOn(pr.number).filter((c) => c.user.login === "github-actions[bot]");
  expect(comments).toHaveLength(3);
  for (const stack of ["dev", "staging", "prod"]) expect(comments.filter((c) => c.body.includes(`\`${stack}\``) || c.body.includes(`(${stack})`))).not.toHaveLength(0);
});

it("a deploy:dev label from a writer deploys through the base branch's workflow, which dev's branch policy admits", async () => {
  const pr = openGreenPullRequest("feature/label", { "NOTES.txt": "label\n" }, "alice");
  const before = azCreates().length;
  const run = await runWorkflow(world, { workflow: "deploy.yml", ...labeledTargetEvent(world, pr, "deploy:dev", "alice"), vars: actionsVariables(world, "dev"), secrets: workflowSecrets(), onLine: log });
  expect(run.results("deploy (dev)")).toEqual(["success"]);
  expect(azCreates().length).toBe(before + 1);
  expect(world.github.deployments.some((d) => d.environment === "dev" && d.sha === pr.head.sha)).toBe(true);
});

it("the promotion machine's rollback, dispatched by its bot for the person who deployed, reaches pulumi up", async () => {
  const target = world.sha("refs/heads/dev");
  for (const name of REQUIRED) world.github.addCheckRun(target, name, "success");
  const event = dispatchEvent(world, "dev", { action: "rollback", environment: "dev", sha: target, requested_by: "alice" }, "github-actions[bot]");
  const run = await runWorkflow(world, { workflow: "deploy.yml", ...event, vars: actionsVariables(world, "dev"), secrets: workflowSecrets(), onLine: log });
  expect(run.results("deploy (dev)")).toEqual(["success"]);
  // pulumi up ran (the target's Bicep content equals what is deployed, so the provider deploys nothing new).
  expect(run.log).toContain("Success - Main pulumi up");
  const rollback = world.github.deployments.filter((d) => d.environment === "dev" && d.sha === target).pop();
  expect(rollback?.task).toBe("deploy:rollback");
  expect(world.github.deploymentStatuses.filter((s) => s.deployment_id === rollback!.id).map((s) => s.state)).toEqual(["in_progress", "success"]);
});
