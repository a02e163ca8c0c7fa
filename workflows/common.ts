/**
 * Steps, names and variables shared by the workflows. Everything a workflow reads from GitHub's
 * variables and secrets is named here, so the components that create them and the docs that
 * list them use one list.
 */
import { productionEnvironment, type StackConfig } from "../core/config";
import { DOCS_ENVIRONMENT, PROMOTION_ENVIRONMENT, previewEnvironment } from "../core/oidc";
import { STATE_SETTINGS } from "../core/state-backend";
import { ACTIONS } from "./actions";
import type { Job, Permissions, Step, UsesStep } from "./model";

export const RUNNER = "ubuntu-latest";
/** The file in the repository that names the Node.js major every job runs (and `.ci/run`, scripts/install-node.sh). */
export const NODE_VERSION_FILE = ".node-version";

/** Where the Bicep provider writes audit records in CI; the deploy job uploads this directory. */
export const AUDIT_DIR = "${{ runner.temp }}/delivery-audit";
/** Where the Bicep provider writes raw what-if JSON during a preview; the comment summarises each file. */
export const WHATIF_DIR = "${{ runner.temp }}/delivery-whatif";

/** Variables set per GitHub environment (dev, staging, prod) by the DeploymentEnvironment component. */
export const ENVIRONMENT_VARIABLES = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"] as const;
/** Variables of the `docs` environment (and of the environment that manages the repository, whose `pulumi up` regenerates docs). */
export const DOCS_VARIABLES = ["AWS_DOCS_ROLE_ARN"] as const;
/** The repository variable holding the read-only AWS role PR previews of the stack that manages the repository assume. */
export const AWS_PREVIEW_ROLE_VARIABLE = "AWS_PREVIEW_ROLE_ARN";
/** The repository variable holding the client id of an environment's read-only preview identity. */
export function previewClientIdVariable(environment: string): string {
  return `AZURE_PREVIEW_CLIENT_ID_${environment.toUpperCase().replace(/-/g, "_")}`;
}
/**
 * Repository variables: `PULUMI_BACKEND_URL` and `AZURE_STORAGE_ACCOUNT`, which every Pulumi job
 * reads (with `azure.stateStorage` each environment has its own, which GitHub prefers; see
 * core/state-backend.ts), and the optional `PROMOTION_APP_ID` (see `promotionToken`).
 */
export const REPOSITORY_VARIABLES = [STATE_SETTINGS.backendUrl.name, STATE_SETTINGS.storageAccount.name, "PROMOTION_APP_ID", AWS_PREVIEW_ROLE_VARIABLE] as const;
/** A secret a GitHub environment must (or may) hold: its name and what its value must be. */
export interface SecretSpec {
  readonly name: string;
  readonly description: string;
  /** Whether the jobs fail without it (optional ones fall back to the job's own token). */
  readonly required: boolean;
  /**
   * Whether its value can change repository administration (rulesets, environments, reviewers).
   * Such a secret belongs only in an environment with required reviewers
   * (components/github/deployment-environment.ts refuses it elsewhere).
   */
  readonly grantsAdministration: boolean;
}

/** The stack's passphrase (passphrase secrets provider); each stack's differs (core/state-backend.ts). */
export const PASSPHRASE_SECRET = STATE_SETTINGS.passphrase.name;
/** Production's deploy job: a token for the Pulumi GitHub provider with repository administration. */
export const ADMIN_TOKEN_SECRET = "DELIVERY_GITHUB_ADMIN_TOKEN";
/** Everywhere else: an optional read-only token (members: read) for resolving reviewer teams. */
export const READ_TOKEN_SECRET = "DELIVERY_GITHUB_READ_TOKEN";
/** The promotion App's private key (with the repository variable `PROMOTION_APP_ID`). */
export const PROMOTION_APP_KEY_SECRET = "PROMOTION_APP_PRIVATE_KEY";
/**
 * The GitHub environment of the jobs that act as the promotion App (defined in core/oidc.ts, where
 * the policy pack reads it too). No deployment is recorded for it (`deployment: false`).
 */
export { PROMOTION_ENVIRONMENT };

const passphrase = (stack: string, use: string): SecretSpec => ({ name: PASSPHRASE_SECRET, description: `passphrase of the ${stack} stack's secrets (${use})`, required: true, grantsAdministration: false });
const readToken: SecretSpec = {
  name: READ_TOKEN_SECRET,
  description: "optional: a token without administration (organization members: read) so the Pulumi GitHub provider can resolve reviewer teams; without it the job's own token is used",
  required: false,
  grantsAdministration: false,
};

/**
 * The secrets each GitHub environment holds, by environment name: the one list the workflows read,
 * the components declare and docs/security.md describes. No workflow reads a repository secret.
 *
 * - `<env>` (dev, staging, prod; the deploy jobs): the stack's passphrase; production alone holds
 *   the administration token, dev and staging at most a read token.
 * - `<env>-preview` (previews of pull requests and `/preview`, drift): the same stack's passphrase
 *   (the state grant of these jobs is read-only, core/state-backend.ts) and the read token.
 * - `promotion` and `docs` (production branch / environment branches only): the promotion App's key.
 */
export function environmentSecrets(cfg: Pick<StackConfig, "environments">): Record<string, readonly SecretSpec[]> {
  const production = productionEnvironment(cfg).name;
  const secrets: Record<string, readonly SecretSpec[]> = {};
  for (const e of cfg.environments) {
    secrets[e.name] =
      e.name === production
        ? [
            passphrase(e.name, "pulumi up"),
            { name: ADMIN_TOKEN_SECRET, description: "GitHub App installation or fine-grained token with repository administration, for `pulumi up` of production (it manages rulesets, environments and reviewers)", required: true, grantsAdministration: true },
          ]
        : [passphrase(e.name, "pulumi up"), readToken];
    secrets[previewEnvironment(e.name)] = [passphrase(e.name, "pulumi preview with read-only state access"), readToken];
  }
  const appKey: SecretSpec = {
    name: PROMOTION_APP_KEY_SECRET,
    description: "optional: private key of the GitHub App that opens promotion pull requests and reads team membership (with the variable PROMOTION_APP_ID); the App must not have administration",
    required: false,
    grantsAdministration: false,
  };
  secrets[PROMOTION_ENVIRONMENT] = [appKey];
  // The docs generator opens the pull request of regenerated documents as the App; `docs` admits
  // only the production branch, like `promotion`.
  secrets[DOCS_ENVIRONMENT] = [appKey];
  return secrets;
}

/** The token the Pulumi GitHub provider uses in the deploy job of `environment`: administration only in production. */
export function deployGithubToken(cfg: Pick<StackConfig, "environments">, environment: string): string {
  return environment === productionEnvironment(cfg).name ? expr(`secrets.${ADMIN_TOKEN_SECRET}`) : readGithubToken();
}

/** The read token where the environment has one, else the job's own token. */
export function readGithubToken(): string {
  return expr(`secrets.${READ_TOKEN_SECRET} || github.token`);
}

/** `environment:` of a job that only reads the stack (previews, drift): no deployment is recorded. */
export function previewJobEnvironment(stack: string): { name: string; deployment: false } {
  return { name: previewEnvironment(stack), deployment: false };
}

/** The default branch: trusted tooling is always checked out from it, never from a pull request. */
export const TRUSTED_REF = "${{ github.event.repository.default_branch }}";
/** This run's page. */
export const RUN_URL = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}";
/**
 * The repository-wide concurrency group of everything that moves a commit between environments
 * (the promote workflow, and `/promote` in the deploy workflow): one promotion at a time.
 */
export const PROMOTION_CONCURRENCY = { group: "promote", "cancel-in-progress": false } as const;

/** GitHub expression text, e.g. `expr("github.sha")` -> `${{ github.sha }}`. */
export function expr(expression: string): string {
  return `\${{ ${expression} }}`;
}

export function checkout(options: { ref?: string; fetchDepth?: number } = {}): UsesStep {
  return {
    name: "Check out",
    uses: ACTIONS.checkout,
    with: {
      ...(options.ref ? { ref: options.ref } : {}),
      // Credentials never stay in .git/config: a job that pushes hands its token to that step's git
      // commands only (the docs generator), so no later step or artifact can pick them up.
      "persist-credentials": false,
      ...(options.fetchDepth !== undefined ? { "fetch-depth": options.fetchDepth } : {}),
    },
  };
}

/**
 * What a job installs: nothing beyond Node.js when it only runs `delivery` (the committed bundle),
 * the `delivery` workspace when it also runs the Pulumi CLI on its own (`pulumiCli`), or the
 * Pulumi program it runs (with the policy pack, a workspace of the same install).
 */
export type NodeSetup = { readonly program?: false; readonly pulumiCli?: boolean } | { readonly program: true };

/**
 * How a job installs the Pulumi program: the locked runtime dependencies (the install builds
 * dist/), without the test tooling. The policy pack is a workspace of the same lock, so this one
 * install gives `--policy-pack policies` what it needs. A deploy installs the deployed commit
 * exactly as its PR preview installed it, so what was previewed is what deploys. (Validation
 * installs the commit in full: its checks are the commit's own npm scripts, which may run its test
 * tooling.)
 */
export const PROGRAM_INSTALL = "npm ci --omit=dev --no-audit --no-fund";

/**
 * Node.js, and what the job runs. A job that only runs `delivery` installs nothing: the command is
 * the committed bundle bin/delivery.bundle.js (scripts/bundle-cli.js), which runs from the checkout
 * and refuses to when it is not the build of that checkout's sources. So no dependency's install
 * script runs in those jobs, next to their tokens. A job that runs the Pulumi CLI without the
 * program (`/unlock`) installs the `cli` workspace, which locks that CLI, with install scripts off.
 * A job that runs the program (`pulumi preview` of its checkout) installs it all, the policy pack
 * included. No job uses setup-node's npm cache: `/preview` installs a pull request's code
 * in the default branch's context, and a cache it saved there would be restored by every job.
 */
export function nodeSetup(options: NodeSetup = {}): Step[] {
  if (!options.program) {
    return [
      { name: "Set up Node.js", uses: ACTIONS.setupNode, with: { "node-version-file": NODE_VERSION_FILE } },
      ...(options.pulumiCli ? [{ name: "Install the Pulumi CLI", run: `npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace ${CLI_WORKSPACE}` }] : []),
    ];
  }
  return [
    { name: "Set up Node.js", uses: ACTIONS.setupNode, with: { "node-version-file": NODE_VERSION_FILE } },
    { name: "Install dependencies", run: PROGRAM_INSTALL },
  ];
}

/** The npm workspace (cli/package.json): what the `delivery` bundle is built from, and the Pulumi CLI it drives. */
export const CLI_WORKSPACE = "cli";

export function azureLogin(clientId: string, tenantId: string, subscriptionId: string, condition?: string): UsesStep {
  return {
    name: "Log in to Azure (OIDC)",
    ...(condition ? { if: condition } : {}),
    uses: ACTIONS.azureLogin,
    with: { "client-id": clientId, "tenant-id": tenantId, "subscription-id": subscriptionId },
  };
}

/** AWS credentials through OIDC for the role in variable `roleVariable` (the docs role unless said otherwise). */
export function awsLogin(cfg: StackConfig, options: { roleVariable?: string; condition?: string } = {}): UsesStep {
  return {
    name: "Log in to AWS (OIDC)",
    ...(options.condition ? { if: options.condition } : {}),
    uses: ACTIONS.awsCredentials,
    with: { "role-to-assume": expr(`vars.${options.roleVariable ?? "AWS_DOCS_ROLE_ARN"}`), "aws-region": cfg.aws.region, "role-session-name": "delivery-platform-${{ github.run_id }}" },
  };
}

/** Where the job's stack keeps its state: what `pulumi` and `delivery unlock` both read. */
export function stateBackendEnv(): Record<string, string> {
  return {
    // The job's environment's own values (its stack's container, with azure.stateStorage), else the repository's.
    PULUMI_BACKEND_URL: expr(`vars.${STATE_SETTINGS.backendUrl.name}`),
    // The azblob backend's account; the job's Azure login (OIDC) is the credential, scoped to the stack's container.
    AZURE_STORAGE_ACCOUNT: expr(`vars.${STATE_SETTINGS.storageAccount.name}`),
  };
}

/** Azure login as the job's environment's deploy identity (its `AZURE_CLIENT_ID` variable). */
export function deployIdentityLogin(): UsesStep {
  return azureLogin(expr("vars.AZURE_CLIENT_ID"), expr("vars.AZURE_TENANT_ID"), expr("vars.AZURE_SUBSCRIPTION_ID"));
}

/** Environment every `pulumi` command needs; the backend and passphrase come from the job's environment. */
export function pulumiEnv(cfg: StackConfig, githubToken: string): Record<string, string> {
  return {
    ...stateBackendEnv(),
    // The environment's own passphrase: every job that runs pulumi declares an environment.
    PULUMI_CONFIG_PASSPHRASE: expr(`secrets.${PASSPHRASE_SECRET}`),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // Diffs in parallel: the Bicep provider's what-ifs then overlap instead of queueing (npm run bench:engine).
    PULUMI_PARALLEL_DIFF: "true",
    GITHUB_OWNER: cfg.owner,
    GITHUB_TOKEN: githubToken,
  };
}

/** The id of the step that creates the promotion App's token; its output `token` is empty without the App. */
export const APP_TOKEN_STEP_ID = "app-token";

/**
 * The token the promotion steps act with, and the steps that create it. With the repository
 * variable `PROMOTION_APP_ID` and the secret `PROMOTION_APP_PRIVATE_KEY`, a GitHub App installation
 * token narrowed to `permissions` (pull requests it opens trigger the target branch's required
 * checks, and it can read team membership for manual sign-off); without them, the job's own
 * token. The choice is a repository setting, and `notice` makes a run that falls back say so.
 * The key is a secret of the `promotion` environment (and of `docs`): the job declares `environment`.
 */
export function promotionToken(
  permissions: Permissions & { readonly members?: "read" },
  options: { notice: boolean },
): { steps: Step[]; token: string; environment: { name: string; deployment: false } } {
  const narrowed = Object.fromEntries(
    Object.entries(permissions)
      .filter(([scope, level]) => scope !== "id-token" && level !== "none")
      .map(([scope, level]) => [`permission-${scope}`, level as string]),
  );
  const steps: Step[] = [
    {
      name: "Create the promotion App's token",
      id: APP_TOKEN_STEP_ID,
      if: "vars.PROMOTION_APP_ID != ''",
      uses: ACTIONS.createGithubAppToken,
      with: { "app-id": expr("vars.PROMOTION_APP_ID"), "private-key": expr(`secrets.${PROMOTION_APP_KEY_SECRET}`), ...narrowed },
    },
  ];
  if (options.notice) {
    steps.push({
      name: "Say which token acts",
      if: "vars.PROMOTION_APP_ID == ''",
      run: script([
        'echo "::notice::PROMOTION_APP_ID is not set, so this job acts with its own GITHUB_TOKEN: pull requests it opens do not trigger the target branch\'s required checks, and team membership cannot be read. See docs/promotion.md."',
      ]),
    });
  }
  return { steps, token: expr(`steps.${APP_TOKEN_STEP_ID}.outputs.token || github.token`), environment: { name: PROMOTION_ENVIRONMENT, deployment: false } };
}

/**
 * The `delivery` command of the trusted checkout in the workspace root, callable from any working
 * directory: the committed bundle, run without an install (bin/delivery.js checks that it is the
 * build of the checkout). `npx delivery` would first install this package into npm's npx cache.
 */
export const DELIVERY = 'node "$GITHUB_WORKSPACE/bin/delivery.js"';

/** `bash` with strict mode, the same for every run step. */
export function script(lines: readonly string[]): string {
  return `${lines.join("\n")}\n`;
}

export type Jobs = Record<string, Job>;
