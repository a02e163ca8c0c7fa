/**
 * Every default of the platform, in one table. Each value here is applied in exactly one place,
 * named beside it; everything else reads this table (the docs' tables, `delivery config`) instead
 * of repeating a value:
 *
 * - stack configuration keys get theirs from the zod schema (core/config.ts), so what
 *   `delivery config --stack NAME` prints is what the program runs with;
 * - BicepDeployment arguments that are not configuration (audit directory, delete policy, ...)
 *   get theirs in the component (components/azure/bicep-deployment.ts);
 * - the `graft` keys' defaults (GRAFT_DEFAULTS) are applied by the schema too, and read directly by
 *   `delivery graft-status` without a stack, which then need not load the schema; they are not in
 *   the table below (the model table is long; docs/graft.md describes them);
 * - the retry policy and command timeouts are partial overrides: the fields left out are filled
 *   from here when the provider builds its spec (providers/bicep/impl.ts `toSpec`), and nowhere else.
 */

import { DEFAULT_MODEL_TABLE } from "./graft/models";

/** The retry policy of one Bicep deployment (core/retry.ts `RetryPolicy`). */
export const RETRY_DEFAULTS = Object.freeze({
  /** Total attempts including the first. */
  maxAttempts: 3,
  /** Delay before the second attempt: 30 s. */
  initialDelayMs: 30_000,
  /** Upper bound of any single delay: 5 min. */
  maxDelayMs: 300_000,
  /** Growth between delays: 30 s, 60 s, 120 s ... */
  multiplier: 2,
  /** Randomised fraction of each delay, so deployments throttled together do not return together. */
  jitter: 0.2,
});

/** Per-command limits in seconds (core/bicep/spec.ts `CommandTimeouts`). */
export const TIMEOUT_DEFAULTS = Object.freeze({
  /** `az account show`. */
  account: 60,
  /** `az bicep build` (the first run may download the Bicep CLI). */
  lint: 300,
  /** `az deployment group what-if`. */
  whatIf: 900,
  /** `az deployment group create`. */
  deploy: 3600,
  /** `az resource show` / `az resource delete`, per resource. */
  resource: 120,
  /** Each HTTPS health endpoint. */
  http: 30,
});

/** `environments[].bicep.*` (applied by the schema). */
export const BICEP_CONFIG_DEFAULTS = Object.freeze({
  /** Incremental leaves resources the template omits; Complete deletes them. */
  mode: "Incremental" as const,
  /** Check every deployed resource's provisioningState (and the health endpoints) after deploying. */
  verifyHealth: true,
  /** HTTPS endpoints that must answer 2xx after a deployment. */
  healthEndpoints: Object.freeze([]) as readonly string[],
});

/** BicepDeployment arguments that are not stack configuration (applied by the component). */
export const BICEP_COMPONENT_DEFAULTS = Object.freeze({
  /** Directory audit records are written to, relative to the repository root (the deploy workflow uploads it; `DELIVERY_AUDIT_DIR` overrides it). */
  auditDir: "audit",
  /** Removing the component keeps the Azure resources: an ARM deployment is a record, not its resources. */
  deletePolicy: "keep" as const,
});

/** `environments[]` (applied by the schema). */
export const ENVIRONMENT_DEFAULTS = Object.freeze({
  reviewers: Object.freeze({ users: Object.freeze([]) as readonly string[], teams: Object.freeze([]) as readonly string[] }),
  requiredApprovals: 1,
  waitTimerMinutes: 0,
  preventSelfReview: true,
  manualTestApproval: false,
  soakMinutes: 0,
  requireApprovalLabel: false,
});

/** `azure` (applied by the schema; `allowedLocations` has no fixed default: it is `[location]`). */
export const AZURE_DEFAULTS = Object.freeze({
  resourceGroupName: "rg-{repo}-{env}",
  tags: Object.freeze({}) as Readonly<Record<string, string>>,
});

/** `github` (applied by the schema). */
export const GITHUB_DEFAULTS = Object.freeze({
  approvalLabel: "approved:prod",
  codeOwnerReviewOnProduction: true,
});

/** `graft` (applied by the schema; `graft-status` without `--stack` reads them as they are). */
export const GRAFT_DEFAULTS = Object.freeze({
  /** Every `*.prompt.md`, the root README.prompt.md of Graft's own layout included. */
  promptGlobs: Object.freeze(["**/*.prompt.md"]),
  /** None: the built-in Bedrock generator (core/graft/bedrock.ts) writes the documents. */
  generatorCommand: Object.freeze([] as string[]),
  models: DEFAULT_MODEL_TABLE,
  defaultModel: "anthropic.claude-sonnet-4-5-20250929-v1:0",
  timeoutSeconds: 600,
});

/** Top-level keys (applied by the schema; `environment` defaults to the stack name, in parseStackConfig). */
export const STACK_DEFAULTS = Object.freeze({
  manageRepository: false,
});

/** The whole table: where each group of defaults is used and which code applies it. */
export const DEFAULTS: readonly { readonly prefix: string; readonly appliedBy: string; readonly values: Readonly<Record<string, unknown>> }[] = Object.freeze([
  { prefix: "", appliedBy: "schema (core/config.ts)", values: STACK_DEFAULTS },
  { prefix: "environments[].", appliedBy: "schema (core/config.ts)", values: ENVIRONMENT_DEFAULTS },
  { prefix: "environments[].bicep.", appliedBy: "schema (core/config.ts)", values: BICEP_CONFIG_DEFAULTS },
  { prefix: "environments[].bicep.retry.", appliedBy: "Bicep provider (providers/bicep/impl.ts toSpec)", values: RETRY_DEFAULTS },
  { prefix: "azure.", appliedBy: "schema (core/config.ts)", values: AZURE_DEFAULTS },
  { prefix: "github.", appliedBy: "schema (core/config.ts)", values: GITHUB_DEFAULTS },
  { prefix: "BicepDeployment ", appliedBy: "component (components/azure/bicep-deployment.ts)", values: BICEP_COMPONENT_DEFAULTS },
  { prefix: "BicepDeployment timeouts.", appliedBy: "Bicep provider (providers/bicep/impl.ts toSpec)", values: TIMEOUT_DEFAULTS },
]);

/** The table as Markdown (`npx delivery config --defaults`; docs/bicep.md shows it). */
export function defaultsMarkdown(): string {
  const rows: string[] = ["| setting | default | applied by |", "|---|---|---|"];
  for (const { prefix, appliedBy, values } of DEFAULTS) {
    for (const [key, value] of Object.entries(values)) rows.push(`| \`${prefix}${key}\` | \`${JSON.stringify(value)}\` | ${appliedBy} |`);
  }
  return rows.join("\n");
}
