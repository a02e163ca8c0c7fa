/** Azure: production is protected, resource groups are tagged and placed, identities sit where no deploy identity can write them. */
import type { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { BUILT_IN_ROLES, PRIVILEGED_ROLE_IDS } from "../core/azure-roles";
import { previewEnvironment } from "../core/oidc";
import { identityRoleOf } from "../core/resource-tags";
import { parseContainerScope, STATE_ROLES, stateContainer } from "../core/state-backend";
import { TYPES, UNKNOWN, assigneeOf, environmentOfGroup, holdsIdentities, known, ofType, productionFor } from "./lib";

export function azureProdResourceGroupProtected(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "azure-prod-resource-group-protected",
    description: "Checks whether the production resource groups (workload and identities) are protected from deletion in Pulumi and by a CanNotDelete lock in Azure.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const production = productionFor(args.resources, reportViolation);
      if (!production) return;
      for (const group of ofType(args.resources, TYPES.resourceGroup).filter((g) => g.props.tags?.environment === production.environment)) {
        const name = group.props.resourceGroupName;
        if (group.opts.protect !== true) reportViolation(`Production resource group "${name}" must be protected from deletion (resource option protect: true).`, group.urn);
        const locked = ofType(args.resources, TYPES.resourceGroupLock).some((l) => l.props.resourceGroupName === name && l.props.level === "CanNotDelete");
        if (!locked) reportViolation(`Production resource group "${name}" must carry a CanNotDelete management lock.`, group.urn);
      }
    },
  };
}

export interface RequiredTagsConfig {
  readonly requiredTags: readonly string[];
}

export function azureResourceGroupTags(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "azure-resource-group-tags",
    description: "Checks whether every resource group carries the required tags.",
    enforcementLevel,
    configSchema: { properties: { requiredTags: { type: "array", items: { type: "string" }, default: ["environment", "managed-by", "repository"] } } },
    validateResource: (args, reportViolation) => {
      if (args.type !== TYPES.resourceGroup) return;
      const { requiredTags } = args.getConfig<RequiredTagsConfig>();
      const tags = args.props.tags ?? {};
      const missing = requiredTags.filter((t) => typeof tags[t] !== "string" || tags[t].length === 0);
      if (missing.length > 0) reportViolation(`Resource group "${args.props.resourceGroupName}" must carry the tags ${missing.join(", ")}; add them to delivery-platform:azure.tags.`);
    },
  };
}

export interface AllowedLocationsConfig {
  readonly allowedLocations: readonly string[];
}

export function azureAllowedLocations(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "azure-allowed-locations",
    description: "Checks whether resource groups and identities sit in an allowed Azure region.",
    enforcementLevel,
    configSchema: { properties: { allowedLocations: { type: "array", items: { type: "string" }, minItems: 1 } }, required: ["allowedLocations"] },
    validateResource: (args, reportViolation) => {
      if (args.type !== TYPES.resourceGroup && args.type !== TYPES.identity) return;
      const { allowedLocations } = args.getConfig<AllowedLocationsConfig>();
      const location = args.props.location;
      if (typeof location === "string" && !allowedLocations.includes(location)) {
        reportViolation(`"${args.name}" must be in one of the allowed locations (${allowedLocations.join(", ")}); found "${location}". Change delivery-platform:azure.location.`);
      }
    },
  };
}

/** Roles an identity of this platform may hold; anything else (Owner, User Access Administrator, ...) is a violation. */
const PERMITTED_ROLES = new Set<string>([BUILT_IN_ROLES.contributor.id, BUILT_IN_ROLES.roleBasedAccessControlAdministrator.id, BUILT_IN_ROLES.reader.id]);

/**
 * The role a role assignment grants, as a role id: its `roleDefinitionId`'s last segment, or when that
 * is unknown during a first preview (the platform's own custom role, not created yet), the
 * `roleDefinitionId` of the stack's role definition it is computed from. UNKNOWN when neither says.
 */
function grantedRoleId(assignment: PolicyResource): string | typeof UNKNOWN | undefined {
  const id = known(() => assignment.props.roleDefinitionId);
  if (typeof id === "string") return id.split("/").pop()!;
  if (id !== UNKNOWN) return undefined;
  const definition = (assignment.propertyDependencies?.roleDefinitionId ?? []).find((d) => d.type === TYPES.roleDefinition);
  const roleId = definition ? known(() => definition.props.roleDefinitionId) : UNKNOWN;
  return typeof roleId === "string" ? roleId : UNKNOWN;
}

/**
 * Why a grant on a state container is wrong, or undefined when it is the one allowed: the deploy
 * identity of environment E with Storage Blob Data Contributor, or its preview identity with
 * Storage Blob Data Reader, on `pulumi-state-E` (core/state-backend.ts).
 */
function stateGrantProblem(resources: readonly PolicyResource[], identity: PolicyResource | undefined, container: string, roleId: string | typeof UNKNOWN | undefined): string | undefined {
  const name = identity?.props.resourceName;
  const environment = identity ? environmentOfGroup(resources, identity.props.resourceGroupName) : undefined;
  const kind = identityRoleOf(name);
  if (!identity || !environment || !kind) return "only an environment's deploy or preview identity may hold a role on Pulumi state, and this assignee is not one";
  if (container !== stateContainer(environment)) return `identity "${name}" of ${environment} may reach its own stack's state only, "${stateContainer(environment)}"`;
  const expected = STATE_ROLES[kind];
  if (roleId !== expected.id) return `the ${kind} identity "${name}" may hold ${expected.name} (${expected.id}) there and nothing else; found ${String(roleId === UNKNOWN ? "a role unknown during preview" : roleId)}`;
  return undefined;
}

/**
 * The workload group an identity serves: the group of the identity's environment that does not
 * hold identities. (Before identities had their own group, that was the identity's own group.)
 */
function workloadGroupOf(resources: readonly PolicyResource[], identity: PolicyResource): string | undefined {
  const groups = ofType(resources, TYPES.resourceGroup);
  const home = groups.find((g) => g.props.resourceGroupName === identity.props.resourceGroupName);
  if (!home || !holdsIdentities(home)) return typeof identity.props.resourceGroupName === "string" ? identity.props.resourceGroupName : undefined;
  const env = environmentOfGroup(resources, identity.props.resourceGroupName);
  return groups.find((g) => !holdsIdentities(g) && g.props.tags?.environment === env)?.props.resourceGroupName;
}

export function azureIdentityRolesOwnGroup(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "azure-identity-roles-own-group",
    description:
      "Checks whether every role assignment is scoped to the assignee's own environment's workload resource group (never the group holding the identities) or, for Pulumi state, to its own stack's state container with its one data role, grants only the platform's roles, and constrains RBAC administration.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const customRoles = ofType(args.resources, TYPES.roleDefinition);
      const identityGroups = new Set(ofType(args.resources, TYPES.resourceGroup).filter(holdsIdentities).map((g) => String(g.props.resourceGroupName).toLowerCase()));
      for (const assignment of ofType(args.resources, TYPES.roleAssignment)) {
        const { scope, condition } = assignment.props;
        const roleId = grantedRoleId(assignment);
        const identity = assigneeOf(args.resources, assignment);
        const ownGroup = identity ? workloadGroupOf(args.resources, identity) : undefined;
        const stateGrant = typeof scope === "string" ? parseContainerScope(scope) : undefined;
        if (stateGrant) {
          // The one grant outside the workload group: an identity's data role on its own stack's state container.
          const problem = stateGrantProblem(args.resources, identity, stateGrant.container, roleId);
          if (problem) reportViolation(`Role assignment "${assignment.name}" on the state container "${stateGrant.container}": ${problem}`, assignment.urn);
          continue;
        }
        if (typeof scope === "string") {
          const match = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)$/i.exec(scope);
          if (!match) reportViolation(`Role assignment "${assignment.name}" must be scoped to a resource group; found scope "${scope}".`, assignment.urn);
          else if (identityGroups.has(match[1].toLowerCase())) {
            reportViolation(`Role assignment "${assignment.name}" must not be scoped to "${match[1]}", the resource group holding the identities: whoever holds it could add federated credentials to the identities.`, assignment.urn);
          } else if (ownGroup !== undefined && match[1] !== ownGroup) {
            reportViolation(`Role assignment "${assignment.name}" must be scoped to its identity's own resource group "${ownGroup}"; found "${match[1]}".`, assignment.urn);
          }
        }
        if (roleId === UNKNOWN) {
          reportViolation(`Role assignment "${assignment.name}": the role it grants is not known during preview, so it cannot be checked; give roleDefinitionId a value derived from configuration, or from a role definition in this stack.`, assignment.urn);
        } else if (roleId !== undefined) {
          const home = identity?.props.resourceGroupName;
          const scopeGroup = typeof scope === "string" ? /\/resourceGroups\/([^/]+)$/i.exec(scope)?.[1] : undefined;
          if (PRIVILEGED_ROLE_IDS.has(roleId) && typeof home === "string" && scopeGroup !== undefined && scopeGroup.toLowerCase() === home.toLowerCase()) {
            reportViolation(
              `Identity "${identity!.props.resourceName}" holds role ${roleId} on "${home}", the resource group it sits in, so it could add federated credentials to itself and keep access; keep identities in their own group (AzureEnvironment's identities group), where they hold no role.`,
              assignment.urn,
            );
          }
          const isCustom = customRoles.some((r) => r.props.roleDefinitionId === roleId);
          if (!PERMITTED_ROLES.has(roleId) && !isCustom) {
            reportViolation(`Role assignment "${assignment.name}" grants role ${roleId}; only Contributor, Reader, constrained Role Based Access Control Administrator and the platform's what-if role are allowed.`, assignment.urn);
          }
          if (roleId === BUILT_IN_ROLES.roleBasedAccessControlAdministrator.id && (typeof condition !== "string" || condition.length === 0)) {
            reportViolation(`Role assignment "${assignment.name}" grants Role Based Access Control Administrator without a condition; constrain it to the templates' data-plane roles.`, assignment.urn);
          }
        }
      }
    },
  };
}

export function azureProdIdentityNotShared(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "azure-prod-identity-not-shared",
    description: "Checks whether production's identities are used by production only: no federated credential for another environment and no role outside the production resource group.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const production = productionFor(args.resources, reportViolation);
      if (!production) return;
      const productionEnvironment = production.environment;
      const prodIdentities = ofType(args.resources, TYPES.identity).filter((i) => environmentOfGroup(args.resources, i.props.resourceGroupName) === productionEnvironment);
      for (const identity of prodIdentities) {
        const name = identity.props.resourceName;
        for (const fic of ofType(args.resources, TYPES.federatedCredential).filter((f) => f.props.resourceName === name && f.props.resourceGroupName === identity.props.resourceGroupName)) {
          const subject = fic.props.subject;
          const env = typeof subject === "string" ? /:environment:([^:]+)$/.exec(subject)?.[1] : undefined;
          // Production's preview environment is production's own (its read-only jobs).
          if (env !== undefined && env !== productionEnvironment && env !== previewEnvironment(productionEnvironment)) {
            reportViolation(`Production identity "${name}" must not trust environment "${env}"; give ${env} its own identity.`, fic.urn);
          }
        }
      }
      const others = ofType(args.resources, TYPES.identity).filter((i) => !prodIdentities.includes(i));
      for (const identity of others) {
        for (const fic of ofType(args.resources, TYPES.federatedCredential).filter((f) => f.props.resourceName === identity.props.resourceName && f.props.resourceGroupName === identity.props.resourceGroupName)) {
          if (typeof fic.props.subject === "string" && fic.props.subject.endsWith(`:environment:${productionEnvironment}`)) {
            reportViolation(`Identity "${identity.props.resourceName}" outside production must not trust the ${productionEnvironment} environment; production has its own identity.`, fic.urn);
          }
        }
      }
    },
  };
}
