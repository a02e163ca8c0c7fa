import * as iam from "@pulumi/aws/iam";
import * as pulumi from "@pulumi/pulumi";
import { AWS_STS_AUDIENCE, GITHUB_OIDC_HOST, GITHUB_OIDC_ISSUER, bedrockInvokePolicy, bedrockModelArn, githubTrustPolicy, subjectProblems, type PolicyDocument } from "../../core/oidc";

export interface DocsGenerationRoleArgs {
  /** The repository (OWNER/NAME) whose jobs may assume the role. */
  readonly repository: string;
  /** Exact OIDC subjects trusted, e.g. `repo:OWNER/NAME:environment:docs`; at least one. */
  readonly subjects: readonly string[];
  /** AWS account id that owns the role (used in ARNs). */
  readonly accountId: string;
  /** Region the Bedrock models are invoked in. */
  readonly region: string;
  /** Bedrock model ids the role may invoke; at least one. */
  readonly modelIds: readonly string[];
  /** An existing GitHub OIDC provider's ARN; when unset, one is created (one per account). */
  readonly existingOidcProviderArn?: string;
  /**
   * Exact OIDC subjects of the jobs that preview this stack (pull requests, IssueOps `/preview` on
   * the default branch). They get a second role that can only read the docs role, its policy and the
   * OIDC provider, which is what `pulumi preview` reads. Defaults to none (no preview role).
   */
  readonly previewSubjects?: readonly string[];
}

/** Validation of DocsGenerationRoleArgs, before anything is created; returns every problem. */
export function docsRoleProblems(args: DocsGenerationRoleArgs): string[] {
  const problems: string[] = [];
  if (args.subjects.length === 0) problems.push("[subjects] is empty; trust at least one exact subject such as repo:OWNER/NAME:environment:docs");
  for (const s of args.subjects) problems.push(...subjectProblems(s, args.repository).map((p) => `[subjects]: ${p}`));
  for (const s of args.previewSubjects ?? []) problems.push(...subjectProblems(s, args.repository).map((p) => `[previewSubjects]: ${p}`));
  const shared = (args.previewSubjects ?? []).filter((s) => args.subjects.includes(s));
  if (shared.length > 0) problems.push(`[previewSubjects] and [subjects] share ${shared.join(", ")}; a preview job must not get the role that invokes models`);
  if (args.modelIds.length === 0) problems.push("[modelIds] is empty; list the Bedrock models documentation generation may invoke");
  for (const m of args.modelIds) if (m.includes("*")) problems.push(`[modelIds]: "${m}" contains a wildcard; list exact model ids`);
  return problems;
}

/** The ARN AWS gives GitHub's OIDC provider in an account (one per account and issuer host). */
export function githubOidcProviderArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`;
}

/** The ARN of a role without a path (the program sets none). */
export function iamRoleArn(accountId: string, roleName: string): string {
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}

/** What `pulumi preview` of the docs role reads: the role, its inline policies, the OIDC provider. Nothing else, and nothing it can change. */
export function previewReadPolicy(roleArn: string, oidcProviderArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ReadDocsRole", Effect: "Allow", Action: ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"], Resource: [roleArn] },
      { Sid: "ReadGitHubOidcProvider", Effect: "Allow", Action: ["iam:GetOpenIDConnectProvider"], Resource: [oidcProviderArn] },
    ],
  };
}

/**
 * The AWS side of documentation generation: GitHub's OIDC provider (or a reference to the
 * account's existing one) and a role that only this repository's docs jobs can assume, allowed
 * only to invoke the listed Bedrock models.
 */
export class DocsGenerationRole extends pulumi.ComponentResource {
  public readonly role: iam.Role;
  public readonly roleArn: pulumi.Output<string>;
  /** The read-only preview role's ARN; empty when there are no preview subjects. */
  public readonly previewRoleArn: pulumi.Output<string>;

  constructor(name: string, args: DocsGenerationRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delivery:aws:DocsGenerationRole", name, {}, opts);
    const problems = docsRoleProblems(args);
    if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);

    // The ARNs the trust and read policies name are derived from the arguments (AWS fixes their
    // form), not read from the resources' outputs: the policy pack checks these documents during the
    // first preview too, before the provider and role exist (docs/policies.md, "Known at preview").
    const oidcProvider = args.existingOidcProviderArn
      ? undefined
      : new iam.OpenIdConnectProvider(
          `${name}-github-oidc`,
          // AWS validates GitHub's certificate against its trusted CAs; the thumbprint is not used for this issuer.
          { url: GITHUB_OIDC_ISSUER, clientIdLists: [AWS_STS_AUDIENCE] },
          { parent: this },
        );
    const providerArn = args.existingOidcProviderArn ?? githubOidcProviderArn(args.accountId);
    const afterProvider = oidcProvider ? [oidcProvider] : [];

    this.role = new iam.Role(
      `${name}-role`,
      {
        description: `Documentation generation for ${args.repository}: invoke the allowed Bedrock models`,
        assumeRolePolicy: JSON.stringify(githubTrustPolicy(providerArn, args.subjects)),
        maxSessionDuration: 3600,
      },
      { parent: this, dependsOn: afterProvider },
    );
    new iam.RolePolicy(
      `${name}-bedrock`,
      {
        role: this.role.name,
        policy: JSON.stringify(bedrockInvokePolicy(args.modelIds.map((m) => bedrockModelArn(args.region, args.accountId, m)))),
      },
      { parent: this },
    );
    this.roleArn = this.role.arn;

    if ((args.previewSubjects ?? []).length > 0) {
      const previewRole = new iam.Role(
        `${name}-preview-role`,
        {
          description: `Previews of ${args.repository}: read the documentation role and the GitHub OIDC provider`,
          assumeRolePolicy: JSON.stringify(githubTrustPolicy(providerArn, args.previewSubjects!)),
          maxSessionDuration: 3600,
        },
        { parent: this, dependsOn: afterProvider },
      );
      new iam.RolePolicy(
        `${name}-preview-read`,
        {
          role: previewRole.name,
          // The role's name is known at preview (auto-naming happens in the provider's check), its ARN is not.
          policy: this.role.name.apply((roleName) => JSON.stringify(previewReadPolicy(iamRoleArn(args.accountId, roleName), providerArn))),
        },
        { parent: this },
      );
      this.previewRoleArn = previewRole.arn;
    } else {
      this.previewRoleArn = pulumi.output("");
    }
    this.registerOutputs({ roleArn: this.roleArn, previewRoleArn: this.previewRoleArn });
  }
}
