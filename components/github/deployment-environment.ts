import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentConfig } from "../../core/config";
import type { SecretSpec } from "../../workflows/common";
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
   * wildcards). Defaults to the environment's own branch only. `"any"` admits every ref (a pull
   * request's too): only for an environment whose secrets and trusted identities are read-only
   * (the `<env>-preview` environments), since any job could claim its OIDC subject and secrets.
   */
  readonly deploymentBranches?: readonly string[] | "any";
  /** Environment variables the workflows read (`vars.NAME`). Defaults to none. */
  readonly variables?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * The environment secrets its jobs read (workflows/common.ts `environmentSecrets`): names and
   * what each value must be, never values. The administrator sets them; the component validates
   * where they may live (a secret that grants administration only behind required reviewers and a
   * branch policy) and exposes the list as `secrets`. Defaults to none.
   */
  readonly secrets?: readonly SecretSpec[];
}

/**
 * A GitHub deployment environment with its protection rules: required reviewers who may not
 * approve their own runs, a wait timer, admins unable to bypass, a deployment-branch policy that
 * lets only the listed branches deploy (never any branch), and the variables the workflows need.
 */
export class DeploymentEnvironment extends pulumi.ComponentResource {
  public readonly environment: github.RepositoryEnvironment;
  public readonly name: string;
  /** The secrets the administrator must set in this environment (names and what each must be). */
  public readonly secrets: readonly SecretSpec[];

  constructor(name: string, args: DeploymentEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delivery:github:DeploymentEnvironment", name, {}, opts);
    const env = args.environment;
    const branches = args.deploymentBranches ?? [env.branch];
    const hasReviewers = args.reviewers.users.length + args.reviewers.teams.length > 0;
    const problems = [...(branches === "any" ? [] : deploymentBranchProblems(env.name, branches)), ...environmentSecretProblems(env.name, args.secrets ?? [], { hasReviewers, anyBranch: branches === "any" })];
    if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);
    this.name = env.name;
    this.secrets = args.secrets ?? [];

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
        ...(branches === "any" ? {} : { deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true } }),
      },
      { parent: this, deleteBeforeReplace: true },
    );

    for (const branch of branches === "any" ? [] : branches) {
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

    this.registerOutputs({ environment: this.environment.environment, secrets: this.secrets.map((s) => s.name) });
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

/**
 * Validation of the secrets an environment declares, before anything is created: valid, unique
 * names, and a secret that grants administration only where required reviewers and a branch
 * policy stand before it (anyone who can push could otherwise run a job in the environment).
 */
export function environmentSecretProblems(environment: string, secrets: readonly SecretSpec[], where: { hasReviewers: boolean; anyBranch: boolean }): string[] {
  const problems: string[] = [];
  for (const s of secrets) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(s.name) || s.name.startsWith("GITHUB_")) problems.push(`[secrets] of environment "${environment}" lists ${JSON.stringify(s.name)}; a secret name is upper-case letters, digits and underscores, not starting with a digit or GITHUB_`);
    if (s.grantsAdministration && (!where.hasReviewers || where.anyBranch)) {
      problems.push(`[secrets] of environment "${environment}" lists ${s.name}, which grants repository administration, but the environment has ${where.anyBranch ? "no branch policy" : "no required reviewers"}; keep administration in the reviewer-protected production environment`);
    }
  }
  const names = secrets.map((s) => s.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) problems.push(`[secrets] of environment "${environment}" lists ${duplicate} twice; list each secret once`);
  return problems;
}
