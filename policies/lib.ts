/**
 * What the policies share: the resource types they read, how they find "this repository" and
 * an environment's resources among a stack's resources, and what production is, as the program
 * marked it on the stack's resource groups (`core/resource-tags.ts`).
 */
import type { PolicyResource, ReportViolation, ResourceValidation, ResourceValidationPolicy, StackValidation, StackValidationPolicy } from "@pulumi/policy";
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

/**
 * A value the engine cannot know during a preview: an input computed from an output of a resource
 * that does not exist yet (an id, a principal id). The policy SDK's props proxy throws on reading
 * one; `known` turns that into this marker so a policy can decide what it means.
 */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/**
 * The SDK's UnknownValueError (internal to @pulumi/policy, so recognised by its fields): thrown by
 * the props proxy on reading a value that is unknown during preview.
 */
export function isUnknownValueError(err: unknown): err is Error & { readonly props: readonly PropertyKey[] } {
  return err instanceof Error && typeof (err as { unknownTypeSentinel?: unknown }).unknownTypeSentinel === "string" && Array.isArray((err as { props?: unknown }).props);
}

/** `read()`, or UNKNOWN when what it reads is unknown during this preview. */
export function known<T>(read: () => T): T | typeof UNKNOWN {
  try {
    return read();
  } catch (err) {
    if (isUnknownValueError(err)) return UNKNOWN;
    throw err;
  }
}

/**
 * The identity a role assignment grants to: the identity its `principalId` comes from (the engine
 * records that dependency, also during a first preview, when the principal id itself is unknown), or
 * outside the engine the identity with the same known principal id.
 */
export function assigneeOf(resources: readonly PolicyResource[], assignment: PolicyResource): PolicyResource | undefined {
  const viaDependency = (assignment.propertyDependencies?.principalId ?? []).find((d) => d.type === TYPES.identity);
  if (viaDependency) return viaDependency;
  const principalId = known(() => assignment.props.principalId);
  if (typeof principalId !== "string") return undefined;
  return ofType(resources, TYPES.identity).find((i) => known(() => i.props.principalId) === principalId);
}

const cannotCheck = (name: string, err: Error) =>
  `Cannot check this during preview, so it fails closed: the ${err.message.replace(/ can't be known during preview$/, "")} of ${name} is not known until the resources it is computed from exist. ` +
  "Policies that gate production read values the program derives from configuration; give the resource that value as a plain input (see docs/policies.md, \"Known at preview\").";

/** Which resources hold an unknown value at the path the SDK reported, for the message. */
function unknownAt(resources: readonly PolicyResource[], path: readonly PropertyKey[]): string {
  const holders = resources.filter((r) => known(() => path.reduce<any>((value, key) => value?.[key], r.props)) === UNKNOWN).map((r) => `"${r.name}" (${r.type})`);
  if (holders.length === 0) return "a resource of this stack";
  return holders.length > 3 ? `${holders.slice(0, 3).join(", ")} and ${holders.length - 3} more` : holders.join(", ");
}

/**
 * The policy, failing closed instead of being skipped: the SDK turns a read of an unknown value into
 * an advisory "can't run policy during preview", which would let a first `up` of production through
 * ungated. Here it is a violation at the policy's own enforcement level, naming what was unknown.
 */
export function failClosedOnUnknown<P extends ResourceValidationPolicy | StackValidationPolicy>(policy: P): P {
  if ("validateStack" in policy) {
    const validate = (policy as StackValidationPolicy).validateStack;
    const validateStack: StackValidation = async (args, report) => {
      try {
        await validate(args, report);
      } catch (err) {
        if (!isUnknownValueError(err)) throw err;
        report(cannotCheck(unknownAt(args.resources, err.props), err));
      }
    };
    return { ...policy, validateStack };
  }
  const own = (policy as ResourceValidationPolicy).validateResource;
  if (!own) return policy;
  const validateResource = (Array.isArray(own) ? own : [own]).map(
    (validate): ResourceValidation =>
      async (args, report) => {
        try {
          await validate(args, report);
        } catch (err) {
          if (!isUnknownValueError(err)) throw err;
          report(cannotCheck(`"${args.name}" (${args.type})`, err));
        }
      },
  );
  return { ...policy, validateResource };
}
