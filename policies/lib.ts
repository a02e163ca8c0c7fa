/**
 * What the policies share: the resource types they read, how they find "this repository" and
 * an environment's resources among a stack's resources, and what production is, as the program
 * marked it on the stack's resource groups (`core/resource-tags.ts`).
 */
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { TAG, TIERS } from "../core/resource-tags";

export const TYPES = {
  githubProvider: "pulumi:providers:github",
  githubEnvironment: "github:index/repositoryEnvironment:RepositoryEnvironment",
  githubEnvironmentPolicy: "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
  githubRuleset: "github:index/repositoryRuleset:RepositoryRuleset",
  githubFile: "github:index/repositoryFile:RepositoryFile",
  resourceGroup: "azure-native:resources:ResourceGroup",
  resourceGroupLock: "azure-native:authorization:ManagementLockAtResourceGroupLevel",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  federatedCredential: "azure-native:managedidentity:FederatedIdentityCredential",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  roleDefinition: "azure-native:authorization:RoleDefinition",
  awsRole: "aws:iam/role:Role",
  awsRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  awsRolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  bicepDeployment: "pulumi-nodejs:dynamic/azure:BicepDeployment",
} as const;

/** Production as the program marked it: its environment name and the branch it deploys from. */
export interface Production {
  /** The GitHub environment / Azure `environment` tag that is production. */
  readonly environment: string;
  /** The branch production deploys from. */
  readonly branch: string;
}

/** What a stack's resources say about production. */
export type ProductionVerdict =
  | { readonly kind: "production"; readonly production: Production }
  | { readonly kind: "not-production" }
  | { readonly kind: "unknown"; readonly reason: string };

const tagsOf = (r: PolicyResource): Record<string, unknown> => (typeof r.props.tags === "object" && r.props.tags !== null ? r.props.tags : {});

/**
 * Whether the stack deploys production, read from the tags the program sets on every resource
 * group it creates (`delivery-tier`, `delivery-branch`, `environment`). Unknown (and so treated as
 * production by every production policy: fail closed) when a group does not say, when the stack
 * has GitHub deployment environments but no group to say it, or when the groups disagree.
 */
export function productionOf(resources: readonly PolicyResource[]): ProductionVerdict {
  const groups = ofType(resources, TYPES.resourceGroup);
  const envs = ofType(resources, TYPES.githubEnvironment);
  if (groups.length === 0) {
    return envs.length === 0 ? { kind: "not-production" } : { kind: "unknown", reason: "the stack has GitHub environments but no resource group marked with its tier" };
  }
  const found = new Map<string, Production>();
  for (const g of groups) {
    const tags = tagsOf(g);
    const tier = tags[TAG.tier];
    const name = JSON.stringify(g.props.resourceGroupName ?? g.name);
    if (typeof tier !== "string" || !(TIERS as readonly string[]).includes(tier)) {
      return { kind: "unknown", reason: `resource group ${name} has tag ${TAG.tier}=${JSON.stringify(tier ?? null)}, not one of ${TIERS.join(", ")}` };
    }
    if (tier !== "production") continue;
    const environment = tags[TAG.environment];
    const branch = tags[TAG.branch];
    if (typeof environment !== "string" || environment === "" || typeof branch !== "string" || branch === "") {
      return { kind: "unknown", reason: `production resource group ${name} does not name its environment and branch (tags ${TAG.environment}, ${TAG.branch})` };
    }
    found.set(`${environment}\u0000${branch}`, { environment, branch });
  }
  if (found.size > 1) return { kind: "unknown", reason: `the resource groups name more than one production (${[...found.values()].map((p) => `${p.environment} on ${p.branch}`).join("; ")})` };
  const [production] = found.values();
  return production ? { kind: "production", production } : { kind: "not-production" };
}

/**
 * Production for a policy that guards it: the production facts, or undefined when the stack does
 * not deploy production. When the stack does not say, the policy reports that (fails closed).
 */
export function productionFor(resources: readonly PolicyResource[], reportViolation: ReportViolation): Production | undefined {
  const verdict = productionOf(resources);
  if (verdict.kind === "unknown") {
    reportViolation(
      `Cannot tell whether this stack deploys production: ${verdict.reason}. The program marks every resource group with ${TAG.tier} (production or pre-production) and ${TAG.branch}; deploy it with this version of the program.`,
    );
    return undefined;
  }
  return verdict.kind === "production" ? verdict.production : undefined;
}

/** Whether a resource group holds an environment's identities rather than its workload. */
export function holdsIdentities(group: PolicyResource): boolean {
  return tagsOf(group)[TAG.holds] === "identities";
}

/** OWNER/NAME, from the GitHub provider's owner and the repository the GitHub resources name. */
export function repositoryOf(resources: readonly PolicyResource[]): string | undefined {
  const owner = resources.find((r) => r.type === TYPES.githubProvider)?.props.owner;
  const name = resources.find((r) => r.type.startsWith("github:") && typeof r.props.repository === "string")?.props.repository;
  return typeof owner === "string" && typeof name === "string" ? `${owner}/${name}` : undefined;
}

/** The `environment` tag of the resource group a resource sits in (workload or identities group), if that group is in the stack. */
export function environmentOfGroup(resources: readonly PolicyResource[], resourceGroupName: unknown): string | undefined {
  const group = resources.find((r) => r.type === TYPES.resourceGroup && r.props.resourceGroupName === resourceGroupName);
  const env = group?.props.tags?.environment;
  return typeof env === "string" ? env : undefined;
}

export function ofType(resources: readonly PolicyResource[], type: string): PolicyResource[] {
  return resources.filter((r) => r.type === type);
}
