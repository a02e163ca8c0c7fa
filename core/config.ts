/**
 * The stack configuration: one zod schema for every `delivery-platform:*` key, read once by
 * `index.ts`. Parsing reports every problem at once, each naming the full config key
 * (`delivery-platform:environments[2].branch`), the value received and what is expected, so a
 * bad stack file fails before any resource is registered.
 *
 * No Pulumi in here: the input is the flat `project:key -> string` map that
 * `pulumi.runtime.allConfig()` returns, which keeps this testable without the engine.
 */
import { z } from "zod";
import { AZURE_DEFAULTS, BICEP_CONFIG_DEFAULTS, ENVIRONMENT_DEFAULTS, GITHUB_DEFAULTS, GRAFT_DEFAULTS, RETRY_DEFAULTS, STACK_DEFAULTS } from "./defaults";
import { DOCS_ENVIRONMENT } from "./oidc";
import { resolveRetryPolicy, retryPolicyProblems } from "./retry";
import { identityGroupName } from "./resource-tags";

export const PROJECT = "delivery-platform";

/** GitHub allows at most six required reviewers (users and teams together) per environment. */
export const MAX_ENVIRONMENT_REVIEWERS = 6;
/** GitHub caps an environment wait timer at 30 days. */
export const MAX_WAIT_TIMER_MINUTES = 43_200;

const uuid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
    error: "expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47 (see `az account show`)",
  });

// GitHub logins: alphanumerics and single hyphens, at most 39 characters.
const githubLogin = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, { error: "expected a GitHub login (letters, digits, single hyphens)" });
const teamSlug = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { error: "expected a team slug in lower case, e.g. platform-admins" });

// Git ref names: no spaces, no `..`, no leading `-` or `/`; kept strict because branch names reach
// rulesets, OIDC subjects and workflow expressions.
const branchName = z
  .string()
  .regex(/^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]+(?<![./])$/, { error: "expected a plain branch name such as main, test or dev" });

const environmentName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, { error: "expected a lower-case environment name such as dev, staging or prod" });

const repoRelativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), {
    error: "expected a path relative to the repository root, without `..`",
  });

/**
 * The deployment's retry policy for transient faults (throttling, 5xx, timeouts, resets, a
 * concurrent operation). Fields left out take RETRY_DEFAULTS (core/defaults.ts: 3 attempts, 30 s
 * doubling up to 300 s, 20% jitter) when the provider builds its spec, so the stack file shows only
 * what it overrides. These are all the attempts a run makes: nothing retries on top of them.
 * The ranges are core/retry.ts's (`retryPolicyProblems`), checked here with the full config key.
 */
const retrySchema = z
  .strictObject({
    /** Total attempts including the first (1-10). */
    maxAttempts: z.number().optional(),
    /** Delay before the second attempt, in milliseconds (0-600000). */
    initialDelayMs: z.number().optional(),
    /** Upper bound of any single delay, in milliseconds (initialDelayMs-3600000). */
    maxDelayMs: z.number().optional(),
    /** Growth between delays (1-10). */
    multiplier: z.number().optional(),
    /** Randomised fraction of each delay (0-1). */
    jitter: z.number().optional(),
  })
  .superRefine((partial, ctx) => {
    for (const p of retryPolicyProblems(resolveRetryPolicy(partial))) {
      // A problem in a field the stack leaves to the defaults (maxDelayMs below a raised
      // initialDelayMs) is reported at the field that caused it.
      if (p.field in partial) {
        ctx.addIssue({ code: "custom", path: [p.field], input: partial[p.field], message: `must be ${p.rule}` });
      } else {
        ctx.addIssue({
          code: "custom",
          path: ["initialDelayMs"],
          input: partial.initialDelayMs,
          message: `is above maxDelayMs, which is ${RETRY_DEFAULTS[p.field]} by default and must be ${p.rule}; set maxDelayMs too`,
        });
      }
    }
  });

const bicepSchema = z.strictObject({
  /** The Bicep template, e.g. bicep/main.bicep. */
  template: repoRelativePath,
  /** The `.bicepparam` file whose `using` points at the template. */
  parameters: repoRelativePath,
  /** Deployment mode. Defaults to Incremental: Complete deletes anything the template omits. */
  mode: z.enum(["Incremental", "Complete"]).default(BICEP_CONFIG_DEFAULTS.mode),
  /** Check every deployed resource's provisioningState (and `healthEndpoints`) after deploying. Defaults to true. */
  verifyHealth: z.boolean().default(BICEP_CONFIG_DEFAULTS.verifyHealth),
  /** HTTPS endpoints that must answer 2xx after a deployment. Defaults to none. */
  healthEndpoints: z.array(z.url({ protocol: /^https$/, error: "expected an https:// URL" })).default(() => [...BICEP_CONFIG_DEFAULTS.healthEndpoints]),
  /** Retries for transient faults; see retrySchema. Defaults to RETRY_DEFAULTS. */
  retry: retrySchema.optional(),
  /** Lets a what-if with deletions proceed; the reason is recorded in the audit record. Defaults to unset (deletions block). */
  allowDestructiveChanges: z.strictObject({ reason: z.string().min(10, { error: "give a reason of at least 10 characters" }) }).optional(),
  /**
   * Says explicitly that this environment has no endpoint to check, and why: `delivery validate
   * health|smoke` then pass with the reason instead of failing for lack of an endpoint. Defaults to
   * unset (endpoints come from healthEndpoints, else from the deployment's outputs).
   */
  noHealthEndpoints: z.strictObject({ reason: z.string().min(10, { error: "give a reason of at least 10 characters" }) }).optional(),
});

const environmentSchema = z.strictObject({
  /** GitHub environment and stack-facing name, e.g. dev, staging, prod. */
  name: environmentName,
  /** The environment branch whose contents this environment runs (dev -> dev, staging -> test, prod -> main). */
  branch: branchName,
  /** Required reviewers for deployments to this environment; at most six in total. Defaults to none. */
  reviewers: z
    .strictObject({
      users: z.array(githubLogin).default(() => [...ENVIRONMENT_DEFAULTS.reviewers.users]),
      teams: z.array(teamSlug).default(() => [...ENVIRONMENT_DEFAULTS.reviewers.teams]),
    })
    .default(() => ({ users: [...ENVIRONMENT_DEFAULTS.reviewers.users], teams: [...ENVIRONMENT_DEFAULTS.reviewers.teams] })),
  /** Pull-request approvals the environment branch requires (0-6). Defaults to 1. */
  requiredApprovals: z.number().int().min(0).max(6).default(ENVIRONMENT_DEFAULTS.requiredApprovals),
  /** Minutes GitHub waits before a deployment job starts (0-43200). Defaults to 0. */
  waitTimerMinutes: z.number().int().min(0).max(MAX_WAIT_TIMER_MINUTES).default(ENVIRONMENT_DEFAULTS.waitTimerMinutes),
  /** Reviewers may not approve their own deployments. Defaults to true. */
  preventSelfReview: z.boolean().default(ENVIRONMENT_DEFAULTS.preventSelfReview),
  /** A designated reviewer must approve manual testing before promotion. Defaults to false. */
  manualTestApproval: z.boolean().default(ENVIRONMENT_DEFAULTS.manualTestApproval),
  /** Minutes a deployment must run healthy before promotion. Defaults to 0 (off). */
  soakMinutes: z.number().int().min(0).max(10_080).default(ENVIRONMENT_DEFAULTS.soakMinutes),
  /** A second person must apply the approval label before a deployment (prod). Defaults to false. */
  requireApprovalLabel: z.boolean().default(ENVIRONMENT_DEFAULTS.requireApprovalLabel),
  /** The Bicep deployment this environment runs. */
  bicep: bicepSchema,
});

const azureSchema = z.strictObject({
  /** Entra tenant id. */
  tenantId: uuid,
  /** Subscription holding the environments' resource groups. */
  subscriptionId: uuid,
  /** Azure region, e.g. westeurope. */
  location: z.string().regex(/^[a-z]+[a-z0-9]*$/, { error: "expected an Azure region name such as westeurope (see `az account list-locations -o table`)" }),
  /** Regions resources may live in. Defaults to [location]. */
  allowedLocations: z.array(z.string().regex(/^[a-z]+[a-z0-9]*$/)).optional(),
  /**
   * Resource group name pattern; `{repo}` and `{env}` are replaced.
   * Defaults to "rg-{repo}-{env}".
   */
  resourceGroupName: z.string().includes("{env}", { error: "must contain {env} so every environment gets its own resource group" }).default(AZURE_DEFAULTS.resourceGroupName),
  /** Tags every resource group carries; `environment` and `managed-by` are added. Defaults to none. */
  tags: z.record(z.string(), z.string()).default(() => ({ ...AZURE_DEFAULTS.tags })),
  /**
   * The storage account of the team state backend (core/state-backend.ts). When set, each stack's
   * identities get their data role on their own container `pulumi-state-<env>` only, and its GitHub
   * environments the variables `PULUMI_BACKEND_URL` and `AZURE_STORAGE_ACCOUNT`. Defaults to none:
   * the administrator grants and sets those by hand.
   */
  stateStorage: z
    .strictObject({
      /** Resource group of the storage account (not one of the environments' groups). */
      resourceGroup: z.string().regex(/^[-\w.()]{0,89}[-\w()]$/, { error: "expected an Azure resource group name (1-90 letters, digits, - _ . ( ), not ending in .)" }),
      /** The storage account's name. */
      account: z.string().regex(/^[a-z0-9]{3,24}$/, { error: "expected a storage account name: 3-24 lower-case letters and digits" }),
    })
    .optional(),
});

/** Bedrock model ids look like `anthropic.claude-sonnet-4-5-20250929-v1:0`, optionally with a geo prefix (`us.`). */
const bedrockModelId = z.string().regex(/^(?:[a-z]{2,4}\.)?[a-z0-9-]+\.[A-Za-z0-9.:_-]+$/, {
  error: "expected a Bedrock model id such as anthropic.claude-sonnet-4-5-20250929-v1:0 (see `aws bedrock list-foundation-models`)",
});

const awsSchema = z.strictObject({
  /** Region the Bedrock models are invoked in. */
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { error: "expected an AWS region such as us-east-1" }),
  /** 12-digit account id that owns the role. */
  accountId: z.string().regex(/^\d{12}$/, { error: "expected a 12-digit AWS account id" }),
  /** Bedrock models documentation generation may invoke; at least one. */
  bedrockModelIds: z.array(bedrockModelId).min(1, { error: "list at least one Bedrock model id" }),
  /** ARN of an existing GitHub OIDC provider in the account; when unset the stack creates one. */
  oidcProviderArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/, {
      error: "expected arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
    })
    .optional(),
});

const graftSchema = z.strictObject({
  /** Globs (repository-relative) that find `*.prompt.md` files. Defaults to ["**\/*.prompt.md"] (the root README.prompt.md included). */
  promptGlobs: z.array(z.string().min(1)).min(1).default(() => [...GRAFT_DEFAULTS.promptGlobs]),
  /**
   * An external generator, as argv; `{prompt}`, `{output}`, `{stage}` and `{model}` are replaced.
   * Defaults to [] (none): the built-in Bedrock generator (core/graft/bedrock.ts) writes the documents.
   */
  generatorCommand: z.array(z.string().min(1)).default(() => [...GRAFT_DEFAULTS.generatorCommand]),
  /**
   * Model names (front matter `model:`, defaultModel) to the Bedrock model or inference profile
   * invoked. Replaces the default table when set. Defaults to DEFAULT_MODEL_TABLE.
   */
  models: z.record(z.string().min(1), z.strictObject({ modelId: z.string().min(1), inferenceProfile: z.boolean().optional(), maxTokens: z.number().int().min(1).max(200_000).optional() })).default(() => ({ ...GRAFT_DEFAULTS.models })),
  /** Model used when a prompt names none. */
  defaultModel: z.string().min(1).default(GRAFT_DEFAULTS.defaultModel),
  /** Seconds one generation may take before it is treated as a read timeout. Defaults to 600. */
  timeoutSeconds: z.number().int().min(1).max(3600).default(GRAFT_DEFAULTS.timeoutSeconds),
});

const githubSchema = z
  .strictObject({
    /** Label a second person applies to a PR to approve a deployment that needs it. Defaults to "approved:prod". */
    approvalLabel: z.string().min(1).max(50).default(GITHUB_DEFAULTS.approvalLabel),
    /** Require code-owner review on the production branch. Defaults to true. */
    codeOwnerReviewOnProduction: z.boolean().default(GITHUB_DEFAULTS.codeOwnerReviewOnProduction),
  })
  .default(() => ({ ...GITHUB_DEFAULTS }));

/** Every `delivery-platform:*` key, as the object the stack file describes. */
export const stackConfigSchema = z
  .strictObject({
    /** The repository the platform serves, as OWNER/NAME. */
    repository: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, {
      error: "expected OWNER/NAME, e.g. contoso/payments-service",
    }),
    /** The environment this stack deploys. Defaults to the stack name. */
    environment: environmentName.optional(),
    /** This stack owns repository-wide resources (workflows, labels, the docs role, generated docs). Defaults to false. */
    manageRepository: z.boolean().default(STACK_DEFAULTS.manageRepository),
    /** The promotion pipeline, in order (first is deployed first, last is production). */
    environments: z.array(environmentSchema).min(1, { error: "list at least one environment" }),
    azure: azureSchema,
    aws: awsSchema,
    graft: graftSchema.default(graftSchema.parse({})),
    github: githubSchema,
  })
  .superRefine((cfg, ctx) => {
    const seenNames = new Map<string, number>();
    const seenBranches = new Map<string, number>();
    cfg.environments.forEach((env, i) => {
      if (env.name === DOCS_ENVIRONMENT) {
        ctx.addIssue({ code: "custom", path: ["environments", i, "name"], input: env.name, message: `"${DOCS_ENVIRONMENT}" is reserved for the documentation job's GitHub environment; choose another name` });
      }
      const sameName = seenNames.get(env.name);
      if (sameName !== undefined) {
        ctx.addIssue({ code: "custom", path: ["environments", i, "name"], input: env.name, message: `environment name is already used by environments[${sameName}]; names must be unique` });
      } else seenNames.set(env.name, i);
      const sameBranch = seenBranches.get(env.branch);
      if (sameBranch !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["environments", i, "branch"],
          input: env.branch,
          message: `branch is already mapped to environments[${sameBranch}] (${cfg.environments[sameBranch].name}); each environment needs its own branch`,
        });
      } else seenBranches.set(env.branch, i);
      const reviewerCount = env.reviewers.users.length + env.reviewers.teams.length;
      if (reviewerCount > MAX_ENVIRONMENT_REVIEWERS) {
        ctx.addIssue({
          code: "custom",
          path: ["environments", i, "reviewers"],
          input: env.reviewers,
          message: `has ${reviewerCount} reviewers; GitHub allows at most ${MAX_ENVIRONMENT_REVIEWERS} per environment (use a team instead of several users)`,
        });
      }
      if (env.manualTestApproval && reviewerCount === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["environments", i, "reviewers"],
          input: env.reviewers,
          message: "manualTestApproval needs at least one reviewer to approve; add a user or team",
        });
      }
      if (env.requireApprovalLabel && reviewerCount === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["environments", i, "reviewers"],
          input: env.reviewers,
          message: "requireApprovalLabel needs required reviewers too, so two different people approve; add a user or team",
        });
      }
      const rg = resourceGroupName(cfg.azure.resourceGroupName, cfg.repository, env.name);
      if (!/^[-\w._()]{1,90}$/.test(rg) || rg.endsWith(".")) {
        ctx.addIssue({
          code: "custom",
          path: ["azure", "resourceGroupName"],
          input: cfg.azure.resourceGroupName,
          message: `gives "${rg}" for ${env.name}, which is not a valid resource group name (1-90 letters, digits, - _ . ( ), not ending in .)`,
        });
      }
      // A deploy identity is Contributor on its workload group (and can list a storage account's
      // keys there): the state account in it would hand every stack's state to one environment.
      const state = cfg.azure.stateStorage;
      if (state && (state.resourceGroup.toLowerCase() === rg.toLowerCase() || state.resourceGroup.toLowerCase() === identityGroupName(rg).toLowerCase())) {
        ctx.addIssue({
          code: "custom",
          path: ["azure", "stateStorage", "resourceGroup"],
          input: state.resourceGroup,
          message: `is a resource group of environment ${env.name} ("${rg}" or its identities group); keep the state account in a group of its own, where no deploy identity holds a role`,
        });
      }
    });
    if (cfg.environment !== undefined && !seenNames.has(cfg.environment)) {
      ctx.addIssue({
        code: "custom",
        path: ["environment"],
        input: cfg.environment,
        message: `is not one of the configured environments (${[...seenNames.keys()].join(", ")}); add it to environments or fix the name`,
      });
    }
    const allowed = cfg.azure.allowedLocations;
    if (allowed && !allowed.includes(cfg.azure.location)) {
      ctx.addIssue({ code: "custom", path: ["azure", "location"], input: cfg.azure.location, message: `is not in azure.allowedLocations (${allowed.join(", ")})` });
    }
  });

export type StackConfigInput = z.input<typeof stackConfigSchema>;
type ParsedConfig = z.output<typeof stackConfigSchema>;
export type EnvironmentConfig = ParsedConfig["environments"][number];
export type BicepConfig = EnvironmentConfig["bicep"];
export type AzureConfig = ParsedConfig["azure"];
export type AwsConfig = ParsedConfig["aws"];
export type GraftConfig = ParsedConfig["graft"];
export type GithubConfig = ParsedConfig["github"];

/** The validated configuration of one stack, with the deployed environment resolved. */
export interface StackConfig extends Omit<ParsedConfig, "environment"> {
  readonly owner: string;
  readonly repositoryName: string;
  /** The environment this stack deploys. */
  readonly environment: EnvironmentConfig;
  /** Regions resources may live in (azure.allowedLocations, or just azure.location). */
  readonly allowedLocations: readonly string[];
}

/** Replaces `{repo}` and `{env}` in the resource-group pattern. */
export function resourceGroupName(pattern: string, repository: string, environment: string): string {
  const repoName = repository.split("/")[1] ?? repository;
  return pattern.replaceAll("{repo}", repoName).replaceAll("{env}", environment);
}

/** One thing wrong with the configuration, with the full config key it concerns. */
export interface ConfigProblem {
  readonly key: string;
  readonly message: string;
  readonly received?: unknown;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigError";
  }
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => {
    const received = p.received === undefined ? "" : ` (received ${describeValue(p.received)})`;
    return `  - ${p.key}: ${p.message}${received}`;
  });
  return [
    `The stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was created:`,
    ...lines,
    "Fix them in Pulumi.<stack>.yaml (or with `pulumi config set --path`) and run again.",
  ].join("\n");
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** `environments[2].branch` from a zod path. */
export function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc === "" ? String(part) : `${acc}.${String(part)}`), "");
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/** The closest known key within two edits, for "did you mean" hints. */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(unknown.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** The keys a strict object schema at `path` accepts, used for typo hints. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = stackConfigSchema;
  for (const part of path) {
    schema = unwrapSchema(schema);
    if (typeof part === "number" && schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (typeof part === "string" && schema instanceof z.ZodObject) schema = schema.shape[part] as z.ZodType;
    else return [];
  }
  schema = unwrapSchema(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}

function toProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(issue.path);
      for (const unknownKey of issue.keys) {
        const hint = closestKey(unknownKey, known);
        problems.push({
          key: `${PROJECT}:${keyPath([...issue.path, unknownKey])}`,
          message: `unknown key${hint ? `; did you mean "${hint}"?` : ""} (known keys here: ${known.join(", ")})`,
        });
      }
      continue;
    }
    problems.push({ key: `${PROJECT}:${keyPath(issue.path)}`, message: issue.message, received: issue.input });
  }
  return problems;
}

/**
 * Turns the raw config map (`delivery-platform:environments` -> JSON text, as Pulumi hands it to
 * the program) into a validated StackConfig, or throws a ConfigError listing every problem.
 * Keys of other namespaces (`github:token`, `azure-native:location`) belong to providers and are ignored.
 */
export function parseStackConfig(raw: Readonly<Record<string, string>>, stack: string): StackConfig {
  const prefix = `${PROJECT}:`;
  const data: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(raw)) {
    if (!fullKey.startsWith(prefix)) continue;
    data[fullKey.slice(prefix.length)] = parseConfigValue(text);
  }
  const result = stackConfigSchema.safeParse(data, { reportInput: true });
  const problems = result.success ? [] : toProblems(result.error.issues);
  if (result.success && result.data.environment === undefined && !result.data.environments.some((e) => e.name === stack)) {
    problems.push({
      key: `${PROJECT}:environment`,
      message: `is not set and the stack name "${stack}" is not one of the configured environments (${result.data.environments.map((e) => e.name).join(", ")}); set it with \`pulumi config set environment <name>\``,
    });
  }
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const cfg = result.data;
  const envName = cfg.environment ?? stack;
  const environment = cfg.environments.find((e) => e.name === envName)!;
  const [owner, repositoryName] = cfg.repository.split("/");
  return { ...cfg, owner, repositoryName, environment, allowedLocations: cfg.azure.allowedLocations ?? [cfg.azure.location] };
}

/** Pulumi passes structured values as JSON text and scalars as plain text. */
function parseConfigValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The last environment in the pipeline is production. */
export function productionEnvironment(cfg: Pick<StackConfig, "environments">): EnvironmentConfig {
  return cfg.environments[cfg.environments.length - 1];
}
