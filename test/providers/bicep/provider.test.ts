/**
 * The Bicep provider driven through its real code paths: real hashing, the real execa runner, and
 * the fake `az` on PATH (test/fakes/az/az) playing each scenario. Only the logger, sleep, random
 * and the clock are injected, so retries cost no time.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { AuditRecord } from "../../../core/audit";
import { createBicepProvider, UNKNOWN, type BicepDeploymentOutputs, type BicepDeploymentProps } from "../../../providers/bicep/impl";
import { installFakeAz, type FakeAz, type FakeAzScenario } from "../../fakes/az/fake-az";
import { bicepProps, makeRepo, SUBSCRIPTION } from "./fixture";

type Provider = Required<pulumi.dynamic.ResourceProvider<BicepDeploymentProps, BicepDeploymentOutputs>>;

let az: FakeAz;
let logs: { level: "info" | "warn"; message: string }[];
let sleeps: number[];
let clock: number;

function provider(extraEnv: Record<string, string> = {}): Provider {
  return createBicepProvider({
    log: { info: (message) => void logs.push({ level: "info", message }), warn: (message) => void logs.push({ level: "warn", message }) },
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    now: () => (clock += 1000),
    env: { GITHUB_SHA: "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a", GITHUB_ACTOR: "octocat", GITHUB_REPOSITORY: "contoso/payments-service", GITHUB_RUN_ID: "42", ...extraEnv },
    httpGet: async () => 200,
  }) as Provider;
}

/** The fixture's props with a what-if that times out after 1 s, so a hanging `az` fails fast. */
function props(root: string, extra: Partial<BicepDeploymentProps> = {}): BicepDeploymentProps {
  return bicepProps(root, { timeouts: { whatIf: 1 }, ...extra });
}

/** Props as the component sends them during `pulumi preview` (pulumi.runtime.isDryRun()). */
function previewProps(root: string, extra: Partial<BicepDeploymentProps> = {}): BicepDeploymentProps {
  return props(root, { preview: true, ...extra });
}

const STORAGE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-dev/providers/Microsoft.Storage/storageAccounts/stdeliverydev01`;
const LEGACY_QUEUE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-dev/providers/Microsoft.ServiceBus/namespaces/sb-delivery-dev/queues/legacy-orders`;

function commands(): string[] {
  return az.calls().map((c) => c.command);
}

function audit(root: string): AuditRecord {
  const dir = path.join(root, "audit");
  const files = fs.readdirSync(dir);
  expect(files).toHaveLength(1);
  return JSON.parse(fs.readFileSync(path.join(dir, files[0]), "utf8")) as AuditRecord;
}

/** Inputs as check returns them (hash added), and the outputs of a first deployment. */
async function deployed(root: string, extra: Partial<BicepDeploymentProps> = {}): Promise<{ inputs: BicepDeploymentProps; outs: BicepDeploymentOutputs }> {
  const p = provider();
  const { inputs } = await p.check({ contentHash: "x" } as BicepDeploymentProps, props(root, extra));
  const { outs } = await p.create(inputs!);
  fs.rmSync(path.join(root, "audit"), { recursive: true, force: true });
  az.reset();
  logs = [];
  return { inputs: inputs!, outs: outs! };
}

beforeEach(() => {
  az = installFakeAz("success", "create-only");
  logs = [];
  sleeps = [];
  clock = Date.UTC(2026, 1, 19, 10, 5, 30);
});
afterEach(() => az.restore());

describe("check", () => {
  it("adds the content hash and file hashes, and runs no az for an unchanged deployment", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    const { inputs, failures } = await provider().check(outs, props(root));
    expect(failures).toBeUndefined();
    expect(inputs!.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(inputs!.plannedWhatIf).toBeUndefined();
    expect(Object.keys(inputs!.files!)).toEqual(["bicep/main.bicep", "bicep/modules/rules.json", "bicep/modules/storage.bicep", "bicep/parameters/dev.bicepparam"]);
    expect(commands()).toEqual([]);
  });

  it("shows the what-if of a first deployment (there is no diff before a create)", async () => {
    const root = makeRepo();
    const { inputs } = await provider().check({}, previewProps(root));
    expect(commands()).toEqual(["account show", "bicep build", "deployment group what-if"]);
    expect(logs).toContainEqual({ level: "info", message: "[bicep app] what-if Succeeded: 2 to create, 0 to modify, 0 to delete, 0 to deploy, 0 no change, 0 ignore, 0 unsupported" });
    expect(inputs!.plannedWhatIf!.changes.map((c) => `${c.changeType} ${c.resourceId}`)).toEqual([
      `Create /subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-dev/providers/Microsoft.KeyVault/vaults/kv-delivery-dev`,
      `Create ${STORAGE}`,
    ]);
    expect(inputs).not.toHaveProperty("preview");
  });

  it("previews a first deployment before its resource group exists: a subscription-scope what-if of a deployment that creates the group", async () => {
    az.use("group-not-found");
    const root = makeRepo();
    const { inputs, failures } = await provider().check({}, previewProps(root));
    expect(failures).toBeUndefined();
    expect(commands()).toEqual(["account show", "bicep build", "deployment group what-if", "bicep build-params", "deployment sub what-if"]);
    const sub = az.calls().at(-1)!;
    expect(sub.args).toEqual(expect.arrayContaining(["--subscription", SUBSCRIPTION, "--location", "westeurope", "--no-pretty-print", "--result-format", "FullResourcePayloads"]));
    // the generated template is removed afterwards
    expect(fs.existsSync(sub.args[sub.args.indexOf("--template-file") + 1])).toBe(false);
    // the group itself is the AzureEnvironment's: only what the template creates is listed
    expect(inputs!.plannedWhatIf).toMatchObject({ status: "Succeeded", summary: "2 to create", destructive: [] });
    expect(inputs!.plannedWhatIf!.changes.map((c) => c.resourceId)).toEqual([STORAGE, `${STORAGE}/blobServices/default`]);
    expect(inputs!.plannedWhatIf!.changes[1].after).toMatchObject({ properties: { deleteRetentionPolicy: { days: 7, enabled: true } } });
    expect(logs.filter((l) => l.level === "warn")).toEqual([]);
    expect(logs[0]).toEqual({ level: "info", message: "[bicep app] resource group rg-payments-dev does not exist yet: what-if at subscription scope of a deployment that creates it and deploys the template" });
  });

  it("does not fail a first preview when the what-if cannot run yet, and warns once per cause however often check is called", async () => {
    az.use("authorization-error");
    const root = makeRepo();
    const p = provider();
    const { failures } = await p.check({}, previewProps(root));
    await p.check({}, previewProps(root));
    await provider().check({}, previewProps(root));
    expect(failures).toBeUndefined();
    expect(logs.filter((l) => l.level === "warn")).toHaveLength(1);
    expect(logs.at(-1)!.message).toMatch(
      /^\[bicep app\] what-if before the first deployment did not run \(authorization-failed\): ERROR: \(AuthorizationFailed\) The client '6f1c2d3e-[^']+' with object id '[^']+' does not have authorization to perform action 'Microsoft\.Resources\/deployments\/whatIf\/action' .* please refresh your credentials\. It runs again during `pulumi up`\.$/,
    );
  });

  it("fails a first preview on a lint error, with file:line and the BCP code", async () => {
    az.use("lint-error");
    const root = makeRepo();
    const { failures } = await provider().check({}, previewProps(root));
    expect(failures).toEqual([
      {
        property: "template",
        reason:
          "Bicep lint found 1 error; nothing was deployed:\n  bicep/main.bicep:12:5 error BCP057: The name \"storageAcount\" does not exist in the current context.\nFix them and run `az bicep build --file <template>` to check before pushing.",
      },
    ]);
  });

  it("names the property and the file when something is wrong", async () => {
    const root = makeRepo({ "bicep/parameters/dev.bicepparam": "using '../other.bicep'\nparam environmentName = 'dev'\n" });
    const { failures } = await provider().check({ contentHash: "x" } as BicepDeploymentProps, props(root, { subscriptionId: "not-a-guid" }));
    expect(failures).toEqual([{ property: "subscriptionId", reason: 'must be a subscription GUID, see `az account show --query id` (received "not-a-guid")' }]);
    const second = await provider().check({ contentHash: "x" } as BicepDeploymentProps, props(root));
    expect(second.failures).toEqual([
      { property: "parameters", reason: "bicep/parameters/dev.bicepparam:1 says `using '../other.bicep'` (bicep/other.bicep), but the template is bicep/main.bicep; point the using at the template or fix the template path" },
    ]);
    const missing = await provider().check({ contentHash: "x" } as BicepDeploymentProps, props(root, { template: "bicep/none.bicep" }));
    expect(missing.failures).toEqual([{ property: "template", reason: `bicep/none.bicep does not exist (looked in ${root})` }]);
    expect(commands()).toEqual([]);
  });

  it("skips what it cannot know during a preview", async () => {
    const root = makeRepo();
    const { inputs, failures } = await provider().check({ contentHash: "x" } as BicepDeploymentProps, props(root, { resourceGroupName: UNKNOWN }));
    expect(failures).toEqual([]);
    expect(inputs!.contentHash).toBe(UNKNOWN);
    expect(commands()).toEqual([]);
  });
});

describe("diff", () => {
  it("reports no change and runs no az at all when nothing the deployment depends on changed", async () => {
    const root = makeRepo();
    const { inputs, outs } = await deployed(root);
    // a fresh check of the same files (as `pulumi preview` does) gives the same hash
    const again = await provider().check(outs, props(root, { retry: { maxAttempts: 5 } }));
    expect(await provider().diff("id", outs, again.inputs!)).toEqual({ changes: false });
    expect(again.inputs!.contentHash).toBe(inputs.contentHash);
    expect(commands()).toEqual([]);
  });

  it("runs lint and what-if in a preview's check and carries the what-if, each property's before and after value, destructive first", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    fs.appendFileSync(path.join(root, "bicep/modules/storage.bicep"), "// tweak\n");
    az.use("success", "mixed");
    const { inputs } = await provider().check(outs, previewProps(root));
    expect(commands()).toEqual(["account show", "bicep build", "deployment group what-if"]);
    expect(inputs!.plannedWhatIf).toEqual({
      status: "Succeeded",
      summary: "1 to delete, 1 to create, 1 to modify, 1 unsupported, 3 unchanged",
      destructive: [LEGACY_QUEUE],
      changes: [
        { resourceId: LEGACY_QUEUE, changeType: "Delete", destructive: true, before: expect.objectContaining({ name: "legacy-orders", properties: { maxDeliveryCount: 10 } }) },
        { resourceId: expect.stringContaining("Microsoft.Insights/components/appi-delivery-dev"), changeType: "Create", after: expect.objectContaining({ properties: { Application_Type: "web", DisableLocalAuth: true } }) },
        {
          resourceId: STORAGE,
          changeType: "Modify",
          delta: [
            { path: "properties.allowBlobPublicAccess", propertyChangeType: "Modify", before: true, after: false },
            { path: "properties.minimumTlsVersion", propertyChangeType: "Modify", before: "TLS1_0", after: "TLS1_2" },
          ],
        },
        { resourceId: expect.stringContaining("Microsoft.Authorization/roleAssignments/"), changeType: "Unsupported", unsupportedReason: expect.any(String) },
      ],
    });
    // nothing machine-specific or per-run: the same preview on another machine gives the same inputs
    expect(inputs).not.toHaveProperty("preview");
    expect(await provider().diff("id", outs, inputs!)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(commands()).toHaveLength(3);
    expect(logs).toEqual([
      { level: "info", message: "[bicep app] what-if Succeeded: 1 to create, 1 to modify, 1 to delete, 0 to deploy, 2 no change, 1 ignore, 1 unsupported" },
      { level: "info", message: "[bicep app]   Create      Microsoft.Insights/components appi-delivery-dev" },
      {
        level: "info",
        message: '[bicep app]   Modify      Microsoft.Storage/storageAccounts stdeliverydev01 [properties.allowBlobPublicAccess: true => false, properties.minimumTlsVersion: "TLS1_0" => "TLS1_2"]',
      },
      { level: "info", message: "[bicep app]   Unsupported Microsoft.Authorization/roleAssignments 3f8a7c2e-1d4b-5e6f-8a9b-0c1d2e3f4a5b" },
      { level: "warn", message: `[bicep app] DESTRUCTIVE Delete: ${LEGACY_QUEUE}` },
      { level: "warn", message: "[bicep app] 1 destructive change(s): `pulumi up` will refuse to deploy unless bicep.allowDestructiveChanges.reason is set for this environment" },
    ]);
    const whatIf = az.calls().find((c) => c.command === "deployment group what-if")!;
    expect(whatIf.args).toEqual(expect.arrayContaining(["--no-pretty-print", "--subscription", SUBSCRIPTION, "--resource-group", "rg-payments-dev", "--template-file", "bicep/main.bicep"]));
    expect(whatIf.cwd).toBe(fs.realpathSync(root));
  });

  it("reads a what-if in the ARM REST shape (properties.changes) the same way", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    fs.appendFileSync(path.join(root, "bicep/modules/storage.bicep"), "// tweak\n");
    az.use("success", "mixed");
    const flat = (await provider().check(outs, previewProps(root))).inputs!.plannedWhatIf;
    az.use("success", "mixed-rest");
    const rest = (await provider().check(outs, previewProps(root))).inputs!.plannedWhatIf;
    expect(rest).toEqual(flat);
    expect(rest!.destructive).toEqual([LEGACY_QUEUE]);
  });

  it("runs no what-if in the check of `pulumi up` (the deployment runs its own), so the stored inputs never hold one", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    fs.appendFileSync(path.join(root, "bicep/modules/storage.bicep"), "// tweak\n");
    const { inputs } = await provider().check(outs, props(root, { preview: false }));
    expect(inputs!.plannedWhatIf).toBeUndefined();
    expect(inputs).not.toHaveProperty("preview");
    expect(await provider().diff("id", outs, inputs!)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(commands()).toEqual([]);
  });

  it("gives each changed deployment its own what-if", async () => {
    const roots = [makeRepo(), makeRepo(), makeRepo()];
    const deployments: { root: string; outs: BicepDeploymentOutputs }[] = [];
    for (const [i, root] of roots.entries()) deployments.push({ root, outs: (await deployed(root, { name: `app${i}` })).outs });
    for (const d of deployments) fs.appendFileSync(path.join(d.root, "bicep/main.bicep"), "// tweak\n");
    az.use("success", "mixed");
    for (const [i, d] of deployments.entries()) expect((await provider().check(d.outs, previewProps(d.root, { name: `app${i}` }))).inputs!.plannedWhatIf!.destructive).toEqual([LEGACY_QUEUE]);
    expect(commands().filter((c) => c === "deployment group what-if")).toHaveLength(3);
  }, 20_000);


  it("looks the account up once per run and builds each template once, whatever the number of deployments", async () => {
    const root = makeRepo();
    const p = provider();
    const groups = ["rg-payments-dev", "rg-payments-dev2", "rg-payments-dev3"];
    for (const [i, group] of groups.entries()) {
      const { inputs } = await p.check({}, previewProps(root, { name: `app${i}`, resourceGroupName: group }));
      expect(inputs!.plannedWhatIf).toBeDefined();
    }
    expect(commands()).toEqual(["account show", "bicep build", "deployment group what-if", "deployment group what-if", "deployment group what-if"]);
    // A changed template is another build; the account answer still holds.
    fs.appendFileSync(path.join(root, "bicep/modules/storage.bicep"), "// tweak\n");
    az.reset();
    await p.check({}, previewProps(root, { name: "app3", resourceGroupName: "rg-payments-dev4" }));
    expect(commands()).toEqual(["bicep build", "deployment group what-if"]);
    // Another provider built with its own dependencies asks again.
    az.reset();
    await provider().check({}, previewProps(root, { name: "app4", resourceGroupName: "rg-payments-dev5" }));
    expect(commands()).toEqual(["account show", "bicep build", "deployment group what-if"]);
  }, 20_000);

  it("does not keep a failed account lookup: the next deployment asks again", async () => {
    az.use("not-logged-in");
    const root = makeRepo();
    const p = provider();
    expect((await p.check({}, previewProps(root))).inputs!.plannedWhatIf).toBeUndefined();
    az.use("success", "create-only");
    az.reset();
    const { inputs } = await p.check({}, previewProps(root, { name: "app2" }));
    expect(inputs!.plannedWhatIf).toBeDefined();
    expect(commands()).toEqual(["account show", "bicep build", "deployment group what-if"]);
  }, 20_000);
  it("keeps the raw what-if in DELIVERY_WHATIF_DIR for the PR comment", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    fs.appendFileSync(path.join(root, "bicep/modules/storage.bicep"), "// tweak\n");
    const whatIfDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "whatif-")), "nested");
    az.use("success", "mixed");
    const p = provider({ DELIVERY_WHATIF_DIR: whatIfDir });
    await p.check(outs, previewProps(root));
    expect(fs.readdirSync(whatIfDir)).toEqual(["app.json"]);
    const saved = JSON.parse(fs.readFileSync(path.join(whatIfDir, "app.json"), "utf8"));
    expect(saved.status).toBe("Succeeded");
    expect(saved.changes.map((c: { changeType: string }) => c.changeType)).toContain("Delete");
  });

  it("fails the preview on a lint error with file:line and the BCP code", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    fs.appendFileSync(path.join(root, "bicep/main.bicep"), "// tweak\n");
    az.use("lint-error");
    const { failures } = await provider().check(outs, previewProps(root));
    expect(failures).toEqual([
      expect.objectContaining({
        property: "template",
        reason: expect.stringContaining('Bicep lint found 1 error; nothing was deployed:\n  bicep/main.bicep:12:5 error BCP057: The name "storageAcount" does not exist in the current context.'),
      }),
    ]);
    expect(commands()).toEqual(["account show", "bicep build"]);
  });

  it("shows lint warnings without failing", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    fs.appendFileSync(path.join(root, "bicep/main.bicep"), "// tweak\n");
    az.use("lint-warning");
    await provider().check(outs, previewProps(root));
    expect(logs[0]).toEqual({ level: "warn", message: '[bicep app] bicep/main.bicep:3:7 warning no-unused-params: Parameter "unused" is declared but never used.' });
  });

  it("replaces the deployment when the resource group changes", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    az.use("success", "create-only");
    const { inputs } = await provider().check(outs, props(root, { resourceGroupName: "rg-payments-dev2" }));
    const result = await provider().diff("id", outs, inputs!);
    expect(result).toEqual({ changes: true, replaces: ["resourceGroupName"], deleteBeforeReplace: false });
  });

  it("defers to the deployment when inputs are unknown", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    const result = await provider().diff("id", outs, { ...outs, resourceGroupName: UNKNOWN, contentHash: UNKNOWN });
    expect(result).toEqual({ changes: true, replaces: ["resourceGroupName"], deleteBeforeReplace: false });
    expect(commands()).toEqual([]);
  });

  it("explains an authorization failure and does not retry it", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    fs.appendFileSync(path.join(root, "bicep/main.bicep"), "// tweak\n");
    az.use("authorization-error");
    const err = provider().check(outs, previewProps(root));
    await expect(err).rejects.toThrow(/^what-if failed: az deployment group what-if failed \(exit code 1\):\nERROR: \(AuthorizationFailed\) The client '6f1c2d3e-/);
    await expect(err).rejects.toThrow(/\[not retried: environmental\/authorization-failed\] The deploy identity lacks a role for this action\./);
    expect(commands().filter((c) => c === "deployment group what-if")).toHaveLength(1);
  });
});

describe("create and update", () => {
  it("deploys with a deterministic name, verifies health and returns the outputs", async () => {
    const root = makeRepo();
    const p = provider();
    const { inputs } = await p.check({ contentHash: "x" } as BicepDeploymentProps, props(root));
    await p.diff("id", { contentHash: "x" } as BicepDeploymentOutputs, inputs!);
    az.reset(); // the preview ran lint and what-if; count the deployment's own commands
    const { id, outs } = await p.create(inputs!);
    const name = `delivery-app-${inputs!.contentHash!.slice(0, 12)}`;
    expect(id).toBe(`/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-dev/bicepDeployments/app`);
    expect(outs).toMatchObject({
      deploymentName: name,
      deploymentId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-dev/providers/Microsoft.Resources/deployments/${name}`,
      resourceIds: [
        `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-dev/providers/Microsoft.Storage/storageAccounts/stdeliverydev01`,
        `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-dev/providers/Microsoft.KeyVault/vaults/kv-delivery-dev`,
      ],
      templateOutputs: { storageAccountName: "stdeliverydev01", keyVaultUri: "https://kv-delivery-dev.vault.azure.net/" },
      whatIf: { status: "Succeeded", counts: { Create: 2, Modify: 0, Delete: 0, Deploy: 0, NoChange: 0, Ignore: 0, Unsupported: 0 }, destructive: [] },
      attempts: 1,
      healthy: true,
      contentHash: inputs!.contentHash,
    });
    expect(outs!.durationMs).toBeGreaterThan(0);
    expect(commands()).toEqual(["account show", "bicep build", "deployment group what-if", "deployment group create", "resource show"]);
    expect(az.calls().find((c) => c.command === "deployment group create")!.args).toEqual(expect.arrayContaining(["--name", name, "--mode", "Incremental"]));
  });

  it("writes a complete audit record, with nothing secret in it", async () => {
    const root = makeRepo();
    const p = provider();
    const { inputs } = await p.check({ contentHash: "x" } as BicepDeploymentProps, props(root, { overrides: { adminPassword: "S3cret!value", sku: "Standard" } }));
    const { outs } = await p.create(inputs!);
    const record = audit(root);
    expect(outs!.auditFile).toBe(path.join(root, "audit", fs.readdirSync(path.join(root, "audit"))[0]));
    expect(record).toMatchObject({
      schemaVersion: 1,
      kind: "bicep-deployment",
      deploymentName: outs!.deploymentName,
      stack: "dev",
      resourceGroup: "rg-payments-dev",
      subscriptionId: SUBSCRIPTION,
      mode: "Incremental",
      gitSha: "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a",
      actor: "octocat",
      runUrl: "https://github.com/contoso/payments-service/actions/runs/42",
      template: { path: "bicep/main.bicep", hash: inputs!.files!["bicep/main.bicep"] },
      parameters: { path: "bicep/parameters/dev.bicepparam", hash: inputs!.files!["bicep/parameters/dev.bicepparam"], overrideNames: ["adminPassword", "sku"] },
      contentHash: inputs!.contentHash,
      whatIf: { status: "Succeeded", counts: { Create: 2 } },
      result: "succeeded",
      resourceIds: outs!.resourceIds,
      deploymentId: outs!.deploymentId,
      health: { healthy: true },
    });
    expect(record.events.map((e) => e.phase)).toEqual(["validate", "preflight", "lint", "what-if", "deploy", "deploy", "health", "audit"]);
    expect(record.events.every((e) => /^\d{4}-\d\d-\d\dT/.test(e.at))).toBe(true);
    expect(record.durationMs).toBeGreaterThan(0);
    expect(record.attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: "succeeded", phase: "what-if" }), expect.objectContaining({ attempt: 1, outcome: "succeeded", phase: "deploy" })]);
    expect(JSON.stringify(record)).not.toContain("S3cret");
  });

  it("retries a throttled deployment and records each attempt", async () => {
    az.use("throttled-twice");
    const root = makeRepo();
    const p = provider();
    const { inputs } = await p.check({ contentHash: "x" } as BicepDeploymentProps, props(root));
    const { outs } = await p.create(inputs!);
    expect(outs!.attempts).toBe(3);
    expect(commands().filter((c) => c === "deployment group create")).toHaveLength(3);
    expect(sleeps).toEqual([10, 20]);
    const record = audit(root);
    expect(record.result).toBe("succeeded");
    expect(record.attempts.map((a) => [a.phase, a.attempt, a.outcome, a.classification?.kind, a.delayMs])).toEqual([
      ["what-if", 1, "succeeded", undefined, undefined],
      ["deploy", 1, "failed", "throttled", 10],
      ["deploy", 2, "failed", "throttled", 20],
      ["deploy", 3, "succeeded", undefined, undefined],
    ]);
    expect(record.events.filter((e) => e.level === "warning").map((e) => e.message)).toEqual([
      'attempt 1 failed (environmental/throttled, retrying in 10 ms): az deployment group create failed (exit code 1):',
      'attempt 2 failed (environmental/throttled, retrying in 20 ms): az deployment group create failed (exit code 1):',
    ]);
  });

  it("does not retry a template error, and records why", async () => {
    az.use("template-error");
    const root = makeRepo();
    const p = provider();
    const { inputs } = await p.check({ contentHash: "x" } as BicepDeploymentProps, props(root));
    const err = p.create(inputs!);
    await expect(err).rejects.toThrow(/^deploy failed: az deployment group create failed \(exit code 1\):\nERROR: \(InvalidTemplate\) Deployment template validation failed:/);
    await expect(err).rejects.toThrow(/\[not retried: logic\/invalid-template\] Azure rejected the template as invalid\./);
    await expect(err).rejects.toThrow(/\nAudit record: .*\.json$/);
    expect(commands().filter((c) => c === "deployment group create")).toHaveLength(1);
    expect(sleeps).toEqual([]);
    const record = audit(root);
    expect(record).toMatchObject({ result: "failed", failedPhase: "deploy", failure: { classification: { category: "logic", retryable: false, kind: "invalid-template" } } });
    expect(record.attempts.map((a) => `${a.phase} ${a.outcome}`)).toEqual(["what-if succeeded", "deploy failed"]);
  });

  it("refuses destructive changes unless allowed, and records the reason when allowed", async () => {
    az.use("success", "mixed");
    const root = makeRepo();
    const p = provider();
    const { inputs } = await p.check({ contentHash: "x" } as BicepDeploymentProps, props(root));
    await expect(p.create(inputs!)).rejects.toThrow(
      `The what-if deletes 1 resource(s) and destructive changes are not allowed for this deployment:\n  Delete /subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-dev/providers/Microsoft.ServiceBus/namespaces/sb-delivery-dev/queues/legacy-orders\nIf that is intended, set bicep.allowDestructiveChanges.reason for this environment`,
    );
    expect(commands()).not.toContain("deployment group create");
    fs.rmSync(path.join(root, "audit"), { recursive: true });
    const allowed = await p.check({ contentHash: "x" } as BicepDeploymentProps, props(root, { allowDestructiveChanges: { reason: "legacy-orders queue retired in ADR-17" } }));
    await p.create(allowed.inputs!);
    expect(audit(root).destructiveChangesAllowedBecause).toBe("legacy-orders queue retired in ADR-17");
  });

  it("reports failed health checks as a resource that exists but failed to initialise", async () => {
    az.use("unhealthy");
    const root = makeRepo();
    const p = provider();
    const { inputs } = await p.check({ contentHash: "x" } as BicepDeploymentProps, props(root));
    const err = (await p.create(inputs!).then(
      () => new Error("expected a failure"),
      (e: unknown) => e,
    )) as Error & { id?: string; reasons?: string[] };
    expect(err.message).toMatch(/^The deployment succeeded but 1 health check\(s\) failed:\n {2}\/subscriptions\/.*\/vaults\/kv-delivery-dev: Failed\n/);
    expect(err.id).toBe(`/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-dev/bicepDeployments/app`);
    expect(err.reasons).toEqual(["The deployment succeeded but 1 health check(s) failed:"]);
  });

  it("updates through the same phases", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    fs.appendFileSync(path.join(root, "bicep/parameters/dev.bicepparam"), "// tweak\n");
    const p = provider();
    const { inputs } = await p.check(outs, props(root));
    await p.diff("id", outs, inputs!);
    az.reset(); // the preview ran lint and what-if; count the update's own commands
    const result = await p.update("id", outs, inputs!);
    expect(result.outs!.contentHash).toBe(inputs!.contentHash);
    expect(result.outs!.deploymentName).not.toBe(outs.deploymentName);
    expect(commands()).toEqual(["account show", "bicep build", "deployment group what-if", "deployment group create", "resource show"]);
  });
});

describe("failures of az itself", () => {
  async function failingDiff(scenario: FakeAzScenario, extra: Partial<BicepDeploymentProps> = {}): Promise<Error> {
    const root = makeRepo();
    const { outs } = await deployed(root);
    fs.appendFileSync(path.join(root, "bicep/main.bicep"), "// tweak\n");
    az.use(scenario);
    return provider()
      .check(outs, previewProps(root, extra))
      .then(() => new Error("expected a failure"))
      .catch((e: Error) => e);
  }

  it("says to run az login when not logged in", async () => {
    expect((await failingDiff("not-logged-in")).message).toBe(
      `The Azure CLI is not logged in (or its login expired). Run \`az login\` and \`az account set --subscription ${SUBSCRIPTION}\`; in a workflow, run the azure/login step (OIDC) before this one.`,
    );
  });

  it("says which subscription is wrong", async () => {
    expect((await failingDiff("wrong-subscription")).message).toBe(
      `The Azure CLI answered for subscription 99999999-9999-9999-9999-999999999999, but this deployment targets ${SUBSCRIPTION}. Run \`az account set --subscription ${SUBSCRIPTION}\` (and check the stack's azure.subscriptionId).`,
    );
  });

  it("says how to install az when it is missing", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    fs.appendFileSync(path.join(root, "bicep/main.bicep"), "// tweak\n");
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-az-"));
    const saved = process.env.PATH;
    process.env.PATH = empty;
    try {
      await expect(provider().check(outs, previewProps(root))).rejects.toThrow(
        "Azure CLI (az) was not found on PATH. Install it (https://aka.ms/azure-cli; in a workflow the ubuntu runners have it) and make sure `az version` works, then run again.",
      );
    } finally {
      process.env.PATH = saved;
    }
  });

  it("treats malformed what-if JSON as unknown and does not retry it", async () => {
    const err = await failingDiff("malformed-json");
    expect(err.message).toMatch(/^what-if failed: what-if output is not JSON \(.*\); it starts with "\{\\"status\\": \\"Succeeded\\", \\"changes\\": \[\{\\"resourceId\\": \\"\/subscriptions\/"/);
    expect(err.message).toContain("[not retried: unknown/malformed-output]");
    expect(commands().filter((c) => c === "deployment group what-if")).toHaveLength(1);
  });

  it("stops a hanging what-if at its timeout and classifies it as a timeout", async () => {
    const err = await failingDiff("hang", { retry: { maxAttempts: 1 }, timeouts: { whatIf: 1 } });
    expect(err.message).toBe(
      "what-if failed: az deployment group what-if timed out after 1s and was stopped (raise timeouts in the deployment's arguments if it needs longer)\n[retries exhausted after 1 attempt; last failure environmental/timeout] Retries exhausted: every attempt the retry policy allows (bicep.retry for this environment) failed with a transient fault, so the run stops here and is not retried again; running it again at once would repeat them. Read the last failure above, re-run the deployment once its cause has cleared (https://status.azure.com), and raise bicep.retry if such faults regularly outlast the policy.",
    );
  }, 15_000);
});

describe("read (refresh) detects drift", () => {
  it("records drift and changes the hash, in the outputs and the inputs, so `preview --refresh` shows the drift's what-if as an update", async () => {
    const root = makeRepo();
    const { inputs: stored, outs } = await deployed(root);
    az.use("success", "mixed");
    const { props: refreshed, inputs: refreshedInputs } = await provider().read("id", outs);
    expect(refreshed!.drift).toMatchObject({ drifted: true, whatIf: { counts: { Create: 1, Modify: 1, Delete: 1 } } });
    expect(refreshed!.contentHash).toMatch(/^drifted:/);
    expect(logs[0].message).toBe("[bicep app] drift: the resource group differs from the template (1 missing, 1 modified, 1 extra); the next `pulumi up` re-applies it");
    // the inputs the next check compares with are the stored ones, but for the hash
    expect(refreshedInputs).toEqual({ ...stored, contentHash: refreshed!.contentHash });
    // the next preview sees a change and carries the drift's what-if
    const { inputs } = await provider().check(refreshedInputs!, previewProps(root));
    expect(inputs!.plannedWhatIf!.destructive).toEqual([LEGACY_QUEUE]);
    expect((await provider().diff("id", refreshed!, inputs!)).changes).toBe(true);
  });

  it("asks Azure once for `preview --refresh` in one process: the drift check's what-if is the preview's", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    az.use("success", "mixed");
    const p = provider();
    const { props: refreshed, inputs: refreshedInputs } = await p.read("id", outs);
    const { inputs } = await p.check(refreshedInputs!, previewProps(root));
    expect(inputs!.plannedWhatIf!.destructive).toEqual([LEGACY_QUEUE]);
    expect(refreshed!.drift).toMatchObject({ drifted: true });
    expect(commands()).toEqual(["account show", "deployment group what-if", "bicep build"]);
    // The deployment's own what-if, its guard before deploying, is asked afresh (and refuses the deletion).
    az.reset();
    await expect(p.update("id", refreshed!, inputs!)).rejects.toThrow(/destructive changes are not allowed/);
    expect(commands().filter((c) => c === "deployment group what-if")).toHaveLength(1);
  });

  it("reports no drift when the what-if shows no changes", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    az.use("success", "no-change");
    const { props: refreshed, inputs } = await provider().read("id", outs);
    expect(refreshed!.drift).toMatchObject({ drifted: false });
    expect(refreshed!.contentHash).toBe(outs.contentHash);
    expect(inputs).toBeUndefined();
  });
});

describe("delete", () => {
  it("keeps the resources by default and says so", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root);
    await provider().delete("id", outs);
    expect(commands()).toEqual([]);
    expect(logs).toEqual([
      {
        level: "warn",
        message:
          '[bicep app] removed from the stack; its 2 resource(s) in rg-payments-dev were kept (deletePolicy "keep"). An ARM deployment is a record, not its resources: delete the resource group, or set deletePolicy "deleteResources" and run `pulumi up` before removing it.',
      },
    ]);
  });

  it("deletes the deployed resources only when asked to", async () => {
    const root = makeRepo();
    const { outs } = await deployed(root, { deletePolicy: "deleteResources" });
    await provider().delete("id", outs);
    expect(commands()).toEqual(["account show", "resource delete", "resource delete"]);
  });
});
