/**
 * Runs policies as plain functions: a resource or a whole recorded stack in, violations out.
 * Config is resolved the way the engine does it: schema defaults, then the policy's entry in the
 * policy-pack config file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Policy, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { isUnknown as pulumiIsUnknown } from "@pulumi/pulumi";
import type { ProgramRun } from "../harness/program";
import { REPO_ROOT } from "../harness/program";

export type PolicyConfigFile = Record<string, unknown>;

export function readPolicyConfig(stack: string): PolicyConfigFile {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies", "config", `${stack}.json`), "utf8"));
}

function configFor(policy: Policy, file: PolicyConfigFile = {}): Record<string, unknown> {
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {})
      .filter(([, schema]) => (schema as { default?: unknown }).default !== undefined)
      .map(([key, schema]) => [key, (schema as { default?: unknown }).default]),
  );
  const entry = file[policy.name];
  const own = typeof entry === "object" && entry !== null ? { ...(entry as Record<string, unknown>) } : {};
  delete own.enforcementLevel;
  return { ...defaults, ...own };
}

export interface FakeResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, any>;
  readonly protect?: boolean;
}

export function policyResource(r: FakeResource): PolicyResource {
  return {
    type: r.type,
    name: r.name,
    props: r.props,
    urn: `urn:pulumi:test::delivery-platform::${r.type}::${r.name}`,
    opts: { protect: r.protect ?? false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  } as PolicyResource;
}

export function resourcesOf(run: ProgramRun): PolicyResource[] {
  return run.resources.map((r) => policyResource({ type: r.type, name: r.name, props: r.state, protect: r.opts.protect }));
}

/** The policy SDK's sentinel for an unknown value (`unknownStringValue`, which is also what the engine sends). */
const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** A prop value for `previewResource` that is unknown during the preview. */
export const UNKNOWN_VALUE = UNKNOWN_SENTINEL;
/** The props behind each preview resource's proxy. */
const rawProps = new WeakMap<PolicyResource, Record<string, unknown>>();

/** What @pulumi/policy's props proxy throws on reading an unknown value (its fields and message). */
class UnknownValueError extends Error {
  readonly unknownTypeSentinel = UNKNOWN_SENTINEL;
  constructor(readonly props: PropertyKey[]) {
    super(`string value at .${props.map(String).join(".")} can't be known during preview`);
  }
}

/** @pulumi/policy's `unknownCheckingProxy`: reading an unknown value throws. */
function unknownCheckingProxy(value: unknown, path: PropertyKey[] = []): any {
  if (!(value instanceof Object)) return value;
  return new Proxy(value, {
    get: (target, prop) => {
      const field = (target as any)[prop];
      if (field === UNKNOWN_SENTINEL) throw new UnknownValueError([...path, prop]);
      return unknownCheckingProxy(field, [...path, prop]);
    },
  });
}

/** The program's `pulumi.Unknown` markers as the engine serialises them to the policy pack. */
function withSentinels(value: unknown): unknown {
  if (pulumiIsUnknown(value)) return UNKNOWN_SENTINEL;
  if (Array.isArray(value)) return value.map(withSentinels);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSentinels(v)]));
  return value;
}

/**
 * The resources as the engine hands them to the policy pack during a preview (`evaluateStack(..., {
 * preview: true })`): unknown values behind the SDK's proxy, which throws on reading one, and each
 * input's property dependencies.
 */
export function previewResourcesOf(run: ProgramRun): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const out = run.resources.map((r) => {
    const raw = withSentinels(r.state) as Record<string, unknown>;
    const pr = { ...policyResource({ type: r.type, name: r.name, props: {}, protect: r.opts.protect }), urn: r.urn, props: unknownCheckingProxy(raw) } as PolicyResource;
    rawProps.set(pr, raw);
    byUrn.set(r.urn, pr);
    return pr;
  });
  run.resources.forEach((r, i) => {
    (out[i] as { propertyDependencies: Record<string, PolicyResource[]> }).propertyDependencies = Object.fromEntries(
      Object.entries(r.propertyDependencies).map(([prop, urns]) => [prop, urns.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined)]),
    );
  });
  return out;
}

/** A copy of a preview resource with some props replaced (`UNKNOWN_VALUE` for unknown) and some property dependencies. */
export function previewResource(r: PolicyResource, props: Record<string, unknown>, propertyDependencies: Record<string, PolicyResource[]> = {}): PolicyResource {
  const raw = { ...(rawProps.get(r) ?? {}), ...props };
  const copy = { ...r, props: unknownCheckingProxy(raw), propertyDependencies: { ...r.propertyDependencies, ...propertyDependencies } } as PolicyResource;
  rawProps.set(copy, raw);
  return copy;
}

/**
 * Runs a policy as the policy SDK's analyzer does during a preview: a read of an unknown value that
 * escapes the policy becomes the SDK's advisory "can't run policy" (returned here with that prefix).
 */
export async function previewViolationsOf(policy: Policy, resources: readonly PolicyResource[], file: PolicyConfigFile = {}): Promise<string[]> {
  try {
    return await violationsOf(policy, resources, file);
  } catch (err) {
    if (err instanceof UnknownValueError) return [`can't run policy '${policy.name}' during preview: ${err.message}`];
    throw err;
  }
}

export function createResourceValidationArgs(resource: FakeResource, config: Record<string, unknown> = {}): ResourceValidationArgs {
  const pr = policyResource(resource);
  return {
    ...pr,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason}`);
    },
  } as ResourceValidationArgs;
}

/** Violations one policy reports for the given resources. */
export async function violationsOf(policy: Policy, resources: readonly PolicyResource[], file: PolicyConfigFile = {}): Promise<string[]> {
  const config = configFor(policy, file);
  const found: string[] = [];
  const report = (message: string) => found.push(message);
  if ("validateStack" in policy) {
    const args: StackValidationArgs = {
      resources: [...resources],
      stackTags: new Map(),
      getConfig: <T extends object>() => config as T,
      notApplicable: (reason?: string): never => {
        throw new Error(`not applicable: ${reason}`);
      },
    } as StackValidationArgs;
    await (policy as StackValidationPolicy).validateStack(args, report);
  } else {
    for (const r of resources) {
      const args = createResourceValidationArgs({ type: r.type, name: r.name, props: r.props, protect: r.opts.protect }, config);
      const validate = (policy as ResourceValidationPolicy).validateResource;
      if (!validate) throw new Error(`policy ${policy.name} has neither validateStack nor validateResource`);
      for (const v of Array.isArray(validate) ? validate : [validate]) await v(args, report);
    }
  }
  return found;
}

/** Every violation of a whole pack, as `policy-name: message`. */
export async function packViolations(policies: readonly Policy[], resources: readonly PolicyResource[], file: PolicyConfigFile = {}): Promise<string[]> {
  const all: string[] = [];
  for (const policy of policies) for (const v of await violationsOf(policy, resources, file)) all.push(`${policy.name}: ${v}`);
  return all;
}
