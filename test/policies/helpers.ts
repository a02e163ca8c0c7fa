/**
 * Runs policies as plain functions: a resource or a whole recorded stack in, violations out.
 * Config is resolved the way the engine does it: schema defaults, then the policy's entry in the
 * policy-pack config file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Policy, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
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
