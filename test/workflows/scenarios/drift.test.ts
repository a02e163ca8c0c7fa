/**
 * Drift on a real runner. After the bootstrap of dev, someone changes a resource by hand in the
 * sandbox Azure (the blob service's soft-delete retention, outside Pulumi and its template). The
 * drift workflow's dev job (`pulumi preview --refresh --expect-no-changes` with dev's read-only
 * preview identity, the Bicep provider's `read` running the what-if) finds it and opens one issue
 * for dev with the drift table; a second run finding the same drift updates that issue instead of
 * opening another; once the change is undone, the next run closes it; a run on a clean stack with
 * no issue changes nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { dispatchEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow, type RunResult } from "../../../sandbox/workflow-runner/run";
import { actionsVariables, bootstrap, createWorld, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";
import { previewEnvironment } from "../../../core/oidc";
import { driftIssueTitle } from "../../../core/drift";

let world: World;
const STACK = "dev";
const BLOB_SERVICE = /\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+\/blobServices\/default$/i;

beforeAll(async () => {
  world = await createWorld();
  world.github.addCollaborator("alice", "write");
  await bootstrap(world, [STACK]);
}, 15 * 60 * 1000);

afterAll(async () => {
  await world?.close();
});

/** The sandbox Azure's record of the dev resource group: what `az deployment group create` deployed into it (sandbox/fake-az.ts). */
function devGroupFile(): string {
  const dir = path.join(world.sandbox.dir, "az", "resource-groups");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(`_rg-payments-service-${STACK}.json`));
  if (files.length !== 1) throw new Error(`expected one sandbox Azure record of the ${STACK} resource group in ${dir}, found ${files.join(", ") || "none"}`);
  return path.join(dir, files[0]);
}

/** A change made by hand in Azure: the blob service's delete retention set to `days`. */
function setRetentionByHand(days: number): void {
  const file = devGroupFile();
  const group = JSON.parse(fs.readFileSync(file, "utf8")) as { resources: Record<string, { id: string; body: { properties: { deleteRetentionPolicy: { days: number } } } }> };
  const blob = Object.values(group.resources).find((r) => BLOB_SERVICE.test(r.id));
  if (!blob) throw new Error(`no blob service in ${file}`);
  blob.body.properties.deleteRetentionPolicy.days = days;
  fs.writeFileSync(file, `${JSON.stringify(group, null, 2)}\n`);
}

/** The drift workflow's job for dev, scheduled runs being what workflow_dispatch runs (same jobs, same ref). */
function driftRun(): Promise<RunResult> {
  const environment = previewEnvironment(STACK);
  return runWorkflow(world, {
    workflow: "drift.yml",
    ...dispatchEvent(world, "main", {}, "alice", ".github/workflows/drift.yml"),
    job: `drift-${STACK}`,
    vars: actionsVariables(world),
    secrets: workflowSecrets(world),
  });
}

const driftIssues = () => world.github.issues.filter((i) => i.title === driftIssueTitle(STACK));

it("opens one issue for a stack changed outside Pulumi, with the drift's what-if table, and updates it on the next run", async () => {
  const original = fs.readFileSync(devGroupFile(), "utf8");
  setRetentionByHand(1);

  const whatIfs = () => world.azCalls().filter((c) => c.command === "deployment group what-if").length;
  const before = whatIfs();
  const first = await driftRun();
  expect(first.results(`drift (${STACK})`)).toEqual(["success"]);
  // The refresh's drift check and the preview share one what-if (one provider process, one question).
  expect(whatIfs() - before).toBe(1);
  // The read-only preview identity, through the stack's preview environment.
  expect(first.log).toContain(`subject claim - repo:contoso/payments-service:environment:${previewEnvironment(STACK)}`);
  expect(first.log).toMatch(/drift: the resource group differs from the template \(0 missing, 1 modified, 0 extra\)/);
  expect(driftIssues()).toHaveLength(1);
  const [issue] = driftIssues();
  expect(issue.state).toBe("open");
  expect(issue.user.login).toBe("github-actions[bot]");
  expect(issue.body).toContain(`<!-- delivery-platform:drift:${STACK} -->`);
  // The table: the hand change against the template, with its before and after value.
  expect(issue.body).toMatch(/\| 🟡 Modify \| `[^`]+\/default` \| Microsoft\.Storage\/storageAccounts\/blobServices \| [^\n]*`properties\.deleteRetentionPolicy\.days: 1 => 7`/);
  expect(issue.body).toContain("/deploy dev");

  // Still drifted: the same issue is updated, not a second one opened.
  const second = await driftRun();
  expect(second.results(`drift (${STACK})`)).toEqual(["success"]);
  expect(driftIssues()).toHaveLength(1);
  expect(world.api.calls.filter((c) => c.route === "PATCH /repos/{owner}/{repo}/issues/{issue_number}")).toHaveLength(1);

  // The hand change undone: the next run finds the stack clean and closes the issue, saying so.
  fs.writeFileSync(devGroupFile(), original);
  const clean = await driftRun();
  expect(clean.results(`drift (${STACK})`)).toEqual(["success"]);
  expect(clean.log).toContain("no drift: the resource group matches the template");
  expect(driftIssues()).toHaveLength(1);
  expect(driftIssues()[0].state).toBe("closed");
  expect(world.github.commentsOn(issue.number).map((c) => c.body).join("\n")).toMatch(/The drift check of `dev` at [0-9a-f]{12} found it clean again/);
});

it("changes nothing on a clean stack without a drift issue", async () => {
  const before = world.api.calls.length;
  const run = await driftRun();
  expect(run.results(`drift (${STACK})`)).toEqual(["success"]);
  expect(run.log).toContain('"action":"none"');
  const writes = world.api.calls.slice(before).filter((c) => /^(POST|PATCH) \/repos\/\{owner\}\/\{repo\}\/issues/.test(c.route));
  expect(writes).toEqual([]);
});
