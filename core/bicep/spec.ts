/**
 * The plain, serialisable description of one Bicep deployment: what the component hands the
 * provider and what the provider keeps in state. Validation lives here so the component (before
 * any resource exists) and the provider's `check` report the same problems in the same words.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveRetryPolicy, validateRetryPolicy, type RetryPolicy } from "../retry";
import { assignedParameters, parametersUsing, templateParameters } from "./files";

/** Per-command limits, in seconds. A command still running then is stopped and counts as a timeout. Defaults: TIMEOUT_DEFAULTS in core/defaults.ts. */
export interface CommandTimeouts {
  /** `az account show`. Defaults to 60. */
  readonly account: number;
  /** `az bicep build`. Defaults to 300 (the first run may download the Bicep CLI). */
  readonly lint: number;
  /** `az deployment group what-if`. Defaults to 900. */
  readonly whatIf: number;
  /** `az deployment group create`. Defaults to 3600. */
  readonly deploy: number;
  /** `az resource show` / `az resource delete`, per resource. Defaults to 120. */
  readonly resource: number;
  /** Each HTTPS health endpoint. Defaults to 30. */
  readonly http: number;
}

/** What `pulumi destroy` (or removing the component) does. */
export type DeletePolicy = "keep" | "deleteResources";

export interface BicepDeploymentSpec {
  /** Label for logs, the deployment name and the audit file. */
  readonly name: string;
  /** Absolute repository root; every other path is relative to it. */
  readonly root: string;
  readonly template: string;
  readonly parameters: string;
  readonly resourceGroupName: string;
  readonly subscriptionId: string;
  /**
   * Region of the resource group. Lets a preview run before the group exists: the what-if then
   * runs at subscription scope, of a deployment that creates the group and deploys into it.
   */
  readonly location?: string;
  readonly mode: "Incremental" | "Complete";
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly verifyHealth: boolean;
  readonly healthEndpoints: readonly string[];
  readonly allowDestructiveChanges?: { readonly reason: string };
  /** Relative to root unless absolute; `DELIVERY_AUDIT_DIR` in the deploying process's environment overrides it. */
  readonly auditDir: string;
  readonly retry: RetryPolicy;
  readonly timeouts: CommandTimeouts;
  readonly deletePolicy: DeletePolicy;
  /** The Pulumi stack, for the audit record. */
  readonly stack: string;
}

export interface SpecProblem {
  /** The input property, as the user wrote it (`template`, `retry.maxAttempts`). */
  readonly property: string;
  readonly reason: string;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RESOURCE_GROUP = /^[-\w._()]{1,90}$/;

/** Shape checks that need no files: names, ids, numbers. Unknown values (preview) are skipped by the caller. */
export function validateSpecShape(spec: Partial<BicepDeploymentSpec>): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (property: string, reason: string) => problems.push({ property, reason });
  if (typeof spec.name !== "string" || !/^[A-Za-z0-9][-\w.]{0,39}$/.test(spec.name)) {
    add("name", `must be 1-40 letters, digits, '-', '_' or '.', starting with a letter or digit (received ${JSON.stringify(spec.name)})`);
  }
  for (const key of ["template", "parameters"] as const) {
    const v = spec[key];
    if (typeof v !== "string" || v === "") add(key, `is required: a path relative to the repository root (received ${JSON.stringify(v)})`);
    else if (path.isAbsolute(v) || v.split(/[\\/]/).includes("..")) add(key, `must be relative to the repository root, without '..' (received ${JSON.stringify(v)})`);
  }
  if (typeof spec.template === "string" && spec.template !== "" && !spec.template.endsWith(".bicep")) add("template", `must be a .bicep file (received ${JSON.stringify(spec.template)})`);
  if (typeof spec.parameters === "string" && spec.parameters !== "" && !spec.parameters.endsWith(".bicepparam")) {
    add("parameters", `must be a .bicepparam file whose \`using\` names the template (received ${JSON.stringify(spec.parameters)})`);
  }
  if (spec.resourceGroupName !== undefined && (typeof spec.resourceGroupName !== "string" || !RESOURCE_GROUP.test(spec.resourceGroupName) || spec.resourceGroupName.endsWith("."))) {
    add("resourceGroupName", `must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.' (received ${JSON.stringify(spec.resourceGroupName)})`);
  }
  if (spec.subscriptionId !== undefined && (typeof spec.subscriptionId !== "string" || !GUID.test(spec.subscriptionId))) {
    add("subscriptionId", `must be a subscription GUID, see \`az account show --query id\` (received ${JSON.stringify(spec.subscriptionId)})`);
  }
  if (spec.location !== undefined && (typeof spec.location !== "string" || !/^[a-z][a-z0-9]*$/.test(spec.location))) {
    add("location", `must be an Azure region name such as westeurope (received ${JSON.stringify(spec.location)})`);
  }
  if (spec.mode !== undefined && spec.mode !== "Incremental" && spec.mode !== "Complete") add("mode", `must be Incremental or Complete (received ${JSON.stringify(spec.mode)})`);
  for (const [i, url] of (spec.healthEndpoints ?? []).entries()) {
    if (typeof url !== "string" || !/^https:\/\/[^\s/]+/.test(url)) add(`healthEndpoints[${i}]`, `must be an https:// URL (received ${JSON.stringify(url)})`);
  }
  if (spec.allowDestructiveChanges !== undefined && (typeof spec.allowDestructiveChanges?.reason !== "string" || spec.allowDestructiveChanges.reason.trim().length < 10)) {
    add("allowDestructiveChanges.reason", `must explain in at least 10 characters why deletions are acceptable (received ${JSON.stringify(spec.allowDestructiveChanges?.reason)})`);
  }
  if (spec.deletePolicy !== undefined && spec.deletePolicy !== "keep" && spec.deletePolicy !== "deleteResources") {
    add("deletePolicy", `must be "keep" or "deleteResources" (received ${JSON.stringify(spec.deletePolicy)})`);
  }
  if (spec.retry !== undefined) {
    for (const p of validateRetryPolicy(resolveRetryPolicy(spec.retry))) add(p.split(" ")[0], p.slice(p.indexOf(" ") + 1));
  }
  for (const [k, v] of Object.entries(spec.timeouts ?? {})) {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > 86_400) add(`timeouts.${k}`, `must be a number of seconds between 0 and 86400 (received ${JSON.stringify(v)})`);
  }
  if (spec.overrides !== undefined && (spec.overrides === null || typeof spec.overrides !== "object" || Array.isArray(spec.overrides))) {
    add("overrides", `must be an object of parameter name -> value (received ${JSON.stringify(spec.overrides)})`);
  }
  return problems;
}

/**
 * File checks: the template and parameters exist, the parameters file's `using` names the
 * template, and every required template parameter is assigned by the parameters file or an override.
 */
export function validateSpecFiles(spec: Pick<BicepDeploymentSpec, "root" | "template" | "parameters" | "overrides">): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const templateAbs = path.resolve(spec.root, spec.template);
  const parametersAbs = path.resolve(spec.root, spec.parameters);
  if (!fs.existsSync(templateAbs)) problems.push({ property: "template", reason: `${spec.template} does not exist (looked in ${spec.root})` });
  if (!fs.existsSync(parametersAbs)) problems.push({ property: "parameters", reason: `${spec.parameters} does not exist (looked in ${spec.root})` });
  if (problems.length > 0) return problems;
  const using = parametersUsing(spec.root, spec.parameters);
  const wanted = path.normalize(spec.template).split(path.sep).join("/");
  if (using.target === undefined) {
    problems.push({ property: "parameters", reason: `${spec.parameters} has no \`using\` declaration; add \`using '${path.relative(path.dirname(parametersAbs), templateAbs).split(path.sep).join("/")}'\` as its first line` });
  } else if (using.resolved !== wanted) {
    problems.push({
      property: "parameters",
      reason: `${spec.parameters}:${using.line} says \`using '${using.target}'\`${using.resolved ? ` (${using.resolved})` : ""}, but the template is ${wanted}; point the using at the template or fix the template path`,
    });
  }
  if (problems.length > 0) return problems;
  const assigned = new Set([...assignedParameters(fs.readFileSync(parametersAbs, "utf8")), ...Object.keys(spec.overrides ?? {})]);
  const missing = templateParameters(fs.readFileSync(templateAbs, "utf8")).filter((p) => p.required && !assigned.has(p.name));
  for (const p of missing) {
    problems.push({ property: "parameters", reason: `${spec.template}:${p.line} declares required parameter '${p.name}', which ${spec.parameters} does not assign and no override sets; add \`param ${p.name} = ...\` to ${spec.parameters}` });
  }
  return problems;
}

/** `delivery-<name>-<first 12 of the content hash>`: the same content always deploys under the same name (at most 64 characters). */
export function deploymentName(name: string, contentHash: string): string {
  const safe = name.replace(/[^-\w.()]/g, "-").slice(0, 40);
  return `delivery-${safe}-${contentHash.slice(0, 12)}`;
}

/** The Pulumi id of a deployment: stable across updates (each update deploys under a new name). */
export function deploymentResourceKey(spec: Pick<BicepDeploymentSpec, "subscriptionId" | "resourceGroupName" | "name">): string {
  return `/subscriptions/${spec.subscriptionId}/resourceGroups/${spec.resourceGroupName}/bicepDeployments/${spec.name}`;
}

/**
 * Where audit records go: `DELIVERY_AUDIT_DIR` from the deploying process's environment when set
 * (the workflows point it at the directory they upload), else the spec's `auditDir`; relative
 * paths are relative to the root. Read at deployment time, so a machine's path is never an input.
 */
export function auditDirectory(spec: Pick<BicepDeploymentSpec, "root" | "auditDir">, env: Readonly<Record<string, string | undefined>> = {}): string {
  return path.resolve(spec.root, env.DELIVERY_AUDIT_DIR || spec.auditDir);
}
