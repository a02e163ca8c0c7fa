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
   * Branches allowed to deploy to the environment: at least one, each an exact branch name (no
   * wildcards). Defaults to the environment's own branch only. There is no "any branch": an
   * environment's OIDC subject is what clouds trust, and a job on any ref (a pull request's merge
   * ref too) could otherwise claim it.
   */
  readonly deploymentBranches?: readonly string[];
  /** Environment variables the workflows read (`vars.NAME`). Defaults to none. */
  readonly variables?: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * A GitHub deployment environment with its protection rules: required reviewers who may not
 * approve their own runs, a wait timer, admins unable to bypass, a deployment-branch policy that
 * lets only the listed branches deploy (never any branch), and the variables the workflows need.
 */
export class DeploymentEnvironment extends pulumi.ComponentResource {
  public readonly environment: github.RepositoryEnvironment;
  public readonly name: string;

  constructor(name: string, args: DeploymentEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delivery:github:DeploymentEnvironment", name, {}, opts);
    const env = args.environment;
    const branches = args.deploymentBranches ?? [env.branch];
    const problems = deploymentBranchProblems(env.name, branches);
    if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);
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
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
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

/** Validation of the deployment branches, before anything is created. */
export function deploymentBranchProblems(environment: string, branches: readonly string[]): string[] {
  const problems: string[] = [];
  if (branches.length === 0) {
    problems.push(`[deploymentBranches] of environment "${environment}" is empty, which would let any branch or pull-request ref deploy to it; list the branch(es) that may`);
  }
  for (const branch of branches) {
    if (branch.length === 0 || /[*?[\]]/.test(branch)) problems.push(`[deploymentBranches] of environment "${environment}" lists ${JSON.stringify(branch)}; name one exact branch (no wildcards)`);
  }
  const duplicate = branches.find((b, i) => branches.indexOf(b) !== i);
  if (duplicate !== undefined) problems.push(`[deploymentBranches] of environment "${environment}" lists "${duplicate}" twice; list each branch once`);
  return problems;
}
