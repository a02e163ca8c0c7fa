/**
 * What the IssueOps scenario files share: a pull request into dev whose required checks are green,
 * a comment on it that runs deploy.yml as GitHub would, and the deployments the fake az performed.
 */
import type { PullRequest } from "../../../sandbox/github-api/server";
import { prCommentEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow, type RunResult } from "../../../sandbox/workflow-runner/run";
import { actionsVariables, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";
import { requiredCheckNames } from "../../../workflows";

/** The resource groups of the deployments the fake az performed. */
export function azCreates(world: World): string[] {
  return world
    .azCalls()
    .filter((c) => c.command === "deployment group create")
    .map((c) => c.args[c.args.indexOf("--resource-group") + 1]);
}

export function openGreenPullRequest(world: World, branch: string, files: Record<string, string>, author = "alice", options: { fork?: boolean } = {}): PullRequest {
  const head = world.commit(branch, files, `Change ${branch}`, { from: "dev", author });
  const pr = world.github.openPullRequest({ author, head: branch, headSha: head, base: "dev", baseSha: world.sha("refs/heads/dev"), fork: options.fork });
  for (const name of requiredCheckNames(world.cfg)) world.github.addCheckRun(head, name, "success");
  return pr;
}

/** `body` commented on the pull request by `by`: the deploy.yml run GitHub starts for it. */
export async function comment(world: World, pr: PullRequest, body: string, by: string): Promise<RunResult> {
  const event = prCommentEvent(world, pr, body, by);
  return runWorkflow(world, { workflow: "deploy.yml", ...event, vars: actionsVariables(world), secrets: workflowSecrets(world) });
}
