/**
 * IssueOps refusals on a real runner, tried as someone with write access would: a fork's pull
 * request, a draft, required checks faked with commit statuses or reported by another app, a head
 * pushed between the gate and `pulumi up`, `/deploy prod` without the approval and with an approval
 * by the author or by the person deploying, `/deploy dev` during a freeze. Each is
 * refused with a reply on the pull request, and nothing is deployed (no deploy job runs, no
 * deployment is recorded).
 */
import { prCommentEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow, type RunResult } from "../../../sandbox/workflow-runner/run";
import { createWorld, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";
import type { PullRequest } from "../../../sandbox/github-api/server";
import { requiredCheckNames } from "../../../workflows";

let world: World;

function pullRequest(branch: string, base: string, author: string, options: { fork?: boolean; draft?: boolean } = {}): PullRequest {
  const head = world.commit(branch, { [`notes/${branch.replace(/\//g, "-")}.txt`]: `${branch}\n` }, `Change ${branch}`, { from: base, author });
  return world.github.openPullRequest({ author, head: branch, headSha: head, base, baseSha: world.sha(`refs/heads/${base}`), fork: options.fork, draft: options.draft });
}

function greenPullRequest(branch: string, base: string, author: string, options: { fork?: boolean; draft?: boolean } = {}): PullRequest {
  const pr = pullRequest(branch, base, author, options);
  for (const name of requiredCheckNames(world.cfg)) world.github.addCheckRun(pr.head.sha, name, "success");
  return pr;
}

async function comment(pr: PullRequest, body: string, by: string): Promise<RunResult> {
  // No cloud is reached before the gates refuse; the variables would only be read after them.
  return runWorkflow(world, { workflow: "deploy.yml", ...prCommentEvent(world, pr, body, by), secrets: workflowSecrets(world) });
}

function botReplies(pr: PullRequest): string {
  return world.github
    .commentsOn(pr.number)
    .filter((c) => c.user.login === "github-actions[bot]")
    .map((c) => c.body)
    .join("\n---\n");
}

beforeAll(async () => {
  world = await createWorld();
  world.github.addCollaborator("alice", "write");
  world.github.addCollaborator("bob", "write");
});

afterAll(async () => {
  await world?.close();
});

afterEach(() => {
  expect(world.github.deployments).toEqual([]);
});

it("refuses /deploy dev on a pull request from a fork", async () => {
  const pr = greenPullRequest("fork/feature", "dev", "alice", { fork: true });
  const run = await comment(pr, "/deploy dev", "alice");
  expect(run.results("read the command")).toEqual(["success"]);
  expect(run.results("deploy (dev)")).toEqual([]);
  expect(botReplies(pr)).toMatch(/fork/i);
});

it("refuses /deploy dev of a draft pull request", async () => {
  const pr = greenPullRequest("feature/draft", "dev", "alice", { draft: true });
  const run = await comment(pr, "/deploy dev", "alice");
  expect(run.results("read the command")).toEqual(["success"]);
  expect(run.results("deploy (dev)")).toEqual([]);
  expect(botReplies(pr)).toContain(`#${pr.number} is a draft`);
});

it("refuses /deploy dev when the required checks are commit statuses a writer posted, or check runs of another app", async () => {
  // A writer's own token posts a green commit status under each required check's name, through the
  // API as any tool would, and another GitHub App reports check runs of the same names.
  const pr = pullRequest("feature/fake-checks", "dev", "alice");
  world.github.tokens["ghp_standin_alice"] = "alice";
  for (const context of requiredCheckNames(world.cfg)) {
    const posted = await fetch(`${world.api.url}/repos/${world.github.fullName}/statuses/${pr.head.sha}`, {
      method: "POST",
      headers: { authorization: "token ghp_standin_alice", "content-type": "application/json" },
      body: JSON.stringify({ state: "success", context }),
    });
    expect(posted.status).toBe(201);
  }
  for (const name of requiredCheckNames(world.cfg)) world.github.addCheckRun(pr.head.sha, name, "success", { id: 424242, slug: "someone-elses-app" });
  const run = await comment(pr, "/deploy dev", "alice");
  expect(run.results("read the command")).toEqual(["success"]);
  expect(run.results("deploy (dev)")).toEqual([]);
  expect(botReplies(pr)).toMatch(/Required checks on [^\n]* are not green: [^\n]*preview \(dev\)/);
});

it("refuses the deployment when the pull request moved between the gate and pulumi up", async () => {
  const pr = greenPullRequest("feature/moving", "dev", "alice");
  let permissionReads = 0;
  world.github.afterCall = (call) => {
    // The gate reads the requester's permission first, then the pull request: once in the intent
    // job, once more in the deploy job's re-check. The author pushes between those two reads.
    if (call.route !== "GET /repos/{owner}/{repo}/collaborators/{username}/permission") return;
    permissionReads += 1;
    if (permissionReads === 2) pr.head.sha = world.commit("feature/moving", { "notes/late.txt": "pushed after the gate\n" }, "A late push", { author: "alice" });
  };
  try {
    const run = await comment(pr, "/deploy dev", "alice");
    expect(run.results("read the command")).toEqual(["success"]);
    expect(run.results("deploy (dev)")).toEqual(["failure"]);
    expect(run.log).toContain("Re-check the gates");
    // The re-check evaluates the gates on the pull request as it is now: the new head, whose
    // required checks have not run, is refused and named.
    expect(botReplies(pr)).toContain("refused when re-checked before deploying (nothing was deployed)");
    expect(botReplies(pr)).toContain(pr.head.sha.slice(0, 12));
  } finally {
    world.github.afterCall = undefined;
  }
});

it("refuses /deploy prod without the approval on the head", async () => {
  const pr = greenPullRequest("release/1", "main", "alice");
  const run = await comment(pr, "/deploy prod", "bob");
  expect(run.results("deploy (prod)")).toEqual([]);
  expect(botReplies(pr)).toMatch(/approv/i);
});

it("refuses /deploy prod approved by the author, or by the person deploying", async () => {
  const pr = greenPullRequest("release/2", "main", "alice");
  world.github.addLabel(pr.number, "approved:prod", "alice");
  const byAuthor = await comment(pr, "/deploy prod", "bob");
  expect(byAuthor.results("deploy (prod)")).toEqual([]);
  world.github.addLabel(pr.number, "approved:prod", "bob");
  const byDeployer = await comment(pr, "/deploy prod", "bob");
  expect(byDeployer.results("deploy (prod)")).toEqual([]);
  const replies = botReplies(pr);
  expect(replies).toMatch(/alice/);
  expect(replies).toMatch(/bob/);
});

it("refuses /deploy dev while a deployment failure is open (the freeze)", async () => {
  const failure = world.github.openIssue({ title: "Deployment failure: staging at 0123456789ab", author: "delivery-promotion[bot]", labels: ["deployment-failure", "priority:high"] });
  try {
    const pr = greenPullRequest("feature/during-freeze", "dev", "alice");
    const run = await comment(pr, "/deploy dev", "alice");
    expect(run.results("read the command")).toEqual(["success"]);
    expect(run.results("deploy (dev)")).toEqual([]);
    expect(botReplies(pr)).toContain(`Every deploy is frozen while #${failure.number} is open`);
  } finally {
    failure.state = "closed";
  }
});
