/**
 * What the policies share: the resource types they read, how they find "this repository" and
 * an environment's resources among a stack's resources, and the platform settings every policy
 * accepts through the policy-pack config file.
 */
import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";

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

/** Settings every policy reads from its policy-pack config entry (with these defaults). */
export interface PlatformSettings {
  /** The GitHub environment / Azure `environment` tag that is production. */
  readonly productionEnvironment: string;
  /** The branch production deploys from. */
  readonly productionBranch: string;
}

export const DEFAULT_SETTINGS: PlatformSettings = { productionEnvironment: "prod", productionBranch: "main" };

export const SETTINGS_SCHEMA: PolicyConfigSchema = {
  properties: {
    productionEnvironment: { type: "string", default: DEFAULT_SETTINGS.productionEnvironment },
    productionBranch: { type: "string", default: DEFAULT_SETTINGS.productionBranch },
  },
};

export function settingsOf(getConfig: <T extends object>() => T): PlatformSettings {
  return { ...DEFAULT_SETTINGS, ...getConfig<Partial<PlatformSettings>>() };
}

/** OWNER/NAME, from the GitHub provider's owner and the repository the GitHub resources name. */
export function repositoryOf(resources: readonly PolicyResource[]): string | undefined {
  const owner = resources.find((r) => r.type === TYPES.githubProvider)?.props.owner;
  const name = resources.find((r) => r.type.startsWith("github:") && typeof r.props.repository === "string")?.props.repository;
  return typeof owner === "string" && typeof name === "string" ? `${owner}/${name}` : undefined;
}

/** The `environment` tag of the resource group a resource sits in, if that group is in the stack. */
export function environmentOfGroup(resources: readonly PolicyResource[], resourceGroupName: unknown): string | undefined {
  const group = resources.find((r) => r.type === TYPES.resourceGroup && r.props.resourceGroupName === resourceGroupName);
  const env = group?.props.tags?.environment;
  return typeof env === "string" ? env : undefined;
}

export function ofType(resources: readonly PolicyResource[], type: string): PolicyResource[] {
  return resources.filter((r) => r.type === type);
}
