/**
 * GitHub Actions OIDC trust, as pure data: the subjects, audiences and policy documents that let
 * exactly this repository's jobs (and nothing else) exchange a GitHub token for cloud credentials.
 * Components, policies and tests all build on these, so a scope is defined in one place.
 */

/** The issuer of GitHub Actions ID tokens. */
export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";
/** The host part used in AWS condition keys and the OIDC provider ARN. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
/** The audience Entra ID expects for workload identity federation. */
export const AZURE_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
/** The audience aws-actions/configure-aws-credentials requests. */
export const AWS_STS_AUDIENCE = "sts.amazonaws.com";
/** Azure allows at most 20 federated identity credentials on one user-assigned identity. */
export const MAX_FEDERATED_CREDENTIALS_PER_IDENTITY = 20;
/** The GitHub environment the documentation job runs in; the docs role trusts only it. */
export const DOCS_ENVIRONMENT = "docs";

/**
 * The GitHub environment of the jobs that act as the promotion App (the IssueOps gate, `/promote`,
 * the promote workflow): only the environment branches may use it, so a writer's own branch never
 * reads the App's key. It deploys nothing (the policy pack reads it from here).
 */
export const PROMOTION_ENVIRONMENT = "promotion";

/**
 * The GitHub environment of a stack's read-only jobs (pull-request and `/preview` previews, drift):
 * it holds that stack's read-only credentials (state passphrase, read token) as environment
 * secrets, and its subject is what the stack's preview identity trusts. Any branch may use it (a
 * pull request's ref too), so nothing in it may write.
 */
export function previewEnvironment(environment: string): string {
  return `${environment}-preview`;
}

/** `repo:OWNER/REPO:environment:ENV`, the `sub` claim of a job that declares `environment: ENV`. */
/**
 * The subject of a pull_request run's token (no environment): what PR previews present.
 */
export function pullRequestSubject(repository: string): string {
  return `repo:${repository}:pull_request`;
}

/**
 * The subject of a token from a run on `branch` without an environment. IssueOps comments
 * (`issue_comment`) and the promote workflow run on the default branch, so their jobs present
 * `repo:OWNER/REPO:ref:refs/heads/<default branch>`.
 */
export function branchSubject(repository: string, branch: string): string {
  return `repo:${repository}:ref:refs/heads/${branch}`;
}

export function environmentSubject(repository: string, environment: string): string {
  return `repo:${repository}:environment:${environment}`;
}

/**
 * Checks that an OIDC subject matches exactly one repository's jobs: no wildcards, the repository
 * spelled out, and a concrete context (environment, ref or pull_request). Returns the problems;
 * an empty list means the subject is safe to trust.
 */
export function subjectProblems(subject: string, repository: string): string[] {
  const problems: string[] = [];
  if (/[*?]/.test(subject)) problems.push(`subject "${subject}" contains a wildcard; trust one exact subject such as ${environmentSubject(repository, "prod")}`);
  const prefix = `repo:${repository}:`;
  if (!subject.startsWith(prefix)) {
    problems.push(`subject "${subject}" is not scoped to ${repository}; it must start with "${prefix}"`);
  } else {
    const context = subject.slice(prefix.length);
    if (!/^(environment:[A-Za-z0-9._-]+|ref:refs\/(heads|tags)\/[A-Za-z0-9._/-]+|pull_request)$/.test(context)) {
      problems.push(`subject "${subject}" has context "${context}"; use environment:<name>, ref:refs/heads/<branch> or pull_request`);
    }
  }
  return problems;
}

/** ARN of a Bedrock foundation model, or of a cross-region inference profile (ids with a geo prefix such as `us.`). */
export function bedrockModelArn(region: string, accountId: string, modelId: string, partition = "aws"): string {
  return /^[a-z]{2,4}\.[a-z0-9-]+\./.test(modelId)
    ? `arn:${partition}:bedrock:${region}:${accountId}:inference-profile/${modelId}`
    : `arn:${partition}:bedrock:${region}::foundation-model/${modelId}`;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Principal?: Record<string, string>;
    readonly Action: string | readonly string[];
    readonly Resource?: string | readonly string[];
    readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
  }[];
}

/**
 * The role trust policy: only web identities from GitHub's provider, with `StringEquals` on the
 * audience and on the exact subjects (never `StringLike`, never `repo:*`).
 */
export function githubTrustPolicy(providerArn: string, subjects: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GitHubActionsOidc",
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: AWS_STS_AUDIENCE,
            [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : [...subjects],
          },
        },
      },
    ],
  };
}

/** The only actions the documentation role needs. */
export const BEDROCK_INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"] as const;

/** Permission to invoke exactly the listed models, nothing else. */
export function bedrockInvokePolicy(modelArns: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "InvokeAllowedModels", Effect: "Allow", Action: [...BEDROCK_INVOKE_ACTIONS], Resource: [...modelArns] }],
  };
}
