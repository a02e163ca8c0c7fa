/**
 * The Bicep deployment provider's operations, as a thin adapter from Pulumi's
 * check/diff/create/update/read/delete onto core/bicep. This module is what runs inside Pulumi's
 * dynamic-provider process (loaded from its compiled form, see ./index.ts), so it imports only
 * core/, execa and @pulumi/pulumi.
 *
 * What a preview shows. Pulumi 3.276's dynamic-provider host forwards only `changes`, `replaces`
 * and `deleteBeforeReplace` from diff (detailed diffs are dropped), so `pulumi preview --diff`
 * prints the difference between the old and the new *checked inputs*. During a preview (the
 * component sets `preview` from pulumi.runtime.isDryRun(); check never keeps that field) check
 * runs lint and the what-if of a changed deployment and adds it as `plannedWhatIf`: per changed
 * resource its change type and each property's before and after value, destructive ones marked.
 * A `pulumi up` runs no what-if in check (the deployment runs its own), so the stored inputs never
 * hold a what-if and the next preview's diff shows only this one, as an addition. The what-if
 * summary lines, prefixed `[bicep <name>]`, go to the log too (the provider process has no engine
 * connection, so pulumi.log falls back to stdout/stderr, which the engine prints as diagnostics).
 * Lint errors fail the preview; so does a failing what-if of a deployment that exists.
 *
 * Nothing machine-specific is an input: `root` is relative to the project directory (the
 * provider's working directory) and the audit directory is read from `DELIVERY_AUDIT_DIR` when
 * the deployment runs.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { TIMEOUT_DEFAULTS } from "../../core/defaults";
import { realSleep, resolveRetryPolicy } from "../../core/retry";
import { MissingReferenceError } from "../../core/bicep/files";
import { BicepLintError } from "../../core/bicep/lint";
import { fetchStatus } from "../../core/validate";
import { previewOf, type WhatIfPreview } from "../../core/whatif";
import {
  DeploymentError,
  deleteResources,
  deploy,
  detectDrift,
  hashSpec,
  plan,
  preflight,
  readGitSha,
  type DeployContext,
  type DeploymentOutcome,
  type DriftReport,
  type Logger,
} from "../../core/bicep/deploy";
import { deploymentResourceKey, validateSpecFiles, validateSpecShape, type BicepDeploymentSpec, type SpecProblem } from "../../core/bicep/spec";
import type { AzRunner } from "../../core/bicep/az";
import { execaAzRunner } from "./az-runner";

/** The value Pulumi passes for inputs not known during a preview (`pulumi.runtime.unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The provider's inputs: a BicepDeploymentSpec, with optional fields, plus what check adds. */
export type BicepDeploymentProps = Partial<Omit<BicepDeploymentSpec, "retry" | "timeouts">> & {
  readonly retry?: Partial<BicepDeploymentSpec["retry"]>;
  readonly timeouts?: Partial<BicepDeploymentSpec["timeouts"]>;
  /** Added by check: sha256 over everything the deployment depends on. */
  readonly contentHash?: string;
  /** Added by check: each file -> short content hash (so a preview shows which file changed). */
  readonly files?: Readonly<Record<string, string>>;
  /**
   * Added by check during a preview of a changed deployment: the what-if of this preview, which
   * `pulumi preview --diff` prints and policies read (destructive changes need a reason).
   */
  readonly plannedWhatIf?: WhatIfPreview;
  /**
   * Whether this is a preview (`pulumi.runtime.isDryRun()`, set by the component). Only then does
   * check run the what-if; check removes the field, so it is never stored or diffed.
   */
  readonly preview?: boolean;
};

/** Outputs: the inputs, plus what the last deployment (or refresh) produced. */
export interface BicepDeploymentOutputs extends BicepDeploymentProps {
  readonly deploymentName: string;
  readonly deploymentId: string;
  readonly resourceIds: readonly string[];
  readonly templateOutputs: Readonly<Record<string, unknown>>;
  readonly whatIf: DeploymentOutcome["whatIf"];
  readonly attempts: number;
  readonly durationMs: number;
  readonly auditFile: string;
  readonly healthy: boolean;
  readonly drift?: DriftReport;
}

/** What tests (and only tests) replace. */
export interface ProviderDeps {
  readonly log?: Logger;
  readonly az?: (cwd: string) => AzRunner;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly httpGet?: (url: string, timeoutMs: number) => Promise<number>;
}

/** Fields whose change means a different deployment; everything else (retries, timeouts, audit dir) does not. */
export const DEPLOYMENT_FIELDS = ["contentHash", "resourceGroupName", "subscriptionId", "mode"] as const;
/** Fields whose change means deploying somewhere else: a replacement (the old deployment's resources are kept). */
export const REPLACE_FIELDS = ["resourceGroupName", "subscriptionId"] as const;

function hasUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(hasUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasUnknown);
  return false;
}

/**
 * Props the caller must set. The provider applies none of their defaults: the stack configuration's
 * schema and the BicepDeployment component do, once (core/defaults.ts says which applies what).
 */
export const REQUIRED_PROPS = ["name", "root", "template", "parameters", "resourceGroupName", "subscriptionId", "mode", "overrides", "verifyHealth", "healthEndpoints", "auditDir", "deletePolicy", "stack"] as const;

/** A problem for each required prop that is missing (an unknown preview value counts as set). */
export function missingProps(props: BicepDeploymentProps): SpecProblem[] {
  return REQUIRED_PROPS.filter((k) => props[k] === undefined || props[k] === null).map((k) => ({
    property: k,
    reason: "is required and was not set; the BicepDeployment component sets it from the stack configuration, so declare the deployment with the component (or pass it explicitly)",
  }));
}

/**
 * The spec the phases run on. The retry policy and the command timeouts are partial overrides:
 * their left-out fields are filled from the defaults table here, and only here.
 */
export function toSpec(props: BicepDeploymentProps): BicepDeploymentSpec {
  const missing = missingProps(props);
  if (missing.length > 0) throw new Error(`The Bicep deployment ${JSON.stringify(props.name ?? "")} lacks ${missing.map((p) => p.property).join(", ")}: ${missing[0].reason}.`);
  return {
    name: props.name!,
    // Relative to the project directory, which is the provider's working directory.
    root: path.resolve(process.cwd(), props.root!),
    template: props.template!,
    parameters: props.parameters!,
    resourceGroupName: props.resourceGroupName!,
    subscriptionId: props.subscriptionId!,
    ...(props.location ? { location: props.location } : {}),
    mode: props.mode!,
    overrides: props.overrides!,
    verifyHealth: props.verifyHealth!,
    healthEndpoints: props.healthEndpoints!,
    ...(props.allowDestructiveChanges ? { allowDestructiveChanges: props.allowDestructiveChanges } : {}),
    auditDir: props.auditDir!,
    retry: resolveRetryPolicy(props.retry),
    timeouts: { ...TIMEOUT_DEFAULTS, ...(props.timeouts ?? {}) },
    deletePolicy: props.deletePolicy!,
    stack: props.stack!,
  };
}

function pulumiLogger(): Logger {
  return { info: (m) => void pulumi.log.info(m), warn: (m) => void pulumi.log.warn(m) };
}

/** A DeployContext's `once`: the first call's promise per key, dropped again if it fails. */
function sharedAnswers(cache: Map<string, Promise<unknown>>): NonNullable<DeployContext["once"]> {
  return <T>(key: string, run: () => Promise<T>): Promise<T> => {
    const known = cache.get(key) as Promise<T> | undefined;
    if (known) return known;
    const answer = run();
    cache.set(key, answer);
    answer.catch(() => cache.get(key) === answer && cache.delete(key));
    return answer;
  };
}

/**
 * The `az` answers this process shares between calls (module-level, like `previews` below): N
 * deployments of one run make one account lookup and one build per template, and a drift run's
 * refresh and preview ask one what-if (core/bicep/deploy.ts says which answers are shared).
 */
const processAnswers = new Map<string, Promise<unknown>>();

function context(spec: BicepDeploymentSpec, deps: ProviderDeps, answers: Map<string, Promise<unknown>>): DeployContext {
  return {
    once: sharedAnswers(answers),
    az: deps.az ? deps.az(spec.root) : execaAzRunner({ cwd: spec.root }),
    log: deps.log ?? pulumiLogger(),
    sleep: deps.sleep ?? realSleep,
    random: deps.random ?? Math.random,
    now: deps.now ?? Date.now,
    httpGet: deps.httpGet ?? fetchStatus,
    env: deps.env ?? process.env,
    gitSha: () => readGitSha(spec.root),
  };
}

/** Props whose fields are known (not `UNKNOWN`), for validation during preview. */
function knownFields(props: BicepDeploymentProps): Partial<BicepDeploymentSpec> {
  return Object.fromEntries(Object.entries(props).filter(([, v]) => !hasUnknown(v))) as Partial<BicepDeploymentSpec>;
}

function outputsOf(props: BicepDeploymentProps, outcome: DeploymentOutcome): BicepDeploymentOutputs {
  return {
    ...props,
    contentHash: outcome.contentHash,
    files: outcome.files,
    deploymentName: outcome.deploymentName,
    deploymentId: outcome.deploymentId,
    resourceIds: outcome.resourceIds,
    templateOutputs: outcome.outputs,
    whatIf: outcome.whatIf,
    attempts: outcome.attempts,
    durationMs: outcome.durationMs,
    auditFile: outcome.auditFile,
    healthy: outcome.health.healthy,
  };
}

/** The informative line of an error: az's own "ERROR: ..." line when there is one, else the first line with text. */
function reasonLine(message: string): string {
  const lines = message.split("\n").map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => /^ERROR:/.test(l)) ?? lines[0] ?? "no message").replace(/\.+$/, "");
}

/**
 * Warnings already printed by this provider process. The engine may call check more than once per
 * resource and preview; a cause is reported once. Module-level: the dynamic provider loads this
 * module once per process, but may build a new provider object per call.
 */
const warned = new Set<string>();

/**
 * The what-ifs this process ran, by deployment and content: the engine may check a resource more
 * than once in a preview, and a what-if takes minutes in Azure, so it runs (and logs) once.
 */
const previews = new Map<string, Promise<WhatIfPreview | undefined>>();

/** Input fields a refresh hands back as inputs (everything the component sets, plus what check adds). */
const INPUT_FIELDS = [...REQUIRED_PROPS, "location", "allowDestructiveChanges", "retry", "timeouts", "contentHash", "files"] as const;

export function createBicepProvider(deps: ProviderDeps = {}): pulumi.dynamic.ResourceProvider<BicepDeploymentProps, BicepDeploymentOutputs> {
  const log = (): Logger => deps.log ?? pulumiLogger();
  // The process's answers; a provider built with injected dependencies (tests) keeps its own.
  const answers = Object.keys(deps).length > 0 ? new Map<string, Promise<unknown>>() : processAnswers;
  const ctx = (spec: BicepDeploymentSpec) => context(spec, deps, answers);

  async function runDeploy(props: BicepDeploymentProps): Promise<BicepDeploymentOutputs> {
    const spec = toSpec(props);
    try {
      return outputsOf(props, await deploy(spec, ctx(spec)));
    } catch (err) {
      if (err instanceof DeploymentError && err.phase === "health") {
        // The resources exist: tell Pulumi so (a resource-init failure keeps the id and outputs, and the next `up` updates it).
        throw Object.assign(new Error(err.message), { id: deploymentResourceKey(spec), properties: { ...props }, reasons: [err.message.split("\n")[0]] });
      }
      throw err;
    }
  }

  function warnOnce(key: string, message: string): void {
    if (warned.has(key)) return;
    warned.add(key);
    log().warn(message);
  }

  return {
    async check(olds, withPreview) {
      const { preview, ...news } = withPreview;
      const known = knownFields(news);
      const problems: SpecProblem[] = [...missingProps(news), ...validateSpecShape(known)];
      if (problems.length === 0 && !hasUnknown([news.root, news.template, news.parameters, news.overrides])) {
        const spec = toSpec(news);
        problems.push(...validateSpecFiles(spec));
        if (problems.length === 0 && !hasUnknown(news)) {
          try {
            const hash = hashSpec(spec);
            const checked: BicepDeploymentProps = { ...news, contentHash: hash.hash, files: hash.files };
            // An unchanged deployment runs no az at all, and neither does `pulumi up`'s check
            // (the deployment runs its own what-if). A preview of a changed one carries its what-if.
            const first = Object.keys(olds ?? {}).length === 0;
            const changed = first || DEPLOYMENT_FIELDS.some((k) => olds[k] !== checked[k]);
            if (!changed || preview !== true) return { inputs: checked };
            const key = JSON.stringify([spec.root, spec.subscriptionId, spec.resourceGroupName, spec.name, hash.hash, first]);
            if (!previews.has(key)) previews.set(key, previewWhatIf(spec, hash, first));
            const planned = await previews.get(key)!;
            return { inputs: planned ? { ...checked, plannedWhatIf: planned } : checked };
          } catch (err) {
            if (err instanceof MissingReferenceError) problems.push({ property: "template", reason: err.message });
            else if (err instanceof BicepLintError) problems.push({ property: "template", reason: err.message });
            else throw err;
          }
        }
      }
      const failures = problems.map((p) => ({ property: p.property, reason: p.reason }));
      return { inputs: { ...news, contentHash: hasUnknown(news) ? UNKNOWN : news.contentHash }, failures };
    },

    async diff(_id, olds, news) {
      const changed = DEPLOYMENT_FIELDS.filter((k) => olds[k] !== news[k]);
      if (changed.length === 0) return { changes: false };
      const replaces = REPLACE_FIELDS.filter((k) => olds[k] !== news[k]);
      if (hasUnknown(news)) {
        log().info(`[bicep ${news.name}] inputs are not known until the program runs; lint and what-if run during the deployment`);
      } else if (replaces.length > 0) {
        warnOnce(
          `replace:${news.name}:${news.subscriptionId}/${news.resourceGroupName}`,
          `[bicep ${news.name}] ${replaces.join(" and ")} changed: this is a new deployment into ${news.resourceGroupName}; the resources of the old one are kept (see docs/bicep.md, delete semantics)`,
        );
      }
      return { changes: true, replaces: [...replaces], deleteBeforeReplace: false };
    },

    async create(inputs) {
      const outs = await runDeploy(inputs);
      return { id: deploymentResourceKey(toSpec(inputs)), outs };
    },

    async update(_id, _olds, news) {
      return { outs: await runDeploy(news) };
    },

    async read(id, props) {
      if (!props || !props.template) {
        throw new Error(`Importing a Bicep deployment (${id}) is not supported: declare it with the BicepDeployment component and run \`pulumi up\`.`);
      }
      const spec = toSpec(props);
      const drift = await detectDrift(spec, ctx(spec));
      if (!drift.drifted) return { id, props: { ...(props as BicepDeploymentOutputs), drift } };
      // Drift changes the recorded hash, in the outputs and in the inputs the next check compares
      // with, so `pulumi preview --refresh` shows the drift's what-if as an update (and fails
      // with --expect-no-changes), and `pulumi up` re-applies the template.
      const contentHash = `drifted:${drift.checkedAt}`;
      const inputs = Object.fromEntries(INPUT_FIELDS.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
      return { id, props: { ...(props as BicepDeploymentOutputs), contentHash, drift }, inputs: { ...inputs, contentHash } as unknown as BicepDeploymentOutputs };
    },

    async delete(_id, props) {
      const spec = toSpec(props);
      const ids = (props as Partial<BicepDeploymentOutputs>).resourceIds ?? [];
      if (spec.deletePolicy !== "deleteResources") {
        log().warn(
          `[bicep ${spec.name}] removed from the stack; its ${ids.length} resource(s) in ${spec.resourceGroupName} were kept (deletePolicy "keep"). An ARM deployment is a record, not its resources: delete the resource group, or set deletePolicy "deleteResources" and run \`pulumi up\` before removing it.`,
        );
        return;
      }
      const deleting = ctx(spec);
      await preflight(spec, deleting);
      log().warn(`[bicep ${spec.name}] deletePolicy "deleteResources": deleting ${ids.length} resource(s) this deployment created or updated`);
      await deleteResources(spec, deleting, ids);
    },
  };

  /**
   * Lint and the what-if of this preview, in the form the diff carries. Lint errors fail the
   * preview (as check failures); so does a what-if that fails for a deployment that exists. A
   * first deployment whose what-if cannot run (e.g. no Azure login yet) gets one warning and no
   * what-if: the deployment runs it again.
   */
  async function previewWhatIf(spec: BicepDeploymentSpec, hash: ReturnType<typeof hashSpec>, first: boolean): Promise<WhatIfPreview | undefined> {
    try {
      return previewOf((await plan(spec, ctx(spec), hash)).whatIf);
    } catch (err) {
      if (err instanceof BicepLintError || !first) throw err;
      const c = err instanceof DeploymentError ? err.classification : undefined;
      warnOnce(
        `first-whatif:${spec.name}:${c?.kind ?? "error"}`,
        `[bicep ${spec.name}] what-if before the first deployment did not run (${c ? `${c.kind}` : "error"}): ${reasonLine((err as Error).message)}. It runs again during \`pulumi up\`.`,
      );
      return undefined;
    }
  }
}
