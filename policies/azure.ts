/** Azure: production is protected, resource groups are tagged and placed, identities stay in their own group. */
import type { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { BUILT_IN_ROLES } from "../core/azure-roles";
import { SETTINGS_SCHEMA, TYPES, environmentOfGroup, ofType, settingsOf } from "./lib";

export function azureProdResourceGroupProtected(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "azure-prod-resource-group-protected",
    description: "Checks whether the production resource group is protected from deletion in Pulumi and by a CanNotDelete lock in Azure.",
    enforcementLevel,
    configSchema: SETTINGS_SCHEMA,
    validateStack: (args, reportViolation) => {
      const { productionEnvironment } = settingsOf(args.getConfig);
      for (const group of ofType(args.resources, TYPES.resourceGroup).filter((g) => g.props.tags?.environment === productionEnvironment)) {
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

function identityOf(resources: readonly PolicyResource[], assignment: PolicyResource): PolicyResource | undefined {
  const viaDependency = (assignment.propertyDependencies?.principalId ?? []).find((d) => d.type === TYPES.identity);
  if (viaDependency) return viaDependency;
  // Outside the engine (plain-function tests) dependencies are not recorded: match by principal id.
  return ofType(resources, TYPES.identity).find((i) => i.props.principalId !== undefined && i.props.principalId === assignment.props.principalId);
}

export function azureIdentityRolesOwnGroup(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "azure-identity-roles-own-group",
    description: "Checks whether every role assignment is scoped to the assignee's own resource group and grants only the platform's roles, with RBAC administration constrained.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const customRoles = ofType(args.resources, TYPES.roleDefinition);
      for (const assignment of ofType(args.resources, TYPES.roleAssignment)) {
        const { scope, roleDefinitionId, condition } = assignment.props;
        const identity = identityOf(args.resources, assignment);
        const ownGroup = identity?.props.resourceGroupName;
        if (typeof scope === "string") {
          const match = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)$/i.exec(scope);
          if (!match) reportViolation(`Role assignment "${assignment.name}" must be scoped to a resource group; found scope "${scope}".`, assignment.urn);
          else if (ownGroup !== undefined && match[1] !== ownGroup) {
            reportViolation(`Role assignment "${assignment.name}" must be scoped to its identity's own resource group "${ownGroup}"; found "${match[1]}".`, assignment.urn);
          }
        }
        if (typeof roleDefinitionId === "string") {
          const roleId = roleDefinitionId.split("/").pop()!;
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
    configSchema: SETTINGS_SCHEMA,
    validateStack: (args, reportViolation) => {
      const { productionEnvironment } = settingsOf(args.getConfig);
      const prodIdentities = ofType(args.resources, TYPES.identity).filter((i) => environmentOfGroup(args.resources, i.props.resourceGroupName) === productionEnvironment);
      for (const identity of prodIdentities) {
        const name = identity.props.resourceName;
        for (const fic of ofType(args.resources, TYPES.federatedCredential).filter((f) => f.props.resourceName === name && f.props.resourceGroupName === identity.props.resourceGroupName)) {
          const subject = fic.props.subject;
          const env = typeof subject === "string" ? /:environment:([^:]+)$/.exec(subject)?.[1] : undefined;
          if (env !== undefined && env !== productionEnvironment) {
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
