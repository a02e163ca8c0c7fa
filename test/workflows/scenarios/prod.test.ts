/**
 * Production on a real runner. The PR preview of the stack that also holds the AWS resources (prod)
 * logs in to Azure with its read-only preview identity and to AWS with the read-only preview role,
 * previews with the policy pack, and posts one comment for the stack; a push to the pull request
 * edits that comment instead of adding another.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pullRequestEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow } from "../../../sandbox/workflow-runner/run";
import { actionsVariables, bootstrap, createWorld, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";

let world: World;
const log = process.env.DELIVERY_RUNNER_VERBOSE ? (l: string) => process.stdout.write(`${l}\n`) : undefined;

beforeAll(async () => {
  world = await createWorld();
  world.github.addCollaborator("alice", "write");
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
  const opened = await runWorkflow(world, { workflow: "preview.yml", ...pullRequestEvent(world, pr, "opened"), job: "preview-prod", vars: actionsVariables(world), secrets: workflowSecrets(world, ["prod-preview"]), onLine: log });
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
  const synchronized = await runWorkflow(world, { workflow: "preview.yml", ...pullRequestEvent(world, pr, "synchronize"), job: "preview-prod", vars: actionsVariables(world), secrets: workflowSecrets(world, ["prod-preview"]), onLine: log });
  expect(synchronized.results("preview (prod)")).toEqual(["success"]);
  expect(comments()).toHaveLength(1);
  expect(comments()[0].body).toContain(pushed.slice(0, 12));
  expect(world.api.calls.filter((c) => c.route === "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}")).toHaveLength(1);
});

