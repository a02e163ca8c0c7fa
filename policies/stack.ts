/** Stack-wide: every environment is complete, and nothing production needs is missing. */
import type { EnforcementLevel, StackValidationPolicy } from "@pulumi/policy";
import { DOCS_ENVIRONMENT, PROMOTION_ENVIRONMENT, environmentSubject, previewEnvironment } from "../core/oidc";
import { TYPES, holdsIdentities, ofType, productionFor, repositoryOf } from "./lib";

export interface EnvironmentsCompleteConfig {
  /** GitHub environments that deploy nothing to Azure (the docs job's, the promotion App's). Each environment's preview environment (`<env>-preview`) is one too. */
  readonly nonDeploymentEnvironments: readonly string[];
}

export function stackEnvironmentsComplete(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "stack-environments-complete",
    description: "Checks whether every environment in the stack has both a GitHub environment and an Azure deploy identity federated with it.",
    enforcementLevel,
    configSchema: { properties: { nonDeploymentEnvironments: { type: "array", items: { type: "string" }, default: [DOCS_ENVIRONMENT, PROMOTION_ENVIRONMENT] } } },
    validateStack: (args, reportViolation) => {
      const { nonDeploymentEnvironments } = args.getConfig<EnvironmentsCompleteConfig>();
      const repository = repositoryOf(args.resources);
      const githubEnvs = new Set(ofType(args.resources, TYPES.githubEnvironment).map((e) => e.props.environment as string));
      const azureEnvs = new Set(ofType(args.resources, TYPES.resourceGroup).map((g) => g.props.tags?.environment as string).filter(Boolean));
      const subjects = new Set(ofType(args.resources, TYPES.federatedCredential).map((f) => f.props.subject));
      const previews = new Set([...githubEnvs].map(previewEnvironment));
      for (const env of githubEnvs) {
        if (nonDeploymentEnvironments.includes(env) || previews.has(env)) continue;
        if (!azureEnvs.has(env)) reportViolation(`Environment "${env}" has a GitHub environment but no Azure resource group tagged environment=${env}.`);
        if (repository && !subjects.has(environmentSubject(repository, env))) reportViolation(`Environment "${env}" has no deploy identity trusting ${environmentSubject(repository, env)}.`);
      }
      for (const env of azureEnvs) {
        if (!githubEnvs.has(env)) reportViolation(`Environment "${env}" has an Azure resource group but no GitHub environment to gate its deployments.`);
      }
    },
  };
}

export function stackProdCriticalResources(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "stack-prod-critical-resources",
    description:
      "Checks whether a stack that deploys production contains everything production depends on: its GitHub environment, branch ruleset, locked resource group, deploy identity (in a separate identities group) and Bicep deployment.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const production = productionFor(args.resources, reportViolation);
      if (!production) return;
      const { environment: productionEnvironment, branch: productionBranch } = production;
      const r = args.resources;
      const groups = ofType(r, TYPES.resourceGroup).filter((g) => g.props.tags?.environment === productionEnvironment);
      const group = groups.find((g) => !holdsIdentities(g));
      const identityGroup = groups.find(holdsIdentities);
      const githubEnv = ofType(r, TYPES.githubEnvironment).find((e) => e.props.environment === productionEnvironment);
      const missing: string[] = [];
      if (!githubEnv) missing.push(`the GitHub environment "${productionEnvironment}"`);
      if (!group) missing.push(`a resource group tagged environment=${productionEnvironment}`);
      if (!ofType(r, TYPES.githubRuleset).some((s) => (s.props.conditions?.refName?.includes ?? []).includes(`refs/heads/${productionBranch}`))) missing.push(`a ruleset protecting ${productionBranch}`);
      if (group && !ofType(r, TYPES.resourceGroupLock).some((l) => l.props.resourceGroupName === group.props.resourceGroupName)) missing.push("the resource group's CanNotDelete lock");
      if (!identityGroup) missing.push(`a resource group for its identities (tagged environment=${productionEnvironment}, delivery-holds=identities)`);
      else if (!ofType(r, TYPES.identity).some((i) => i.props.resourceGroupName === identityGroup.props.resourceGroupName)) missing.push("a deploy identity");
      if (group && !ofType(r, TYPES.bicepDeployment).some((d) => d.props.resourceGroupName === group.props.resourceGroupName)) missing.push("its Bicep deployment");
      if (missing.length > 0) reportViolation(`A stack that deploys ${productionEnvironment} must contain ${missing.join(", ")}.`);
    },
  };
}
