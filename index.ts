/**
 * Composition root: read the stack configuration once, resolve what must be resolved before
 * anything is created (reviewers), then build this stack's slice of the delivery platform.
 *
 * A stack deploys one environment (its name, or `delivery-platform:environment`): the GitHub
 * environment and the protection of its branch, its Azure resource group and identities, its
 * deploy label. The stack with `manageRepository: true` (prod) also owns what the repository
 * has once: the workflows, the docs environment and AWS role, the Graft documents and the
 * shared labels.
 */
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as azureNative from "@pulumi/azure-native/provider";
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { DocsGenerationRole } from "./components/aws/docs-role";
import { BicepDeployment } from "./components/azure/bicep-deployment";
import { AzureEnvironment } from "./components/azure/environment";
import { BranchRuleset } from "./components/github/branch-ruleset";
import { DeploymentEnvironment } from "./components/github/deployment-environment";
import { RepositoryLabels } from "./components/github/labels";
import { resolveReviewers } from "./components/github/reviewers";
import { WorkflowFiles } from "./components/github/workflow-files";
import { GraftDocs } from "./components/graft/graft-docs";
import { ConfigError, parseStackConfig, productionEnvironment, resourceGroupName, type StackConfig } from "./core/config";
import { DEPLOYMENT_FAILURE_LABEL, DOCS_GENERATE_LABEL, approvalLabel, deployLabel } from "./core/labels";
import { DOCS_ENVIRONMENT, environmentSubject } from "./core/oidc";
import { previewClientIdVariable, renderWorkflows, requiredCheckNames } from "./workflows";

function readConfig(): StackConfig {
  try {
    return parseStackConfig(pulumi.runtime.allConfig(), pulumi.getStack());
  } catch (err) {
    // RunError ends the program with the message alone: the problems list is the useful part.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

export = async () => {
  const cfg = readConfig();
  const env = cfg.environment;
  const production = productionEnvironment(cfg);
  const isProduction = env.name === production.name;

  const githubProvider = new github.Provider("github", { owner: cfg.owner });
  const azureProvider = new azureNative.Provider("azure", { subscriptionId: cfg.azure.subscriptionId, tenantId: cfg.azure.tenantId, location: cfg.azure.location });
  const gh = { provider: githubProvider };

  const reviewers = await resolveReviewers([env], cfg.owner, gh);

  const rgName = resourceGroupName(cfg.azure.resourceGroupName, cfg.repository, env.name);
  const azureEnv = new AzureEnvironment(
    env.name,
    {
      repository: cfg.repository,
      environment: env.name,
      subscriptionId: cfg.azure.subscriptionId,
      resourceGroupName: rgName,
      location: cfg.azure.location,
      tags: { ...cfg.azure.tags, repository: cfg.repository },
      protectFromDeletion: isProduction,
      // The promote workflow's validate job runs on the production branch and reads production's
      // Azure Monitor alerts with the read-only identity (`delivery validate monitors`).
      readerSubjects: isProduction ? [`repo:${cfg.repository}:ref:refs/heads/${production.branch}`] : [],
    },
    { provider: azureProvider },
  );

  const bicep = new BicepDeployment(
    env.name,
    {
      // The name as a plain string (ordering comes from dependsOn), so the preview and the
      // policies know it before the resource group exists.
      resourceGroupName: rgName,
      subscriptionId: cfg.azure.subscriptionId,
      bicep: env.bicep,
      // The deploy workflow points this at the directory it uploads as the audit artifact.
      auditDir: process.env.DELIVERY_AUDIT_DIR ?? "audit",
      // Production's what-if must be visible to the policy gate (destructive changes need a reason).
      whatIfInCheck: isProduction,
    },
    { dependsOn: [azureEnv] },
  );

  const ghEnvironment = new DeploymentEnvironment(
    env.name,
    {
      repository: cfg.repositoryName,
      environment: env,
      reviewers: reviewers.get(env.name)!,
      // IssueOps runs (issue_comment) execute on the default branch, which holds the workflows;
      // GitHub checks the run's ref, so every environment admits it beside its own branch.
      // The deploy gate decides what may be deployed from there (core/intent/gates.ts).
      deploymentBranches: [...new Set([env.branch, production.branch])],
      variables: {
        AZURE_CLIENT_ID: azureEnv.deployIdentity.clientId,
        AZURE_TENANT_ID: cfg.azure.tenantId,
        AZURE_SUBSCRIPTION_ID: cfg.azure.subscriptionId,
        AZURE_RESOURCE_GROUP: azureEnv.resourceGroupName,
      },
    },
    gh,
  );
  // Pull-request previews run without `environment:` (the branch policy would refuse PR refs), so
  // the preview identity's client id is a repository variable, one per environment.
  new github.ActionsVariable(
    `${env.name}-preview-client-id`,
    { repository: cfg.repositoryName, variableName: previewClientIdVariable(env.name), value: azureEnv.previewIdentity.clientId },
    gh,
  );

  new BranchRuleset(
    `${env.name}-branch`,
    {
      repository: cfg.repositoryName,
      branch: env.branch,
      requiredApprovals: env.requiredApprovals,
      requireCodeOwnerReview: isProduction && cfg.github.codeOwnerReviewOnProduction,
      requiredChecks: requiredCheckNames(cfg),
    },
    gh,
  );

  const labels = [deployLabel(env.name)];
  let docsRoleArn: pulumi.Output<string> | undefined;
  let workflowsPullRequest: pulumi.Output<number> | undefined;
  let staleDocuments: pulumi.Output<string[]> | undefined;
  if (cfg.manageRepository) {
    labels.push(approvalLabel(cfg.github.approvalLabel), DOCS_GENERATE_LABEL, DEPLOYMENT_FAILURE_LABEL);
    const awsProvider = new AwsProvider("aws", { region: cfg.aws.region, allowedAccountIds: [cfg.aws.accountId] });
    const docsRole = new DocsGenerationRole(
      "docs",
      {
        repository: cfg.repository,
        // The docs job, and this stack's own deploy job, whose `pulumi up` regenerates the docs.
        subjects: [environmentSubject(cfg.repository, DOCS_ENVIRONMENT), environmentSubject(cfg.repository, env.name)],
        accountId: cfg.aws.accountId,
        region: cfg.aws.region,
        modelIds: cfg.aws.bedrockModelIds,
        existingOidcProviderArn: cfg.aws.oidcProviderArn,
      },
      { provider: awsProvider },
    );
    docsRoleArn = docsRole.roleArn;
    new DeploymentEnvironment(
      DOCS_ENVIRONMENT,
      {
        repository: cfg.repositoryName,
        environment: { name: DOCS_ENVIRONMENT, branch: "", waitTimerMinutes: 0, preventSelfReview: false },
        reviewers: { users: [], teams: [] },
        deploymentBranches: [],
        variables: { AWS_DOCS_ROLE_ARN: docsRole.roleArn, AWS_REGION: cfg.aws.region },
      },
      gh,
    );
    new github.ActionsEnvironmentVariable(
      `${env.name}-var-aws_docs_role_arn`,
      { repository: cfg.repositoryName, environment: ghEnvironment.environment.environment, variableName: "AWS_DOCS_ROLE_ARN", value: docsRole.roleArn },
      gh,
    );
    const docs = new GraftDocs("graft", { config: cfg.graft, awsRegion: cfg.aws.region, availableModels: cfg.aws.bedrockModelIds });
    staleDocuments = docs.staleDocuments;
    const workflows = new WorkflowFiles("workflows", { repository: cfg.repositoryName, files: renderWorkflows(cfg), baseBranch: production.branch }, gh);
    workflowsPullRequest = workflows.pullRequestNumber;
  }
  new RepositoryLabels(`${env.name}-labels`, { repository: cfg.repositoryName, labels }, gh);

  return {
    environment: env.name,
    branch: env.branch,
    githubEnvironment: ghEnvironment.environment.environment,
    resourceGroupName: azureEnv.resourceGroupName,
    azureClientId: azureEnv.deployIdentity.clientId,
    azurePreviewClientId: azureEnv.previewIdentity.clientId,
    azureTenantId: cfg.azure.tenantId,
    azureSubscriptionId: cfg.azure.subscriptionId,
    bicepDeploymentId: bicep.deploymentId,
    bicepWhatIf: bicep.whatIf,
    ...(docsRoleArn ? { docsRoleArn } : {}),
    ...(workflowsPullRequest ? { workflowsPullRequest } : {}),
    ...(staleDocuments ? { staleDocuments } : {}),
  };
};
