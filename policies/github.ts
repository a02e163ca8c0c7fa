/** GitHub: production's environment and branch must keep their gates. */
import type { EnforcementLevel, StackValidationPolicy } from "@pulumi/policy";
import { previewEnvironment } from "../core/oidc";
import { TYPES, ofType, productionFor } from "./lib";

export function githubProdEnvironmentReviewers(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "github-prod-environment-reviewers",
    description: "Checks whether the production GitHub environment requires reviewers, prevents self-review and denies admin bypass.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const production = productionFor(args.resources, reportViolation);
      if (!production) return;
      const name = production.environment;
      const env = ofType(args.resources, TYPES.githubEnvironment).find((r) => r.props.environment === name);
      if (!env) {
        reportViolation(`The stack deploys production (${name}) but has no GitHub environment "${name}" to gate it.`);
        return;
      }
      const reviewers: { users?: number[]; teams?: number[] }[] = env.props.reviewers ?? [];
      const count = reviewers.reduce((n, r) => n + (r.users?.length ?? 0) + (r.teams?.length ?? 0), 0);
      if (count === 0) reportViolation(`GitHub environment "${name}" must have required reviewers; add users or teams to environments[${name}].reviewers.`, env.urn);
      if (env.props.preventSelfReview !== true) reportViolation(`GitHub environment "${name}" must prevent self-review; set environments[${name}].preventSelfReview to true.`, env.urn);
      if (env.props.canAdminsBypass !== false) reportViolation(`GitHub environment "${name}" must not let administrators bypass its protection rules; set canAdminsBypass to false.`, env.urn);
    },
  };
}

export function githubProdDeploysFromMainOnly(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "github-prod-deploys-from-main-only",
    description: "Checks whether only the production branch may deploy to the production GitHub environment.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const production = productionFor(args.resources, reportViolation);
      if (!production) return;
      const { environment: productionEnvironment, branch: productionBranch } = production;
      const env = ofType(args.resources, TYPES.githubEnvironment).find((r) => r.props.environment === productionEnvironment);
      if (!env) return; // github-prod-environment-reviewers reports it
      const policy = env.props.deploymentBranchPolicy;
      if (!policy || policy.customBranchPolicies !== true || policy.protectedBranches !== false) {
        reportViolation(`GitHub environment "${productionEnvironment}" must restrict deployments to custom branch policies (protectedBranches false, customBranchPolicies true).`, env.urn);
      }
      const patterns = ofType(args.resources, TYPES.githubEnvironmentPolicy)
        .filter((p) => p.props.environment === productionEnvironment)
        .map((p) => p.props.branchPattern ?? p.props.tagPattern);
      if (patterns.length !== 1 || patterns[0] !== productionBranch) {
        reportViolation(
          `GitHub environment "${productionEnvironment}" must deploy only from "${productionBranch}"; found branch policies [${patterns.join(", ")}]. Set environments[${productionEnvironment}].branch to ${productionBranch}.`,
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
    validateStack: (args, reportViolation) => {
      const production = productionFor(args.resources, reportViolation);
      if (!production) return;
      const { environment: productionEnvironment, branch: productionBranch } = production;
      const ref = `refs/heads/${productionBranch}`;
      const rulesets = ofType(args.resources, TYPES.githubRuleset).filter((r) => (r.props.conditions?.refName?.includes ?? []).includes(ref) && r.props.enforcement === "active");
      if (rulesets.length === 0) {
        reportViolation(`Branch "${productionBranch}" must be protected by an active ruleset; the stack that deploys ${productionEnvironment} creates it (BranchRuleset).`);
        return;
      }
      const rules = rulesets.map((r) => r.props.rules ?? {});
      const some = (pred: (rule: any) => boolean) => rules.some(pred);
      const where = rulesets[0].urn;
      if (!some((r) => (r.pullRequest?.requiredApprovingReviewCount ?? 0) >= 1)) reportViolation(`Branch "${productionBranch}" must require pull requests with at least one approval; set environments[${productionEnvironment}].requiredApprovals to 1 or more.`, where);
      if (!some((r) => r.pullRequest?.dismissStaleReviewsOnPush === true)) reportViolation(`Branch "${productionBranch}" must dismiss stale approvals when new commits are pushed.`, where);
      if (!some((r) => (r.requiredStatusChecks?.requiredChecks ?? []).length > 0)) reportViolation(`Branch "${productionBranch}" must require the PR preview checks to pass.`, where);
      if (!some((r) => r.nonFastForward === true)) reportViolation(`Branch "${productionBranch}" must forbid force pushes (nonFastForward).`, where);
      if (!some((r) => r.deletion === true)) reportViolation(`Branch "${productionBranch}" must forbid deletion.`, where);
      if (rulesets.some((r) => (r.props.bypassActors ?? []).length > 0)) reportViolation(`Branch "${productionBranch}" must include administrators: its rulesets must have no bypass actors.`, where);
    },
  };
}

export function githubEnvironmentsBranchRestricted(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "github-environments-branch-restricted",
    description: "Checks whether every GitHub environment admits only listed branches, so no other ref (a pull request's merge ref) gets the OIDC subject its clouds trust.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const environments = ofType(args.resources, TYPES.githubEnvironment);
      // A preview environment (`<env>-preview`) admits pull-request refs by design; only read-only
      // identities may trust its subject, which oidc-federated-credentials-exact checks.
      const previews = new Set(environments.map((e) => e.props.environment).filter((n): n is string => typeof n === "string").map(previewEnvironment));
      for (const env of environments) {
        const name = env.props.environment;
        if (typeof name !== "string") continue; // absent; an unknown name fails closed (lib.ts failClosedOnUnknown)
        if (previews.has(name)) continue;
        const policy = env.props.deploymentBranchPolicy;
        const branches = ofType(args.resources, TYPES.githubEnvironmentPolicy).filter((p) => p.props.environment === name);
        if (!policy || policy.customBranchPolicies !== true || branches.length === 0) {
          reportViolation(`GitHub environment "${name}" must admit only listed branches (a custom deployment branch policy with at least one branch); without one, any ref can use its OIDC subject.`, env.urn);
        }
      }
    },
  };
}
