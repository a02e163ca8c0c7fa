/**
 * ATTACK on the runner itself: which secrets and variables a job sees. GitHub hands a job the
 * secrets and variables of the deployment environment it names, over the repository's, and a job
 * that names none only the repository's; the platform's trust boundaries (issue 13) rest on that.
 * Someone with write access adds a workflow whose jobs print what they can read; the patched act
 * (sandbox/workflow-runner/act.patch) must give each job exactly what GitHub would, with every
 * environment's secrets and variables handed to the run, and must refuse to start a job whose
 * environment's branch policies do not admit the run's branch, before any step (a checkout or
 * not) could read a secret.
 */
import { dispatchEvent } from "../../../sandbox/workflow-runner/events";
import { runWorkflow } from "../../../sandbox/workflow-runner/run";
import { actionsVariables, bootstrap, createWorld, inEnvironment, workflowSecrets, type World } from "../../../sandbox/workflow-runner/world";
import { ADMIN_TOKEN_SECRET, PASSPHRASE_SECRET } from "../../../workflows/common";

let world: World;

beforeAll(async () => {
  world = await createWorld();
  // Each stack creates its own environments: dev's (dev, dev-preview) and prod's (prod, prod-preview, docs, promotion).
  await bootstrap(world, ["dev", "prod"]);
}, 15 * 60 * 1000);

afterAll(async () => {
  await world?.close();
});

/** A job that prints how long the admin token and the passphrase it can read are, and the Azure client id it is given. */
const probe = (id: string, environment?: string, needs?: string) =>
  [
    `  ${id}:`,
    "    runs-on: ubuntu-latest",
    ...(needs ? [`    needs: ${needs}`] : []),
    ...(environment ? [`    environment: ${environment}`] : []),
    "    steps:",
    "      - run: |",
    `          echo "probe ${id}: admin=\${#ADMIN} passphrase=\${#PASSPHRASE} client=\${CLIENT}"`,
    "        env:",
    `          ADMIN: \${{ secrets.${ADMIN_TOKEN_SECRET} }}`,
    `          PASSPHRASE: \${{ secrets.${PASSPHRASE_SECRET} }}`,
    "          CLIENT: ${{ vars.AZURE_CLIENT_ID }}",
  ].join("\n");

const WORKFLOW = [
  "name: what each job can read",
  "on: workflow_dispatch",
  "permissions: {}",
  "jobs:",
  probe("no-environment"),
  probe("dev", "dev"),
  probe("prod-preview", "prod-preview"),
  probe("prod", "prod"),
  "  pick:",
  "    runs-on: ubuntu-latest",
  "    outputs:",
  "      environment: ${{ steps.pick.outputs.environment }}",
  "    steps:",
  "      - id: pick",
  '        run: echo "environment=prod" >> "$GITHUB_OUTPUT"',
  // The form the deploy workflow uses: a name from an earlier job's output, without a deployment record.
  probe("by-expression", "{ name: \"${{ needs.pick.outputs.environment }}\", deployment: false }", "pick"),
  "",
].join("\n");

it("gives each job its own environment's secrets and variables, and a job without one none of them", async () => {
  world.commit("main", { ".github/workflows/probe.yml": WORKFLOW }, "Add a probe workflow");
  const vars = actionsVariables(world);
  const run = await runWorkflow(world, { workflow: "probe.yml", ...dispatchEvent(world, "main", {}, "mallory", ".github/workflows/probe.yml"), vars, secrets: workflowSecrets(world) });
  expect(run.jobs.map((j) => j.result)).toEqual(run.jobs.map(() => "success"));
  const seen = Object.fromEntries([...run.log.matchAll(/probe ([\w-]+): (admin=\d+ passphrase=\d+ client=\S*)/g)].map((m) => [m[1], m[2]]));
  const client = (environment: string) => vars[inEnvironment(environment, "AZURE_CLIENT_ID")];
  expect([client("dev"), client("prod")].every((c) => /^[0-9a-f-]{36}$/.test(c))).toBe(true);
  expect(client("dev")).not.toBe(client("prod"));
  const admin = workflowSecrets(world)[inEnvironment("prod", ADMIN_TOKEN_SECRET)].length;
  const passphrase = workflowSecrets(world)[inEnvironment("dev", PASSPHRASE_SECRET)].length;
  expect(seen).toEqual({
    "no-environment": "admin=0 passphrase=0 client=",
    dev: `admin=0 passphrase=${passphrase} client=${client("dev")}`,
    // Where pull requests' previews run: the passphrase, never the admin token, and no deploy identity.
    "prod-preview": `admin=0 passphrase=${passphrase} client=`,
    prod: `admin=${admin} passphrase=${passphrase} client=${client("prod")}`,
    "by-expression": `admin=${admin} passphrase=${passphrase} client=${client("prod")}`,
  });
});

it("refuses the environment jobs of a branch their policies do not admit, before any step runs", async () => {
  // The same probe, with a job in `docs` (whose identity the AWS Bedrock role trusts), pushed to a
  // branch of the attacker's own and dispatched there: prod, dev and docs admit only their own
  // branches (and main), so none of those jobs may start, checkout step or not; the preview
  // environment has no branch policy (pull requests preview there) and so still runs.
  // Two tricks ride along: prod's name in capitals (GitHub's names compare case-insensitively), and
  // a name that would read `prod` only in the step with id `leak` (GitHub evaluates it once, when
  // the job starts: there it is `prod-preview`, which admits any branch, and stays so).
  const tricks = [
    probe("upper-case", "PROD"),
    "  switch:",
    "    runs-on: ubuntu-latest",
    "    environment: ${{ github.action == 'leak' && 'prod' || 'prod-preview' }}",
    "    steps:",
    "      - id: leak",
    "        run: |",
    '          echo "probe switch: admin=${#ADMIN}"',
    "        env:",
    `          ADMIN: \${{ secrets.${ADMIN_TOKEN_SECRET} }}`,
  ].join("\n");
  world.commit("attack/read-secrets", { ".github/workflows/probe.yml": `${WORKFLOW}${probe("docs", "docs")}\n${tricks}\n` }, "Add a probe workflow", { from: "main" });
  const run = await runWorkflow(world, {
    workflow: "probe.yml",
    ...dispatchEvent(world, "attack/read-secrets", {}, "mallory", ".github/workflows/probe.yml"),
    vars: actionsVariables(world),
    secrets: workflowSecrets(world),
  });
  const result = (id: string) => run.jobs.find((j) => j.jobId === id)?.result;
  expect([result("prod"), result("dev"), result("by-expression"), result("docs"), result("upper-case")]).toEqual(["failure", "failure", "failure", "failure", "failure"]);
  expect([result("no-environment"), result("prod-preview"), result("pick"), result("switch")]).toEqual(["success", "success", "success", "success"]);
  expect(run.log).toContain('Branch "attack/read-secrets" is not allowed to deploy to prod due to environment protection rules.');
  expect(run.log).toContain('Branch "attack/read-secrets" is not allowed to deploy to dev due to environment protection rules.');
  expect(run.log).toContain('Branch "attack/read-secrets" is not allowed to deploy to docs due to environment protection rules.');
  const probed = [...run.log.matchAll(/probe ([\w-]+): admin=(\d+)/g)].map((m) => `${m[1]} admin=${m[2]}`);
  expect(probed.sort()).toEqual(["no-environment admin=0", "prod-preview admin=0", "switch admin=0"]);
  expect(run.code).not.toBe(0);
});
