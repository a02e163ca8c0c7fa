/**
 * The Azure roles a deploy identity holds on its own resource group, in one place.
 *
 * - Contributor: the Bicep templates create and change resources in the group.
 * - (preview identity) Reader plus a custom role with WHAT_IF_ACTIONS: pull requests can preview, never deploy.
 * - Role Based Access Control Administrator, constrained by an ABAC condition to the data-plane
 *   roles the templates' rbac module assigns (and nothing else: not Owner, not Contributor, not
 *   User Access Administrator), because Contributor cannot write role assignments and the
 *   templates grant the function app's identity access to storage, Service Bus and Key Vault.
 *
 * Built-in role definition ids are the same GUIDs in every tenant.
 */
import { createHash } from "node:crypto";

export const BUILT_IN_ROLES = {
  contributor: { id: "b24988ac-6180-42a0-ab88-20f7382dd24c", name: "Contributor" },
  reader: { id: "acdd72a7-3385-48ef-bd42-f606fba81ae7", name: "Reader" },
  roleBasedAccessControlAdministrator: { id: "f58310d9-a9f6-439a-9e8d-f62e7b41a168", name: "Role Based Access Control Administrator" },
  storageBlobDataContributor: { id: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", name: "Storage Blob Data Contributor" },
  storageBlobDataReader: { id: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", name: "Storage Blob Data Reader" },
  storageQueueDataContributor: { id: "974c5e8b-45b9-4653-ba55-5f855dd0fb88", name: "Storage Queue Data Contributor" },
  storageTableDataContributor: { id: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", name: "Storage Table Data Contributor" },
  serviceBusDataSender: { id: "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39", name: "Azure Service Bus Data Sender" },
  serviceBusDataReceiver: { id: "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0", name: "Azure Service Bus Data Receiver" },
  keyVaultSecretsUser: { id: "4633458b-17de-408a-b874-0445c86b69e6", name: "Key Vault Secrets User" },
  monitoringMetricsPublisher: { id: "3913510d-42f4-4e42-8a64-420c390055eb", name: "Monitoring Metrics Publisher" },
} as const;

export type BuiltInRole = (typeof BUILT_IN_ROLES)[keyof typeof BUILT_IN_ROLES];

/** The roles the templates' rbac module may assign; the deploy identity can grant these and only these. */
export const TEMPLATE_ASSIGNABLE_ROLES: readonly BuiltInRole[] = [
  BUILT_IN_ROLES.storageBlobDataContributor,
  BUILT_IN_ROLES.storageQueueDataContributor,
  BUILT_IN_ROLES.storageTableDataContributor,
  BUILT_IN_ROLES.serviceBusDataSender,
  BUILT_IN_ROLES.serviceBusDataReceiver,
  BUILT_IN_ROLES.keyVaultSecretsUser,
  BUILT_IN_ROLES.monitoringMetricsPublisher,
];

/** What a pull-request preview needs beyond Reader: what-if and template validation, not deployment. */
export const WHAT_IF_ACTIONS = ["Microsoft.Resources/deployments/whatIf/action", "Microsoft.Resources/deployments/validate/action", "Microsoft.Resources/deployments/read"] as const;

/**
 * Roles that change an environment or its access: never delegable, whatever the list above says;
 * an identity holding one must not sit in (or trust more than) what it may change.
 */
export const PRIVILEGED_ROLE_IDS: ReadonlySet<string> = new Set([
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", // Owner
  BUILT_IN_ROLES.contributor.id,
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", // User Access Administrator
  BUILT_IN_ROLES.roleBasedAccessControlAdministrator.id,
]);

/**
 * The ABAC condition (version 2.0) that lets a Role Based Access Control Administrator create and
 * delete role assignments only for the given roles ("constrained delegation").
 */
export function constrainedDelegationCondition(roles: readonly BuiltInRole[]): string {
  const privileged = roles.filter((r) => PRIVILEGED_ROLE_IDS.has(r.id));
  if (privileged.length > 0) throw new Error(`roles ${privileged.map((r) => r.name).join(", ")} must not be delegable: a deploy identity that can grant them could escalate its own access`);
  if (roles.length === 0) throw new Error("constrained delegation needs at least one role to delegate");
  const guids = roles.map((r) => r.id).join(", ");
  return [
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${guids}}))`,
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${guids}}))`,
  ].join(" AND ");
}

export function roleDefinitionResourceId(subscriptionId: string, roleId: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

export function resourceGroupResourceId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

/**
 * A stable GUID from its parts (role assignment names must be GUIDs; deriving them keeps
 * re-runs from creating duplicates). Formatted as a version-5-style UUID from SHA-256.
 */
export function deterministicGuid(...parts: readonly string[]): string {
  const hex = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
