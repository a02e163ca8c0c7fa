/**
 * The Bicep deployment provider's operations, as a thin adapter from Pulumi's
 * check/diff/create/update/read/delete onto core/bicep. This module is what runs inside Pulumi's
 * dynamic-provider process (loaded from its compiled form, see ./index.ts), so it imports only
 * core/, execa and @pulumi/pulumi.
 *
 * What a preview shows (Pulumi 3.248's dynamic-provider host forwards only `changes`, `replaces`
 * and `deleteBeforeReplace` from diff; `stables` and detailed diffs are dropped, and the provider
 * process has no engine connection, so pulumi.log falls back to the process's stdout/stderr, which
 * the engine prints as diagnostics): the resource as `~ update` (or `+-` replace when the resource
 * group or subscription changes), the `files` input whose hashes changed, the `plannedWhatIf`
 * input (counts and destructive resource ids, which `pulumi preview --diff` shows and policies
 * read), and the what-if summary lines prefixed `[bicep <name>]`. Lint errors fail the preview.
 */
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_RETRY_POLICY, realSleep, resolveRetryPolicy } from "../../core/retry";
import { MissingReferenceError } from "../../core/bicep/files";
import { BicepLintError } from "../../core/bicep/lint";
import { fetchStatus } from "../../core/validate";
import { digest, type WhatIfDigest } from "../../core/whatif";
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
import { DEFAULT_TIMEOUTS, deploymentResourceKey, validateSpecFiles, validateSpecShape, type BicepDeploymentSpec, type SpecProblem } from "../../core/bicep/spec";
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
   * Added by check when the deployment changes: the what-if of this preview, so policies (which
   * see checked inputs) can block destructive changes that carry no allowDestructiveChanges reason.
   */
  readonly plannedWhatIf?: WhatIfDigest;
  /**
   * Run lint and what-if inside check, so `plannedWhatIf` is part of the checked inputs that the
   * policy pack sees. The engine calls check one resource at a time, so this serialises previews
   * across deployments; without it, check starts the what-if and diff (which the engine runs in
   * parallel) waits for it. Defaults to false.
   */
  readonly whatIfInCheck?: boolean;
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

/** Props with every default applied, once. */
export function toSpec(props: BicepDeploymentProps): BicepDeploymentSpec {
  return {
    name: props.name ?? "",
    root: props.root ?? process.cwd(),
    template: props.template ?? "",
    parameters: props.parameters ?? "",
    resourceGroupName: props.resourceGroupName ?? "",
    subscriptionId: props.subscriptionId ?? "",
    mode: props.mode ?? "Incremental",
    overrides: props.overrides ?? {},
    verifyHealth: props.verifyHealth ?? true,
    healthEndpoints: props.healthEndpoints ?? [],
    ...(props.allowDestructiveChanges ? { allowDestructiveChanges: props.allowDestructiveChanges } : {}),
    auditDir: props.auditDir ?? "audit",
    retry: resolveRetryPolicy(props.retry ?? DEFAULT_RETRY_POLICY),
    timeouts: { ...DEFAULT_TIMEOUTS, ...(props.timeouts ?? {}) },
    deletePolicy: props.deletePolicy ?? "keep",
    stack: props.stack ?? "unknown",
  };
}

function pulumiLogger(): Logger {
  return { info: (m) => void pulumi.log.info(m), warn: (m) => void pulumi.log.warn(m) };
}

function context(spec: BicepDeploymentSpec, deps: ProviderDeps): DeployContext {
  return {
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
 * What-ifs check started and diff awaits, keyed by what they plan. Module-level: every call of
 * the dynamic provider loads this module once per process, but may build a new provider object.
 */
const pendingPlans = new Map<string, Promise<unknown>>();
const planKey = (spec: BicepDeploymentSpec, contentHash: string) => `${spec.subscriptionId}/${spec.resourceGroupName}/${spec.name}/${contentHash}`;

export function createBicepProvider(deps: ProviderDeps = {}): pulumi.dynamic.ResourceProvider<BicepDeploymentProps, BicepDeploymentOutputs> {
  const log = (): Logger => deps.log ?? pulumiLogger();

  async function runDeploy(props: BicepDeploymentProps): Promise<BicepDeploymentOutputs> {
    const spec = toSpec(props);
    try {
      return outputsOf(props, await deploy(spec, context(spec, deps)));
    } catch (err) {
      if (err instanceof DeploymentError && err.phase === "health") {
        // The resources exist: tell Pulumi so (a resource-init failure keeps the id and outputs, and the next `up` updates it).
        throw Object.assign(new Error(err.message), { id: deploymentResourceKey(spec), properties: { ...props }, reasons: [err.message.split("\n")[0]] });
      }
      throw err;
    }
  }

  function startPlan(spec: BicepDeploymentSpec, hash: ReturnType<typeof hashSpec>): void {
    const running = plan(spec, context(spec, deps), hash);
    running.catch(() => undefined); // diff reports the failure; this only keeps it from being unhandled
    pendingPlans.set(planKey(spec, hash.hash), running);
  }

  async function takePlan(spec: BicepDeploymentSpec, contentHash: string | undefined): Promise<void> {
    const key = planKey(spec, contentHash ?? "");
    const running = pendingPlans.get(key) ?? plan(spec, context(spec, deps));
    pendingPlans.delete(key);
    await running;
  }

  return {
    async check(olds, news) {
      const known = knownFields(news);
      const problems: SpecProblem[] = validateSpecShape(known);
      if (problems.length === 0 && !hasUnknown([news.root, news.template, news.parameters, news.overrides])) {
        const spec = toSpec(news);
        problems.push(...validateSpecFiles(spec));
        if (problems.length === 0 && !hasUnknown(news)) {
          try {
            const hash = hashSpec(spec);
            const checked: BicepDeploymentProps = { ...news, contentHash: hash.hash, files: hash.files };
            // An unchanged deployment runs no az at all. A first deployment has no diff, so its
            // what-if runs here; otherwise here only when policies must see it (whatIfInCheck),
            // else it starts here and diff waits for it, in parallel with the other deployments.
            const first = Object.keys(olds ?? {}).length === 0;
            const changed = first || DEPLOYMENT_FIELDS.some((k) => olds[k] !== checked[k]);
            if (!changed) return { inputs: checked };
            if (first) {
              const planned = await previewFirstDeployment(spec);
              return { inputs: planned ? { ...checked, plannedWhatIf: planned } : checked };
            }
            if (news.whatIfInCheck) return { inputs: { ...checked, plannedWhatIf: digest((await plan(spec, context(spec, deps), hash)).whatIf) } };
            startPlan(spec, hash);
            return { inputs: checked };
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
      // Lint errors and what-if failures fail the preview, with the file:line or the classified reason.
      if (!hasUnknown(news) && !news.plannedWhatIf) await takePlan(toSpec(news), news.contentHash);
      const replaces = REPLACE_FIELDS.filter((k) => olds[k] !== news[k]);
      if (hasUnknown(news)) {
        log().info(`[bicep ${news.name}] inputs are not known until the program runs; lint and what-if run during the deployment`);
      } else if (replaces.length > 0) {
        log().warn(`[bicep ${news.name}] ${replaces.join(" and ")} changed: this is a new deployment into ${news.resourceGroupName}; the resources of the old one are kept (see docs/bicep.md, delete semantics)`);
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
      const drift = await detectDrift(spec, context(spec, deps));
      // Drift changes the recorded hash, so the next preview runs the what-if and `pulumi up` re-applies the template.
      const contentHash = drift.drifted ? `drifted:${drift.checkedAt}` : props.contentHash;
      return { id, props: { ...(props as BicepDeploymentOutputs), contentHash, drift } };
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
      const ctx = context(spec, deps);
      await preflight(spec, ctx);
      log().warn(`[bicep ${spec.name}] deletePolicy "deleteResources": deleting ${ids.length} resource(s) this deployment created or updated`);
      await deleteResources(spec, ctx, ids);
    },
  };

  /** On first creation there is no diff, so check shows the what-if; only lint errors fail it (the resource group may not exist yet). */
  /** The what-if of a first deployment, or undefined when it cannot run yet (e.g. the resource group is created in the same run). */
  async function previewFirstDeployment(spec: BicepDeploymentSpec): Promise<WhatIfDigest | undefined> {
    try {
      return digest((await plan(spec, context(spec, deps))).whatIf);
    } catch (err) {
      if (err instanceof BicepLintError) throw err;
      const c = err instanceof DeploymentError ? err.classification : undefined;
      log().warn(
        `[bicep ${spec.name}] what-if before the first deployment did not run (${c ? `${c.kind}` : "error"}): ${reasonLine((err as Error).message)}. It runs again during \`pulumi up\`.`,
      );
      return undefined;
    }
  }
}
