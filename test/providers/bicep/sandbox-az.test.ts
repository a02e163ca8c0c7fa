/**
 * The Bicep provider against the sandbox's Azure (sandbox/fake-az.ts, run from its sources by
 * test/fakes/az/sandbox-az), with this repository's real templates: what a reviewer reads in
 * `pulumi preview --diff`, before the environment exists and after a parameter change. The real
 * execa runner calls `az` from PATH; only the logger is injected.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { createBicepProvider, type BicepDeploymentOutputs, type BicepDeploymentProps } from "../../../providers/bicep/impl";
import { FAKE_AZ_DIR } from "../../fakes/az/fake-az";
import { bicepProps } from "./fixture";

type Provider = Required<pulumi.dynamic.ResourceProvider<BicepDeploymentProps, BicepDeploymentOutputs>>;

const SUB = "8d2f6a41-93c7-4b0e-a5d8-1e6f2c9b7a30";
const RG = "rg-payments-service-dev";
const REPO = path.resolve(__dirname, "..", "..", "..");

let saved: NodeJS.ProcessEnv;
let root: string;
let sandbox: string;
let logs: string[];

beforeAll(() => {
  saved = { ...process.env };
  root = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-repo-"));
  fs.cpSync(path.join(REPO, "bicep"), path.join(root, "bicep"), { recursive: true });
  sandbox = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-azure-"));
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-bin-"));
  fs.writeFileSync(path.join(bin, "az"), `#!/bin/sh\nexec ${JSON.stringify(path.join(FAKE_AZ_DIR, "sandbox-az"))} "$@"\n`, { mode: 0o755 });
  process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ""}`;
  process.env.DELIVERY_SANDBOX_DIR = sandbox;
});
afterAll(() => {
  process.env = saved;
});
beforeEach(() => {
  logs = [];
});

function provider(): Provider {
  return createBicepProvider({
    log: { info: (m) => void logs.push(`info: ${m}`), warn: (m) => void logs.push(`warning: ${m}`) },
    sleep: async () => undefined,
    env: { DELIVERY_AUDIT_DIR: path.join(sandbox, "audit") },
    httpGet: async () => 200,
  }) as Provider;
}

function props(preview: boolean): BicepDeploymentProps {
  return bicepProps(root, { name: "dev", resourceGroupName: RG, subscriptionId: SUB, stack: "sandbox", retry: { maxAttempts: 1 }, preview });
}

/** The resource group as the azure-native stand-in records it once `pulumi up` created it. */
function createResourceGroup(): void {
  fs.mkdirSync(path.join(sandbox, "cloud"), { recursive: true });
  const id = `/subscriptions/${SUB}/resourceGroups/${RG}`;
  fs.writeFileSync(path.join(sandbox, "cloud", "azure-native.json"), JSON.stringify({ resources: { [id]: { type: "azure-native:resources:ResourceGroup", outputs: { location: "westeurope" } } } }));
}

/** The top-level inputs whose values differ: what `pulumi preview --diff` prints for the deployment. */
function changedInputs(olds: object, news: object): string[] {
  const o = olds as Record<string, unknown>;
  const n = news as Record<string, unknown>;
  return [...new Set([...Object.keys(o), ...Object.keys(n)])].filter((k) => JSON.stringify(o[k]) !== JSON.stringify(n[k])).sort();
}

describe("the sandbox's Azure, through the Bicep provider", () => {
  let stored: BicepDeploymentProps;
  let outs: BicepDeploymentOutputs;

  it("previews a new environment as everything the template will create, before its resource group exists", async () => {
    const { inputs, failures } = await provider().check({}, props(true));
    expect(failures).toBeUndefined();
    const planned = inputs!.plannedWhatIf!;
    expect(planned.summary).toMatch(/^\d+ to create$/);
    expect(planned.changes.length).toBeGreaterThanOrEqual(20);
    expect(planned.changes.every((c) => c.changeType === "Create")).toBe(true);
    // the group is the AzureEnvironment's; the template's resources are all there, with their values
    expect(planned.changes.map((c) => c.resourceId)).not.toContain(`/subscriptions/${SUB}/resourceGroups/${RG}`);
    const blob = planned.changes.find((c) => c.resourceId.endsWith("/blobServices/default"))!;
    expect(blob.after).toMatchObject({ properties: { deleteRetentionPolicy: { days: 7 } } });
    expect(logs).toContain(`info: [bicep dev] resource group ${RG} does not exist yet: what-if at subscription scope of a deployment that creates it and deploys the template`);
    expect(logs.filter((l) => l.startsWith("warning:"))).toEqual([]);
  }, 120_000);

  it("deploys, then previews a parameter change as that property's before and after value, and only that", async () => {
    createResourceGroup();
    const p = provider();
    stored = (await p.check({}, props(false))).inputs!;
    expect(stored.plannedWhatIf).toBeUndefined();
    outs = (await p.create(stored)).outs!;
    expect(fs.readdirSync(path.join(sandbox, "audit"))).toHaveLength(1);

    const file = path.join(root, "bicep", "parameters", "dev.bicepparam");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("param storageSoftDeleteDays = 7", "param storageSoftDeleteDays = 14"));
    logs = [];
    const { inputs } = await provider().check(stored, props(true));
    const planned = inputs!.plannedWhatIf!;
    expect(planned.summary).toMatch(/^1 to modify, \d+ unchanged$/);
    expect(planned.changes).toEqual([
      {
        resourceId: expect.stringMatching(/\/providers\/Microsoft\.Storage\/storageAccounts\/st\w+\/blobServices\/default$/),
        changeType: "Modify",
        delta: expect.arrayContaining([{ path: "properties.deleteRetentionPolicy.days", propertyChangeType: "Modify", before: 7, after: 14 }]),
      },
    ]);
    // The diff Pulumi prints (old checked inputs against new): the hashes, and this what-if as an
    // addition. No previous what-if is removed, and no path of this machine appears.
    expect(changedInputs(stored, inputs!)).toEqual(["contentHash", "files", "plannedWhatIf"]);
    expect(logs).toContainEqual(expect.stringMatching(/properties\.deleteRetentionPolicy\.days: 7 => 14/));
  }, 180_000);
});
