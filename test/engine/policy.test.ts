/**
 * The policy pack through the real engine on a prod-configured sandbox stack with prod's policy
 * config (every policy mandatory): the stack as configured passes, and a violation blocks the
 * preview with the policy's own message.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureStack } from "../../scripts/sandbox";
import { describeEngine, Workspace } from "./harness";

jest.setTimeout(300_000);

const STACK = "sandbox-prod";
const PROD_POLICIES = ["--stack", STACK, "--policy-pack-config", path.join("policies", "config", "prod.json")];

describeEngine("engine: policies on a prod-configured sandbox stack", () => {
  let ws: Workspace;
  const config = async (...args: string[]) => {
    const r = await ws.pulumi(["config", "set", "--stack", STACK, ...args]);
    if (r.code !== 0) throw new Error(`pulumi config set ${args.join(" ")} failed:\n${r.output}`);
  };

  beforeAll(async () => {
    ws = Workspace.create("policy");
    // The sandbox stack file, switched to the production environment (which also owns the repository-wide resources).
    fs.copyFileSync(path.join(ws.dir, "Pulumi.sandbox.yaml"), path.join(ws.dir, `Pulumi.${STACK}.yaml`));
    ensureStack(ws.paths, STACK, ws.env, ws.dir);
    await config("delivery-platform:environment", "prod");
    await config("delivery-platform:manageRepository", "true");
  });
  afterAll(() => ws?.dispose());

  it("passes every mandatory policy as configured, each of them run on this first preview (nothing exists yet)", async () => {
    const r = await ws.sandbox(["preview", ...PROD_POLICIES]);
    expect(r.output).not.toMatch(/\[mandatory\]/);
    // The SDK's skip for a policy that read an unknown value, and the pack's fail-closed report of one.
    expect(r.output).not.toMatch(/can't run policy|Cannot check this during preview/);
    expect(r.code).toBe(0);
    // The production-only resources are there: the lock, the docs role, the workflows pull request.
    expect(r.output).toContain("azure-native:authorization:ManagementLockAtResourceGroupLevel prod-no-delete create");
    expect(r.output).toContain("aws:iam:Role docs-role create");
    expect(r.output).toContain("github:index:RepositoryPullRequest workflows-pull-request create");
  });

  it("blocks a violation with the policy's message", async () => {
    // The program allows eastus (its own allowedLocations), the policy config for prod does not.
    await config("--path", "delivery-platform:azure.allowedLocations[2]", "eastus");
    await config("--path", "delivery-platform:azure.location", "eastus");
    const r = await ws.sandbox(["preview", ...PROD_POLICIES]);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("[mandatory]  azure-allowed-locations");
    expect(r.output).toContain('"prod-rg" must be in one of the allowed locations (westeurope, northeurope); found "eastus". Change delivery-platform:azure.location.');
  });
});
