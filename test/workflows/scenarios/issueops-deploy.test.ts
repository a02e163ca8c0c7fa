/**
 * IssueOps on a real runner: `/deploy dev` by a writer deploys the PR head through the gate and
 * `pulumi up`; a reader is refused with a reply and nothing deployed; `/preview dev` and
 * `/preview staging` from a comment log in with that environment's preview identity and preview;
 * a pull request previews all three stacks, one comment per stack. What a lost runner leaves (its
 * lock, its record) is issueops-locks.test.ts.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { dispatchEvent, labeledTargetEvent, pullRequestEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow } from "../../../sandbox/workflow-runner/run";
import { actionsVariables, bootstrap, createWorld, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";
import { requiredCheckNames } from "../../../workflows";
import { azCreates, comment, openGreenPullRequest } from "./issueops";

let world: World;
// Only with DELIVERY_SCENARIOS=all (CI's time budget, jest.workflows.config.js): the same paths as
// /preview dev and prod's PR preview (prod.test.ts), for the other environments. Only they need
// the staging and prod stacks.
const EXTENDED = process.env.DELIVERY_SCENARIOS === "all";
const extended = EXTENDED ? it : it.skip;

beforeAll(async () => {
  world = await createWorld({ log: undefined });
  world.github.addCollaborator("alice", "write");
  world.github.addCollaborator("rita", "read");
  await bootstrap(world, EXTENDED ? ["dev", "staging", "prod"] : ["dev"], { log: (l) => process.stdout.write(`${l}\n`) });
}, 20 * 60 * 1000);

afterAll(async () => {
  await world?.close();
});

it("/deploy dev by a writer passes the gate and deploys exactly the PR head", async () => {
  const pr = openGreenPullRequest(world, "feature/retention", { "bicep/parameters/dev.bicepparam": fs.readFileSync(path.join(world.clone, "bicep/parameters/dev.bicepparam"), "utf8").replace(/storageSoftDeleteDays = \d+/, "storageSoftDeleteDays = 14") });
  const before = azCreates(world).length;
  const run = await comment(world, pr, "/deploy dev", "alice");
  expect(run.results("read the command")).toEqual(["success"]);
  expect(run.results("deploy (dev)")).toEqual(["success"]);
  expect(azCreates(world).length).toBe(before + 1);
  // The deployment the promotion machine reads: of the PR head, in dev, finished successfully.
  const deployment = world.github.deployments.find((d) => d.environment === "dev" && d.sha === pr.head.sha);
  expect(deployment).toBeDefined();
  expect(world.github.deploymentStatuses.filter((s) => s.deployment_id === deployment!.id).map((s) => s.state)).toEqual(["in_progress", "success"]);
  const replies = world.github.commentsOn(pr.number).map((c) => c.body);
  expect(replies.some((b) => b.includes(pr.head.sha.slice(0, 12)) && /✅|succeeded/.test(b))).toBe(true);
});

it("ATTACK: a pull request's own Pulumi program, deployed to dev, writes to GitHub with the token the deploy job gives it: GitHub refuses, and the report job records what happened", async () => {
  // What the program tries: a deployment record of this commit in prod (which the promotion machine
  // trusts from the platform's bot) and a comment as the bot. Synchronous, so it finishes before `up` goes on.
  const forge = [
    'const api = process.env.GITHUB_API_URL + "/repos/" + process.env.GITHUB_REPOSITORY;',
    'const headers = { authorization: "token " + process.env.GITHUB_TOKEN, "content-type": "application/json" };',
    "(async () => {",
    '  const deployment = await fetch(api + "/deployments", { method: "POST", headers, body: JSON.stringify({ ref: process.env.COMMIT, environment: "prod", task: "deploy", payload: { delivery: { commit: process.env.COMMIT } }, auto_merge: false, required_contexts: [] }) });',
    '  const comment = await fetch(api + "/issues/" + process.env.PR_NUMBER + "/comments", { method: "POST", headers, body: JSON.stringify({ body: "prod approved" }) });',
    '  console.log("ATTACK deployment " + deployment.status + " comment " + comment.status);',
    "})();",
  ].join("\n");
  const program = execFileSync("git", ["--git-dir", world.remote, "show", "refs/heads/dev:index.ts"], { encoding: "utf8" });
  const pr = openGreenPullRequest(world, "feature/forge", { "index.ts": `${program}\nrequire("node:child_process").execFileSync(process.execPath, ["-e", ${JSON.stringify(forge)}], { stdio: "inherit" });\n` });
  const writesBefore = world.api.calls.length;
  const run = await comment(world, pr, "/deploy dev", "alice");
  expect(run.results("deploy (dev)")).toEqual(["success"]);
  expect(run.results("report (dev)")).toEqual(["success"]);
  // The program ran and was refused: the deploy job's token reads only.
  expect(run.log).toContain("ATTACK deployment 403 comment 403");
  // `pulumi up` runs the program for its preview and again for the update: each run tried both.
  const refused = world.api.calls.slice(writesBefore).filter((c) => c.status === 403);
  expect([...new Set(refused.map((c) => `${c.route} by ${c.actor}`))]).toEqual(["POST /repos/{owner}/{repo}/deployments by github-actions[bot]", "POST /repos/{owner}/{repo}/issues/{issue_number}/comments by github-actions[bot]"]);
  expect(world.github.deployments.filter((d) => d.sha === pr.head.sha).map((d) => d.environment)).toEqual(["dev"]);
  expect(world.github.commentsOn(pr.number).some((c) => c.body === "prod approved")).toBe(false);
});

it("/deploy dev by a reader is refused with a reply, and nothing is deployed", async () => {
  const pr = openGreenPullRequest(world, "feature/reader", { "NOTES.txt": "reader\n" }, "alice");
  const before = azCreates(world).length;
  const run = await comment(world, pr, "/deploy dev", "rita");
  expect(run.results("deploy (dev)")).toEqual([]);
  expect(azCreates(world).length).toBe(before);
  const reply = world.github.commentsOn(pr.number).find((c) => c.user.login === "github-actions[bot]");
  expect(reply?.body).toMatch(/rita.*(permission|write)/is);
});

it("/preview dev from a comment logs in with dev's read-only preview identity and posts the preview", async () => {
  const pr = openGreenPullRequest(world, "feature/preview", { "NOTES.txt": "preview\n" }, "alice");
  const run = await comment(world, pr, "/preview dev", "alice");
  expect(run.results("read the command")).toEqual(["success"]);
  // The pull request's code previews with no token that writes; a trusted job comments from its output.
  expect(run.results("issueops preview (dev)")).toEqual(["success"]);
  expect(run.results("issueops preview comment (dev)")).toEqual(["success"]);
  // The job runs in dev's preview environment; dev's preview identity trusts that subject.
  expect(run.log).toContain("subject claim - repo:contoso/payments-service:environment:dev-preview");
  expect(world.github.commentsOn(pr.number).some((c) => c.user.login === "github-actions[bot]" && c.body.includes("dev"))).toBe(true);
});


extended("/preview staging from a comment logs in with staging's read-only preview identity and posts the preview", async () => {
  const pr = openGreenPullRequest(world, "feature/preview-staging", { "NOTES.txt": "preview staging\n" }, "alice");
  const run = await comment(world, pr, "/preview staging", "alice");
  expect(run.results("issueops preview (staging)")).toEqual(["success"]);
  expect(run.results("issueops preview comment (staging)")).toEqual(["success"]);
  expect(run.log).toContain("subject claim - repo:contoso/payments-service:environment:staging-preview");
  // Staging's own preview identity (id-<resource group>-preview), not dev's or prod's.
  expect(run.log).toMatch(/Login successful as id-\S*staging\S*-preview /);
  expect(world.github.commentsOn(pr.number).some((c) => c.user.login === "github-actions[bot]" && c.body.includes("staging"))).toBe(true);
});

extended("a pull request previews every stack, dev, staging and prod, with one comment per stack", async () => {
  const pr = openGreenPullRequest(world, "feature/all-stacks", { "NOTES.txt": "all stacks\n" }, "alice");
  const run = await runWorkflow(world, { workflow: "preview.yml", ...pullRequestEvent(world, pr, "opened"), vars: actionsVariables(world), secrets: workflowSecrets(world) });
  expect(run.results("preview (dev)")).toEqual(["success"]);
  expect(run.results("preview (staging)")).toEqual(["success"]);
  expect(run.results("preview (prod)")).toEqual(["success"]);
  const comments = world.github.commentsOn(pr.number).filter((c) => c.user.login === "github-actions[bot]");
  expect(comments).toHaveLength(3);
  for (const stack of ["dev", "staging", "prod"]) expect(comments.filter((c) => c.body.includes(`\`${stack}\``) || c.body.includes(`(${stack})`))).not.toHaveLength(0);
});

it("a deploy:dev label from a writer deploys through the default branch's workflow, which dev's branch policy admits", async () => {
  // A change of its own, so the test deploys something whatever ran before it.
  const params = fs.readFileSync(path.join(world.clone, "bicep/parameters/dev.bicepparam"), "utf8").replace(/storageSoftDeleteDays = \d+/, "storageSoftDeleteDays = 21");
  const pr = openGreenPullRequest(world, "feature/label", { "NOTES.txt": "label\n", "bicep/parameters/dev.bicepparam": params }, "alice");
  const before = azCreates(world).length;
  const run = await runWorkflow(world, { workflow: "deploy.yml", ...labeledTargetEvent(world, pr, "deploy:dev", "alice"), vars: actionsVariables(world), secrets: workflowSecrets(world) });
  expect(run.results("deploy (dev)")).toEqual(["success"]);
  expect(azCreates(world).length).toBe(before + 1);
  expect(world.github.deployments.some((d) => d.environment === "dev" && d.sha === pr.head.sha)).toBe(true);
});

it("the promotion machine's rollback, dispatched by its bot for the person who deployed, reaches pulumi up", async () => {
  const target = world.sha("refs/heads/dev");
  for (const name of requiredCheckNames(world.cfg)) world.github.addCheckRun(target, name, "success");
  const event = dispatchEvent(world, "dev", { action: "rollback", environment: "dev", sha: target, requested_by: "alice" }, "github-actions[bot]");
  const run = await runWorkflow(world, { workflow: "deploy.yml", ...event, vars: actionsVariables(world), secrets: workflowSecrets(world) });
  expect(run.results("deploy (dev)")).toEqual(["success"]);
  // pulumi up ran (the target's Bicep content equals what is deployed, so the provider deploys nothing new).
  expect(run.log).toContain("Success - Main pulumi up");
  const rollback = world.github.deployments.filter((d) => d.environment === "dev" && d.sha === target).pop();
  expect(rollback?.task).toBe("deploy:rollback");
  expect(world.github.deploymentStatuses.filter((s) => s.deployment_id === rollback!.id).map((s) => s.state)).toEqual(["in_progress", "success"]);
});

