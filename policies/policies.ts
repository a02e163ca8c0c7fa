/** Every policy of the pack, in the order the docs table lists them. */
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { bicepDestructiveChangesNeedReason, bicepProdHealthVerification, bicepProdIncrementalMode } from "./bicep";
import { azureAllowedLocations, azureIdentityRolesOwnGroup, azureProdIdentityNotShared, azureProdResourceGroupProtected, azureResourceGroupTags } from "./azure";
import { githubEnvironmentsBranchRestricted, githubProdDeploysFromMainOnly, githubProdEnvironmentReviewers, githubProductionBranchProtected } from "./github";
import { awsDocsRoleBedrockOnly, awsDocsRoleTrustExact, oidcFederatedCredentialsExact } from "./oidc";
import { failClosedOnUnknown } from "./lib";
import { stackEnvironmentsComplete, stackProdCriticalResources } from "./stack";
import { workflowActionsPinned, workflowDeployGate, workflowLeastPrivilege, workflowNoPullRequestTarget, workflowNoUntrustedInterpolation } from "./workflows";

/**
 * The pack: every policy fails closed on a value it cannot know during preview (lib.ts
 * `failClosedOnUnknown`), so a first preview of production is gated as strictly as later ones.
 */
export function allPolicies(enforcementLevel: EnforcementLevel = "advisory"): Policies {
  const policies: Policies = [
    githubProdEnvironmentReviewers(enforcementLevel),
    githubProdDeploysFromMainOnly(enforcementLevel),
    githubProductionBranchProtected(enforcementLevel),
    githubEnvironmentsBranchRestricted(enforcementLevel),
    oidcFederatedCredentialsExact(enforcementLevel),
    awsDocsRoleTrustExact(enforcementLevel),
    awsDocsRoleBedrockOnly(enforcementLevel),
    azureProdResourceGroupProtected(enforcementLevel),
    azureResourceGroupTags(enforcementLevel),
    azureAllowedLocations(enforcementLevel),
    azureIdentityRolesOwnGroup(enforcementLevel),
    azureProdIdentityNotShared(enforcementLevel),
    bicepProdIncrementalMode(enforcementLevel),
    bicepProdHealthVerification(enforcementLevel),
    bicepDestructiveChangesNeedReason(enforcementLevel),
    workflowActionsPinned(enforcementLevel),
    workflowLeastPrivilege(enforcementLevel),
    workflowNoPullRequestTarget(enforcementLevel),
    workflowNoUntrustedInterpolation(enforcementLevel),
    workflowDeployGate(enforcementLevel),
    stackEnvironmentsComplete(enforcementLevel),
    stackProdCriticalResources(enforcementLevel),
  ];
  return policies.map(failClosedOnUnknown);
}
