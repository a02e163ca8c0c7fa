/**
 * The platform each committed stack builds, under mocks: every security-relevant property of the
 * GitHub environments and rulesets, the Azure identities and role assignments, and the AWS role.
 */
import { TEMPLATE_ASSIGNABLE_ROLES, constrainedDelegationCondition } from "../../core/azure-roles";
import { readStackFile } from "../../core/stack-file";
import { evaluateStack, RECORDED_GITHUB_TEAMS, REPO_ROOT, type ProgramRun } from "../harness/program";

const T = {
  env: "github:index/repositoryEnvironment:RepositoryEnvironment",
  envPolicy: "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
  envVar: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
  repoVar: "github:index/actionsVariable:ActionsVariable",
  label: "github:index/issueLabel:IssueLabel",
  ruleset: "github:index/repositoryRuleset:RepositoryRuleset",
  rg: "azure-native:resources:ResourceGroup",
  lock: "azure-native:authorization:ManagementLockAtResourceGroupLevel",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  fic: "azure-native:managedidentity:FederatedIdentityCredential",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  roleDefinition: "azure-native:authorization:RoleDefinition",
  oidcProvider: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};
const SUB = "00000000-0000-0000-0000-000000000000";
const REPO = "contoso/payments-service";

const expected = {
  dev: { branch: "dev", waitTimer: 0, teams: [] as number[], approvals: 1, codeOwners: false },
  staging: { branch: "test", waitTimer: 0, teams: [RECORDED_GITHUB_TEAMS["qa-leads"]], approvals: 1, codeOwners: false },
  prod: { branch: "main", waitTimer: 10, teams: [RECORDED_GITHUB_TEAMS["release-managers"]], approvals: 2, codeOwners: true },
} as const;
type Stack = keyof typeof expected;
const stacks = Object.keys(expected) as Stack[];

const runs = {} as Record<Stack, ProgramRun>;
beforeAll(async () => {
  for (const stack of stacks) runs[stack] = await evaluateStack(stack);
}, 60_000);

describe.each(stacks)("stack %s", (stack) => {
  const e = expected[stack];
  const rgName = `rg-payments-service-${stack}`;
  const idGroup = `${rgName}-identities`;
  const rgId = `/subscriptions/${SUB}/resourceGroups/${rgName}`;
  let run: ProgramRun;
  beforeAll(() => (run = runs[stack]));

  describe("GitHub environment", () => {
    it("has reviewers resolved to ids, no self-review, no admin bypass and the wait timer", () => {
      const env = run.one(T.env, stack).inputs;
      expect(env).toMatchObject({ repository: "payments-service", environment: stack, waitTimer: e.waitTimer, canAdminsBypass: false, preventSelfReview: true });
      expect(env.reviewers ?? []).toEqual(e.teams.length ? [{ users: [], teams: e.teams }] : []);
    });

    it("lets only its own branch, and the default branch that hosts IssueOps runs, deploy", () => {
      expect(run.one(T.env, stack).inputs.deploymentBranchPolicy).toEqual({ protectedBranches: false, customBranchPolicies: true });
      const policies = run.ofType(T.envPolicy).filter((p) => p.inputs.environment === stack);
      expect(policies.map((p) => p.inputs.branchPattern)).toEqual(stack === "prod" ? ["main"] : [e.branch, "main"]);
    });

    it("carries the variables the deploy workflow reads", () => {
      const vars = Object.fromEntries(run.ofType(T.envVar).filter((v) => v.inputs.environment === stack).map((v) => [v.inputs.variableName, v.inputs.value]));
      expect(vars).toEqual({
        AZURE_CLIENT_ID: `client-${stack}-deploy-identity`,
        AZURE_TENANT_ID: SUB,
        AZURE_SUBSCRIPTION_ID: SUB,
        AZURE_RESOURCE_GROUP: rgName,
        // prod's `pulumi up` regenerates the Graft docs, so its job may assume the docs role.
        ...(stack === "prod" ? { AWS_DOCS_ROLE_ARN: "arn:aws:iam::123456789012:role/docs-role" } : {}),
      });
      const previewVar = run.one(T.repoVar, `${stack}-preview-client-id`).inputs;
      expect(previewVar).toEqual({ repository: "payments-service", variableName: `AZURE_PREVIEW_CLIENT_ID_${stack.toUpperCase()}`, value: `client-${stack}-preview-identity` });
    });

    it("creates the deploy label of its environment", () => {
      expect(run.ofType(T.label).map((l) => l.inputs.name)).toContain(`deploy:${stack}`);
    });
  });

  describe("branch ruleset", () => {
    it("protects the environment branch with reviews, checks history and no bypass", () => {
      const rs = run.one(T.ruleset, `${stack}-branch`).inputs;
      expect(rs).toMatchObject({ repository: "payments-service", target: "branch", enforcement: "active", bypassActors: [] });
      expect(rs.conditions).toEqual({ refName: { includes: [`refs/heads/${e.branch}`], excludes: [] } });
      expect(rs.rules).toMatchObject({ deletion: true, nonFastForward: true, requiredLinearHistory: true });
      expect(rs.rules.pullRequest).toEqual({
        requiredApprovingReviewCount: e.approvals,
        dismissStaleReviewsOnPush: true,
        requireCodeOwnerReview: e.codeOwners,
        requireLastPushApproval: true,
        requiredReviewThreadResolution: true,
      });
      expect(rs.rules.requiredStatusChecks).toEqual({
        strictRequiredStatusChecksPolicy: true,
        // Each from GitHub Actions (its app id): a commit status or another app's check of the name does not count.
        requiredChecks: ["preview (dev)", "preview (staging)", "preview (prod)", "docs (graft-status)"].map((context) => ({ context, integrationId: 15368 })),
      });
    });
  });

  describe("Azure", () => {
    const tier = stack === "prod" ? "production" : "pre-production";
    const tags = { "cost-center": "4711", owner: "platform-team", repository: REPO, environment: stack, "managed-by": "delivery-platform", "delivery-tier": tier, "delivery-branch": e.branch };

    it("creates the workload resource group, tagged with its tier and branch (what the policy pack reads), in the configured location", () => {
      const rg = run.one(T.rg, `${stack}-rg`).inputs;
      expect(rg).toEqual({ resourceGroupName: rgName, location: "westeurope", tags: { ...tags, "delivery-holds": "workload" } });
    });

    it("puts the identities in their own resource group, on which no identity holds a role", () => {
      expect(run.one(T.rg, `${stack}-identities-rg`).inputs).toEqual({ resourceGroupName: idGroup, location: "westeurope", tags: { ...tags, "delivery-holds": "identities" } });
      expect(run.ofType(T.identity).map((i) => i.inputs.resourceGroupName)).toEqual([idGroup, idGroup]);
      expect(run.ofType(T.fic).map((f) => f.inputs.resourceGroupName)).toEqual(run.ofType(T.fic).map(() => idGroup));
      // ATTACK (the old layout): the deploy identity, Contributor where it lives, adds a federated
      // credential to itself. No role assignment reaches the identities group, at any scope.
      for (const a of run.ofType(T.roleAssignment)) expect(a.inputs.scope).not.toContain(idGroup);
      expect(run.ofType(T.roleAssignment).every((a) => a.inputs.scope === rgId)).toBe(true);
    });

    it(stack === "prod" ? "locks and protects the production resource groups against deletion" : "does not lock a non-production resource group", () => {
      expect(run.one(T.rg, `${stack}-rg`).opts.protect).toBe(stack === "prod");
      expect(run.one(T.rg, `${stack}-identities-rg`).opts.protect).toBe(stack === "prod");
      const locks = run.ofType(T.lock);
      if (stack === "prod") {
        expect(locks.map((l) => l.inputs)).toEqual([
          expect.objectContaining({ resourceGroupName: rgName, level: "CanNotDelete" }),
          expect.objectContaining({ resourceGroupName: idGroup, level: "CanNotDelete" }),
        ]);
      } else expect(locks).toEqual([]);
    });

    it("federates the deploy identity with exactly this repository's environment", () => {
      const deployFics = run.ofType(T.fic).filter((f) => f.inputs.resourceName === `id-${rgName}-deploy`);
      expect(deployFics.map((f) => f.inputs)).toEqual([
        {
          resourceGroupName: idGroup,
          resourceName: `id-${rgName}-deploy`,
          federatedIdentityCredentialResourceName: `github-${stack}`,
          issuer: "https://token.actions.githubusercontent.com",
          subject: `repo:${REPO}:environment:${stack}`,
          audiences: ["api://AzureADTokenExchange"],
        },
      ]);
    });

    it("federates the read-only preview identity with its preview environment's jobs (and, in production, the default branch's monitors check)", () => {
      const fics = run.ofType(T.fic).filter((f) => f.inputs.resourceName === `id-${rgName}-preview`);
      for (const f of fics) expect(f.inputs).toMatchObject({ issuer: "https://token.actions.githubusercontent.com", audiences: ["api://AzureADTokenExchange"] });
      const own = `repo:${REPO}:environment:${stack}-preview`;
      expect(fics.map((f) => f.inputs.subject)).toEqual(stack === "prod" ? [own, `repo:${REPO}:ref:refs/heads/main`] : [own]);
    });

    it("declares the environment secrets its jobs read, administration only in production, and a preview environment any branch may use", () => {
      const environments = run.ofType("github:index/repositoryEnvironment:RepositoryEnvironment").map((e) => e.inputs);
      const preview = environments.find((e) => e.environment === `${stack}-preview`);
      expect(preview).toBeDefined();
      expect(preview!.deploymentBranchPolicy).toBeUndefined();
      expect(run.outputs.githubEnvironmentSecrets).toEqual({
        [stack]: stack === "prod" ? ["PULUMI_CONFIG_PASSPHRASE", "DELIVERY_GITHUB_ADMIN_TOKEN"] : ["PULUMI_CONFIG_PASSPHRASE", "DELIVERY_GITHUB_READ_TOKEN"],
        [`${stack}-preview`]: ["PULUMI_CONFIG_PASSPHRASE", "DELIVERY_GITHUB_READ_TOKEN"],
      });
    });

    it("grants roles on its own resource group only", () => {
      const assignments = run.ofType(T.roleAssignment).map((a) => a.inputs);
      expect(assignments.length).toBe(4);
      for (const a of assignments) {
        expect(a.scope).toBe(rgId);
        expect(a.principalType).toBe("ServicePrincipal");
      }
      const byPrincipal = (p: string) => assignments.filter((a) => a.principalId === p).map((a) => a.roleDefinitionId.split("/").pop());
      expect(byPrincipal(`principal-${stack}-deploy-identity`)).toEqual(["b24988ac-6180-42a0-ab88-20f7382dd24c", "f58310d9-a9f6-439a-9e8d-f62e7b41a168"]);
      const whatIfRoleGuid = run.one(T.roleDefinition, `${stack}-whatif-role`).inputs.roleDefinitionId;
      expect(byPrincipal(`principal-${stack}-preview-identity`)).toEqual(["acdd72a7-3385-48ef-bd42-f606fba81ae7", whatIfRoleGuid]);
    });

    it("constrains the RBAC administrator role to the templates' data-plane roles", () => {
      const rbac = run.one(T.roleAssignment, `${stack}-deploy-rbac-admin`).inputs;
      expect(rbac.condition).toBe(constrainedDelegationCondition(TEMPLATE_ASSIGNABLE_ROLES));
      expect(rbac.conditionVersion).toBe("2.0");
    });

    it("gives the preview identity what-if without deployment rights", () => {
      const role = run.one(T.roleDefinition, `${stack}-whatif-role`).inputs;
      expect(role.assignableScopes).toEqual([rgId]);
      expect(role.permissions).toEqual([
        { actions: ["Microsoft.Resources/deployments/whatIf/action", "Microsoft.Resources/deployments/validate/action", "Microsoft.Resources/deployments/read"], notActions: [] },
      ]);
    });
  });

  it("deploys the environment's Bicep template into its resource group, incrementally, with health checks", () => {
    const d = run.one("pulumi-nodejs:dynamic/azure:BicepDeployment", `${stack}-deployment`).inputs;
    expect(d).toMatchObject({
      name: stack,
      template: "bicep/main.bicep",
      parameters: `bicep/parameters/${stack}.bicepparam`,
      resourceGroupName: rgName,
      subscriptionId: SUB,
      mode: "Incremental",
      verifyHealth: true,
      deletePolicy: "keep",
      auditDir: "audit",
      // no machine's path among the inputs: the root is relative to the project directory
      root: ".",
      // the stack's region, so a first preview can run the what-if before the group exists
      location: expect.stringMatching(/^[a-z][a-z0-9]*$/),
    });
  });

  it("exports what a workflow or a person needs", () => {
    expect(run.outputs).toMatchObject({
      environment: stack,
      branch: e.branch,
      resourceGroupName: rgName,
      azureClientId: `client-${stack}-deploy-identity`,
      azurePreviewClientId: `client-${stack}-preview-identity`,
      azureTenantId: SUB,
      azureSubscriptionId: SUB,
    });
  });
});

describe("repository-wide resources", () => {
  it("belong to the prod stack only", () => {
    for (const stack of ["dev", "staging"] as const) {
      expect(runs[stack].ofType(T.role)).toEqual([]);
      expect(runs[stack].ofType(T.label).map((l) => l.inputs.name)).toEqual([`deploy:${stack}`]);
      expect(runs[stack].outputs.docsRoleArn).toBeUndefined();
    }
    expect(runs.prod.ofType(T.label).map((l) => l.inputs.name)).toEqual(["deploy:prod", "approved:prod", "docs:generate", "deployment-failure", "priority:critical", "priority:high"]);
  });

  it("trusts GitHub's OIDC provider for sts.amazonaws.com", () => {
    expect(runs.prod.one(T.oidcProvider, "docs-github-oidc").inputs).toEqual({ url: "https://token.actions.githubusercontent.com", clientIdLists: ["sts.amazonaws.com"] });
  });

  it("lets only the docs and prod environments of this repository assume the docs role, with StringEquals", () => {
    const trust = JSON.parse(runs.prod.one(T.role, "docs-role").inputs.assumeRolePolicy);
    expect(trust).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "GitHubActionsOidc",
          Effect: "Allow",
          Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": [`repo:${REPO}:environment:docs`, `repo:${REPO}:environment:prod`],
            },
          },
        },
      ],
    });
  });

  it("allows only Bedrock invocation of the configured models", () => {
    const policy = JSON.parse(runs.prod.one(T.rolePolicy, "docs-bedrock").inputs.policy);
    expect(policy.Statement).toEqual([
      {
        Sid: "InvokeAllowedModels",
        Effect: "Allow",
        Action: ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        Resource: [
          "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
          "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
        ],
      },
    ]);
  });

  it("gives the docs job its own GitHub environment with the role ARN", () => {
    const docs = runs.prod.one(T.env, "docs").inputs;
    // ATTACK (before): no branch policy, so any ref, a pull request's merge ref too, got the
    // subject the Bedrock role trusts. Now only the production branch may use the environment.
    expect(docs.deploymentBranchPolicy).toEqual({ protectedBranches: false, customBranchPolicies: true });
    expect(runs.prod.ofType(T.envPolicy).filter((p) => p.inputs.environment === "docs").map((p) => p.inputs.branchPattern)).toEqual(["main"]);
    const vars = runs.prod.ofType(T.envVar).filter((v) => v.inputs.environment === "docs");
    expect(Object.fromEntries(vars.map((v) => [v.inputs.variableName, v.inputs.value]))).toEqual({ AWS_DOCS_ROLE_ARN: "arn:aws:iam::123456789012:role/docs-role", AWS_REGION: "us-east-1" });
    expect(runs.prod.outputs.docsRoleArn).toBe("arn:aws:iam::123456789012:role/docs-role");
  });

  it("references an existing OIDC provider instead of creating one when configured", async () => {
    const existing = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    const aws = { region: "us-east-1", accountId: "123456789012", bedrockModelIds: ["anthropic.claude-3-5-haiku-20241022-v1:0"], oidcProviderArn: existing };
    const run = await evaluateStack("prod", { config: { "delivery-platform:aws": aws } });
    expect(run.ofType(T.oidcProvider)).toEqual([]);
    expect(JSON.parse(run.one(T.role, "docs-role").inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Federated: existing });
  });
});

describe("workflow files", () => {
  const FILE = "github:index/repositoryFile:RepositoryFile";
  it("are committed by the prod stack only, to their own branch, and proposed to main in a pull request", () => {
    expect(runs.dev.ofType(FILE)).toEqual([]);
    expect(runs.staging.ofType(FILE)).toEqual([]);
    const files = runs.prod.ofType(FILE).map((f) => f.inputs);
    expect(files.map((f) => f.file)).toEqual([".github/workflows/preview.yml", ".github/workflows/deploy.yml", ".github/workflows/docs.yml", ".github/workflows/docs-generate.yml", ".github/workflows/promote.yml", ".github/workflows/drift.yml"]);
    for (const f of files) {
      expect(f).toMatchObject({ repository: "payments-service", branch: "delivery-platform/workflows", autocreateBranch: true, autocreateBranchSourceBranch: "main", overwriteOnCreate: true });
      expect(f.content).toContain("permissions:");
    }
    expect(runs.prod.one("github:index/repositoryPullRequest:RepositoryPullRequest", "workflows-pull-request").inputs).toMatchObject({
      baseRepository: "payments-service",
      baseRef: "main",
      headRef: "delivery-platform/workflows",
    });
    expect(runs.prod.outputs.workflowsPullRequest).toBe(17);
  });
});

describe("identities", () => {
  it("gives prod its own identities, distinct from every other environment's", () => {
    const names = (stack: Stack) => runs[stack].ofType(T.identity).map((i) => i.inputs.resourceName);
    expect(names("prod")).toEqual(["id-rg-payments-service-prod-deploy", "id-rg-payments-service-prod-preview"]);
    for (const other of ["dev", "staging"] as const) for (const id of names("prod")) expect(names(other)).not.toContain(id);
  });
});

describe("bad input", () => {
  /** The failure of a stack evaluation and the resources registered before it. */
  async function failureOf(attempt: Promise<unknown>): Promise<{ message: string; registered: { type: string }[] }> {
    try {
      await attempt;
    } catch (err) {
      return err as { message: string; registered: { type: string }[] };
    }
    throw new Error("expected the program to fail");
  }
  const notProviders = (registered: { type: string }[]) => registered.filter((r) => !r.type.startsWith("pulumi:providers:"));

  it("fails before registering anything when reviewers cannot be resolved, listing each", async () => {
    const envs = JSON.parse(readStackFile(REPO_ROOT, "staging").config["delivery-platform:environments"]);
    envs[1].reviewers = { users: ["octocat", "no-such-user"], teams: ["ghost-team"] };
    const failure = await failureOf(evaluateStack("staging", { config: { "delivery-platform:environments": envs } }));
    expect(failure.message).toBe(
      [
        "2 required reviewers could not be resolved; nothing was created:",
        '  - environments "staging": reviewer user "no-such-user" cannot be resolved: GET https://api.github.com/users/no-such-user: 404 Not Found []',
        '  - environments "staging": reviewer team "contoso/ghost-team" cannot be resolved: GET https://api.github.com/orgs/contoso/teams/ghost-team: 404 Not Found []',
        "Check the spelling in delivery-platform:environments[*].reviewers, that teams belong to contoso, and that the GitHub token can read them (read:org for teams).",
      ].join("\n"),
    );
    expect(notProviders(failure.registered)).toEqual([]);
  });

  it("fails on bad configuration before registering any resource", async () => {
    const failure = await failureOf(evaluateStack("dev", { config: { "delivery-platform:repository": "not a repo" } }));
    expect(failure.message).toContain('  - delivery-platform:repository: expected OWNER/NAME, e.g. contoso/payments-service (received "not a repo")');
    expect(failure.registered).toEqual([]);
  });
});
