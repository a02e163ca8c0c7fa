/**
 * The sandbox stack through the real Pulumi engine, in order: preview, up, an empty second preview
 * (with no `az` call), a Bicep parameter change that previews as exactly that what-if, destroy.
 * The steps share one workspace and depend on each other.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describeEngine, resourceSummary, Workspace } from "./harness";

jest.setTimeout(300_000);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SUBSCRIPTION = "8d2f6a41-93c7-4b0e-a5d8-1e6f2c9b7a30";

describeEngine("engine: the sandbox stack's lifecycle", () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = Workspace.create("lifecycle");
  });
  afterAll(() => ws?.dispose());

  it("previews the whole platform with the policy pack", async () => {
    const r = await ws.sandbox(["preview"]);
    expect(r.code).toBe(0);
    const summary = resourceSummary(r.output);
    expect(summary.create).toBeGreaterThanOrEqual(29);
    for (const line of [
      "+  azure-native:resources:ResourceGroup dev-rg create",
      "+  azure-native:managedidentity:UserAssignedIdentity dev-deploy-identity create",
      "+  github:index:RepositoryEnvironment dev create",
      "+  github:index:RepositoryRuleset dev-branch create",
      "+  pulumi-nodejs:dynamic/azure:BicepDeployment dev-deployment create",
    ]) {
      expect(r.output).toContain(line);
    }
    expect(r.output).toMatch(/Policies:\n\s+\S+ delivery-platform@v0\.1\.0 \(local: policies\)/);
    // The resource group is created by this same run, so the what-if runs at subscription scope,
    // of a deployment that creates the group: the preview lists everything the template creates.
    expect(r.output).toContain("[bicep dev] resource group rg-payments-service-dev does not exist yet: what-if at subscription scope");
    expect(r.output).toMatch(/\[bicep dev\] what-if Succeeded: \d+ to create, 0 to modify, 0 to delete/);
    expect(r.output).not.toContain("what-if before the first deployment did not run");
  });

  it("up creates it in the stand-in clouds, with the providers' ids", async () => {
    const r = await ws.sandbox(["up"]);
    expect(r.code).toBe(0);
    expect(resourceSummary(r.output).created).toBeGreaterThanOrEqual(29);
    expect(r.output).toMatch(/\[bicep dev\] deploy: deployment delivery-dev-[0-9a-f]{12} succeeded \(\d+ resources\)/);
    const out = await ws.stackOutputs("sandbox");
    expect(out.resourceGroupName).toBe("rg-payments-service-dev");
    expect(out.azureClientId).toMatch(GUID);
    expect(out.azurePreviewClientId).toMatch(GUID);
    expect(out.azureClientId).not.toBe(out.azurePreviewClientId);
    expect(out.bicepDeploymentId).toMatch(new RegExp(`^/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-service-dev/providers/Microsoft\\.Resources/deployments/delivery-dev-[0-9a-f]{12}$`));
    expect(Object.keys(ws.cloud("azure-native"))).toContain(`/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments-service-dev`);
    const ruleset = Object.values(ws.cloud("github")).find((x) => x.type === "github:index/repositoryRuleset:RepositoryRuleset");
    expect(ruleset?.outputs.rulesetId).toEqual(expect.any(Number));
  });

  it("a second preview shows no changes and runs no az at all", async () => {
    ws.resetAzCalls();
    const r = await ws.sandbox(["preview"]);
    expect(r.code).toBe(0);
    const summary = resourceSummary(r.output);
    expect(Object.keys(summary)).toEqual(["unchanged"]);
    expect(ws.azCalls()).toEqual([]);
  });

  it("a Bicep parameter change previews as exactly that what-if", async () => {
    const file = path.join("bicep", "parameters", "dev.bicepparam");
    const before = ws.read(file);
    expect(before).toContain("param storageSoftDeleteDays = 7");
    ws.write(file, before.replace("param storageSoftDeleteDays = 7", "param storageSoftDeleteDays = 14"));
    ws.resetAzCalls();
    const whatIfDir = path.join(ws.dir, ".sandbox", "whatif");
    const r = await ws.sandbox(["preview", "--diff"], { DELIVERY_WHATIF_DIR: whatIfDir });
    expect(r.code).toBe(0);
    // Only the deployment changes; the what-if shows the one resource the parameter reaches.
    expect(resourceSummary(r.output)).toEqual({ update: 1, unchanged: expect.any(Number) });
    expect(r.output).toMatch(/~ pulumi-nodejs:dynamic\/azure:BicepDeployment: \(update\)\n.*\n.*::dev-deployment\]/);
    expect(r.output).toMatch(/\[bicep dev\] what-if Succeeded: 0 to create, 1 to modify, 0 to delete, 0 to deploy, \d+ no change, 0 ignore, 0 unsupported/);
    expect(r.output).toMatch(
      /\[bicep dev\] {3}Modify {6}Microsoft\.Storage\/storageAccounts\/blobServices st\w+\/default \[properties\.containerDeleteRetentionPolicy\.days: 7 => 14, properties\.deleteRetentionPolicy\.days: 7 => 14\]/,
    );
    expect(r.output).not.toContain("DESTRUCTIVE");
    // The diff carries this preview's what-if, with the values, as an added input; no checkout path.
    expect(r.output).toMatch(/\+ plannedWhatIf\s*: \{/);
    expect(r.output).toMatch(/before\s*: 7\n/);
    expect(r.output).toMatch(/after\s*: 14\n/);
    expect(r.output).not.toContain(ws.dir);
    const raw = JSON.parse(fs.readFileSync(path.join(whatIfDir, "dev.json"), "utf8")) as { changes: { changeType: string; delta?: unknown }[] };
    const changed = raw.changes.filter((c) => c.changeType !== "NoChange");
    expect(changed).toHaveLength(1);
    expect(JSON.stringify(changed[0].delta)).toContain('"path":"properties.deleteRetentionPolicy.days","propertyChangeType":"Modify","before":7,"after":14');
    // One what-if, after the login check and the lint.
    expect(ws.azCalls().map((c) => c.command)).toEqual(["account show", "bicep build", "deployment group what-if"]);
    ws.write(file, before);
  });

  it("destroy leaves the state empty", async () => {
    const r = await ws.sandbox(["destroy"]);
    expect(r.code).toBe(0);
    expect(resourceSummary(r.output).deleted).toBeGreaterThanOrEqual(29);
    expect(await ws.stackResources("sandbox")).toEqual([]);
    expect(ws.cloud("github")).toEqual({});
    expect(ws.cloud("azure-native")).toEqual({});
  });
});
