/**
 * Webhook payloads for the world's repository, each starting from a payload GitHub really sent
 * (@octokit/webhooks-examples) with only the fields that name the repository, the pull request,
 * the commits and the people replaced, and the ref and SHA GitHub gives the run for that event.
 */
import examples from "@octokit/webhooks-examples";
import type { PullRequest } from "../github-api/server";
import type { World } from "./world";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A copy of the first recorded payload of event `name` that `pick` accepts (the tests' payloads start here too). */
export function example(name: string, pick: (e: Json) => boolean = () => true): Json {
  const def = (examples as unknown as { name: string; examples: Json[] }[]).find((d) => d.name === name);
  const found = def?.examples.find(pick);
  if (!found) throw new Error(`no ${name} example in @octokit/webhooks-examples`);
  return structuredClone(found);
}

function user(world: World, login: string): Json {
  const actor = world.github.user(login);
  return { login, id: actor.id, type: actor.type, node_id: `U_${actor.id}`, html_url: `https://github.com/${login}` };
}

function repository(world: World, e: Json): void {
  const r = e.repository;
  r.name = world.github.repo;
  r.full_name = world.github.fullName;
  r.owner = { ...r.owner, login: world.github.owner };
  r.default_branch = world.github.defaultBranch;
  r.html_url = `https://github.com/${world.github.fullName}`;
  r.private = true;
}

function pullRequestJson(world: World, pr: PullRequest): Json {
  return {
    number: pr.number,
    title: pr.title,
    state: pr.state,
    draft: pr.draft,
    user: user(world, pr.user.login),
    head: { ref: pr.head.ref, sha: pr.head.sha, repo: { full_name: pr.head.repo.full_name } },
    base: { ref: pr.base.ref, sha: pr.base.sha, repo: { full_name: world.github.fullName } },
    labels: pr.labels,
    merged: pr.merged_at !== null,
    merge_commit_sha: pr.merge_commit_sha,
    html_url: `https://github.com/${world.github.fullName}/pull/${pr.number}`,
  };
}

export interface WorkflowEvent {
  readonly eventName: string;
  readonly event: Json;
  /** GITHUB_REF and GITHUB_SHA of the run, and the branch whose workflow file runs. */
  readonly ref: string;
  readonly sha: string;
  readonly workflowFrom: string;
  readonly actor: string;
}

/** `pull_request` (opened, synchronize, labeled, ...): the run is for the test merge commit. */
export function pullRequestEvent(world: World, pr: PullRequest, action: string, options: { sender?: string; label?: string } = {}): WorkflowEvent {
  const e = example("pull_request", (x) => x.action === (action === "labeled" ? "labeled" : "opened"));
  e.action = action;
  e.number = pr.number;
  e.pull_request = { ...e.pull_request, ...pullRequestJson(world, pr) };
  repository(world, e);
  const sender = options.sender ?? pr.user.login;
  e.sender = user(world, sender);
  if (options.label) e.label = { name: options.label };
  const refs = world.publishPullRequestRefs(pr.number, pr.head.sha, `origin/${pr.base.ref}`);
  // The merge ref's workflow file runs (the PR's own copy, as GitHub does for pull_request).
  return { eventName: "pull_request", event: e, ref: `refs/pull/${pr.number}/merge`, sha: refs.merge, workflowFrom: `refs/pull/${pr.number}/merge`, actor: sender };
}

/** `issue_comment` created on a pull request: the run is on the default branch, at its head. */
export function prCommentEvent(world: World, pr: PullRequest, body: string, commenter: string, options: { commenterType?: "User" | "Bot" } = {}): WorkflowEvent {
  const e = example("issue_comment", (x) => x.action === "created");
  const comment = world.github.addComment(pr.number, body, commenter);
  e.comment = { ...e.comment, id: comment.id, body, user: { ...user(world, commenter), type: options.commenterType ?? world.github.user(commenter).type }, author_association: "CONTRIBUTOR" };
  e.issue = {
    ...e.issue,
    number: pr.number,
    title: pr.title,
    state: pr.state,
    user: user(world, pr.user.login),
    labels: pr.labels,
    pull_request: { url: `https://api.github.com/repos/${world.github.fullName}/pulls/${pr.number}`, html_url: `https://github.com/${world.github.fullName}/pull/${pr.number}`, merged_at: pr.merged_at },
  };
  repository(world, e);
  e.sender = user(world, commenter);
  const main = world.github.defaultBranch;
  return { eventName: "issue_comment", event: e, ref: `refs/heads/${main}`, sha: world.sha(`refs/heads/${main}`), workflowFrom: `refs/heads/${main}`, actor: commenter };
}

/** `push` of `sha` to `branch`. */
export function pushEvent(world: World, branch: string, before: string, sha: string, pusher: string): WorkflowEvent {
  const e = example("push", (x) => x.deleted === false);
  e.ref = `refs/heads/${branch}`;
  e.before = before;
  e.after = sha;
  e.head_commit = { ...e.head_commit, id: sha };
  e.commits = [];
  repository(world, e);
  e.pusher = { name: pusher, email: `${pusher}@example.com` };
  e.sender = user(world, pusher);
  return { eventName: "push", event: e, ref: `refs/heads/${branch}`, sha, workflowFrom: `refs/heads/${branch}`, actor: pusher };
}

/** `workflow_dispatch` of a workflow on `branch` with `inputs`. */
export function dispatchEvent(world: World, branch: string, inputs: Record<string, string>, sender: string, workflow = ".github/workflows/deploy.yml"): WorkflowEvent {
  const e = example("workflow_dispatch");
  e.workflow = workflow;
  e.inputs = inputs;
  e.ref = `refs/heads/${branch}`;
  repository(world, e);
  e.sender = user(world, sender);
  return { eventName: "workflow_dispatch", event: e, ref: `refs/heads/${branch}`, sha: world.sha(`refs/heads/${branch}`), workflowFrom: `refs/heads/${branch}`, actor: sender };
}

/**
 * `pull_request_target` labeled: GitHub runs the default branch's workflow file at the default
 * branch's head (GITHUB_REF is the default branch, whatever the pull request's base; environment
 * branch policies are evaluated against it), with the pull request in the payload. GitHub's
 * behaviour since 8 December 2025; before, it was the base branch's workflow and ref.
 */
export function labeledTargetEvent(world: World, pr: PullRequest, label: string, labeller: string): WorkflowEvent {
  world.github.addLabel(pr.number, label, labeller);
  const e = example("pull_request", (x) => x.action === "labeled");
  e.action = "labeled";
  e.number = pr.number;
  e.pull_request = { ...e.pull_request, ...pullRequestJson(world, pr) };
  e.label = { name: label };
  repository(world, e);
  e.sender = user(world, labeller);
  const main = `refs/heads/${world.github.defaultBranch}`;
  return { eventName: "pull_request_target", event: e, ref: main, sha: world.sha(main), workflowFrom: main, actor: labeller };
}
