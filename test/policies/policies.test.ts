/**
 * Every policy, tested both ways: the prod stack's real resources (evaluated under mocks) pass,
 * and each single weakening is reported with its exact message.
 */
import type { PolicyResource } from "@pulumi/policy";
import fc from "fast-check";
import { bicepDestructiveChangesNeedReason, bicepProdHealthVerification, bicepProdIncrementalMode } from "../../policies/bicep";
import { azureAllowedLocations, azureIdentityRolesOwnGroup, azureProdIdentityNotShared, azureProdResourceGroupProtected, azureResourceGroupTags } from "../../policies/azure";
import { githubEnvironmentsBranchRestricted, githubProdDeploysFromMainOnly, githubProdEnvironmentReviewers, githubProductionBranchProtected } from "../../policies/github";
import { awsDocsRoleBedrockOnly, awsDocsRoleTrustExact, oidcFederatedCredentialsExact } from "../../policies/oidc";
import { allPolicies } from "../../policies/policies";
import { stackEnvironmentsComplete, stackProdCriticalResources } from "../../policies/stack";
import { workflowActionsPinned, workflowDeployGate, workflowLeastPrivilege, workflowNoPullRequestTarget, workflowNoUntrustedInterpolation } from "../../policies/workflows";
import { productionOf } from "../../policies/lib";
import { evaluateStack } from "../harness/program";
import { UNKNOWN_VALUE, packViolations, policyResource, previewResource, previewResourcesOf, previewViolationsOf, readPolicyConfig, resourcesOf, violationsOf } from "./helpers";

const T = {
  env: "github:index/repositoryEnvironment:RepositoryEnvironment",
  envPolicy: "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
  ruleset: "github:index/repositoryRuleset:RepositoryRuleset",
  rg: "azure-native:resources:ResourceGroup",
  lock: "azure-native:authorization:ManagementLockAtResourceGroupLevel",
  fic: "azure-native:managedidentity:FederatedIdentityCredential",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};
const REPO = "contoso/payments-service";

let prod: PolicyResource[];
let dev: PolicyResource[];
const prodConfig = readPolicyConfig("prod");

beforeAll(async () => {
  prod = resourcesOf(await evaluateStack("prod"));
  dev = resourcesOf(await evaluateStack("dev"));
}, 60_000);

/** A copy of the resources with one resource's props changed. */
function weaken(resources: PolicyResource[], type: string, name: string, change: (props: Record<string, any>) => void, protect?: boolean): PolicyResource[] {
  let found = false;
  const out = resources.map((r) => {
    if (r.type !== type || r.name !== name) return r;
    found = true;
    const props = JSON.parse(JSON.stringify(r.props));
    change(props);
    return policyResource({ type: r.type, name: r.name, props, protect: protect ?? r.opts.protect });
  });
  if (!found) throw new Error(`no ${type} named ${name} to weaken`);
  return out;
}
const without = (resources: PolicyResource[], type: string, name?: string) => resources.filter((r) => !(r.type === type && (name === undefined || r.name === name)));
const withExtra = (resources: PolicyResource[], extra: { type: string; name: string; props: Record<string, any> }) => [...resources, policyResource(extra)];

describe("the whole pack", () => {
  it("finds no violation in the prod stack's real program", async () => {
    expect(await packViolations(allPolicies(), prod, prodConfig)).toEqual([]);
  });
  it.each(["dev", "staging"])("finds no violation in the %s stack's real program", async (stack) => {
    expect(await packViolations(allPolicies(), resourcesOf(await evaluateStack(stack)), readPolicyConfig(stack))).toEqual([]);
  });
  it("has kebab-case names and descriptions that start with 'Checks whether'", () => {
    for (const p of allPolicies()) {
      expect(p.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(p.description).toMatch(/^Checks whether /);
    }
  });
  it("sets enforcement only through config: mandatory on prod, advisory elsewhere", () => {
    expect(prodConfig.all).toBe("mandatory");
    expect(readPolicyConfig("dev").all).toBe("advisory");
    expect(readPolicyConfig("staging").all).toBe("advisory");
    for (const p of allPolicies()) expect(p.enforcementLevel).toBe("advisory");
  });
});

describe("github-prod-environment-reviewers", () => {
  const policy = githubProdEnvironmentReviewers();
  it("passes prod's environment", async () => expect(await violationsOf(policy, prod)).toEqual([]));
  it("requires reviewers", async () => {
    expect(await violationsOf(policy, weaken(prod, T.env, "prod", (p) => (p.reviewers = [])))).toEqual([
      'GitHub environment "prod" must have required reviewers; add users or teams to environments[prod].reviewers.',
    ]);
  });
  it("requires self-review prevention", async () => {
    expect(await violationsOf(policy, weaken(prod, T.env, "prod", (p) => (p.preventSelfReview = false)))).toEqual([
      'GitHub environment "prod" must prevent self-review; set environments[prod].preventSelfReview to true.',
    ]);
  });
  it("forbids admin bypass", async () => {
    expect(await violationsOf(policy, weaken(prod, T.env, "prod", (p) => (p.canAdminsBypass = true)))).toEqual([
      'GitHub environment "prod" must not let administrators bypass its protection rules; set canAdminsBypass to false.',
    ]);
  });
  it("ignores other environments", async () => {
    expect(await violationsOf(policy, weaken(dev, T.env, "dev", (p) => (p.reviewers = [])))).toEqual([]);
  });
});

describe("github-prod-deploys-from-main-only", () => {
  const policy = githubProdDeploysFromMainOnly();
  it("passes prod", async () => expect(await violationsOf(policy, prod)).toEqual([]));
  it("requires the branch to be main", async () => {
    expect(await violationsOf(policy, weaken(prod, T.envPolicy, "prod-branch-main", (p) => (p.branchPattern = "release/*")))).toEqual([
      'GitHub environment "prod" must deploy only from "main"; found branch policies [release/*]. Set environments[prod].branch to main.',
    ]);
  });
  it("requires custom branch policies", async () => {
    expect(await violationsOf(policy, weaken(prod, T.env, "prod", (p) => delete p.deploymentBranchPolicy))).toEqual([
      'GitHub environment "prod" must restrict deployments to custom branch policies (protectedBranches false, customBranchPolicies true).',
    ]);
  });
});

describe("github-production-branch-protected", () => {
  const policy = githubProductionBranchProtected();
  const withChecks = (rs: PolicyResource[]) => weaken(rs, T.ruleset, "prod-branch", (p) => (p.rules.requiredStatusChecks = { strictRequiredStatusChecksPolicy: true, requiredChecks: [{ context: "preview (prod)" }] }));
  it("passes a ruleset with the preview checks", async () => expect(await violationsOf(policy, withChecks(prod))).toEqual([]));
  it.each([
    ["approvals", (p: any) => (p.rules.pullRequest.requiredApprovingReviewCount = 0), 'Branch "main" must require pull requests with at least one approval; set environments[prod].requiredApprovals to 1 or more.'],
    ["stale approvals", (p: any) => (p.rules.pullRequest.dismissStaleReviewsOnPush = false), 'Branch "main" must dismiss stale approvals when new commits are pushed.'],
    ["force pushes", (p: any) => (p.rules.nonFastForward = false), 'Branch "main" must forbid force pushes (nonFastForward).'],
    ["deletion", (p: any) => (p.rules.deletion = false), 'Branch "main" must forbid deletion.'],
    ["admins", (p: any) => (p.bypassActors = [{ actorId: 5, actorType: "RepositoryRole", bypassMode: "always" }]), 'Branch "main" must include administrators: its rulesets must have no bypass actors.'],
    ["preview checks", (p: any) => delete p.rules.requiredStatusChecks, 'Branch "main" must require the PR preview checks to pass.'],
  ])("reports weakened %s", async (_what, change, message) => {
    expect(await violationsOf(policy, weaken(withChecks(prod), T.ruleset, "prod-branch", change))).toEqual([message]);
  });
  it("reports a missing ruleset", async () => {
    expect(await violationsOf(policy, without(prod, T.ruleset))).toEqual(['Branch "main" must be protected by an active ruleset; the stack that deploys prod creates it (BranchRuleset).']);
  });
});

describe("oidc-federated-credentials-exact", () => {
  const policy = oidcFederatedCredentialsExact();
  it("passes prod", async () => expect(await violationsOf(policy, prod)).toEqual([]));
  it("reports a wildcard subject", async () => {
    expect(await violationsOf(policy, weaken(prod, T.fic, "prod-deploy-fic-0", (p) => (p.subject = `repo:${REPO}:*`)))).toEqual([
      `Federated credential "github-prod": subject "repo:${REPO}:*" contains a wildcard; trust one exact subject such as repo:${REPO}:environment:prod.`,
      `Federated credential "github-prod": subject "repo:${REPO}:*" has context "*"; use environment:<name>, ref:refs/heads/<branch> or pull_request.`,
      `Federated credential "github-prod" on identity "id-rg-payments-service-prod-deploy" in the prod resource group must trust only repo:${REPO}:environment:prod, or (read-only identities) repo:${REPO}:environment:prod-preview, repo:${REPO}:pull_request or an exact branch; found "repo:${REPO}:*".`,
    ]);
  });
  it("reports another environment's subject", async () => {
    expect(await violationsOf(policy, weaken(prod, T.fic, "prod-deploy-fic-0", (p) => (p.subject = `repo:${REPO}:environment:dev`)))).toEqual([
      `Federated credential "github-prod" on identity "id-rg-payments-service-prod-deploy" in the prod resource group must trust only repo:${REPO}:environment:prod, or (read-only identities) repo:${REPO}:environment:prod-preview, repo:${REPO}:pull_request or an exact branch; found "repo:${REPO}:environment:dev".`,
    ]);
  });
  it("reports a read-only subject on an identity that can deploy", async () => {
    expect(await violationsOf(policy, weaken(prod, T.fic, "prod-deploy-fic-0", (p) => (p.subject = `repo:${REPO}:pull_request`)))).toEqual([
      `Federated credential "github-prod" on identity "id-rg-payments-service-prod-deploy" trusts "repo:${REPO}:pull_request", but the identity can change the prod environment; only read-only identities may trust it.`,
    ]);
  });

  it("reports a wrong issuer and audience", async () => {
    const weakened = weaken(prod, T.fic, "prod-deploy-fic-0", (p) => {
      p.issuer = "https://token.actions.example.com";
      p.audiences = ["api://AzureADTokenExchange", "api://other"];
    });
    expect(await violationsOf(policy, weakened)).toEqual([
      'Federated credential "github-prod" must use issuer https://token.actions.githubusercontent.com; found "https://token.actions.example.com".',
      'Federated credential "github-prod" must have exactly the audience api://AzureADTokenExchange; found ["api://AzureADTokenExchange","api://other"].',
    ]);
  });
});

describe("aws-docs-role-trust-exact", () => {
  const policy = awsDocsRoleTrustExact();
  const trust = (condition: Record<string, unknown>) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }, Action: "sts:AssumeRoleWithWebIdentity", Condition: condition }] });
  it("passes prod", async () => expect(await violationsOf(policy, prod)).toEqual([]));
  it("reports StringLike on the subject", async () => {
    const weakened = weaken(prod, T.role, "docs-role", (p) => (p.assumeRolePolicy = trust({ StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" }, StringLike: { "token.actions.githubusercontent.com:sub": "repo:contoso/*" } })));
    expect(await violationsOf(policy, weakened)).toEqual([
      'Role "docs-role" must pin the subject with StringEquals on token.actions.githubusercontent.com:sub (never StringLike or repo:*).',
      'Role "docs-role" must not use StringLike on GitHub token claims; use StringEquals with exact values.',
    ]);
  });
  it("reports another repository's subject and a wrong audience", async () => {
    const weakened = weaken(prod, T.role, "docs-role", (p) => (p.assumeRolePolicy = trust({ StringEquals: { "token.actions.githubusercontent.com:aud": "sts.example.com", "token.actions.githubusercontent.com:sub": "repo:contoso/other:environment:docs" } })));
    expect(await violationsOf(policy, weakened)).toEqual([
      'Role "docs-role" must trust only audience sts.amazonaws.com with StringEquals on token.actions.githubusercontent.com:aud.',
      `Role "docs-role": subject "repo:contoso/other:environment:docs" is not scoped to ${REPO}; it must start with "repo:${REPO}:".`,
    ]);
  });
});

describe("aws-docs-role-bedrock-only", () => {
  const policy = awsDocsRoleBedrockOnly();
  const setPolicy = (statement: Record<string, unknown>) => weaken(prod, T.rolePolicy, "docs-bedrock", (p) => (p.policy = JSON.stringify({ Version: "2012-10-17", Statement: [statement] })));
  it("passes prod", async () => expect(await violationsOf(policy, prod)).toEqual([]));
  it("reports a wildcard action", async () => {
    expect(await violationsOf(policy, setPolicy({ Effect: "Allow", Action: "bedrock:*", Resource: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0" }))).toEqual([
      'Role policy "docs-bedrock" must allow only bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream; found action "bedrock:*".',
    ]);
  });
  it("reports a wildcard resource", async () => {
    expect(await violationsOf(policy, setPolicy({ Effect: "Allow", Action: "bedrock:InvokeModel", Resource: "*" }))).toEqual([
      'Role policy "docs-bedrock" must name exact Bedrock model ARNs; found resource "*".',
    ]);
  });
  it("reports managed policies on the role", async () => {
    expect(await violationsOf(policy, weaken(prod, T.role, "docs-role", (p) => (p.managedPolicyArns = ["arn:aws:iam::aws:policy/AdministratorAccess"])))).toEqual([
      'Role "docs-role" must not have managed policies; grant only the inline Bedrock invoke policy.',
    ]);
  });
});

describe("azure-prod-resource-group-protected", () => {
  const policy = azureProdResourceGroupProtected();
  it("passes prod", async () => expect(await violationsOf(policy, prod)).toEqual([]));
  it("requires protect", async () => {
    expect(await violationsOf(policy, weaken(prod, T.rg, "prod-rg", () => undefined, false))).toEqual([
      'Production resource group "rg-payments-service-prod" must be protected from deletion (resource option protect: true).',
    ]);
  });
  it("requires the lock", async () => {
    expect(await violationsOf(policy, without(prod, T.lock))).toEqual([
      'Production resource group "rg-payments-service-prod" must carry a CanNotDelete management lock.',
      'Production resource group "rg-payments-service-prod-identities" must carry a CanNotDelete management lock.',
    ]);
  });
});

describe("azure-resource-group-tags", () => {
  const policy = azureResourceGroupTags();
  it("passes prod", async () => expect(await violationsOf(policy, prod)).toEqual([]));
  it("reports missing tags", async () => {
    expect(await violationsOf(policy, weaken(prod, T.rg, "prod-rg", (p) => delete p.tags.repository))).toEqual([
      'Resource group "rg-payments-service-prod" must carry the tags repository; add them to delivery-platform:azure.tags.',
    ]);
  });
});

describe("azure-allowed-locations", () => {
  const policy = azureAllowedLocations();
  it("passes prod with the committed config", async () => expect(await violationsOf(policy, prod, prodConfig)).toEqual([]));
  it("reports a resource group outside the allowed regions", async () => {
    expect(await violationsOf(policy, weaken(prod, T.rg, "prod-rg", (p) => (p.location = "eastus")), prodConfig)).toEqual([
      '"prod-rg" must be in one of the allowed locations (westeurope, northeurope); found "eastus". Change delivery-platform:azure.location.',
    ]);
  });
});

describe("azure-identity-roles-own-group", () => {
  const policy = azureIdentityRolesOwnGroup();
  it("passes prod", async () => expect(await violationsOf(policy, prod)).toEqual([]));
  it("reports a subscription-wide scope", async () => {
    expect(await violationsOf(policy, weaken(prod, T.roleAssignment, "prod-deploy-contributor", (p) => (p.scope = "/subscriptions/00000000-0000-0000-0000-000000000000")))).toEqual([
      'Role assignment "prod-deploy-contributor" must be scoped to a resource group; found scope "/subscriptions/00000000-0000-0000-0000-000000000000".',
    ]);
  });
  it("reports another resource group", async () => {
    expect(await violationsOf(policy, weaken(prod, T.roleAssignment, "prod-deploy-contributor", (p) => (p.scope = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared")))).toEqual([
      'Role assignment "prod-deploy-contributor" must be scoped to its identity\'s own resource group "rg-payments-service-prod"; found "rg-shared".',
    ]);
  });
  it("reports Owner and an unconstrained RBAC administrator", async () => {
    const owner = weaken(prod, T.roleAssignment, "prod-deploy-contributor", (p) => (p.roleDefinitionId = p.roleDefinitionId.replace(/[^/]+$/, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635")));
    const unconstrained = weaken(owner, T.roleAssignment, "prod-deploy-rbac-admin", (p) => delete p.condition);
    expect(await violationsOf(policy, unconstrained)).toEqual([
      'Role assignment "prod-deploy-contributor" grants role 8e3af657-a8ff-443c-a75c-2fe8c4bcb635; only Contributor, Reader, constrained Role Based Access Control Administrator and the platform\'s what-if role are allowed.',
      'Role assignment "prod-deploy-rbac-admin" grants Role Based Access Control Administrator without a condition; constrain it to the templates\' data-plane roles.',
    ]);
  });
});

describe("azure-prod-identity-not-shared", () => {
  const policy = azureProdIdentityNotShared();
  it("passes prod", async () => expect(await violationsOf(policy, prod)).toEqual([]));
  it("reports a production identity trusting another environment", async () => {
    const shared = withExtra(prod, {
      type: T.fic,
      name: "prod-deploy-fic-1",
      props: { resourceGroupName: "rg-payments-service-prod-identities", resourceName: "id-rg-payments-service-prod-deploy", issuer: "https://token.actions.githubusercontent.com", subject: `repo:${REPO}:environment:staging`, audiences: ["api://AzureADTokenExchange"] },
    });
    expect(await violationsOf(policy, shared)).toEqual(['Production identity "id-rg-payments-service-prod-deploy" must not trust environment "staging"; give staging its own identity.']);
  });
  it("reports a non-production identity trusting production, in the stack that holds both", async () => {
    const shared = withExtra(prod, {
      type: T.fic,
      name: "dev-deploy-fic-0",
      props: { resourceGroupName: "rg-payments-service-dev-identities", resourceName: "id-rg-payments-service-dev-deploy", subject: `repo:${REPO}:environment:prod` },
    });
    const withDev = withExtra(withExtra(shared, { type: T.rg, name: "dev-identities-rg", props: { resourceGroupName: "rg-payments-service-dev-identities", tags: { environment: "dev", "delivery-tier": "pre-production", "delivery-branch": "dev", "delivery-holds": "identities" } } }), {
      type: T.identity,
      name: "dev-deploy-identity",
      props: { resourceGroupName: "rg-payments-service-dev-identities", resourceName: "id-rg-payments-service-dev-deploy" },
    });
    expect(await violationsOf(policy, withDev)).toEqual(['Identity "id-rg-payments-service-dev-deploy" outside production must not trust the prod environment; production has its own identity.']);
  });
  it("leaves a dev stack's identity trusting production to oidc-federated-credentials-exact, which reports it", async () => {
    const weakened = weaken(dev, T.fic, "dev-deploy-fic-0", (p) => (p.subject = `repo:${REPO}:environment:prod`));
    expect(await violationsOf(policy, weakened)).toEqual([]);
    expect(await violationsOf(oidcFederatedCredentialsExact(), weakened)).toEqual([
      `Federated credential "github-dev" on identity "id-rg-payments-service-dev-deploy" in the dev resource group must trust only repo:${REPO}:environment:dev, or (read-only identities) repo:${REPO}:environment:dev-preview, repo:${REPO}:pull_request or an exact branch; found "repo:${REPO}:environment:prod".`,
    ]);
  });
});

describe("stack-environments-complete", () => {
  const policy = stackEnvironmentsComplete();
  it("passes prod and dev", async () => {
    expect(await violationsOf(policy, prod)).toEqual([]);
    expect(await violationsOf(policy, dev)).toEqual([]);
  });
  it("reports an environment without identity or resource group", async () => {
    expect(await violationsOf(policy, without(without(prod, T.rg), T.fic))).toEqual([
      'Environment "prod" has a GitHub environment but no Azure resource group tagged environment=prod.',
      `Environment "prod" has no deploy identity trusting repo:${REPO}:environment:prod.`,
    ]);
  });
  it("reports a resource group without GitHub environment", async () => {
    expect(await violationsOf(policy, without(dev, T.env))).toEqual(['Environment "dev" has an Azure resource group but no GitHub environment to gate its deployments.']);
  });
});

describe("stack-prod-critical-resources", () => {
  const policy = stackProdCriticalResources();
  it("passes prod, and dev (which does not deploy production)", async () => {
    expect(await violationsOf(policy, prod)).toEqual([]);
    expect(await violationsOf(policy, dev)).toEqual([]);
  });
  it("lists everything production is missing", async () => {
    expect(await violationsOf(policy, without(without(without(prod, T.ruleset), T.lock), T.identity))).toEqual([
      "A stack that deploys prod must contain a ruleset protecting main, the resource group's CanNotDelete lock, a deploy identity.",
    ]);
  });
});

describe("workflow policies", () => {
  const FILE = "github:index/repositoryFile:RepositoryFile";
  const editDeploy = (edit: (content: string) => string) => weaken(prod, FILE, "workflows-deploy", (p) => (p.content = edit(p.content)));
  const editPreview = (edit: (content: string) => string) => weaken(prod, FILE, "workflows-preview", (p) => (p.content = edit(p.content)));

  it("pass the committed workflows", async () => {
    for (const policy of [workflowActionsPinned(), workflowLeastPrivilege(), workflowNoPullRequestTarget(), workflowNoUntrustedInterpolation(), workflowDeployGate()]) {
      expect(await violationsOf(policy, prod)).toEqual([]);
    }
  });

  it("workflow-actions-pinned reports a tag reference", async () => {
    const weakened = editPreview((c) => c.replace(/actions\/checkout@[0-9a-f]{40}/, "actions/checkout@v4"));
    expect(await violationsOf(workflowActionsPinned(), weakened)).toEqual([
      'Workflow .github/workflows/preview.yml: job "preview-dev" uses "actions/checkout@v4", which is not pinned to a full 40-character commit SHA. Pin it in workflows/actions.ts.',
    ]);
  });

  it("workflow-least-privilege reports write-all at the top", async () => {
    const weakened = editPreview((c) => c.replace(/^permissions: \{\}$/m, "permissions: write-all"));
    expect(await violationsOf(workflowLeastPrivilege(), weakened)).toEqual([
      'Workflow .github/workflows/preview.yml: top-level permissions must be read-only or empty; found "write-all". Declare permissions per job in workflows/.',
    ]);
  });

  it("workflow-no-pull-request-target reports the trigger", async () => {
    const weakened = editPreview((c) => c.replace(/^  pull_request:/m, "  pull_request_target:"));
    expect(await violationsOf(workflowNoPullRequestTarget(), weakened)).toEqual([
      "Workflow .github/workflows/preview.yml: triggers on pull_request_target for more than `types: [labeled]`; that runs on PR content with the base repository's secrets; use pull_request. Use the pull_request trigger, or react only to `labeled` and deploy the commit the gate verified.",
    ]);
  });

  it("workflow-no-untrusted-interpolation reports a comment body pasted into a script", async () => {
    const weakened = editDeploy((c) => c.replace('delivery.js" gate --intent intent.json', 'delivery.js" gate --intent intent.json "${{ github.event.comment.body }}"'));
    const found = await violationsOf(workflowNoUntrustedInterpolation(), weakened);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^Workflow \.github\/workflows\/deploy\.yml: job "intent" step ".*" interpolates \$\{\{ github\.event\.comment\.body \}\} into its script; pass it through env instead\. Move the value into the step's env and read the variable\.$/);
  });

  it("workflow-deploy-gate reports a deploy workflow without its gate", async () => {
    const weakened = editDeploy((c) => c.replace(/delivery\.js" gate/g, 'delivery.js" skip-gate'));
    expect(await violationsOf(workflowDeployGate(), weakened)).toEqual([
      "Workflow .github/workflows/deploy.yml: deploys on comments but no job runs the permission gate (`delivery gate`). Make the deployment job need the job that runs `delivery gate`.",
    ]);
  });
});

describe("a weakened prod configuration", () => {
  it("is reported by the pack, one violation per weakening", async () => {
    const envs = JSON.parse(require("../../core/stack-file").readStackFile(require("../harness/program").REPO_ROOT, "prod").config["delivery-platform:environments"]);
    // (No reviewers at all the program refuses itself: the environment holds the admin token.)
    envs[2].preventSelfReview = false;
    envs[2].requiredApprovals = 0;
    const run = await evaluateStack("prod", { config: { "delivery-platform:environments": envs } });
    expect(await packViolations(allPolicies(), resourcesOf(run), prodConfig)).toEqual([
      "github-prod-environment-reviewers: GitHub environment \"prod\" must prevent self-review; set environments[prod].preventSelfReview to true.",
      'github-production-branch-protected: Branch "main" must require pull requests with at least one approval; set environments[prod].requiredApprovals to 1 or more.',
    ]);
  });
});

describe("bicep policies", () => {
  const BICEP = "pulumi-nodejs:dynamic/azure:BicepDeployment";
  const destructive = ["/subscriptions/s/resourceGroups/rg-payments-service-prod/providers/Microsoft.ServiceBus/namespaces/sb/queues/legacy"];

  it("pass prod", async () => {
    for (const policy of [bicepProdIncrementalMode(), bicepProdHealthVerification(), bicepDestructiveChangesNeedReason()]) expect(await violationsOf(policy, prod)).toEqual([]);
  });

  it("bicep-prod-incremental-mode reports Complete mode in production only", async () => {
    expect(await violationsOf(bicepProdIncrementalMode(), weaken(prod, BICEP, "prod-deployment", (p) => (p.mode = "Complete")))).toEqual([
      'Bicep deployment "prod" into production must use Incremental mode; found "Complete". Set environments[prod].bicep.mode to Incremental.',
    ]);
    expect(await violationsOf(bicepProdIncrementalMode(), weaken(dev, BICEP, "dev-deployment", (p) => (p.mode = "Complete")))).toEqual([]);
  });

  it("bicep-prod-health-verification reports health checks turned off", async () => {
    expect(await violationsOf(bicepProdHealthVerification(), weaken(prod, BICEP, "prod-deployment", (p) => (p.verifyHealth = false)))).toEqual([
      'Bicep deployment "prod" into production must verify health after deploying; set environments[prod].bicep.verifyHealth to true.',
    ]);
  });

  it("bicep-destructive-changes-need-reason blocks a what-if with deletions unless a reason is given", async () => {
    const deleting = weaken(prod, BICEP, "prod-deployment", (p) => (p.plannedWhatIf = { status: "Succeeded", counts: { Delete: 1 }, destructive, changed: [] }));
    expect(await violationsOf(bicepDestructiveChangesNeedReason(), deleting)).toEqual([
      `Bicep deployment "prod" would delete 1 resource(s) (${destructive[0]}); set bicep.allowDestructiveChanges.reason for this environment if that is intended, or change the template.`,
    ]);
    const allowed = weaken(deleting, BICEP, "prod-deployment", (p) => (p.allowDestructiveChanges = { reason: "legacy queue retired in ADR-17" }));
    expect(await violationsOf(bicepDestructiveChangesNeedReason(), allowed)).toEqual([]);
  });

  it("stack-prod-critical-resources requires the Bicep deployment", async () => {
    expect(await violationsOf(stackProdCriticalResources(), without(prod, BICEP))).toEqual(["A stack that deploys prod must contain its Bicep deployment."]);
  });
});

describe("production, as the program marks it (no names in the pack)", () => {
  const RG = T.rg;
  const PROD_POLICIES = () => [
    githubProdEnvironmentReviewers(),
    githubProdDeploysFromMainOnly(),
    githubProductionBranchProtected(),
    azureProdResourceGroupProtected(),
    azureProdIdentityNotShared(),
    bicepProdIncrementalMode(),
    bicepProdHealthVerification(),
    stackProdCriticalResources(),
  ];
  const tagged = (tags: Record<string, string>) => policyResource({ type: RG, name: "g", props: { resourceGroupName: "rg-g", tags } });

  it("reads production's environment and branch from the production resource group's tags", () => {
    expect(productionOf(prod)).toEqual({ kind: "production", production: { environment: "prod", branch: "main" } });
    expect(productionOf(dev)).toEqual({ kind: "not-production" });
    expect(productionOf([])).toEqual({ kind: "not-production" });
  });

  it("cannot tell when a group carries no tier, the groups disagree, or GitHub environments have no group", () => {
    expect(productionOf([tagged({ environment: "prod" })])).toEqual({ kind: "unknown", reason: 'resource group "rg-g" has tag delivery-tier=null, not one of production, pre-production' });
    expect(productionOf([tagged({ environment: "x", "delivery-tier": "prod" })]).kind).toBe("unknown");
    expect(productionOf([tagged({ environment: "live", "delivery-tier": "production" })])).toEqual({
      kind: "unknown",
      reason: 'production resource group "rg-g" does not name its environment and branch (tags environment, delivery-branch)',
    });
    const two = [tagged({ environment: "live", "delivery-tier": "production", "delivery-branch": "main" }), tagged({ environment: "prod", "delivery-tier": "production", "delivery-branch": "main" })];
    expect(productionOf(two)).toEqual({ kind: "unknown", reason: "the resource groups name more than one production (live on main; prod on main)" });
    expect(productionOf(without(prod, RG))).toEqual({ kind: "unknown", reason: "the stack has GitHub environments but no resource group marked with its tier" });
  });

  it("fails closed: every production policy reports a prod stack whose groups lost their tier tag", async () => {
    const unmarked = prod.map((r) => (r.type === RG ? policyResource({ type: r.type, name: r.name, props: { ...r.props, tags: { ...r.props.tags, "delivery-tier": undefined } }, protect: r.opts.protect }) : r));
    const why = `Cannot tell whether this stack deploys production: resource group "rg-payments-service-prod" has tag delivery-tier=null, not one of production, pre-production. The program marks every resource group with delivery-tier (production or pre-production) and delivery-branch; deploy it with this version of the program.`;
    for (const policy of PROD_POLICIES()) expect(await violationsOf(policy, unmarked)).toEqual([why]);
  });

  it("a prod stack with no reviewers is a violation", async () => {
    expect(await violationsOf(githubProdEnvironmentReviewers(), weaken(prod, T.env, "prod", (p) => (p.reviewers = [])))).toEqual([
      'GitHub environment "prod" must have required reviewers; add users or teams to environments[prod].reviewers.',
    ]);
  });

  it("renaming production (environment and branch) still gates it: the pack reports the renamed stack's missing reviewers", async () => {
    // The attack of the old pack: production renamed to `live` on `release`, its reviewers
    // removed; a pack that knew production as "prod"/"main" found nothing.
    const envs = JSON.parse(require("../../core/stack-file").readStackFile(require("../harness/program").REPO_ROOT, "prod").config["delivery-platform:environments"]);
    envs[2].name = "live";
    envs[2].branch = "release";
    // (No reviewers at all the program refuses itself: the environment holds the admin token.)
    envs[2].preventSelfReview = false;
    envs[2].requiredApprovals = 0;
    const run = await evaluateStack("prod", { config: { "delivery-platform:environments": envs, "delivery-platform:environment": "live" } });
    const resources = resourcesOf(run);
    expect(productionOf(resources)).toEqual({ kind: "production", production: { environment: "live", branch: "release" } });
    expect(await packViolations(allPolicies(), resources, prodConfig)).toEqual([
      'github-prod-environment-reviewers: GitHub environment "live" must prevent self-review; set environments[live].preventSelfReview to true.',
      'github-production-branch-protected: Branch "release" must require pull requests with at least one approval; set environments[live].requiredApprovals to 1 or more.',
    ]);
    // And every other production rule still applies to it, e.g. the lock on its resource group.
    expect(await violationsOf(azureProdResourceGroupProtected(), without(resources, T.lock))).toEqual([
      'Production resource group "rg-payments-service-live" must carry a CanNotDelete management lock.',
      'Production resource group "rg-payments-service-live-identities" must carry a CanNotDelete management lock.',
    ]);
  });

  it("keeps no production names in the committed policy config", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      const text = JSON.stringify(readPolicyConfig(stack));
      expect(text).not.toMatch(/productionEnvironment|productionBranch/);
    }
  });
});

describe("identities in a group no deploy identity can write", () => {
  const policy = azureIdentityRolesOwnGroup();
  const IDS = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-payments-service-prod-identities";

  it("reports a role on the group that holds the identities", async () => {
    expect(await violationsOf(policy, weaken(prod, T.roleAssignment, "prod-deploy-contributor", (p) => (p.scope = IDS)))).toEqual([
      'Role assignment "prod-deploy-contributor" must not be scoped to "rg-payments-service-prod-identities", the resource group holding the identities: whoever holds it could add federated credentials to the identities.',
      'Identity "id-rg-payments-service-prod-deploy" holds role b24988ac-6180-42a0-ab88-20f7382dd24c on "rg-payments-service-prod-identities", the resource group it sits in, so it could add federated credentials to itself and keep access; keep identities in their own group (AzureEnvironment\'s identities group), where they hold no role.',
    ]);
  });

  it("reports the old layout: a deploy identity that is Contributor on the group it sits in", async () => {
    const inWorkload = weaken(prod, T.identity, "prod-deploy-identity", (p) => (p.resourceGroupName = "rg-payments-service-prod"));
    const found = await violationsOf(policy, inWorkload);
    expect(found).toContain(
      'Identity "id-rg-payments-service-prod-deploy" holds role b24988ac-6180-42a0-ab88-20f7382dd24c on "rg-payments-service-prod", the resource group it sits in, so it could add federated credentials to itself and keep access; keep identities in their own group (AzureEnvironment\'s identities group), where they hold no role.',
    );
  });
});

describe("github-environments-branch-restricted", () => {
  const policy = githubEnvironmentsBranchRestricted();
  it("passes every environment of prod (docs included) and dev", async () => {
    expect(await violationsOf(policy, prod)).toEqual([]);
    expect(await violationsOf(policy, dev)).toEqual([]);
  });
  it("ATTACK: a docs environment without a branch policy, whose subject any ref could then claim", async () => {
    const open = without(weaken(prod, T.env, "docs", (p) => delete p.deploymentBranchPolicy), T.envPolicy, "docs-branch-main");
    expect(await violationsOf(policy, open)).toEqual([
      'GitHub environment "docs" must admit only listed branches (a custom deployment branch policy with at least one branch); without one, any ref can use its OIDC subject.',
    ]);
  });
});

describe("productionOf, for any tags", () => {
  const value = fc.option(fc.oneof(fc.constantFrom("production", "pre-production", "prod", "", "main", "live"), fc.string()), { nil: undefined });
  const group = fc.record({ tier: value, environment: value, branch: value });

  it("says production only when exactly one production is fully marked, and never guesses past a group it cannot read", () => {
    fc.assert(
      fc.property(fc.array(group, { minLength: 1, maxLength: 4 }), (groups) => {
        const resources = groups.map((g, i) => {
          const tags: Record<string, string> = {};
          if (g.tier !== undefined) tags["delivery-tier"] = g.tier;
          if (g.environment !== undefined) tags.environment = g.environment;
          if (g.branch !== undefined) tags["delivery-branch"] = g.branch;
          return policyResource({ type: T.rg, name: `g${i}`, props: { resourceGroupName: `rg-${i}`, tags } });
        });
        const verdict = productionOf(resources);
        const unreadable = groups.some((g) => g.tier !== "production" && g.tier !== "pre-production");
        const prod = groups.filter((g) => g.tier === "production");
        const incomplete = prod.some((g) => !g.environment || !g.branch);
        const distinct = new Set(prod.map((g) => `${g.environment}\u0000${g.branch}`)).size;
        if (unreadable || incomplete || distinct > 1) expect(verdict.kind).toBe("unknown");
        else if (prod.length === 0) expect(verdict).toEqual({ kind: "not-production" });
        else expect(verdict).toEqual({ kind: "production", production: { environment: prod[0].environment, branch: prod[0].branch } });
      }),
    );
  });
});

describe("the first preview of production: nothing exists yet, so outputs are unknown", () => {
  // As the engine hands the stack to the pack during a first `pulumi preview`: ids, principal ids,
  // ARNs and everything computed from them unknown (the SDK's proxy throws on reading one), each
  // input's property dependencies recorded.
  let first: PolicyResource[];
  beforeAll(async () => {
    first = previewResourcesOf(await evaluateStack("prod", { preview: true }));
  }, 60_000);
  const find = (resources: PolicyResource[], type: string, name: string) => resources.find((r) => r.type === type && r.name === name)!;

  it("really has unknowns: principal ids and the what-if role's id cannot be read", () => {
    expect(() => find(first, T.roleAssignment, "prod-deploy-contributor").props.principalId).toThrow("string value at .principalId can't be known during preview");
    expect(() => find(first, T.roleAssignment, "prod-preview-whatif").props.roleDefinitionId).toThrow("can't be known during preview");
  });

  it("the values the production policies read are plain inputs from configuration, known already", () => {
    expect(find(first, T.lock, "prod-no-delete").props.resourceGroupName).toBe("rg-payments-service-prod");
    expect(find(first, T.identity, "prod-deploy-identity").props.resourceGroupName).toBe("rg-payments-service-prod-identities");
    expect(find(first, T.fic, "prod-deploy-fic-0").props).toMatchObject({ resourceName: "id-rg-payments-service-prod-deploy", subject: `repo:${REPO}:environment:prod` });
    expect(find(first, T.roleAssignment, "prod-deploy-contributor").props.scope).toMatch(/\/resourceGroups\/rg-payments-service-prod$/);
    expect(JSON.parse(find(first, T.role, "docs-role").props.assumeRolePolicy).Statement[0].Principal.Federated).toMatch(/:oidc-provider\/token\.actions\.githubusercontent\.com$/);
  });

  it.each(allPolicies().map((p) => [p.name, p] as const))("%s runs on the first preview (no \"can't run\") and passes", async (_name, policy) => {
    expect(await previewViolationsOf(policy, first, prodConfig)).toEqual([]);
  });

  it("gates the first preview as strictly as later ones: a weakened prod is reported before anything exists", async () => {
    const envs = JSON.parse(require("../../core/stack-file").readStackFile(require("../harness/program").REPO_ROOT, "prod").config["delivery-platform:environments"]);
    envs[2].preventSelfReview = false;
    envs[2].requiredApprovals = 0;
    const weakened = previewResourcesOf(await evaluateStack("prod", { preview: true, config: { "delivery-platform:environments": envs } }));
    const found: string[] = [];
    for (const policy of allPolicies()) for (const v of await previewViolationsOf(policy, weakened, prodConfig)) found.push(`${policy.name}: ${v}`);
    expect(found).toEqual([
      'github-prod-environment-reviewers: GitHub environment "prod" must prevent self-review; set environments[prod].preventSelfReview to true.',
      'github-production-branch-protected: Branch "main" must require pull requests with at least one approval; set environments[prod].requiredApprovals to 1 or more.',
    ]);
  });

  it("fails closed where it genuinely cannot tell: an unknown subject is a violation of the pack, not the SDK's advisory \"can't run\"", async () => {
    const unknownSubject = first.map((r) => (r.type === T.fic && r.name === "prod-deploy-fic-0" ? previewResource(r, { subject: UNKNOWN_VALUE }) : r));
    const raw = oidcFederatedCredentialsExact();
    expect(await previewViolationsOf(raw, unknownSubject)).toEqual(["can't run policy 'oidc-federated-credentials-exact' during preview: string value at .subject can't be known during preview"]);
    const packed = allPolicies().find((p) => p.name === raw.name)!;
    expect(await previewViolationsOf(packed, unknownSubject)).toEqual([
      'Cannot check this during preview, so it fails closed: the string value at .subject of "prod-deploy-fic-0" (azure-native:managedidentity:FederatedIdentityCredential) is not known until the resources it is computed from exist. Policies that gate production read values the program derives from configuration; give the resource that value as a plain input (see docs/policies.md, "Known at preview").',
    ]);
  });

  it("fails closed on a role assignment whose role is unknown and not one of the stack's role definitions", async () => {
    const orphan = first.map((r) => (r.type === T.roleAssignment && r.name === "prod-preview-whatif" ? previewResource(r, {}, { roleDefinitionId: [] }) : r));
    expect(await previewViolationsOf(allPolicies().find((p) => p.name === "azure-identity-roles-own-group")!, orphan)).toEqual([
      'Role assignment "prod-preview-whatif": the role it grants is not known during preview, so it cannot be checked; give roleDefinitionId a value derived from configuration, or from a role definition in this stack.',
    ]);
  });
});
