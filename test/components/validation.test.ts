/** The components' argument validation, as pure functions: every problem named before anything is created. */
import { docsRoleProblems } from "../../components/aws/docs-role";
import { azureEnvironmentProblems, deploySubjects, previewSubjects } from "../../components/azure/environment";
import { branchRulesetProblems } from "../../components/github/branch-ruleset";
import { deploymentBranchProblems } from "../../components/github/deployment-environment";
import { workflowFilesProblems } from "../../components/github/workflow-files";

const REPO = "contoso/payments-service";

describe("deploySubjects", () => {
  it("trusts exactly the environment's subject by default", () => {
    expect(deploySubjects({ repository: REPO, environment: "prod" })).toEqual([`repo:${REPO}:environment:prod`]);
  });

  it("refuses more than Azure's 20 federated credentials per identity", () => {
    const extra = Array.from({ length: 20 }, (_, i) => `repo:${REPO}:ref:refs/heads/release-${i}`);
    expect(() => deploySubjects({ repository: REPO, environment: "prod", additionalSubjects: extra })).toThrow(
      "environment prod: 21 federated credentials requested; Azure allows at most 20 per identity (remove some [additionalSubjects])",
    );
  });

  it("refuses subjects that would match more than this repository", () => {
    expect(() => deploySubjects({ repository: REPO, environment: "dev", additionalSubjects: ["repo:contoso/*:environment:dev", `repo:${REPO}:environment:dev`] })).toThrow(
      [
        'environment dev: subject "repo:contoso/*:environment:dev" contains a wildcard; trust one exact subject such as repo:contoso/payments-service:environment:prod',
        'subject "repo:contoso/*:environment:dev" is not scoped to contoso/payments-service; it must start with "repo:contoso/payments-service:"',
        `subject "repo:${REPO}:environment:dev" is listed twice in [additionalSubjects]`,
      ].join("; "),
    );
  });
});

describe("previewSubjects", () => {
  it("trusts the environment's preview environment and the exact reader subjects", () => {
    expect(previewSubjects({ repository: REPO, environment: "prod", readerSubjects: [`repo:${REPO}:ref:refs/heads/main`] })).toEqual([`repo:${REPO}:environment:prod-preview`, `repo:${REPO}:ref:refs/heads/main`]);
  });
  it("refuses a reader subject of another repository", () => {
    expect(() => previewSubjects({ repository: REPO, environment: "prod", readerSubjects: ["repo:contoso/other:ref:refs/heads/main"] })).toThrow(
      'environment prod: subject "repo:contoso/other:ref:refs/heads/main" is not scoped to contoso/payments-service; it must start with "repo:contoso/payments-service:"',
    );
  });
});

describe("docsRoleProblems", () => {
  const good = { repository: REPO, subjects: [`repo:${REPO}:environment:docs`], accountId: "123456789012", region: "us-east-1", modelIds: ["anthropic.claude-3-5-haiku-20241022-v1:0"] };
  it("accepts exact subjects and models", () => expect(docsRoleProblems(good)).toEqual([]));
  it("lists every problem", () => {
    expect(docsRoleProblems({ ...good, subjects: [`repo:${REPO}:*`], modelIds: ["anthropic.*"] })).toEqual([
      `[subjects]: subject "repo:${REPO}:*" contains a wildcard; trust one exact subject such as repo:${REPO}:environment:prod`,
      `[subjects]: subject "repo:${REPO}:*" has context "*"; use environment:<name>, ref:refs/heads/<branch> or pull_request`,
      '[modelIds]: "anthropic.*" contains a wildcard; list exact model ids',
    ]);
    expect(docsRoleProblems({ ...good, subjects: [], modelIds: [] })).toEqual([
      "[subjects] is empty; trust at least one exact subject such as repo:OWNER/NAME:environment:docs",
      "[modelIds] is empty; list the Bedrock models documentation generation may invoke",
    ]);
  });
});

describe("branchRulesetProblems", () => {
  it("accepts a valid ruleset", () => expect(branchRulesetProblems({ repository: "r", branch: "main", requiredApprovals: 2, requiredChecks: ["a", "b"] })).toEqual([]));
  it("names the argument, the rule and the value", () => {
    expect(branchRulesetProblems({ repository: "r", branch: "main", requiredApprovals: 11, requiredChecks: ["a", "a"] })).toEqual([
      "[requiredApprovals] must be a whole number from 0 to 10 (GitHub's limit); received 11",
      '[requiredChecks] lists "a" twice; list each check once',
    ]);
  });
});

describe("workflowFilesProblems", () => {
  it("refuses paths outside .github/workflows, duplicates, and committing straight to the base branch", () => {
    expect(
      workflowFilesProblems({
        repository: "r",
        baseBranch: "main",
        branch: "main",
        files: [
          { path: "scripts/x.sh", content: "" },
          { path: ".github/workflows/a.yml", content: "" },
          { path: ".github/workflows/a.yml", content: "" },
        ],
      }),
    ).toEqual([
      '[files]: "scripts/x.sh" is not a workflow path; use .github/workflows/<name>.yml',
      '[files]: ".github/workflows/a.yml" is listed twice',
      "[branch] must differ from [baseBranch] (main): the base branch only accepts pull requests",
    ]);
  });
});

describe("deploymentBranchProblems", () => {
  it("accepts exact branches", () => expect(deploymentBranchProblems("docs", ["main"])).toEqual([]));
  it("refuses an empty list (any ref, pull-request merge refs too, could use the environment)", () => {
    expect(deploymentBranchProblems("docs", [])).toEqual([
      '[deploymentBranches] of environment "docs" is empty, which would let any branch or pull-request ref deploy to it; list the branch(es) that may',
    ]);
  });
  it("refuses wildcards and repeats", () => {
    expect(deploymentBranchProblems("prod", ["release/*", "main", "main"])).toEqual([
      '[deploymentBranches] of environment "prod" lists "release/*"; name one exact branch (no wildcards)',
      '[deploymentBranches] of environment "prod" lists "main" twice; list each branch once',
    ]);
  });
});

describe("azureEnvironmentProblems", () => {
  it("accepts a tier, a branch and group names that leave room for the identities group", () => {
    expect(azureEnvironmentProblems({ resourceGroupName: "rg-payments-service-prod", tier: "production", branch: "main" })).toEqual([]);
  });
  it("names every problem: unknown tier, no branch, an identities group name over Azure's 90 characters", () => {
    const long = `rg-${"x".repeat(80)}`;
    expect(azureEnvironmentProblems({ resourceGroupName: long, tier: "prod" as never, branch: "" })).toEqual([
      '[tier] must be one of production, pre-production; received "prod"',
      '[branch] must name the environment branch; received ""',
      `[resourceGroupName (its identities group)] gives "${long}-identities", which is not a valid resource group name (1-90 letters, digits, - _ . ( ), not ending in .); shorten delivery-platform:azure.resourceGroupName`,
    ]);
  });
});

describe("azureEnvironmentProblems: the state container", () => {
  const args = { resourceGroupName: "rg-payments-service-dev", tier: "pre-production", branch: "dev", environment: "dev" } as const;
  const scope = (container: string) => `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-delivery-state/providers/Microsoft.Storage/storageAccounts/contosostate/blobServices/default/containers/${container}`;
  it("accepts the environment's own container", () => {
    expect(azureEnvironmentProblems({ ...args, stateContainerScope: scope("pulumi-state-dev") })).toEqual([]);
  });
  it("refuses another stack's container, or a scope that is no container at all", () => {
    expect(azureEnvironmentProblems({ ...args, stateContainerScope: scope("pulumi-state-prod") })).toEqual([
      `[stateContainerScope] must be the id of this environment's own state container pulumi-state-dev (stateContainerScope in core/state-backend.ts); received "${scope("pulumi-state-prod")}"`,
    ]);
    expect(azureEnvironmentProblems({ ...args, stateContainerScope: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-delivery-state" })).toHaveLength(1);
  });
});

describe("branchRulesetProblems: the app that reports required checks", () => {
  it("refuses an app id that is not a positive whole number", () => {
    expect(branchRulesetProblems({ repository: "r", branch: "main", requiredApprovals: 1, requiredChecksAppId: 0 })).toEqual([
      "[requiredChecksAppId] must be a GitHub App id (a positive whole number); received 0",
    ]);
  });
});
