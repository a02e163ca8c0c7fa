/**
 * Production on a real runner. The PR preview of the stack that also holds the AWS resources (prod)
 * logs in to Azure with its read-only preview identity and to AWS with the read-only preview role,
 * previews with the policy pack, and posts one comment for the stack; a push to the pull request
 * edits that comment instead of adding another. `/deploy prod` of a commit that staging never
 * validated, approved on the exact head by a third person, passes the gates and is stopped by the
 * promise of promotion before anything of it is installed or any cloud login, saying why on the PR.
 * `/deploy prod` of the commit staging validated (deployed, soaked, checked and signed off, as the
 * platform's own commands record it) deploys it as prod's deploy identity and records the deployment.
 * A promotion pull request squash-merged into main deploys on the push when the squash commit's tree
 * is exactly the validated tree, and stops before anything is installed when it is not.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { prCommentEvent, pullRequestEvent, pushEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow, type RunResult } from "../../../sandbox/workflow-runner/run";
import { actionsVariables, bootstrap, createWorld, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";
import { requiredCheckNames } from "../../../workflows";
import type { PullRequest } from "../../../sandbox/github-api/server";

let world: World;
/**
 * The repository's variables, with the promotion App the administrator set up: staging's sign-off
 * reviewers are a team, whose membership only the App's token can read (GITHUB_TOKEN has no
 * organization scope), so the promise of promotion cannot be checked without it.
 */
const variables = () => ({ ...actionsVariables(world), PROMOTION_APP_ID: "424240" });
/** Staging's QA reviewer (a member of its reviewers' team), who signs off manual testing. */
const QA_REVIEWER = "quinn";

beforeAll(async () => {
  world = await createWorld();
  world.github.addCollaborator("alice", "write");
  world.github.addCollaborator("bob", "write");
  world.github.addCollaborator("carol", "maintain");
  // Staging's manual-test sign-off comes from its reviewers' team.
  world.github.addCollaborator(QA_REVIEWER, "write");
  world.github.teams["qa-leads"] = [QA_REVIEWER];
  await bootstrap(world, ["prod"]);
}, 15 * 60 * 1000);

afterAll(async () => {
  await world?.close();
});

it("previews prod with read-only Azure and AWS credentials, and edits its one comment on the next push", async () => {
  const params = "bicep/parameters/prod.bicepparam";
  const original = fs.readFileSync(path.join(world.clone, params), "utf8");
  const head = world.commit("feature/prod-retention", { [params]: original.replace(/storageSoftDeleteDays = \d+/, "storageSoftDeleteDays = 21") }, "Keep deleted blobs longer in prod", { author: "alice" });
  const pr = world.github.openPullRequest({ author: "alice", head: "feature/prod-retention", headSha: head, base: "main", baseSha: world.sha("refs/heads/main") });
  const opened = await runWorkflow(world, { workflow: "preview.yml", ...pullRequestEvent(world, pr, "opened"), job: "preview-prod", vars: variables(), secrets: workflowSecrets(world) });
  expect(opened.results("preview (prod)")).toEqual(["success"]);
  // The preview job runs in prod's preview environment: the preview identity and the AWS preview role trust its subject.
  expect(opened.log).toContain("subject claim - repo:contoso/payments-service:environment:prod-preview");
  expect(opened.log).toMatch(/Assumed role arn:aws:iam::\d+:role\/docs-preview-role-\w+ as repo:contoso\/payments-service:environment:prod-preview/);
  const comments = () => world.github.commentsOn(pr.number).filter((c) => c.user.login === "github-actions[bot]");
  expect(comments()).toHaveLength(1);
  expect(comments()[0].body).toContain("prod");
  expect(comments()[0].body).toMatch(/deleteRetentionPolicy\.days/);

  const pushed = world.commit("feature/prod-retention", { [params]: original.replace(/storageSoftDeleteDays = \d+/, "storageSoftDeleteDays = 28") }, "28 days", { author: "alice" });
  pr.head.sha = pushed;
  const synchronized = await runWorkflow(world, { workflow: "preview.yml", ...pullRequestEvent(world, pr, "synchronize"), job: "preview-prod", vars: variables(), secrets: workflowSecrets(world) });
  expect(synchronized.results("preview (prod)")).toEqual(["success"]);
  expect(comments()).toHaveLength(1);
  expect(comments()[0].body).toContain(pushed.slice(0, 12));
  expect(world.api.calls.filter((c) => c.route === "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}")).toHaveLength(1);
});


it("/deploy prod of a commit never validated in staging is refused before anything is installed or logged in, even approved by a third person", async () => {
  const params = "bicep/parameters/prod.bicepparam";
  const original = fs.readFileSync(path.join(world.clone, params), "utf8");
  const head = world.commit("release/retention", { [params]: original.replace(/storageSoftDeleteDays = \d+/, "storageSoftDeleteDays = 35") }, "Keep deleted blobs 35 days in prod", { author: "alice" });
  const pr = world.github.openPullRequest({ author: "alice", head: "release/retention", headSha: head, base: "main", baseSha: world.sha("refs/heads/main") });
  for (const name of requiredCheckNames(world.cfg)) world.github.addCheckRun(head, name, "success");
  world.github.addReview(pr.number, "carol", "APPROVED", head);
  const before = world.azCalls().length;

  const run = await runWorkflow(world, { workflow: "deploy.yml", ...prCommentEvent(world, pr, "/deploy prod", "bob"), vars: variables(), secrets: workflowSecrets(world) });
  // The gates pass: the approval is a third person's, on the exact head; the checks are green.
  expect(run.log).toContain("::set-output:: proceed=true");
  // The promise of promotion stops it in the intent job: only a tree validated in staging reaches prod.
  expect(run.results("read the command")).toEqual(["failure"]);
  expect(run.results("deploy (prod)")).toEqual([]);
  expect(run.log).toContain(`${head.slice(0, 12)} is not a commit validated in staging`);
  // Before the commit's own install and before any login: no OIDC token was asked for, no az call made.
  expect(run.log).toContain("Run Main Verify the validated tree");
  expect(run.log).not.toContain("Run Main Install the deployed commit's dependencies");
  expect(run.log).not.toContain("Run Main Log in to Azure");
  expect(run.log).not.toContain("subject claim");
  expect(world.azCalls().length).toBe(before);
  expect(world.github.deployments.filter((d) => d.environment === "prod" && d.sha === head)).toEqual([]);
  const result = world.github.commentsOn(pr.number).filter((c) => c.body.includes("stopped before")).pop()!.body;
  expect(result).toContain(`❌ The deploy of \`prod\` to ${head.slice(0, 12)} stopped before \`pulumi up\`; nothing was deployed.`);
  expect(result).toContain("only a tree validated in staging may be deployed to prod");
});

/**
 * Staging's history, recorded by the platform's own commands as its jobs and its QA reviewer do:
 * the deploy job's deployment of `sha`, the soak, the validation job's checks and the sign-off.
 */
async function stagingValidated(sha: string): Promise<void> {
  const runUrl = (id: number) => `https://github.com/${world.github.fullName}/actions/runs/${id}`;
  const { deploymentId } = JSON.parse(await world.delivery(["promote", "record", "start", "--environment", "staging", "--commit", sha, "--run-url", runUrl(4001), "--requested-by", "carol"])) as { deploymentId: number };
  await world.delivery(["promote", "record", "finish", "--deployment-id", String(deploymentId), "--result", "success", "--run-url", runUrl(4001)]);
  world.github.advance(61); // staging's soak is 60 minutes
  for (const name of ["health (staging)", "smoke (staging)"]) await world.delivery(["promote", "check", "--commit", sha, "--name", name, "--state", "success", "--run-url", runUrl(4002)]);
  const token = `ghp_standin_${QA_REVIEWER}`;
  world.github.tokens[token] = QA_REVIEWER;
  await world.delivery(["promote", "sign-off", "--environment", "staging", "--commit", sha], { token });
}

/** The promotion pull request carrying exactly `validated` into main: green, and approved by carol on that head. */
function promotionPullRequest(validated: string): PullRequest {
  const branch = `promote/staging-to-prod/${validated.slice(0, 12)}`;
  world.remoteGit(["update-ref", `refs/heads/${branch}`, validated]);
  const pr = world.github.openPullRequest({ author: "delivery-promotion[bot]", head: branch, headSha: validated, base: "main", baseSha: world.sha("refs/heads/main") });
  for (const name of requiredCheckNames(world.cfg)) world.github.addCheckRun(validated, name, "success");
  world.github.addReview(pr.number, "carol", "APPROVED", validated);
  return pr;
}

it("/deploy prod of the commit staging validated, approved by a third person, deploys it as prod's deploy identity", async () => {
  const release = world.commit("test", { "notes/release.txt": "the release staging validated\n" }, "Release notes", { author: "alice" });
  await stagingValidated(release);
  expect(JSON.parse(await world.delivery(["promote", "verify-tree", "--environment", "prod", "--commit", release]))).toMatchObject({ ok: true, method: "fast-forward", validatedIn: "staging" });

  const pr = promotionPullRequest(release);

  const run = await runWorkflow(world, { workflow: "deploy.yml", ...prCommentEvent(world, pr, "/deploy prod", "bob"), vars: variables(), secrets: workflowSecrets(world) });
  expect(run.results("read the command")).toEqual(["success"]);
  expect(run.results("deploy (prod)")).toEqual(["success"]);
  expect(run.log).toContain(`${release.slice(0, 12)} is itself a commit validated in staging`);
  // Logged in as prod's deploy identity: its federated credential trusts the prod environment's subject.
  expect(run.log).toContain("subject claim - repo:contoso/payments-service:environment:prod");
  expect(run.log).toMatch(/Policy Packs run:(?:\n.*?){1,2}delivery-platform\|local\|policies/);
  expect(run.log).toMatch(/pulumi up[\s\S]*Resources:/);
  const deployment = world.github.deployments.filter((d) => d.environment === "prod" && d.sha === release);
  expect(deployment).toHaveLength(1);
  expect(world.github.deploymentStatuses.filter((s) => s.deployment_id === deployment[0].id).map((s) => s.state)).toEqual(["in_progress", "success"]);
  const result = world.github.commentsOn(pr.number).filter((c) => c.user.login === "github-actions[bot]").pop()!.body;
  expect(result).toContain(`Deployed \`prod\` to ${release.slice(0, 12)}`);
});

/**
 * The promotion pull request of `validated` into main, merged by squash as bob: a new commit on
 * main whose tree is the validated one plus `extra` files.
 */
function squashMergedPromotion(validated: string, extra: Record<string, string> = {}): { pr: PullRequest; squash: string; before: string } {
  const before = world.sha("refs/heads/main");
  const pr = promotionPullRequest(validated);
  // GitHub's squash: one new commit on main with the pull request's resulting tree.
  world.git(["fetch", "--quiet", "origin"]);
  world.git(["checkout", "--quiet", "--detach", validated]);
  for (const [file, content] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(world.clone, file)), { recursive: true });
    fs.writeFileSync(path.join(world.clone, file), content);
  }
  world.git(["add", "-A"]);
  const tree = world.git(["write-tree"]);
  const squash = world.git(["commit-tree", tree, "-p", before, "-m", `Promote ${validated.slice(0, 12)} to prod (#${pr.number})`]);
  world.git(["push", "--quiet", "origin", `${squash}:refs/heads/main`]);
  world.git(["checkout", "--quiet", "--force", "main"]);
  Object.assign(pr, { state: "closed", merged_at: world.github.now(), merge_commit_sha: squash });
  return { pr, squash, before };
}

function pushToMain(before: string, squash: string): Promise<RunResult> {
  return runWorkflow(world, { workflow: "deploy.yml", ...pushEvent(world, "main", before, squash, "bob"), vars: variables(), secrets: workflowSecrets(world) });
}

it("a squash-merged promotion whose tree is the validated tree deploys on the push, recording both commits", async () => {
  const validated = world.commit("test", { "notes/squash.txt": "validated in staging\n" }, "Squash me", { author: "alice" });
  await stagingValidated(validated);
  const { pr, squash, before } = squashMergedPromotion(validated);
  const run = await pushToMain(before, squash);
  expect(run.results("deploy (prod)")).toEqual(["success"]);
  expect(run.log).toMatch(new RegExp(`${squash.slice(0, 12)} \\(merged by PR #${pr.number}\\) has tree [0-9a-f]{12}, exactly the tree of ${validated.slice(0, 12)} validated in staging`));
  const deployments = world.github.deployments.filter((d) => d.environment === "prod" && d.sha === squash);
  expect(deployments).toHaveLength(1);
  expect(JSON.stringify(deployments[0].payload)).toContain(validated);
  expect(world.github.deploymentStatuses.filter((s) => s.deployment_id === deployments[0].id).map((s) => s.state)).toEqual(["in_progress", "success"]);
});

it("a squash-merged promotion whose tree differs from the validated one stops before anything is installed or logged in", async () => {
  const validated = world.commit("test", { "notes/squash-2.txt": "validated in staging\n" }, "Validated", { author: "alice" });
  await stagingValidated(validated);
  const { squash, before } = squashMergedPromotion(validated, { "notes/sneaked-in.txt": "never validated\n" });
  const azBefore = world.azCalls().length;
  const run = await pushToMain(before, squash);
  expect(run.results("read the command")).toEqual(["failure"]);
  expect(run.results("deploy (prod)")).toEqual([]);
  expect(run.log).toContain("the merge changed what was validated");
  expect(run.log).not.toContain("Run Main Install the deployed commit's dependencies");
  expect(run.log).not.toContain("Run Main Log in to Azure");
  expect(world.azCalls().length).toBe(azBefore);
  expect(world.github.deployments.filter((d) => d.environment === "prod" && d.sha === squash)).toEqual([]);
});
