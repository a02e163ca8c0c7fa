/** GitHub: production's environment and branch must keep their gates. */
import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { SETTINGS_SCHEMA, TYPES, ofType, settingsOf } from "./lib";

export function githubProdEnvironmentReviewers(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "github-prod-environment-reviewers",
    description: "Checks whether the production GitHub environment requires reviewers, prevents self-review and denies admin bypass.",
    enforcementLevel,
    configSchema: SETTINGS_SCHEMA,
    validateResource: (args, reportViolation) => {
      if (args.type !== TYPES.githubEnvironment) return;
      const { productionEnvironment } = settingsOf(args.getConfig);
      if (args.props.environment !== productionEnvironment) return;
      const reviewers: { users?: number[]; teams?: number[] }[] = args.props.reviewers ?? [];
      const count = reviewers.reduce((n, r) => n + (r.users?.length ?? 0) + (r.teams?.length ?? 0), 0);
      if (count === 0) reportViolation(`GitHub environment "${productionEnvironment}" must have required reviewers; add users or teams to environments[prod].reviewers.`);
      if (args.props.preventSelfReview !== true) reportViolation(`GitHub environment "${productionEnvironment}" must prevent self-review; set environments[prod].preventSelfReview to true.`);
      if (args.props.canAdminsBypass !== false) reportViolation(`GitHub environment "${productionEnvironment}" must not let administrators bypass its protection rules; set canAdminsBypass to false.`);
    },
  };
}

export function githubProdDeploysFromMainOnly(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "github-prod-deploys-from-main-only",
    description: "Checks whether only the production branch may deploy to the production GitHub environment.",
    enforcementLevel,
    configSchema: SETTINGS_SCHEMA,
    validateStack: (args, reportViolation) => {
      const { productionEnvironment, productionBranch } = settingsOf(args.getConfig);
      const env = ofType(args.resources, TYPES.githubEnvironment).find((r) => r.props.environment === productionEnvironment);
      if (!env) return;
      const policy = env.props.deploymentBranchPolicy;
      if (!policy || policy.customBranchPolicies !== true || policy.protectedBranches !== false) {
        reportViolation(`GitHub environment "${productionEnvironment}" must restrict deployments to custom branch policies (protectedBranches false, customBranchPolicies true).`, env.urn);
      }
      const patterns = ofType(args.resources, TYPES.githubEnvironmentPolicy)
        .filter((p) => p.props.environment === productionEnvironment)
        .map((p) => p.props.branchPattern ?? p.props.tagPattern);
      if (patterns.length !== 1 || patterns[0] !== productionBranch) {
        reportViolation(
          `GitHub environment "${productionEnvironment}" must deploy only from "${productionBranch}"; found branch policies [${patterns.join(", ")}]. Set environments[prod].branch to ${productionBranch}.`,
          env.urn,
        );
      }
    },
  };
}

export function githubProductionBranchProtected(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "github-production-branch-protected",
    description: "Checks whether the production branch requires approved pull requests and preview checks, and forbids force pushes, deletion and bypass.",
    enforcementLevel,
    configSchema: SETTINGS_SCHEMA,
    validateStack: (args, reportViolation) => {
      const { productionEnvironment, productionBranch } = settingsOf(args.getConfig);
      const deploysProduction = ofType(args.resources, TYPES.githubEnvironment).some((r) => r.props.environment === productionEnvironment);
      if (!deploysProduction) return;
      const ref = `refs/heads/${productionBranch}`;
      const rulesets = ofType(args.resources, TYPES.githubRuleset).filter((r) => (r.props.conditions?.refName?.includes ?? []).includes(ref) && r.props.enforcement === "active");
      if (rulesets.length === 0) {
        reportViolation(`Branch "${productionBranch}" must be protected by an active ruleset; the stack that deploys ${productionEnvironment} creates it (BranchRuleset).`);
        return;
      }
      const rules = rulesets.map((r) => r.props.rules ?? {});
      const some = (pred: (rule: any) => boolean) => rules.some(pred);
      const where = rulesets[0].urn;
      if (!some((r) => (r.pullRequest?.requiredApprovingReviewCount ?? 0) >= 1)) reportViolation(`Branch "${productionBranch}" must require pull requests with at least one approval; set environments[prod].requiredApprovals to 1 or more.`, where);
      if (!some((r) => r.pullRequest?.dismissStaleReviewsOnPush === true)) reportViolation(`Branch "${productionBranch}" must dismiss stale approvals when new commits are pushed.`, where);
      if (!some((r) => (r.requiredStatusChecks?.requiredChecks ?? []).length > 0)) reportViolation(`Branch "${productionBranch}" must require the PR preview checks to pass.`, where);
      if (!some((r) => r.nonFastForward === true)) reportViolation(`Branch "${productionBranch}" must forbid force pushes (nonFastForward).`, where);
      if (!some((r) => r.deletion === true)) reportViolation(`Branch "${productionBranch}" must forbid deletion.`, where);
      if (rulesets.some((r) => (r.props.bypassActors ?? []).length > 0)) reportViolation(`Branch "${productionBranch}" must include administrators: its rulesets must have no bypass actors.`, where);
    },
  };
}
