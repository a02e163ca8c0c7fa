import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { GITHUB_ACTIONS_APP_ID } from "../../core/intent/gates";

export interface BranchRulesetArgs {
  /** Repository name (without owner). */
  readonly repository: string;
  /** The environment branch to protect, e.g. main, test, dev. */
  readonly branch: string;
  /** Approvals a pull request needs before it can merge (0-10). */
  readonly requiredApprovals: number;
  /** Require review from code owners (CODEOWNERS). Defaults to false. */
  readonly requireCodeOwnerReview?: boolean;
  /** Status check contexts that must pass, e.g. the PR preview jobs. Defaults to none. */
  readonly requiredChecks?: readonly string[];
  /**
   * The GitHub App (integration id) that must report every required check, so a commit status or
   * another app's check of the same name does not satisfy it. The deploy gate reads it from the
   * ruleset. Defaults to GitHub Actions (15368), which runs the preview and docs jobs.
   */
  readonly requiredChecksAppId?: number;
}

/**
 * Protection for one environment branch as a repository ruleset: pull requests with approvals,
 * stale approvals dismissed on push, the preview checks required on an up-to-date branch, no
 * force pushes, no deletion, linear history. The ruleset has no bypass actors, so it binds
 * administrators too.
 *
 * Rulesets rather than classic branch protection: several rulesets can layer on one branch,
 * everyone with read access can see them, and bypass is an explicit, auditable list (empty here)
 * instead of the single "include administrators" switch.
 */
export class BranchRuleset extends pulumi.ComponentResource {
  public readonly ruleset: github.RepositoryRuleset;

  constructor(name: string, args: BranchRulesetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delivery:github:BranchRuleset", name, {}, opts);
    const problems = branchRulesetProblems(args);
    if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);
    const checks = args.requiredChecks ?? [];
    const appId = args.requiredChecksAppId ?? GITHUB_ACTIONS_APP_ID;

    this.ruleset = new github.RepositoryRuleset(
      name,
      {
        repository: args.repository,
        name: `protect-${args.branch}`,
        target: "branch",
        enforcement: "active",
        bypassActors: [],
        conditions: { refName: { includes: [`refs/heads/${args.branch}`], excludes: [] } },
        rules: {
          deletion: true,
          nonFastForward: true,
          requiredLinearHistory: true,
          pullRequest: {
            requiredApprovingReviewCount: args.requiredApprovals,
            dismissStaleReviewsOnPush: true,
            requireCodeOwnerReview: args.requireCodeOwnerReview ?? false,
            requireLastPushApproval: args.requiredApprovals > 0,
            requiredReviewThreadResolution: true,
          },
          requiredStatusChecks:
            checks.length > 0 ? { strictRequiredStatusChecksPolicy: true, requiredChecks: checks.map((context) => ({ context, integrationId: appId })) } : undefined,
        },
      },
      { parent: this },
    );
    this.registerOutputs({ rulesetId: this.ruleset.rulesetId });
  }
}

/** Validation of BranchRulesetArgs, before anything is created. */
export function branchRulesetProblems(args: BranchRulesetArgs): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(args.requiredApprovals) || args.requiredApprovals < 0 || args.requiredApprovals > 10) {
    problems.push(`[requiredApprovals] must be a whole number from 0 to 10 (GitHub's limit); received ${args.requiredApprovals}`);
  }
  const checks = args.requiredChecks ?? [];
  const duplicate = checks.find((c, i) => checks.indexOf(c) !== i);
  if (duplicate !== undefined) problems.push(`[requiredChecks] lists "${duplicate}" twice; list each check once`);
  const appId = args.requiredChecksAppId;
  if (appId !== undefined && (!Number.isSafeInteger(appId) || appId <= 0)) problems.push(`[requiredChecksAppId] must be a GitHub App id (a positive whole number); received ${appId}`);
  return problems;
}
