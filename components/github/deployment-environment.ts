import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentConfig } from "../../core/config";
import type { ResolvedReviewers } from "./reviewers";

export interface DeploymentEnvironmentArgs {
  /** Repository name (without owner) the environment belongs to. */
  readonly repository: string;
  /** The environment as configured: name, branch, wait timer, self-review rule. */
  readonly environment: Pick<EnvironmentConfig, "name" | "branch" | "waitTimerMinutes" | "preventSelfReview">;
  /** Required reviewers, already resolved to ids; empty lists mean no review gate. */
  readonly reviewers: ResolvedReviewers;
  /**
   * Branches allowed to deploy to the environment. Defaults to the environment's own branch only;
   * an empty list lets any branch deploy (used for the docs environment, whose jobs run on PR branches).
   */
  readonly deploymentBranches?: readonly string[];
  /** Environment variables the workflows read (`vars.NAME`). Defaults to none. */
  readonly variables?: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * A GitHub deployment environment with its protection rules: required reviewers who may not
 * approve their own runs, a wait timer, admins unable to bypass, a deployment-branch policy that
 * lets only the environment's own branch deploy, and the variables the workflows need.
 */
export class DeploymentEnvironment extends pulumi.ComponentResource {
  public readonly environment: github.RepositoryEnvironment;
  public readonly name: string;

  constructor(name: string, args: DeploymentEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delivery:github:DeploymentEnvironment", name, {}, opts);
    const env = args.environment;
    const branches = args.deploymentBranches ?? [env.branch];
    const hasReviewers = args.reviewers.users.length + args.reviewers.teams.length > 0;
    this.name = env.name;

    this.environment = new github.RepositoryEnvironment(
      name,
      {
        repository: args.repository,
        environment: env.name,
        waitTimer: env.waitTimerMinutes,
        // Admins bypassing protection rules would let one person deploy alone.
        canAdminsBypass: false,
        preventSelfReview: env.preventSelfReview,
        reviewers: hasReviewers ? [{ users: [...args.reviewers.users], teams: [...args.reviewers.teams] }] : [],
        deploymentBranchPolicy: branches.length > 0 ? { protectedBranches: false, customBranchPolicies: true } : undefined,
      },
      { parent: this, deleteBeforeReplace: true },
    );

    for (const branch of branches) {
      new github.RepositoryEnvironmentDeploymentPolicy(
        `${name}-branch-${branch.replace(/[^A-Za-z0-9-]/g, "-")}`,
        { repository: args.repository, environment: this.environment.environment, branchPattern: branch },
        { parent: this },
      );
    }

    for (const [variableName, value] of Object.entries(args.variables ?? {})) {
      new github.ActionsEnvironmentVariable(
        `${name}-var-${variableName.toLowerCase()}`,
        { repository: args.repository, environment: this.environment.environment, variableName, value },
        { parent: this },
      );
    }

    this.registerOutputs({ environment: this.environment.environment });
  }
}
