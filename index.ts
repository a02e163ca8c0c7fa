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
import { DEPLOYMENT_FAILURE_LABEL, DOCS_GENERATE_LABEL, FAILURE_PRIORITY_LABELS, approvalLabel, deployLabel } from "./core/labels";
import { branchSubject, DOCS_ENVIRONMENT, environmentSubject, previewEnvironment } from "./core/oidc";
import { STATE_SETTINGS, stateBackendUrl, stateContainerScope } from "./core/state-backend";
import { DEPLOYMENT_OUTPUTS_KEY } from "./core/validate";
import { AWS_PREVIEW_ROLE_VARIABLE, environmentSecrets, previewClientIdVariable, PROMOTION_ENVIRONMENT, renderWorkflows, requiredCheckNames } from "./workflows";

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

  // The token is passed explicitly so that the SDK marks it secret: read from GITHUB_TOKEN by the
  // SDK itself, it would be stored in the stack's state in clear text.
  const githubProvider = new github.Provider("github", { owner: cfg.owner, token: process.env.GITHUB_TOKEN || undefined });
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
      // The policy pack learns what production is from these tags (core/resource-tags.ts).
      tier: isProduction ? "production" : "pre-production",
      branch: env.branch,
      protectFromDeletion: isProduction,
      // Previews, `/preview` and drift reach the read-only identity from `<env>-preview`; in
      // production the promote workflow's monitors check also reads with it from the default branch.
      readerSubjects: isProduction ? [branchSubject(cfg.repository, production.branch)] : [],
      stateContainerScope: cfg.azure.stateStorage ? stateContainerScope(cfg.azure.subscriptionId, cfg.azure.stateStorage, env.name) : undefined,
    },
    { provider: azureProvider },
  );
  // Where this stack's state lives, for its deploy jobs and its previews alike (each environment's own value).
  const stateVariables: Record<string, string> = cfg.azure.stateStorage
    ? { [STATE_SETTINGS.backendUrl.name]: stateBackendUrl(env.name), [STATE_SETTINGS.storageAccount.name]: cfg.azure.stateStorage.account }
    : {};

  const bicep = new BicepDeployment(
    env.name,
    {
      // The name as a plain string (ordering comes from dependsOn), so the preview and the
      // policies know it before the resource group exists.
      resourceGroupName: rgName,
      subscriptionId: cfg.azure.subscriptionId,
      bicep: env.bicep,
      // Lets the first preview show the what-if before the resource group exists. The audit
      // directory is not an input: the provider reads DELIVERY_AUDIT_DIR when it deploys.
      location: cfg.azure.location,
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
        ...stateVariables,
      },
      // The stack's passphrase; administration only in production (workflows/common.ts).
      secrets: environmentSecrets(cfg)[env.name],
    },
    gh,
  );
  // The stack's read-only jobs (previews, `/preview`, drift): any ref, a pull request's too, may
  // run there, so it holds only what reads (its secrets; the preview identity trusts its subject).
  const previewGhEnvironment = new DeploymentEnvironment(
    previewEnvironment(env.name),
    {
      repository: cfg.repositoryName,
      environment: { name: previewEnvironment(env.name), branch: "", waitTimerMinutes: 0, preventSelfReview: false },
      reviewers: { users: [], teams: [] },
      deploymentBranches: "any",
      variables: stateVariables,
      secrets: environmentSecrets(cfg)[previewEnvironment(env.name)],
    },
    gh,
  );
  // The preview identity's client id is a repository variable, one per environment (the promote
  // workflow's monitors check reads production's without an environment).
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
    labels.push(approvalLabel(cfg.github.approvalLabel), DOCS_GENERATE_LABEL, DEPLOYMENT_FAILURE_LABEL, ...Object.values(FAILURE_PRIORITY_LABELS));
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
        // Previews of this stack (pull requests, `/preview`, drift: its preview environment) read the
        // AWS resources with a read-only role: the AWS provider does not configure without credentials.
        previewSubjects: [environmentSubject(cfg.repository, previewEnvironment(env.name))],
      },
      { provider: awsProvider },
    );
    docsRoleArn = docsRole.roleArn;
    new github.ActionsVariable("aws-preview-role-arn", { repository: cfg.repositoryName, variableName: AWS_PREVIEW_ROLE_VARIABLE, value: docsRole.previewRoleArn }, gh);
    new DeploymentEnvironment(
      DOCS_ENVIRONMENT,
      {
        repository: cfg.repositoryName,
        environment: { name: DOCS_ENVIRONMENT, branch: "", waitTimerMinutes: 0, preventSelfReview: false },
        reviewers: { users: [], teams: [] },
        // Only the production branch's runs get the subject the documentation role trusts.
        deploymentBranches: [production.branch],
        variables: { AWS_DOCS_ROLE_ARN: docsRole.roleArn, AWS_REGION: cfg.aws.region },
        secrets: environmentSecrets(cfg)[DOCS_ENVIRONMENT],
      },
      gh,
    );
    // The jobs that act as the promotion App: only the environment branches (protected, reviewed)
    // may run there, so a writer's own branch never reads the App's key.
    new DeploymentEnvironment(
      PROMOTION_ENVIRONMENT,
      {
        repository: cfg.repositoryName,
        environment: { name: PROMOTION_ENVIRONMENT, branch: "", waitTimerMinutes: 0, preventSelfReview: false },
        reviewers: { users: [], teams: [] },
        deploymentBranches: [...new Set(cfg.environments.map((e) => e.branch))],
        secrets: environmentSecrets(cfg)[PROMOTION_ENVIRONMENT],
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
    githubPreviewEnvironment: previewGhEnvironment.environment.environment,
    // The environment secrets the administrator must set (names only; values never pass through Pulumi).
    githubEnvironmentSecrets: { [env.name]: ghEnvironment.secrets.map((s) => s.name), [previewEnvironment(env.name)]: previewGhEnvironment.secrets.map((s) => s.name) },
    resourceGroupName: azureEnv.resourceGroupName,
    azureClientId: azureEnv.deployIdentity.clientId,
    azurePreviewClientId: azureEnv.previewIdentity.clientId,
    azureTenantId: cfg.azure.tenantId,
    azureSubscriptionId: cfg.azure.subscriptionId,
    bicepDeploymentId: bicep.deploymentId,
    bicepWhatIf: bicep.whatIf,
    // Where the deployment answers: the deploy job records it for the promote workflow's checks.
    [DEPLOYMENT_OUTPUTS_KEY]: bicep.templateOutputs,
    ...(docsRoleArn ? { docsRoleArn } : {}),
    ...(workflowsPullRequest ? { workflowsPullRequest } : {}),
    ...(staleDocuments ? { staleDocuments } : {}),
  };
};
