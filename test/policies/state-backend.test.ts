/**
 * The team state backend, made by the program (`azure.stateStorage`): each stack's identities
 * reach their own state container only (deploy: write, preview: read), its GitHub environments
 * name that container, and the policy pack refuses any other grant on state.
 */
import type { PolicyResource } from "@pulumi/policy";
import { ConfigError, parseStackConfig } from "../../core/config";
import { BUILT_IN_ROLES } from "../../core/azure-roles";
import { readStackFile } from "../../core/stack-file";
import { stateContainerScope } from "../../core/state-backend";
import { azureIdentityRolesOwnGroup } from "../../policies/azure";
import { allPolicies } from "../../policies/policies";
import { evaluateStack, REPO_ROOT } from "../harness/program";
import { policyResource, readPolicyConfig, resourcesOf, violationsOf } from "./helpers";

const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
const STORAGE = { resourceGroup: "rg-delivery-state", account: "contosostate" };
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const ENV_VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable";

function azureWithState(stack: string, stateStorage: Record<string, string>): Record<string, unknown> {
  const azure = JSON.parse(readStackFile(REPO_ROOT, stack).config["delivery-platform:azure"]);
  return { ...azure, stateStorage };
}

let prod: PolicyResource[];
beforeAll(async () => {
  prod = resourcesOf(await evaluateStack("prod", { config: { "delivery-platform:azure": azureWithState("prod", STORAGE) } }));
}, 60_000);

const assignment = (name: string) => prod.find((r) => r.type === ROLE_ASSIGNMENT && r.name === name)!;

describe("azure.stateStorage", () => {
  it("gives the deploy identity write and the preview identity read on its own stack's container, and nothing else of the account", () => {
    const scope = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-delivery-state/providers/Microsoft.Storage/storageAccounts/contosostate/blobServices/default/containers/pulumi-state-prod`;
    expect(stateContainerScope(SUBSCRIPTION, STORAGE, "prod")).toBe(scope);
    expect(assignment("prod-deploy-state").props).toMatchObject({ scope, roleDefinitionId: expect.stringMatching(new RegExp(`/${BUILT_IN_ROLES.storageBlobDataContributor.id}$`)) });
    expect(assignment("prod-preview-state").props).toMatchObject({ scope, roleDefinitionId: expect.stringMatching(new RegExp(`/${BUILT_IN_ROLES.storageBlobDataReader.id}$`)) });
    const onState = prod.filter((r) => r.type === ROLE_ASSIGNMENT && String(r.props.scope).includes("Microsoft.Storage"));
    expect(onState.map((r) => r.name).sort()).toEqual(["prod-deploy-state", "prod-preview-state"]);
  });

  it("names the stack's container in both of its GitHub environments, so a preview reads the same state it may not write", () => {
    const vars = prod.filter((r) => r.type === ENV_VARIABLE && ["PULUMI_BACKEND_URL", "AZURE_STORAGE_ACCOUNT"].includes(r.props.variableName));
    expect(vars.map((v) => `${v.props.environment} ${v.props.variableName}=${v.props.value}`).sort()).toEqual([
      "prod AZURE_STORAGE_ACCOUNT=contosostate",
      "prod PULUMI_BACKEND_URL=azblob://pulumi-state-prod",
      "prod-preview AZURE_STORAGE_ACCOUNT=contosostate",
      "prod-preview PULUMI_BACKEND_URL=azblob://pulumi-state-prod",
    ]);
  });

  it("passes every policy of the pack as configured for prod", async () => {
    const found: string[] = [];
    for (const policy of allPolicies()) for (const v of await violationsOf(policy, prod, readPolicyConfig("prod"))) found.push(`${policy.name}: ${v}`);
    expect(found).toEqual([]);
  });

  it("without it, grants nothing on state and sets no backend variables (the administrator does)", async () => {
    const plain = resourcesOf(await evaluateStack("dev"));
    expect(plain.filter((r) => r.type === ROLE_ASSIGNMENT && String(r.props.scope).includes("Microsoft.Storage"))).toEqual([]);
    expect(plain.filter((r) => r.type === ENV_VARIABLE && r.props.variableName === "PULUMI_BACKEND_URL")).toEqual([]);
  }, 60_000);

  it("refuses a state account in an environment's own group, where its deploy identity could list the keys", () => {
    const raw = { ...readStackFile(REPO_ROOT, "dev").config, "delivery-platform:azure": JSON.stringify(azureWithState("dev", { resourceGroup: "rg-payments-service-staging", account: "contosostate" })) };
    let problems: string[] = [];
    try {
      parseStackConfig(raw, "dev");
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems.map((p) => `${p.key}: ${p.message}`);
    }
    expect(problems).toEqual([
      'delivery-platform:azure.stateStorage.resourceGroup: is a resource group of environment staging ("rg-payments-service-staging" or its identities group); keep the state account in a group of its own, where no deploy identity holds a role',
    ]);
  });

  it("refuses an account name Azure would refuse, naming the key", () => {
    const raw = { ...readStackFile(REPO_ROOT, "dev").config, "delivery-platform:azure": JSON.stringify(azureWithState("dev", { resourceGroup: "rg-delivery-state", account: "Contoso_State" })) };
    expect(() => parseStackConfig(raw, "dev")).toThrow(/azure\.stateStorage\.account.*3-24 lower-case letters and digits/s);
  });
});

describe("ATTACK: a grant on state beyond the stack's own container, read or write", () => {
  const policy = azureIdentityRolesOwnGroup();
  const weaken = (name: string, change: (props: Record<string, any>) => void) =>
    prod.map((r) => {
      if (r.type !== ROLE_ASSIGNMENT || r.name !== name) return r;
      const props = JSON.parse(JSON.stringify(r.props));
      change(props);
      return policyResource({ type: r.type, name: r.name, props, protect: r.opts.protect });
    });

  it("reports the preview identity holding write access to its state (a preview could take the lock or rewrite state)", async () => {
    const found = await violationsOf(policy, weaken("prod-preview-state", (p) => (p.roleDefinitionId = p.roleDefinitionId.replace(BUILT_IN_ROLES.storageBlobDataReader.id, BUILT_IN_ROLES.storageBlobDataContributor.id))));
    expect(found).toEqual([
      `Role assignment "prod-preview-state" on the state container "pulumi-state-prod": the preview identity "id-rg-payments-service-prod-preview" may hold Storage Blob Data Reader (${BUILT_IN_ROLES.storageBlobDataReader.id}) there and nothing else; found ${BUILT_IN_ROLES.storageBlobDataContributor.id}`,
    ]);
  });

  it("reports the deploy identity reaching another stack's state", async () => {
    const found = await violationsOf(policy, weaken("prod-deploy-state", (p) => (p.scope = p.scope.replace(/pulumi-state-prod$/, "pulumi-state-dev"))));
    expect(found).toEqual(['Role assignment "prod-deploy-state" on the state container "pulumi-state-dev": identity "id-rg-payments-service-prod-deploy" of prod may reach its own stack\'s state only, "pulumi-state-prod"']);
  });
});
