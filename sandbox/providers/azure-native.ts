/**
 * The `azure-native` stand-in: resource groups, locks, user-assigned identities with federated
 * credentials, role definitions and assignments, with ARM ids, identity GUIDs and the errors ARM
 * gives when a parent is missing (the resource group, the identity, the principal).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CloudError, need, str, type Props, type ProviderTable, type ResourceType, type StandInContext } from "./model";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Regions the sandbox's Azure offers (a subset of the public cloud's). */
const REGIONS = ["westeurope", "northeurope", "swedencentral", "germanywestcentral", "francecentral", "uksouth", "eastus", "eastus2", "westus2", "westus3", "centralus"];

function subscription(ctx: StandInContext): string {
  const id = ctx.config.subscriptionId;
  if (typeof id !== "string" || !GUID.test(id)) throw new CloudError("azure-native:subscriptionId is not set (or not a GUID): set it on the provider or with `pulumi config set azure-native:subscriptionId <id>`");
  return id;
}
const tenant = (ctx: StandInContext) => (typeof ctx.config.tenantId === "string" ? ctx.config.tenantId : "72f988bf-86f1-41af-91ab-2d7cd011db47");
const groupId = (ctx: StandInContext, rg: string) => `/subscriptions/${subscription(ctx)}/resourceGroups/${rg}`;
const systemData = (ctx: StandInContext) => ({ createdAt: ctx.now(), createdBy: "sandbox-user@contoso.example", createdByType: "User", lastModifiedAt: ctx.now(), lastModifiedBy: "sandbox-user@contoso.example", lastModifiedByType: "User" });

function findByOutput(ctx: StandInContext, type: string, key: string, value: unknown) {
  return Object.entries(ctx.state.all()).find(([, r]) => r.type === type && r.outputs[key] === value);
}

const RG = "azure-native:resources:ResourceGroup";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
const LOCK = "azure-native:authorization:ManagementLockAtResourceGroupLevel";
const ROLE_DEFINITION = "azure-native:authorization:RoleDefinition";

function requireGroup(ctx: StandInContext, rg: string): string {
  const id = groupId(ctx, rg);
  if (!ctx.state.get(id)) throw new CloudError(`resources.ResourceGroupsClient#Get: Failure responding to request: StatusCode=404 -- Original Error: Code="ResourceGroupNotFound" Message="Resource group '${rg}' could not be found."`);
  return id;
}

function locationProblems(i: Props): { property: string; reason: string }[] {
  const location = str(i, "location");
  if (location === undefined || REGIONS.includes(location.toLowerCase().replace(/\s/g, ""))) return [];
  return [{ property: "location", reason: `The provided location '${location}' is not available for resource group. List of available regions is '${REGIONS.join(",")}'.` }];
}

const resourceGroup: ResourceType = {
  required: ["location"],
  replaceOnChanges: ["resourceGroupName", "location"],
  computed: ["name", "type", "properties", "managedBy", "azureApiVersion"],
  autoName: { property: "resourceGroupName", maxLength: 90 },
  validate: locationProblems,
  // Deleting a group deletes what was deployed into it: the fake az forgets its deployments there.
  afterDelete: (_id, stored, ctx) => {
    const file = path.join(ctx.sandboxDir, "az", "resource-groups", `${subscription(ctx)}_${String(stored.name)}.json`.toLowerCase());
    fs.rmSync(file, { force: true });
  },
  create: (i, ctx) => ({
    id: groupId(ctx, need(i, "resourceGroupName")),
    computed: { name: need(i, "resourceGroupName"), type: "Microsoft.Resources/resourceGroups", properties: { provisioningState: "Succeeded" }, azureApiVersion: "2024-03-01" },
  }),
};

const lock: ResourceType = {
  required: ["resourceGroupName", "level"],
  replaceOnChanges: ["resourceGroupName", "lockName"],
  computed: ["name", "type", "systemData", "azureApiVersion"],
  autoName: { property: "lockName", maxLength: 90 },
  validate: (i) => (["CanNotDelete", "ReadOnly"].includes(str(i, "level") ?? "") ? [] : [{ property: "level", reason: `level must be CanNotDelete or ReadOnly, got ${JSON.stringify(i.level)}` }]),
  create: (i, ctx) => ({
    id: `${requireGroup(ctx, need(i, "resourceGroupName"))}/providers/Microsoft.Authorization/locks/${need(i, "lockName")}`,
    computed: { name: need(i, "lockName"), type: "Microsoft.Authorization/locks", systemData: systemData(ctx), azureApiVersion: "2020-05-01" },
  }),
};

const identity: ResourceType = {
  required: ["resourceGroupName"],
  replaceOnChanges: ["resourceGroupName", "resourceName"],
  computed: ["name", "type", "clientId", "principalId", "tenantId", "systemData", "azureApiVersion"],
  autoName: { property: "resourceName", maxLength: 128 },
  validate: locationProblems,
  create: (i, ctx) => ({
    id: `${requireGroup(ctx, need(i, "resourceGroupName"))}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${need(i, "resourceName")}`,
    computed: { name: need(i, "resourceName"), type: "Microsoft.ManagedIdentity/userAssignedIdentities", clientId: ctx.guid(), principalId: ctx.guid(), tenantId: tenant(ctx), systemData: systemData(ctx), azureApiVersion: "2023-01-31" },
  }),
};

const federatedCredential: ResourceType = {
  required: ["resourceGroupName", "resourceName", "issuer", "subject", "audiences"],
  replaceOnChanges: ["resourceGroupName", "resourceName", "federatedIdentityCredentialResourceName"],
  computed: ["name", "type", "systemData", "azureApiVersion"],
  autoName: { property: "federatedIdentityCredentialResourceName", maxLength: 120 },
  validate: (i) => {
    const problems: { property: string; reason: string }[] = [];
    if (!/^https:\/\//.test(str(i, "issuer") ?? "")) problems.push({ property: "issuer", reason: "Issuer must be a valid URL with the https scheme" });
    if ((str(i, "subject") ?? "").includes("*")) problems.push({ property: "subject", reason: "Wildcard characters are not supported in subject" });
    return problems;
  },
  create: (i, ctx) => {
    const rg = requireGroup(ctx, need(i, "resourceGroupName"));
    const parent = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${need(i, "resourceName")}`;
    if (!ctx.state.get(parent)) throw new CloudError(`Code="ParentResourceNotFound" Message="Can not perform requested operation on nested resource. Parent resource '${need(i, "resourceName")}' not found."`);
    const siblings = Object.keys(ctx.state.all()).filter((id) => id.startsWith(`${parent}/federatedIdentityCredentials/`));
    if (siblings.length >= 20) throw new CloudError(`Code="BadRequest" Message="Too many Federated Identity Credentials are written to Managed Identity '${need(i, "resourceName")}'. The maximum is 20."`);
    return {
      id: `${parent}/federatedIdentityCredentials/${need(i, "federatedIdentityCredentialResourceName")}`,
      computed: { name: need(i, "federatedIdentityCredentialResourceName"), type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials", systemData: systemData(ctx), azureApiVersion: "2023-01-31" },
    };
  },
};

const roleDefinitionIdPattern = /^\/subscriptions\/[0-9a-f-]{36}(\/resourceGroups\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/i;

const roleAssignment: ResourceType = {
  required: ["principalId", "roleDefinitionId", "scope"],
  replaceOnChanges: ["roleAssignmentName", "scope", "principalId", "roleDefinitionId", "principalType"],
  computed: ["name", "type", "createdBy", "createdOn", "updatedBy", "updatedOn", "systemData", "azureApiVersion"],
  validate: (i) => {
    const problems: { property: string; reason: string }[] = [];
    if (!GUID.test(str(i, "principalId") ?? "")) problems.push({ property: "principalId", reason: `principalId must be a GUID, got ${JSON.stringify(i.principalId)}` });
    if (!roleDefinitionIdPattern.test(str(i, "roleDefinitionId") ?? "")) problems.push({ property: "roleDefinitionId", reason: `roleDefinitionId must be a role definition resource id, got ${JSON.stringify(i.roleDefinitionId)}` });
    if (i.roleAssignmentName !== undefined && !GUID.test(str(i, "roleAssignmentName") ?? "")) problems.push({ property: "roleAssignmentName", reason: "The role assignment ID is not valid. The role assignment ID must be a GUID." });
    if (i.condition !== undefined && str(i, "conditionVersion") !== "2.0") problems.push({ property: "conditionVersion", reason: "conditionVersion must be 2.0 when a condition is set" });
    return problems;
  },
  create: (i, ctx) => {
    const scope = need(i, "scope");
    if (!ctx.state.get(scope)) throw new CloudError(`Code="InvalidScope" Message="The scope '${scope}' does not exist."`);
    const principalId = need(i, "principalId");
    if (!findByOutput(ctx, IDENTITY, "principalId", principalId)) {
      throw new CloudError(`Code="PrincipalNotFound" Message="Principal ${principalId.replace(/-/g, "")} does not exist in the directory ${tenant(ctx)}. Check that you have the correct principal ID."`);
    }
    const roleId = need(i, "roleDefinitionId");
    if (/\/resourceGroups\//i.test(roleId) && !ctx.state.get(roleId)) throw new CloudError(`Code="RoleDefinitionDoesNotExist" Message="The specified role definition with ID '${roleId.split("/").pop()}' does not exist."`);
    const name = str(i, "roleAssignmentName") ?? ctx.guid();
    return {
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
      computed: { name, type: "Microsoft.Authorization/roleAssignments", createdBy: "sandbox-user", createdOn: ctx.now(), updatedBy: "sandbox-user", updatedOn: ctx.now(), azureApiVersion: "2022-04-01" },
    };
  },
};

const roleDefinition: ResourceType = {
  required: ["scope", "permissions", "assignableScopes"],
  replaceOnChanges: ["roleDefinitionId", "scope"],
  computed: ["name", "type", "roleType", "createdBy", "createdOn", "updatedBy", "updatedOn", "azureApiVersion"],
  validate: (i) => (Array.isArray(i.assignableScopes) && i.assignableScopes.length > 0 ? [] : [{ property: "assignableScopes", reason: "At least one assignable scope is required" }]),
  naturalKey: (i) => `${str(i, "roleName")}`,
  conflict: (i) => `Code="RoleDefinitionWithSameNameExists" Message="A custom role with the same name '${str(i, "roleName")}' already exists in this directory. Use a different name."`,
  create: (i, ctx) => {
    const scope = need(i, "scope");
    if (!ctx.state.get(scope)) throw new CloudError(`Code="InvalidScope" Message="The scope '${scope}' does not exist."`);
    const name = str(i, "roleDefinitionId") ?? ctx.guid();
    return {
      id: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${name}`,
      computed: { name, type: "Microsoft.Authorization/roleDefinitions", roleType: "CustomRole", createdBy: "sandbox-user", createdOn: ctx.now(), updatedBy: "sandbox-user", updatedOn: ctx.now(), azureApiVersion: "2022-05-01-preview" },
    };
  },
};

/** Deleting anything in a group that holds a CanNotDelete lock fails like ARM does (ScopeLocked); the lock itself can go. */
function lockedScope(id: string, ctx: StandInContext): void {
  const group = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/i.exec(id)?.[0];
  if (!group || /\/providers\/Microsoft\.Authorization\/locks\//i.test(id)) return;
  const locks = Object.entries(ctx.state.all()).filter(([lockId, r]) => r.type === LOCK && lockId.toLowerCase().startsWith(`${group.toLowerCase()}/providers/microsoft.authorization/locks/`));
  if (locks.length > 0) {
    throw new CloudError(`Code="ScopeLocked" Message="The scope '${id}' cannot perform delete operation because following scope(s) are locked: '${locks.map(([l]) => l).join("', '")}'. Please remove the lock and try again."`);
  }
}

export const azureNativeTable = (version: string): ProviderTable => ({
  name: "azure-native",
  version,
  resources: {
    ...Object.fromEntries(
      Object.entries({
        [RG]: resourceGroup,
        [LOCK]: lock,
        [IDENTITY]: identity,
        "azure-native:managedidentity:FederatedIdentityCredential": federatedCredential,
        "azure-native:authorization:RoleAssignment": roleAssignment,
        [ROLE_DEFINITION]: roleDefinition,
      }).map(([token, type]) => [token, { ...type, beforeDelete: lockedScope }]),
    ),
  },
  invokes: {},
  validateConfig: (config) => {
    const problems: string[] = [];
    if (config.subscriptionId !== undefined && !GUID.test(String(config.subscriptionId))) problems.push(`subscriptionId must be a GUID, got ${JSON.stringify(config.subscriptionId)}`);
    if (config.tenantId !== undefined && !GUID.test(String(config.tenantId))) problems.push(`tenantId must be a GUID, got ${JSON.stringify(config.tenantId)}`);
    return problems;
  },
});
