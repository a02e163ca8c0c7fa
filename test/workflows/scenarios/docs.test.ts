/**
 * Docs on a real runner: a stale prompt fails the docs check with the stack's own Graft
 * configuration; the `docs:generate` label asks for a run of the default branch in the docs
 * environment, which regenerates through `delivery graft-generate` against the stand-in Bedrock
 * (the real AWS SDK), commits as the bot to the pull request's branch, and the check is green after.
 */
import { dispatchEvent, labeledTargetEvent, pullRequestEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow } from "../../../sandbox/workflow-runner/run";
import { actionsVariables, bootstrap, createWorld, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";
import type { PullRequest } from "../../../sandbox/github-api/server";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startBedrockStandIn } = require("../../fakes/bedrock/server.js") as { startBedrockStandIn: (o?: object) => Promise<{ url: string; close: () => Promise<void> }> };

let world: World;
let bedrock: { url: string; close: () => Promise<void> };
let pr: PullRequest;

const PROMPT = ["---", "deps:", "  - docs/platform-notes.md", "---", "Summarise the platform notes for a newcomer.", ""].join("\n");

beforeAll(async () => {
  world = await createWorld();
  world.github.addCollaborator("alice", "write");
  world.github.addCollaborator("rita", "read");
  // The prod stack owns the docs environment, its branch policy and the Bedrock role.
  await bootstrap(world, ["prod"]);
  bedrock = await startBedrockStandIn();
  const head = world.commit("feature/docs", { "docs/platform-notes.md": "The platform deploys dev, staging and prod.\n", "docs/overview.prompt.md": PROMPT }, "Add the overview prompt", { author: "alice" });
  pr = world.github.openPullRequest({ author: "alice", head: "feature/docs", headSha: head, base: "main", baseSha: world.sha("refs/heads/main") });
}, 15 * 60 * 1000);

afterAll(async () => {
  await bedrock?.close();
  await world?.close();
});

it("fails the docs check on a pull request whose prompt has no current document", async () => {
  const run = await runWorkflow(world, { workflow: "docs.yml", ...pullRequestEvent(world, pr, "opened") });
  expect(run.results("graft-status")).toEqual(["failure"]);
  expect(run.log).toContain("docs/overview.md");
  // The step's own `::error::` line is not asserted: act's host executor can lose the last lines a
  // step prints right before it exits non-zero (seen with a bare `echo; exit 1`).
});

it("refuses the docs:generate label from someone without write access, with a reply", async () => {
  const run = await runWorkflow(world, { workflow: "docs-generate.yml", ...labeledTargetEvent(world, pr, "docs:generate", "rita") });
  expect(run.results("docs (request)")).toEqual(["failure"]);
  expect(world.github.dispatches).toEqual([]);
  expect(world.github.commentsOn(pr.number).map((c) => c.body).join("\n")).toContain("@rita has read permission");
});

it("regenerates on the docs:generate label in the docs environment, commits as the bot, and the check turns green", async () => {
  const request = await runWorkflow(world, { workflow: "docs-generate.yml", ...labeledTargetEvent(world, pr, "docs:generate", "alice") });
  expect(request.results("docs (request)")).toEqual(["success"]);
  expect(world.github.dispatches).toEqual([{ workflow_id: "docs-generate.yml", ref: "main", inputs: { pr: String(pr.number) }, by: expect.objectContaining({ login: "github-actions[bot]" }) }]);

  const before = world.sha("refs/heads/feature/docs");
  const generate = await runWorkflow(world, {
    workflow: "docs-generate.yml",
    ...dispatchEvent(world, "main", { pr: String(pr.number) }, "github-actions[bot]", ".github/workflows/docs-generate.yml"),
    vars: actionsVariables(world),
    secrets: workflowSecrets(world),
    machineEnv: { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url },
  });
  expect(generate.results("docs (generate)")).toEqual(["success"]);
  const after = world.sha("refs/heads/feature/docs");
  expect(after).not.toBe(before);
  expect(world.remoteGit(["log", "-1", "--format=%an %s", after])).toBe("github-actions[bot] docs: regenerate stale Graft documents");
  const changed = world.remoteGit(["diff", "--name-only", before, after]).split("\n").sort();
  expect(changed).toEqual(expect.arrayContaining(["docs/overview.md", "graft.lock.json"]));

  // The pull request moved to the bot's commit; its docs check is green now.
  pr.head.sha = after;
  const check = await runWorkflow(world, { workflow: "docs.yml", ...pullRequestEvent(world, pr, "synchronize") });
  expect(check.results("graft-status")).toEqual(["success"]);
});
