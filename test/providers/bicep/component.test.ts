/** The BicepDeployment component under Pulumi mocks: validation before any resource, and what it registers. */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { BicepConfig } from "../../../core/config";
import { setRecordingMocks, type Registered } from "../../harness/mocks";
import { makeRepo, SUBSCRIPTION } from "./fixture";

const registered: Registered[] = [];

beforeAll(() => setRecordingMocks(pulumi, (r) => registered.push(r), { state: (inputs) => ({ ...inputs, deploymentId: "/subscriptions/x/deployments/d", healthy: true }) }));

// Imported after the mocks, as the program would be.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BicepDeployment, validateBicepDeploymentArgs } = require("../../../components/azure/bicep-deployment") as typeof import("../../../components/azure/bicep-deployment");

const bicep: BicepConfig = { template: "bicep/main.bicep", parameters: "bicep/parameters/dev.bicepparam", mode: "Incremental", verifyHealth: true, healthEndpoints: [] };
const noopProvider: pulumi.dynamic.ResourceProvider = { create: async () => ({ id: "x" }) };

function unwrap<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

describe("BicepDeployment", () => {
  it("registers one dynamic resource parented to the component, with the deployment's inputs", async () => {
    const root = makeRepo();
    const d = new BicepDeployment("app", { resourceGroupName: "rg-payments-dev", subscriptionId: SUBSCRIPTION, location: "westeurope", bicep: { ...bicep, retry: { maxAttempts: 5 } }, root, provider: noopProvider });
    expect(await unwrap(d.healthy)).toBe(true);
    const types = registered.map((r) => r.type);
    expect(types).toEqual(expect.arrayContaining(["delivery:azure:BicepDeployment", "pulumi-nodejs:dynamic/azure:BicepDeployment"]));
    const child = registered.find((r) => r.type === "pulumi-nodejs:dynamic/azure:BicepDeployment")!;
    expect(child.name).toBe("app-deployment");
    expect(child.inputs).toMatchObject({
      name: "app",
      // relative to the project directory: two checkouts of the same commit give the same inputs
      root: path.relative(process.cwd(), root),
      location: "westeurope",
      template: "bicep/main.bicep",
      parameters: "bicep/parameters/dev.bicepparam",
      resourceGroupName: "rg-payments-dev",
      subscriptionId: SUBSCRIPTION,
      mode: "Incremental",
      auditDir: "audit",
      deletePolicy: "keep",
      stack: "dev",
      retry: { maxAttempts: 5 },
      // not a preview under these mocks: the provider runs no what-if in check
      preview: false,
    });
    expect(Object.values(child.inputs).filter((v) => typeof v === "string" && path.isAbsolute(v))).toEqual([]);
  });

  it("refuses a machine-specific audit directory and a malformed location", () => {
    const root = makeRepo();
    expect(validateBicepDeploymentArgs("app", { resourceGroupName: "rg", subscriptionId: SUBSCRIPTION, location: "West Europe", bicep, auditDir: "/home/runner/work/_temp/audit" }, root)).toEqual([
      '[auditDir] must be a directory inside the repository, relative to root (received "/home/runner/work/_temp/audit"); to write records elsewhere, set DELIVERY_AUDIT_DIR in the environment of `pulumi up` instead',
      '[location] must be an Azure region name such as westeurope (received "West Europe")',
    ]);
  });

  it("validates before creating anything, naming each argument", () => {
    const root = makeRepo();
    expect(validateBicepDeploymentArgs("app", { resourceGroupName: pulumi.output("rg"), subscriptionId: "nope", bicep: { ...bicep, template: "bicep/missing.bicep", retry: { jitter: 3 } } }, root)).toEqual([
      '[subscriptionId] must be a subscription GUID, see `az account show --query id` (received "nope")',
      "[retry.jitter] must be between 0 and 1 (received 3)",
      `[bicep.template] bicep/missing.bicep does not exist (looked in ${root})`,
    ]);
    const before = registered.length;
    expect(() => new BicepDeployment("bad", { resourceGroupName: "rg", subscriptionId: SUBSCRIPTION, bicep: { ...bicep, parameters: "p.json" }, root, provider: noopProvider })).toThrow(
      'BicepDeployment "bad" has 1 problem:\n  [parameters] must be a .bicepparam file whose `using` names the template (received "p.json")',
    );
    expect(registered.slice(before).some((r) => r.type === "pulumi-nodejs:dynamic/azure:BicepDeployment")).toBe(false);
  });

  it("accepts a parameter set by an override instead of the parameters file", () => {
    const root = makeRepo({ "bicep/parameters/dev.bicepparam": "using '../main.bicep'\n" });
    expect(validateBicepDeploymentArgs("app", { resourceGroupName: "rg", subscriptionId: SUBSCRIPTION, bicep, parameterOverrides: { environmentName: "dev" } }, root)).toEqual([]);
  });
});
