import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import {
  BUILT_IN_ROLES,
  TEMPLATE_ASSIGNABLE_ROLES,
  WHAT_IF_ACTIONS,
  constrainedDelegationCondition,
  deterministicGuid,
  resourceGroupResourceId,
  roleDefinitionResourceId,
} from "../../core/azure-roles";
import { AZURE_TOKEN_EXCHANGE_AUDIENCE, GITHUB_OIDC_ISSUER, MAX_FEDERATED_CREDENTIALS_PER_IDENTITY, environmentSubject, previewEnvironment, subjectProblems } from "../../core/oidc";
import { TIERS, environmentGroupTags, identityGroupName, identityResourceName, type IdentityRole, type Tier } from "../../core/resource-tags";
import { parseContainerScope, STATE_ROLES, stateContainer } from "../../core/state-backend";

export interface AzureEnvironmentArgs {
  /** The repository (OWNER/NAME) whose jobs the identities trust. */
  readonly repository: string;
  /** The environment name; the deploy identity trusts `repo:OWNER/NAME:environment:<name>` only. */
  readonly environment: string;
  readonly subscriptionId: string;
  /**
   * Name of the environment's workload resource group (what the templates deploy into). The
   * identities live beside it in `<name>-identities` (see `identityGroupName`), so both names must
   * be valid resource group names (1-90 letters, digits, - _ . ( ), not ending in .).
   */
  readonly resourceGroupName: string;
  /**
   * Whether this environment is the pipeline's production (`production`) or not
   * (`pre-production`). Written as the `delivery-tier` tag on both groups: the policy pack learns
   * what production is from it.
   */
  readonly tier: Tier;
  /** The environment branch (whose commits the environment runs), written as the `delivery-branch` tag. */
  readonly branch: string;
  /** Azure region of the resource group and identities. */
  readonly location: string;
  /** Tags for the resource group and identities (environment and managed-by are added). */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Protect the resource group from deletion: a CanNotDelete lock in Azure and `protect` in
   * Pulumi. Defaults to false; the production environment sets it.
   */
  readonly protectFromDeletion?: boolean;
  /**
   * Further subjects the deploy identity trusts, each exact and of this repository. Defaults to none.
   * Azure allows 20 federated credentials per identity.
   */
  readonly additionalSubjects?: readonly string[];
  /**
   * Subjects the read-only preview identity trusts besides pull-request jobs, each exact and of
   * this repository, e.g. the production branch, whose promotion job reads Azure Monitor alerts.
   * Defaults to none.
   */
  readonly readerSubjects?: readonly string[];
  /**
   * The resource id of this stack's state container (core/state-backend.ts stateContainerScope):
   * the deploy identity gets Storage Blob Data Contributor and the preview identity Storage Blob
   * Data Reader on it, and on nothing else of the state account. Defaults to none (granted by hand).
   */
  readonly stateContainerScope?: string;
}

/** The subjects the deploy identity trusts, validated; throws listing every problem. */
export function deploySubjects(args: Pick<AzureEnvironmentArgs, "repository" | "environment" | "additionalSubjects">): string[] {
  return checkedSubjects(args.repository, args.environment, [environmentSubject(args.repository, args.environment), ...(args.additionalSubjects ?? [])], "additionalSubjects", "");
}

/**
 * The subjects the read-only preview identity trusts: the environment's preview environment
 * (`<env>-preview`, where pull-request previews, `/preview` and drift run), plus `readerSubjects`.
 */
export function previewSubjects(args: Pick<AzureEnvironmentArgs, "repository" | "environment" | "readerSubjects">): string[] {
  return checkedSubjects(args.repository, args.environment, [environmentSubject(args.repository, previewEnvironment(args.environment)), ...(args.readerSubjects ?? [])], "readerSubjects", " for the preview identity");
}

const RESOURCE_GROUP_NAME = /^[-\w._()]{1,90}$/;

/**
 * Problems with the arguments that are not subjects: the tier, the branch, and the two resource
 * group names (the identities group's name is the workload group's plus `-identities`).
 */
export function azureEnvironmentProblems(args: Pick<AzureEnvironmentArgs, "resourceGroupName" | "tier" | "branch"> & Partial<Pick<AzureEnvironmentArgs, "environment" | "stateContainerScope">>): string[] {
  const problems: string[] = [];
  if (args.stateContainerScope !== undefined && args.environment !== undefined) {
    const container = parseContainerScope(args.stateContainerScope)?.container;
    if (container !== stateContainer(args.environment)) {
      problems.push(`[stateContainerScope] must be the id of this environment's own state container ${stateContainer(args.environment)} (stateContainerScope in core/state-backend.ts); received ${JSON.stringify(args.stateContainerScope)}`);
    }
  }
  if (!(TIERS as readonly string[]).includes(args.tier)) problems.push(`[tier] must be one of ${TIERS.join(", ")}; received ${JSON.stringify(args.tier)}`);
  if (typeof args.branch !== "string" || args.branch.length === 0) problems.push(`[branch] must name the environment branch; received ${JSON.stringify(args.branch)}`);
  for (const [argument, name] of [
    ["resourceGroupName", args.resourceGroupName],
    ["resourceGroupName (its identities group)", identityGroupName(args.resourceGroupName)],
  ] as const) {
    if (!RESOURCE_GROUP_NAME.test(name) || name.endsWith(".")) {
      problems.push(`[${argument}] gives "${name}", which is not a valid resource group name (1-90 letters, digits, - _ . ( ), not ending in .); shorten delivery-platform:azure.resourceGroupName`);
    }
  }
  return problems;
}

/** One identity's subjects, each exact and of this repository, unique, within Azure's limit; throws listing every problem. */
function checkedSubjects(repository: string, environment: string, subjects: string[], argument: string, identity: string): string[] {
  const problems = subjects.flatMap((s) => subjectProblems(s, repository));
  const duplicate = subjects.find((s, i) => subjects.indexOf(s) !== i);
  if (duplicate) problems.push(`subject "${duplicate}" is listed twice in [${argument}]`);
  if (subjects.length > MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
    problems.push(`${subjects.length} federated credentials requested${identity}; Azure allows at most ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} per identity (remove some [${argument}])`);
  }
  if (problems.length > 0) throw new Error(`environment ${environment}: ${problems.join("; ")}`);
  return subjects;
}

/**
 * One environment's footprint in Azure: its workload resource group, a second resource group that
 * holds its identities, and two user-assigned managed identities that GitHub Actions reach through
 * OIDC federation:
 *
 * - the deploy identity, trusted only for jobs in the GitHub environment of the same name, with
 *   Contributor and constrained Role Based Access Control Administrator on this resource group;
 * - the preview identity, trusted for jobs in the `<env>-preview` GitHub environment (pull-request
 *   previews, `/preview`, drift) and `readerSubjects`, with Reader on this
 *   resource group plus the what-if action, so a PR preview can never change anything.
 *
 * The identities sit in their own group, on which neither identity holds any role: the deploy
 * identity is Contributor on the workload group only, so it cannot add a federated credential to
 * itself (or to the preview identity) and keep access after its environment is taken from it.
 * Changing the identities, their trust or their roles therefore needs the platform administrator's
 * credentials (the bootstrap `pulumi up`), never a deploy job's.
 *
 * Managed identities rather than Entra applications: creating them needs only Azure RBAC on the
 * subscription (no directory-wide Application.ReadWrite permission), they live, are tagged and
 * locked with the environment's resource group, and they carry no secrets at all.
 */
export class AzureEnvironment extends pulumi.ComponentResource {
  public readonly resourceGroup: resources.ResourceGroup;
  /** The group holding the deploy and preview identities; no identity of the platform has a role on it. */
  public readonly identityGroup: resources.ResourceGroup;
  public readonly deployIdentity: managedidentity.UserAssignedIdentity;
  public readonly previewIdentity: managedidentity.UserAssignedIdentity;
  public readonly resourceGroupName: pulumi.Output<string>;

  constructor(name: string, args: AzureEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delivery:azure:AzureEnvironment", name, {}, opts);
    const problems = azureEnvironmentProblems(args);
    let subjects: string[] = [];
    let readerSubjects: string[] = [];
    try {
      subjects = deploySubjects(args);
      readerSubjects = previewSubjects(args);
    } catch (err) {
      problems.push((err as Error).message);
    }
    if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);
    const protect = args.protectFromDeletion ?? false;
    const group = { environment: args.environment, tier: args.tier, branch: args.branch };
    const tags = environmentGroupTags(args.tags, { ...group, holds: "workload" });
    const identityTags = environmentGroupTags(args.tags, { ...group, holds: "identities" });
    // Names and scopes as plain strings from the arguments (ordering comes from dependsOn), not the
    // groups' and identities' outputs: the policy pack reads them during the first preview too,
    // before anything exists (docs/policies.md, "Known at preview").
    const scope = resourceGroupResourceId(args.subscriptionId, args.resourceGroupName);
    const identityGroup = identityGroupName(args.resourceGroupName);
    const identityName = (role: IdentityRole) => identityResourceName(args.resourceGroupName, role);

    this.resourceGroup = new resources.ResourceGroup(
      `${name}-rg`,
      { resourceGroupName: args.resourceGroupName, location: args.location, tags },
      { parent: this, protect },
    );
    this.resourceGroupName = this.resourceGroup.name;
    this.identityGroup = new resources.ResourceGroup(
      `${name}-identities-rg`,
      { resourceGroupName: identityGroup, location: args.location, tags: identityTags },
      { parent: this, protect },
    );
    const inIdentityGroup = { parent: this, dependsOn: [this.identityGroup] };

    if (protect) {
      for (const [suffix, rg, rgName, what] of [
        ["no-delete", this.resourceGroup, args.resourceGroupName, "Production resource group"],
        ["identities-no-delete", this.identityGroup, identityGroup, "Resource group of the production identities"],
      ] as const) {
        new authorization.ManagementLockAtResourceGroupLevel(
          `${name}-${suffix}`,
          {
            resourceGroupName: rgName,
            lockName: "delivery-platform-no-delete",
            level: "CanNotDelete",
            notes: `${what} of ${args.repository}; managed by delivery-platform. Remove the lock through the platform, not by hand.`,
          },
          { parent: this, dependsOn: [rg], protect },
        );
      }
    }

    this.deployIdentity = new managedidentity.UserAssignedIdentity(
      `${name}-deploy-identity`,
      { resourceGroupName: identityGroup, resourceName: identityName("deploy"), location: args.location, tags: identityTags },
      inIdentityGroup,
    );
    subjects.forEach((subject, i) => {
      new managedidentity.FederatedIdentityCredential(
        `${name}-deploy-fic-${i}`,
        {
          resourceGroupName: identityGroup,
          resourceName: identityName("deploy"),
          federatedIdentityCredentialResourceName: i === 0 ? `github-${args.environment}` : `github-${args.environment}-${i}`,
          issuer: GITHUB_OIDC_ISSUER,
          subject,
          audiences: [AZURE_TOKEN_EXCHANGE_AUDIENCE],
        },
        { parent: this, dependsOn: [this.deployIdentity] },
      );
    });

    this.previewIdentity = new managedidentity.UserAssignedIdentity(
      `${name}-preview-identity`,
      { resourceGroupName: identityGroup, resourceName: identityName("preview"), location: args.location, tags: identityTags },
      inIdentityGroup,
    );
    readerSubjects.forEach((subject, i) => {
      new managedidentity.FederatedIdentityCredential(
        i === 0 ? `${name}-preview-fic` : `${name}-preview-fic-${i}`,
        {
          resourceGroupName: identityGroup,
          resourceName: identityName("preview"),
          federatedIdentityCredentialResourceName: i === 0 ? "github-pull-request" : `github-reader-${i}`,
          issuer: GITHUB_OIDC_ISSUER,
          subject,
          audiences: [AZURE_TOKEN_EXCHANGE_AUDIENCE],
        },
        { parent: this, dependsOn: [this.previewIdentity] },
      );
    });

    const assign = (suffix: string, principalId: pulumi.Output<string>, roleId: string, description: string, condition?: string) =>
      new authorization.RoleAssignment(
        `${name}-${suffix}`,
        {
          roleAssignmentName: deterministicGuid(scope, suffix, roleId),
          scope,
          principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: roleDefinitionResourceId(args.subscriptionId, roleId),
          description,
          ...(condition ? { condition, conditionVersion: "2.0" } : {}),
        },
        { parent: this, dependsOn: [this.resourceGroup] },
      );

    assign("deploy-contributor", this.deployIdentity.principalId, BUILT_IN_ROLES.contributor.id, `Deploys the ${args.environment} Bicep templates of ${args.repository}`);
    assign(
      "deploy-rbac-admin",
      this.deployIdentity.principalId,
      BUILT_IN_ROLES.roleBasedAccessControlAdministrator.id,
      `Lets the ${args.environment} templates grant their data-plane roles, and only those`,
      constrainedDelegationCondition(TEMPLATE_ASSIGNABLE_ROLES),
    );
    assign("preview-reader", this.previewIdentity.principalId, BUILT_IN_ROLES.reader.id, `Reads ${args.environment} for pull-request previews`);

    const whatIfRole = new authorization.RoleDefinition(
      `${name}-whatif-role`,
      {
        roleDefinitionId: deterministicGuid(scope, "whatif-role"),
        roleName: `delivery-platform what-if (${args.resourceGroupName})`,
        description: "Runs ARM what-if and template validation without permission to deploy",
        scope: this.resourceGroup.id,
        assignableScopes: [this.resourceGroup.id],
        permissions: [{ actions: [...WHAT_IF_ACTIONS], notActions: [] }],
      },
      { parent: this },
    );
    new authorization.RoleAssignment(
      `${name}-preview-whatif`,
      {
        roleAssignmentName: deterministicGuid(scope, "preview-whatif"),
        scope,
        principalId: this.previewIdentity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: whatIfRole.id,
        description: `Runs what-if for ${args.environment} pull-request previews`,
      },
      { parent: this, dependsOn: [this.resourceGroup] },
    );

    if (args.stateContainerScope) {
      // The stack's state, and only its own container: a preview can read it, never take its lock.
      for (const [role, identity, roleOf] of [
        ["deploy", this.deployIdentity, STATE_ROLES.deploy],
        ["preview", this.previewIdentity, STATE_ROLES.preview],
      ] as const) {
        new authorization.RoleAssignment(
          `${name}-${role}-state`,
          {
            roleAssignmentName: deterministicGuid(args.stateContainerScope, `${role}-state`, roleOf.id),
            scope: args.stateContainerScope,
            principalId: identity.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: roleDefinitionResourceId(args.subscriptionId, roleOf.id),
            description: `${role === "deploy" ? "Reads and writes" : "Reads"} the Pulumi state of ${args.environment}`,
          },
          { parent: this },
        );
      }
    }

    this.registerOutputs({
      resourceGroupName: this.resourceGroupName,
      identityGroupName: this.identityGroup.name,
      deployClientId: this.deployIdentity.clientId,
      previewClientId: this.previewIdentity.clientId,
    });
  }
}
