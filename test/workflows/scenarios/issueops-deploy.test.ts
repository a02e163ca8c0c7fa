/**
 * IssueOps on a real runner: `/deploy dev` by a writer deploys the PR head through the gate and
 * `pulumi up`; a reader, a moved head and a fork are refused with a reply and nothing deployed;
 * `/preview dev` and `/preview staging` from a comment log in with that environment's preview
 * identity and preview; a pull request previews all three stacks, one comment per stack.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { dispatchEvent, labeledTargetEvent, prCommentEvent, pullRequestEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow, type RunResult } from "../../../sandbox/workflow-runner/run";
import { actionsVariables, bootstrap, createWorld, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";
import type { PullRequest } from "../../../sandbox/github-api/server";

let world: World;
const REQUIRED = ["preview (dev)", "preview (staging)", "preview (prod)", "docs (graft-status)"];
const log = process.env.DELIVERY_RUNNER_VERBOSE ? (l: string) => process.stdout.write(`${l}\n`) : undefined;

/** The resource groups of the deployments the fake az performed. */
function azCreates(): string[] {
  return world
    .azCalls()
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
  return runWorkflow(world, { workflow: "deploy.yml", ...event, vars: actionsVariables(world), secrets: workflowSecrets(world), onLine: log });
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
  const pr = openGreenPullRequest("feature/forge", { "index.ts": `${program}\nrequire("node:child_process").execFileSync(process.execPath, ["-e", ${JSON.stringify(forge)}], { stdio: "inherit" });\n` });
  const writesBefore = world.api.calls.length;
  const run = await comment(pr, "/deploy dev", "alice");
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

it("a deploy job whose runner dies during pulumi up is recorded as a failed deployment though up reported nothing; the next deploy clears the lock it left", async () => {
  // The update pass of `up` kills the step's shell, as when the runner is lost or the job is
  // cancelled or times out mid-update: the result line is never written, `pulumi up` dies with it and
  // leaves the stack locked. Nobody outside can tell whether Azure changed.
  const dieMidUp = [
    "if (!pulumi.runtime.isDryRun()) {",
    "  let pid = process.ppid;",
    "  for (let hop = 0; hop < 12 && pid > 1; hop++) {",
    '    const stat = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8");',
    '    if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) === "bash") { process.kill(pid, "SIGKILL"); break; }',
    '    pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);',
    "  }",
    "}",
  ].join("\n");
  const program = execFileSync("git", ["--git-dir", world.remote, "show", "refs/heads/dev:index.ts"], { encoding: "utf8" });
  const params = fs.readFileSync(path.join(world.clone, "bicep/parameters/dev.bicepparam"), "utf8").replace(/storageSoftDeleteDays = \d+/, "storageSoftDeleteDays = 9");
  const pr = openGreenPullRequest("feature/lost-runner", { "index.ts": `${program}\n${dieMidUp}\n`, "bicep/parameters/dev.bicepparam": params });
  const lost = await comment(pr, "/deploy dev", "alice");
  expect(lost.results("deploy (dev)")).toEqual(["failure"]);
  expect(lost.results("report (dev)")).toEqual(["success"]);
  const lockDir = path.join(world.sandbox.backend, ".pulumi", "locks", "organization", "delivery-platform", "dev");
  const locks = () => (fs.existsSync(lockDir) ? fs.readdirSync(lockDir).filter((f) => f.endsWith(".json")) : []);
  expect(locks()).toHaveLength(1);
  const deployment = world.github.deployments.find((d) => d.environment === "dev" && d.sha === pr.head.sha)!;
  expect(deployment).toBeDefined();
  const statuses = () => world.github.deploymentStatuses.filter((s) => s.deployment_id === deployment.id);
  expect(statuses().map((s) => s.state)).toEqual(["in_progress", "failure"]);
  expect(statuses()[1].description).toContain("failed (unknown/deploy-job-ended)");
  const end = world.github.commentsOn(pr.number).filter((c) => c.user.login === "github-actions[bot]").pop()!.body;
  expect(end).toContain(`❌ The deploy of \`dev\` to ${pr.head.sha.slice(0, 12)} failed`);
  expect(end).toContain("The deploy job ended (failure) after re-checking the gates and before pulumi up reported a result");

  // GitHub reports the lost run as ended; the next deploy (of a head that does not die) clears the
  // lock the run left and deploys.
  world.github.addEndedDeployRun({ id: lost.runId, conclusion: "failure", headSha: world.sha("refs/heads/main"), by: "alice", createdAt: new Date(Date.now() - lost.seconds * 1000).toISOString() });
  const fixed = openGreenPullRequest("feature/lost-runner-fixed", { "bicep/parameters/dev.bicepparam": params });
  const before = azCreates().length;
  const again = await comment(fixed, "/deploy dev", "alice");
  expect(again.results("deploy (dev)")).toEqual(["success"]);
  expect(again.log).toContain(`taken by run ${lost.runId}`);
  expect(locks()).toHaveLength(0);
  expect(azCreates().length).toBe(before + 1);
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
  // The pull request's code previews with no token that writes; a trusted job comments from its output.
  expect(run.results("issueops preview (dev)")).toEqual(["success"]);
  expect(run.results("issueops preview comment (dev)")).toEqual(["success"]);
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
  expect(run.results("issueops preview (staging)")).toEqual(["success"]);
  expect(run.results("issueops preview comment (staging)")).toEqual(["success"]);
  expect(run.log).toContain("subject claim - repo:contoso/payments-service:environment:staging-preview");
  // Staging's own preview identity (id-<resource group>-preview), not dev's or prod's.
  expect(run.log).toMatch(/Login successful as id-\S*staging\S*-preview /);
  expect(world.github.commentsOn(pr.number).some((c) => c.user.login === "github-actions[bot]" && c.body.includes("staging"))).toBe(true);
});

extended("a pull request previews every stack, dev, staging and prod, with one comment per stack", async () => {
  const pr = openGreenPullRequest("feature/all-stacks", { "NOTES.txt": "all stacks\n" }, "alice");
  const run = await runWorkflow(world, { workflow: "preview.yml", ...pullRequestEvent(world, pr, "opened"), vars: actionsVariables(world), secrets: workflowSecrets(world), onLine: log });
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
  const pr = openGreenPullRequest("feature/label", { "NOTES.txt": "label\n", "bicep/parameters/dev.bicepparam": params }, "alice");
  const before = azCreates().length;
  const run = await runWorkflow(world, { workflow: "deploy.yml", ...labeledTargetEvent(world, pr, "deploy:dev", "alice"), vars: actionsVariables(world), secrets: workflowSecrets(world), onLine: log });
  expect(run.results("deploy (dev)")).toEqual(["success"]);
  expect(azCreates().length).toBe(before + 1);
  expect(world.github.deployments.some((d) => d.environment === "dev" && d.sha === pr.head.sha)).toBe(true);
});

it("the promotion machine's rollback, dispatched by its bot for the person who deployed, reaches pulumi up", async () => {
  const target = world.sha("refs/heads/dev");
  for (const name of REQUIRED) world.github.addCheckRun(target, name, "success");
  const event = dispatchEvent(world, "dev", { action: "rollback", environment: "dev", sha: target, requested_by: "alice" }, "github-actions[bot]");
  const run = await runWorkflow(world, { workflow: "deploy.yml", ...event, vars: actionsVariables(world), secrets: workflowSecrets(world), onLine: log });
  expect(run.results("deploy (dev)")).toEqual(["success"]);
  // pulumi up ran (the target's Bicep content equals what is deployed, so the provider deploys nothing new).
  expect(run.log).toContain("Success - Main pulumi up");
  const rollback = world.github.deployments.filter((d) => d.environment === "dev" && d.sha === target).pop();
  expect(rollback?.task).toBe("deploy:rollback");
  expect(world.github.deploymentStatuses.filter((s) => s.deployment_id === rollback!.id).map((s) => s.state)).toEqual(["in_progress", "success"]);
});

it("/unlock dev: a reader is refused; a writer's clears the lock a lost runner left, logged in as dev's deploy identity", async () => {
  // A deploy run whose runner was lost mid-update: its record (written before `pulumi up`) and the
  // lock Pulumi took, in Pulumi's own layout and format; GitHub reports the run as ended.
  const lostRun = 4242;
  const startedAt = new Date(Date.now() - 10 * 60_000);
  const backend = world.sandbox.backend;
  const lockFile = path.join(backend, ".pulumi", "locks", "organization", "delivery-platform", "dev", "0f6c1a52-4b7e-4d0e-9c55-6f3c0d2b7a11.json");
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  fs.writeFileSync(lockFile, JSON.stringify({ pid: 7781, username: "runner", hostname: "runner-lost-7", timestamp: new Date(startedAt.getTime() + 30_000).toISOString() }));
  const record = path.join(backend, ".pulumi", "delivery", "runs", "organization", "delivery-platform", "dev.json");
  fs.mkdirSync(path.dirname(record), { recursive: true });
  fs.writeFileSync(record, `${JSON.stringify({ runId: lostRun, runUrl: `https://github.com/contoso/payments-service/actions/runs/${lostRun}`, hostname: "runner-lost-7", startedAt: startedAt.toISOString() })}\n`);
  world.github.addEndedDeployRun({ id: lostRun, conclusion: "cancelled", headSha: world.sha("refs/heads/main"), by: "alice", createdAt: startedAt.toISOString() });
  const pr = openGreenPullRequest("feature/unlock", { "NOTES.txt": "unlock\n" }, "alice");

  const byReader = await comment(pr, "/unlock dev", "rita");
  expect(byReader.results("issueops unlock")).toEqual([]);
  expect(fs.existsSync(lockFile)).toBe(true);
  expect(world.github.commentsOn(pr.number).map((c) => c.body).join("\n")).toMatch(/rita.*read.*unlock needs write/s);

  const byWriter = await comment(pr, "/unlock dev", "alice");
  expect(byWriter.results("issueops unlock")).toEqual(["success"]);
  // The job runs in dev's environment (no deployment record) and logs in as dev's deploy identity,
  // which trusts exactly that subject.
  expect(byWriter.log).toContain("subject claim - repo:contoso/payments-service:environment:dev");
  expect(byWriter.log).toMatch(/Login successful as id-\S*dev\S* /);
  expect(world.github.deployments.filter((d) => d.environment === "dev" && d.task === "deploy:unlock")).toEqual([]);
  // `pulumi cancel` removed the lock; the record of the lost run stays for the next deploy to replace.
  expect(fs.existsSync(lockFile)).toBe(false);
  const reply = world.github.commentsOn(pr.number).filter((c) => c.user.login === "github-actions[bot]").pop()!.body;
  expect(reply).toContain("✅ `/unlock dev`: cleared");
  expect(reply).toContain(`taken by run ${lostRun}`);
  expect(reply).toContain("which has ended");
  expect(reply).toMatch(/<sub>\[workflow run\]\(.*\/actions\/runs\/\d+\)<\/sub>/);
});
