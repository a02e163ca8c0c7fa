/**
 * The phases of a Bicep deployment (seed 001's orchestrator, as one set of functions): preflight
 * (is `az` there, logged in, able to see the subscription), lint, what-if, the destructive-change
 * guard, deploy with classified retries, health verification and the audit record. The provider's
 * diff runs `plan`, its create/update run `deploy`, its read runs `detectDrift`.
 *
 * Everything outside (the `az` runner, sleep, randomness, the clock, HTTP) is passed in.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AUDIT_SCHEMA_VERSION, auditOutputs, redactText, writeAuditRecord, type AuditEvent, type AuditPhase, type AuditRecord, type HealthCheck } from "../audit";
import { classificationOfKind, classify, type Classification } from "../classify";
import { backoffDelay, errorText, RetryError, withRetry, type AttemptRecord } from "../retry";
import { digest, parseResourceId, parseWhatIf, summarizeWhatIf, summaryLines, WhatIfParseError, type WhatIfDigest, type WhatIfResult, type WhatIfSummary } from "../whatif";
import { checkEndpoints } from "../validate";
import { AzCommandError, azCommands, parseAzJson, type AzRunner } from "./az";
import { contentHash, referencedFilesDigest, type ContentHash } from "./files";
import { BicepLintError, formatDiagnostic, parseBicepDiagnostics, type BicepDiagnostic } from "./lint";
import { auditDirectory, deploymentName, type BicepDeploymentSpec } from "./spec";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export interface DeployContext {
  readonly az: AzRunner;
  readonly log: Logger;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;
  /** GET an https URL, resolving to the status code. */
  readonly httpGet: (url: string, timeoutMs: number) => Promise<number>;
  /** Environment, for GITHUB_SHA / GITHUB_ACTOR / GITHUB_RUN_ID. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Git SHA of the working tree when GITHUB_SHA is unset. */
  readonly gitSha: () => string | undefined;
  /**
   * Shares one answer between the deployments of a run: the provider process gives each key's
   * first call's promise to every later call (a failure is not kept, so a later call runs again).
   * Without it every call runs.
   */
  readonly once?: <T>(key: string, run: () => Promise<T>) => Promise<T>;
}

/** ctx.once when the context has one, else the call itself. */
function shared<T>(ctx: DeployContext, key: readonly unknown[], run: () => Promise<T>): Promise<T> {
  return ctx.once ? ctx.once(JSON.stringify(key), run) : run();
}

/** A failure the user must act on, already explained; not a transient fault. */
export class DeploymentError extends Error {
  constructor(
    message: string,
    readonly phase: AuditPhase,
    readonly classification?: Classification,
    readonly auditFile?: string,
  ) {
    super(message);
    this.name = "DeploymentError";
  }
}

/** Classifies what a phase threw: az failures by their text, malformed output as unknown. */
export function classifyFailure(err: unknown): Classification {
  if (err instanceof WhatIfParseError || (err instanceof Error && /printed output that is not JSON/.test(err.message))) {
    return { category: "unknown", retryable: false, kind: "malformed-output", reason: "az printed output that is not the JSON expected. Check the az version (`az version`; 2.61 or later) and run the command by hand to see what it prints." };
  }
  if (err instanceof AzCommandError) return classify(`${err.message}\n${err.stderr}`);
  return classify(errorText(err));
}

function prefix(spec: Pick<BicepDeploymentSpec, "name">): string {
  return `[bicep ${spec.name}]`;
}

/**
 * `az account show` for the target subscription, with the failure turned into what to run. Once
 * per subscription and run: the login does not change between the deployments of one run.
 */
export async function preflight(spec: BicepDeploymentSpec, ctx: DeployContext): Promise<{ user?: string; tenantId?: string }> {
  const args = azCommands.account(spec.subscriptionId);
  let stdout: string;
  try {
    ({ stdout } = await shared(ctx, args, () => ctx.az.run(args, { timeoutMs: spec.timeouts.account * 1000 })));
  } catch (err) {
    if (err instanceof AzCommandError && err.failure === "not-found") throw new DeploymentError(err.message, "preflight", classify(err.message));
    const text = err instanceof AzCommandError ? `${err.message}\n${err.stderr}` : errorText(err);
    const c = classify(text);
    if (c.kind === "not-logged-in") {
      throw new DeploymentError(
        `The Azure CLI is not logged in (or its login expired). Run \`az login\` and \`az account set --subscription ${spec.subscriptionId}\`; in a workflow, run the azure/login step (OIDC) before this one.`,
        "preflight",
        c,
      );
    }
    if (c.kind === "subscription-not-found") {
      throw new DeploymentError(
        `The Azure CLI login cannot see subscription ${spec.subscriptionId}. Run \`az account list -o table\` to see what it can reach, then \`az login --tenant <tenant>\` or \`az account set --subscription ${spec.subscriptionId}\`.`,
        "preflight",
        c,
      );
    }
    throw new DeploymentError(`Checking the Azure login failed: ${errorText(err)}`, "preflight", c);
  }
  const account = parseAzJson<{ id?: string; tenantId?: string; user?: { name?: string } }>(args, stdout);
  if (account.id && account.id.toLowerCase() !== spec.subscriptionId.toLowerCase()) {
    throw new DeploymentError(
      `The Azure CLI answered for subscription ${account.id}, but this deployment targets ${spec.subscriptionId}. Run \`az account set --subscription ${spec.subscriptionId}\` (and check the stack's azure.subscriptionId).`,
      "preflight",
      classify("SubscriptionNotFound"),
    );
  }
  return { user: account.user?.name, tenantId: account.tenantId };
}

/**
 * `az bicep build`: errors throw BicepLintError (file:line and code), warnings are returned and
 * logged. Once per run for the same template files (deployments of one template share it).
 */
export async function lint(spec: BicepDeploymentSpec, ctx: DeployContext): Promise<BicepDiagnostic[]> {
  const args = azCommands.lint(spec.template);
  let stderr: string;
  try {
    const key = [spec.root, ...args, referencedFilesDigest(spec.root, spec.template)];
    ({ stderr } = await shared(ctx, key, () => ctx.az.run(args, { timeoutMs: spec.timeouts.lint * 1000 })));
  } catch (err) {
    if (err instanceof AzCommandError && err.failure === "exit") {
      const diagnostics = parseBicepDiagnostics(err.stderr, spec.root);
      if (diagnostics.some((d) => d.level === "Error")) throw new BicepLintError(diagnostics);
    }
    throw err;
  }
  const diagnostics = parseBicepDiagnostics(stderr, spec.root);
  for (const d of diagnostics) ctx.log.warn(`${prefix(spec)} ${formatDiagnostic(d)}`);
  return diagnostics;
}

export interface PlanResult {
  readonly hash: ContentHash;
  readonly deploymentName: string;
  readonly diagnostics: readonly BicepDiagnostic[];
  readonly whatIf: WhatIfSummary;
  readonly attempts: readonly AttemptRecord[];
}

/** Runs what-if with retries for transient faults; a what-if that reports an error throws. */
export async function whatIf(
  spec: BicepDeploymentSpec,
  ctx: DeployContext,
  name: string,
  onAttempt?: (r: AttemptRecord) => void,
): Promise<{ summary: WhatIfSummary; attempts: readonly AttemptRecord[]; raw: string }> {
  return runWhatIf(spec, ctx, azCommands.whatIf(spec, name), identity, onAttempt);
}

/**
 * The what-if a preview shows and a drift check reads: one per deployment content in a run, so
 * `pulumi preview --refresh` (the drift check's read, then the preview's check) asks Azure once.
 * The deployment's own what-if, its guard before deploying, is always asked afresh.
 */
function sharedWhatIf(spec: BicepDeploymentSpec, ctx: DeployContext, hash: ContentHash): Promise<{ summary: WhatIfSummary; attempts: readonly AttemptRecord[]; raw: string }> {
  const name = deploymentName(spec.name, hash.hash);
  return shared(ctx, [spec.root, hash.hash, ...azCommands.whatIf(spec, name)], () => whatIf(spec, ctx, name));
}

/** Runs one what-if command with retries; `keep` narrows the result before it is summarised and saved. */
async function runWhatIf(
  spec: BicepDeploymentSpec,
  ctx: DeployContext,
  args: readonly string[],
  keep: (r: WhatIfResult) => WhatIfResult,
  onAttempt?: (r: AttemptRecord) => void,
): Promise<{ summary: WhatIfSummary; attempts: readonly AttemptRecord[]; raw: string }> {
  const { value, attempts } = await withRetry(
    async () => {
      const { stdout } = await ctx.az.run(args, { timeoutMs: spec.timeouts.whatIf * 1000 });
      const result = keep(parseWhatIf(stdout));
      const summary = summarizeWhatIf(result);
      // A what-if that ran but reports an error (status Failed) is classified like a deployment error.
      if (summary.error) throw new Error(`what-if reported ${summary.error.code}: ${summary.error.message}`);
      return { summary, raw: keep === identity ? stdout : JSON.stringify(result) };
    },
    { policy: spec.retry, sleep: ctx.sleep, random: ctx.random, now: ctx.now, classifyError: classifyFailure, onAttempt },
  );
  return { summary: value.summary, attempts, raw: value.raw };
}

const identity = (r: WhatIfResult) => r;

/** What `az bicep build-params --stdout` prints: the compiled parameters and the template they are `using`, as JSON text. */
export interface BuiltParameters {
  readonly parametersJson: string;
  readonly templateJson: string;
}

/**
 * The subscription-scope template that previews a first deployment: it creates the resource
 * group and deploys the compiled template into it as a nested deployment (inner expression
 * scope, so the template evaluates as it would on its own), with the compiled parameters and
 * the overrides. Azure's what-if of it lists every resource the template will create.
 */
export function subscriptionPreviewTemplate(
  spec: Pick<BicepDeploymentSpec, "resourceGroupName" | "location" | "mode" | "overrides">,
  name: string,
  built: BuiltParameters,
): Record<string, unknown> {
  if (!spec.location) throw new Error("subscriptionPreviewTemplate needs the resource group's location");
  let template: unknown;
  let parameters: { parameters?: Record<string, unknown> };
  try {
    template = JSON.parse(built.templateJson);
    parameters = JSON.parse(built.parametersJson) as typeof parameters;
  } catch (err) {
    throw new Error(`az bicep build-params printed a templateJson or parametersJson that is not JSON (${(err as Error).message})`);
  }
  const values: Record<string, unknown> = { ...(parameters.parameters ?? {}) };
  for (const [k, v] of Object.entries(spec.overrides)) values[k] = { value: v };
  const apiVersion = "2024-03-01";
  return {
    $schema: "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    resources: [
      { type: "Microsoft.Resources/resourceGroups", apiVersion, name: spec.resourceGroupName, location: spec.location },
      {
        type: "Microsoft.Resources/deployments",
        apiVersion,
        name,
        resourceGroup: spec.resourceGroupName,
        dependsOn: [`[subscriptionResourceId('Microsoft.Resources/resourceGroups', '${spec.resourceGroupName}')]`],
        properties: { mode: spec.mode, expressionEvaluationOptions: { scope: "inner" }, template, parameters: values },
      },
    ],
  };
}

/**
 * The what-if of a first deployment whose resource group does not exist yet: the parameters are
 * compiled (`az bicep build-params`), wrapped by subscriptionPreviewTemplate in a temporary file,
 * and previewed with `az deployment sub what-if`. The group's own Create is left out: the
 * environment's resource group is the AzureEnvironment component's, and Pulumi shows it.
 */
export async function firstDeploymentWhatIf(
  spec: BicepDeploymentSpec,
  ctx: DeployContext,
  name: string,
): Promise<{ summary: WhatIfSummary; attempts: readonly AttemptRecord[]; raw: string }> {
  const buildArgs = azCommands.buildParams(spec.parameters);
  // build-params reads the parameters file and the template it is `using`.
  const key = [spec.root, ...buildArgs, referencedFilesDigest(spec.root, spec.parameters), referencedFilesDigest(spec.root, spec.template)];
  const built = parseAzJson<Partial<BuiltParameters>>(buildArgs, (await shared(ctx, key, () => ctx.az.run(buildArgs, { timeoutMs: spec.timeouts.lint * 1000 }))).stdout);
  if (typeof built.parametersJson !== "string" || typeof built.templateJson !== "string") {
    throw new Error(`az bicep build-params printed no parametersJson/templateJson for ${spec.parameters}; it needs Azure CLI 2.53 or later (\`az upgrade\`).`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "delivery-whatif-"));
  const file = path.join(dir, `${name}.json`);
  try {
    fs.writeFileSync(file, JSON.stringify(subscriptionPreviewTemplate(spec, name, built as BuiltParameters)));
    const group = `/subscriptions/${spec.subscriptionId}/resourceGroups/${spec.resourceGroupName}`.toLowerCase();
    const withoutGroup = (r: WhatIfResult): WhatIfResult => ({ ...r, changes: r.changes?.filter((c) => c.resourceId.toLowerCase() !== group || parseResourceId(c.resourceId).type !== "Microsoft.Resources/resourceGroups") });
    return await runWhatIf(spec, ctx, azCommands.subscriptionWhatIf(spec.subscriptionId, spec.location!, name, file), withoutGroup);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Keeps the raw what-if where the PR preview workflow collects it (`DELIVERY_WHATIF_DIR`), one
 * file per deployment, for `delivery whatif FILE` to summarise in the PR comment.
 */
export function saveWhatIf(spec: BicepDeploymentSpec, env: DeployContext["env"], raw: string): string | undefined {
  const dir = env.DELIVERY_WHATIF_DIR;
  if (!dir) return undefined;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${spec.name.replace(/[^A-Za-z0-9._-]/g, "-")}.json`);
  fs.writeFileSync(file, raw);
  return file;
}

/** Logs the what-if summary the way a reviewer reads it in `pulumi preview`. */
export function logWhatIf(spec: BicepDeploymentSpec, ctx: DeployContext, summary: WhatIfSummary): void {
  const { info, warn } = summaryLines(summary);
  for (const line of info) ctx.log.info(`${prefix(spec)} ${line}`);
  for (const line of warn) ctx.log.warn(`${prefix(spec)} ${line}`);
  if (summary.destructive.length > 0) {
    ctx.log.warn(
      spec.allowDestructiveChanges
        ? `${prefix(spec)} ${summary.destructive.length} destructive change(s) allowed: ${spec.allowDestructiveChanges.reason}`
        : `${prefix(spec)} ${summary.destructive.length} destructive change(s): \`pulumi up\` will refuse to deploy unless bicep.allowDestructiveChanges.reason is set for this environment`,
    );
  }
}

/** Hash what the deployment depends on (deployment settings included). */
export function hashSpec(spec: BicepDeploymentSpec): ContentHash {
  return contentHash({
    root: spec.root,
    template: spec.template,
    parameters: spec.parameters,
    overrides: spec.overrides,
    settings: { mode: spec.mode, resourceGroupName: spec.resourceGroupName, subscriptionId: spec.subscriptionId },
  });
}

/** Preflight, lint and what-if: what `pulumi preview` shows for a changed deployment. */
export async function plan(spec: BicepDeploymentSpec, ctx: DeployContext, hash: ContentHash = hashSpec(spec)): Promise<PlanResult> {
  const name = deploymentName(spec.name, hash.hash);
  await preflight(spec, ctx);
  const diagnostics = await lint(spec, ctx);
  let result: { summary: WhatIfSummary; attempts: readonly AttemptRecord[]; raw: string };
  try {
    result = await sharedWhatIf(spec, ctx, hash);
  } catch (err) {
    // A first deployment into a group that does not exist yet: preview the whole thing at subscription scope.
    if (!(err instanceof RetryError && err.classification.kind === "resource-group-not-found" && spec.location)) throw explain(err, "what-if");
    ctx.log.info(`${prefix(spec)} resource group ${spec.resourceGroupName} does not exist yet: what-if at subscription scope of a deployment that creates it and deploys the template`);
    try {
      result = await firstDeploymentWhatIf(spec, ctx, name);
    } catch (inner) {
      throw explain(inner, "what-if");
    }
  }
  saveWhatIf(spec, ctx.env, result.raw);
  logWhatIf(spec, ctx, result.summary);
  return { hash, deploymentName: name, diagnostics, whatIf: result.summary, attempts: result.attempts };
}

function explain(err: unknown, phase: AuditPhase): Error {
  if (err instanceof DeploymentError || err instanceof BicepLintError) return err;
  if (err instanceof RetryError) return new DeploymentError(`${phase} failed: ${err.message}`, phase, err.classification);
  const c = classifyFailure(err);
  return new DeploymentError(`${phase} failed: ${errorText(err)}\n[${c.category}/${c.kind}] ${c.reason}`, phase, c);
}

/** What create/update return (and the provider keeps as outputs). */
export interface DeploymentOutcome {
  readonly deploymentName: string;
  /** The ARM deployment's resource id. */
  readonly deploymentId: string;
  readonly resourceIds: readonly string[];
  /** Template outputs, name -> value (secure outputs are never returned by ARM). */
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly whatIf: WhatIfDigest;
  readonly attempts: number;
  readonly durationMs: number;
  readonly contentHash: string;
  readonly files: Readonly<Record<string, string>>;
  readonly auditFile: string;
  readonly health: { readonly healthy: boolean; readonly checks: readonly HealthCheck[] };
}

interface ArmDeployment {
  id?: string;
  name?: string;
  properties?: {
    provisioningState?: string;
    outputs?: Record<string, { type?: string; value?: unknown }>;
    outputResources?: { id?: string }[];
    error?: unknown;
  };
}

/** Every phase of a deployment; always writes the audit record, then returns or throws. */
export async function deploy(spec: BicepDeploymentSpec, ctx: DeployContext): Promise<DeploymentOutcome> {
  const started = ctx.now();
  const events: AuditEvent[] = [];
  const attempts: AttemptRecord[] = [];
  const event = (phase: AuditPhase, level: AuditEvent["level"], message: string, extra: Partial<AuditEvent> = {}) => {
    events.push({ at: new Date(ctx.now()).toISOString(), phase, level, message: redactText(message), ...extra });
    (level === "info" ? ctx.log.info : ctx.log.warn)(`${prefix(spec)} ${phase}: ${message}`);
  };
  let phase: AuditPhase = "validate";
  let hash: ContentHash | undefined;
  let name = deploymentName(spec.name, "0".repeat(12));
  let summary: WhatIfSummary | undefined;
  let deployment: ArmDeployment | undefined;
  let health: { healthy: boolean; checks: HealthCheck[] } | undefined;
  let failure: { message: string; classification?: Classification } | undefined;
  try {
    hash = hashSpec(spec);
    name = deploymentName(spec.name, hash.hash);
    event("validate", "info", `content hash ${hash.hash.slice(0, 12)} over ${Object.keys(hash.files).length} files; deployment name ${name}`);
    phase = "preflight";
    const account = await preflight(spec, ctx);
    event("preflight", "info", `az logged in${account.user ? ` as ${account.user}` : ""}; subscription ${spec.subscriptionId}`);
    phase = "lint";
    const diagnostics = await lint(spec, ctx);
    event("lint", "info", `bicep build passed with ${diagnostics.length} warning(s)`);
    phase = "what-if";
    const w = await whatIf(spec, ctx, name, (r) => recordAttempt("what-if", r));
    summary = w.summary;
    logWhatIf(spec, ctx, summary);
    event("what-if", "info", summaryLines(summary).info[0]);
    phase = "guard";
    if (summary.destructive.length > 0) {
      if (!spec.allowDestructiveChanges) {
        throw new DeploymentError(
          `The what-if deletes ${summary.destructive.length} resource(s) and destructive changes are not allowed for this deployment:\n${summary.destructive
            .map((c) => `  ${c.changeType} ${c.resourceId}`)
            .join("\n")}\nIf that is intended, set bicep.allowDestructiveChanges.reason for this environment (it is recorded in the audit record); otherwise fix the template.`,
          "guard",
        );
      }
      event("guard", "warning", `${summary.destructive.length} destructive change(s) allowed: ${spec.allowDestructiveChanges.reason}`);
    }
    phase = "deploy";
    const args = azCommands.create(spec, name);
    const d = await withRetry(
      async () => parseAzJson<ArmDeployment>(args, (await ctx.az.run(args, { timeoutMs: spec.timeouts.deploy * 1000 })).stdout),
      { policy: spec.retry, sleep: ctx.sleep, random: ctx.random, now: ctx.now, classifyError: classifyFailure, onAttempt: (r) => recordAttempt("deploy", r) },
    );
    deployment = d.value;
    const state = deployment.properties?.provisioningState;
    if (state && state !== "Succeeded") throw new DeploymentError(`az deployment group create finished with provisioningState ${state}`, "deploy", classify(JSON.stringify(deployment.properties?.error ?? state)));
    event("deploy", "info", `deployment ${name} succeeded (${resourceIdsOf(deployment).length} resources)`);
    phase = "health";
    health = spec.verifyHealth ? await verifyHealth(spec, ctx, resourceIdsOf(deployment)) : { healthy: true, checks: [] };
    for (const c of health.checks) if (!c.healthy) event("health", "error", `${c.target}: ${c.observed}`);
    if (!health.healthy) {
      throw new DeploymentError(
        `The deployment succeeded but ${health.checks.filter((c) => !c.healthy).length} health check(s) failed:\n${health.checks
          .filter((c) => !c.healthy)
          .map((c) => `  ${c.target}: ${c.observed}`)
          .join("\n")}\nInspect them with \`az resource show --ids <id>\`; the resources were left in place.`,
        "health",
      );
    }
    event("health", "info", spec.verifyHealth ? `${health.checks.length} check(s) healthy` : "health verification disabled");
  } catch (err) {
    const e = explain(err, phase);
    const classification = e instanceof DeploymentError ? e.classification : err instanceof BicepLintError ? classificationOfKind("bicep-compile-error") : undefined;
    failure = { message: redactText(e.message), ...(classification ? { classification } : {}) };
    event(phase, "error", e.message.split("\n")[0], classification ? { classification: { category: classification.category, retryable: classification.retryable, kind: classification.kind } } : {});
    const auditFile = writeAudit();
    const withAudit = `${e.message}\nAudit record: ${auditFile}`;
    throw new DeploymentError(withAudit, phase, classification, auditFile);
  }
  const auditFile = writeAudit();
  return {
    deploymentName: name,
    deploymentId: deployment?.id ?? "",
    resourceIds: resourceIdsOf(deployment),
    outputs: Object.fromEntries(Object.entries(deployment?.properties?.outputs ?? {}).map(([k, v]) => [k, v?.value])),
    whatIf: digest(summary!),
    attempts: attempts.filter((a) => phaseOf.get(a) === "deploy").length,
    durationMs: ctx.now() - started,
    contentHash: hash!.hash,
    files: hash!.files,
    auditFile,
    health: health!,
  };

  function recordAttempt(p: "what-if" | "deploy", r: AttemptRecord) {
    attempts.push(r);
    phaseOf.set(r, p);
    if (r.outcome === "failed") {
      const c = r.classification!;
      event(p, "warning", `attempt ${r.attempt} failed (${c.category}/${c.kind}${r.delayMs !== undefined ? `, retrying in ${r.delayMs} ms` : c.retryable ? ", retries exhausted" : ", not retried"}): ${(r.error ?? "").split("\n")[0]}`, {
        attempt: r.attempt,
        classification: { category: c.category, retryable: c.retryable, kind: c.kind },
      });
    } else if (r.attempt > 1 || p === "deploy") {
      event(p, "info", `attempt ${r.attempt} succeeded`, { attempt: r.attempt });
    }
  }

  function writeAudit(): string {
    const finished = ctx.now();
    const record: AuditRecord = {
      schemaVersion: AUDIT_SCHEMA_VERSION,
      kind: "bicep-deployment",
      deploymentName: name,
      stack: spec.stack,
      resourceGroup: spec.resourceGroupName,
      subscriptionId: spec.subscriptionId,
      mode: spec.mode,
      gitSha: ctx.env.GITHUB_SHA ?? ctx.gitSha() ?? "unknown",
      actor: ctx.env.GITHUB_ACTOR ?? ctx.env.USER ?? ctx.env.USERNAME ?? "unknown",
      ...(ctx.env.GITHUB_RUN_ID && ctx.env.GITHUB_REPOSITORY
        ? { runUrl: `${ctx.env.GITHUB_SERVER_URL ?? "https://github.com"}/${ctx.env.GITHUB_REPOSITORY}/actions/runs/${ctx.env.GITHUB_RUN_ID}` }
        : {}),
      template: { path: spec.template, hash: hash?.files[spec.template] ?? "" },
      parameters: { path: spec.parameters, hash: hash?.files[spec.parameters] ?? "", overrideNames: Object.keys(spec.overrides).sort() },
      files: hash?.files ?? {},
      contentHash: hash?.hash ?? "",
      ...(summary ? { whatIf: digest(summary) } : {}),
      ...(spec.allowDestructiveChanges && summary && summary.destructive.length > 0 ? { destructiveChangesAllowedBecause: spec.allowDestructiveChanges.reason } : {}),
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - started,
      result: failure ? "failed" : "succeeded",
      ...(failure ? { failedPhase: phase, failure } : {}),
      attempts: attempts.map((a) => ({ ...a, phase: phaseOf.get(a) })),
      ...(deployment?.id ? { deploymentId: deployment.id } : {}),
      resourceIds: resourceIdsOf(deployment),
      outputs: auditOutputs(deployment?.properties?.outputs),
      ...(health ? { health } : {}),
      events: [...events, { at: new Date(finished).toISOString(), phase: "audit", level: "info", message: `record written after ${finished - started} ms` }],
    };
    return writeAuditRecord(auditDirectory(spec, ctx.env), record);
  }
}

const phaseOf = new WeakMap<AttemptRecord, "what-if" | "deploy">();

function resourceIdsOf(d: ArmDeployment | undefined): string[] {
  return (d?.properties?.outputResources ?? []).map((r) => r.id).filter((id): id is string => typeof id === "string");
}

const IN_PROGRESS = /^(Accepted|Creating|Updating|Provisioning|Running|InProgress|Migrating|Registering|Scaling)$/i;
const HEALTH_POLLS = 3;
const IDS_PER_CALL = 50;

type ShownResource = { id?: string; properties?: { provisioningState?: string } | null };

/** `az resource show --ids ...` for up to IDS_PER_CALL ids per call; id (lower case) -> provisioningState. */
async function provisioningStates(spec: BicepDeploymentSpec, ctx: DeployContext, ids: readonly string[]): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
    const chunk = ids.slice(i, i + IDS_PER_CALL);
    const args = azCommands.resourceShow(chunk, spec.subscriptionId);
    const parsed = parseAzJson<ShownResource | ShownResource[]>(args, (await ctx.az.run(args, { timeoutMs: spec.timeouts.resource * 1000 })).stdout);
    const list = Array.isArray(parsed) ? parsed : [parsed];
    list.forEach((res, j) => {
      // Some child resources (e.g. blobServices/default) report no provisioningState; existing is healthy.
      states.set((res?.id ?? chunk[j]).toLowerCase(), res?.properties?.provisioningState ?? "Succeeded (no provisioningState)");
    });
  }
  return states;
}

/**
 * provisioningState of every deployed resource (resources still in progress are polled again,
 * with the retry policy's delays), then each https endpoint must answer 2xx.
 */
export async function verifyHealth(spec: BicepDeploymentSpec, ctx: DeployContext, resourceIds: readonly string[]): Promise<{ healthy: boolean; checks: HealthCheck[] }> {
  const observed = new Map<string, string>(resourceIds.map((id) => [id, "not checked"]));
  let pending = [...resourceIds];
  for (let poll = 1; poll <= HEALTH_POLLS && pending.length > 0; poll++) {
    let retryable = true;
    try {
      const states = await provisioningStates(spec, ctx, pending);
      for (const id of pending) observed.set(id, states.get(id.toLowerCase()) ?? "not returned by az resource show");
    } catch (err) {
      retryable = classifyFailure(err).retryable;
      for (const id of pending) observed.set(id, `could not be read: ${errorText(err).split("\n")[0]}`);
    }
    pending = pending.filter((id) => IN_PROGRESS.test(observed.get(id)!) || observed.get(id)!.startsWith("could not be read"));
    if (!retryable) break;
    if (pending.length > 0 && poll < HEALTH_POLLS) await ctx.sleep(backoffDelay(spec.retry, poll, ctx.random));
  }
  const checks: HealthCheck[] = resourceIds.map((id) => ({ target: id, healthy: observed.get(id)!.startsWith("Succeeded"), observed: observed.get(id)! }));
  checks.push(...(await checkEndpoints(spec.healthEndpoints, ctx.httpGet, spec.timeouts.http * 1000)));
  return { healthy: checks.every((c) => c.healthy), checks };
}

export interface DriftReport {
  readonly checkedAt: string;
  readonly drifted: boolean;
  readonly whatIf: WhatIfDigest;
}

/**
 * Drift: a what-if of the current template against the resource group. Anything it would create,
 * modify or delete differs from what the template says.
 */
export async function detectDrift(spec: BicepDeploymentSpec, ctx: DeployContext): Promise<DriftReport> {
  const hash = hashSpec(spec);
  await preflight(spec, ctx);
  let summary: WhatIfSummary;
  try {
    summary = (await sharedWhatIf(spec, ctx, hash)).summary;
  } catch (err) {
    throw explain(err, "what-if");
  }
  const drifted = summary.hasChanges;
  if (drifted) {
    ctx.log.warn(`${prefix(spec)} drift: the resource group differs from the template (${summary.counts.Create} missing, ${summary.counts.Modify} modified, ${summary.counts.Delete} extra); the next \`pulumi up\` re-applies it`);
    logWhatIf(spec, ctx, summary);
  } else ctx.log.info(`${prefix(spec)} no drift: the resource group matches the template`);
  return { checkedAt: new Date(ctx.now()).toISOString(), drifted, whatIf: digest(summary) };
}

/** Deletes the deployed resources one by one, newest first (only with deletePolicy "deleteResources"). */
export async function deleteResources(spec: BicepDeploymentSpec, ctx: DeployContext, resourceIds: readonly string[]): Promise<void> {
  // Children before parents: longer ids first.
  const ordered = [...resourceIds].sort((a, b) => b.split("/").length - a.split("/").length);
  for (const id of ordered) {
    const args = azCommands.resourceDelete(id, spec.subscriptionId);
    try {
      await withRetry(() => ctx.az.run(args, { timeoutMs: spec.timeouts.resource * 1000 }), { policy: spec.retry, sleep: ctx.sleep, random: ctx.random, now: ctx.now, classifyError: classifyFailure });
      ctx.log.info(`${prefix(spec)} deleted ${id}`);
    } catch (err) {
      if (/ResourceNotFound|was not found/.test(errorText(err))) continue;
      throw explain(err, "deploy");
    }
  }
}

/** Reads the working tree's git SHA from .git without running git (HEAD, loose or packed refs). */
export function readGitSha(root: string): string | undefined {
  try {
    const gitDir = path.join(root, ".git");
    const head = fs.readFileSync(path.join(gitDir, "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head;
    const ref = head.slice(5);
    const loose = path.join(gitDir, ref);
    if (fs.existsSync(loose)) return fs.readFileSync(loose, "utf8").trim();
    const packed = fs.readFileSync(path.join(gitDir, "packed-refs"), "utf8");
    return packed.split("\n").find((l) => l.endsWith(` ${ref}`))?.split(" ")[0];
  } catch {
    return undefined;
  }
}
