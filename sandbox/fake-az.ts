/**
 * The sandbox's Azure CLI (`sandbox/bin/az` runs this): it answers exactly the commands the Bicep
 * provider runs (core/bicep/az.ts) in the formats the real `az` prints, against a sandbox Azure
 * that remembers deployments. The resource groups are the ones the azure-native stand-in created
 * (so a what-if before the group exists fails with ResourceGroupNotFound, as in Azure); the
 * resources in them are what earlier `deployment group create` calls deployed, evaluated from the
 * template and parameters by ./bicep-model.ts. So `what-if` shows the change against what was last
 * deployed, in WhatIfOperationResult's shape, with Azure's deltas: leaf paths in dot notation
 * (`properties.deleteRetentionPolicy.days`), array elements as `Array` children.
 *
 * A first deployment is previewed as Azure allows before its group exists: `bicep build-params`
 * compiles the parameters (its templateJson names the sandbox's template file in its metadata, as
 * the sandbox does not compile Bicep), and `deployment sub what-if` of a template that creates the
 * group and deploys that template into it lists the group and every resource as Create.
 *
 * Environment:
 *   DELIVERY_SANDBOX_DIR        sandbox state directory (default: <repo>/.sandbox); az state in <dir>/az
 *   SANDBOX_AZ_WHATIF_SECONDS   seconds each what-if takes (the benchmark's L; default 0)
 *   SANDBOX_AZ_SCENARIO         success (default) | throttled-once: the first `deployment group create`
 *                               fails with TooManyRequests, later ones succeed (a marker file remembers)
 *                               | not-logged-in
 *   SANDBOX_AZ_LOG              file each call is appended to as one JSON line (default <dir>/az/calls.jsonl)
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { deploymentModel, parseBicepParams, type ModelResource } from "./bicep-model";
import { withRuntimeOutputs } from "./health-server";

const sandboxDir = process.env.DELIVERY_SANDBOX_DIR ?? path.resolve(__dirname, "..", "..", ".sandbox");
const azDir = path.join(sandboxDir, "az");

class AzFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Every value after one `--ids` (until the next option). */
function listOption(args: readonly string[], name: string): string[] {
  const i = args.indexOf(name);
  if (i < 0) return [];
  const out: string[] = [];
  for (const a of args.slice(i + 1)) {
    if (a.startsWith("--")) break;
    out.push(a);
  }
  return out;
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

function readJson<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return fallback;
    throw err;
  }
}

// ---------------------------------------------------------------- the sandbox's Azure

interface GroupState {
  resources: Record<string, ModelResource>;
  deployments: Record<string, unknown>;
}

const groupFile = (sub: string, rg: string) => path.join(azDir, "resource-groups", `${sub}_${rg}.json`.toLowerCase());

/** The resource group as the azure-native stand-in created it; ResourceGroupNotFound otherwise. */
function resourceGroup(sub: string, rg: string): { location: string } {
  const cloud = readJson<{ resources?: Record<string, { type: string; outputs: { location?: string } }> }>(path.join(sandboxDir, "cloud", "azure-native.json"), {});
  const id = `/subscriptions/${sub}/resourceGroups/${rg}`.toLowerCase();
  const found = Object.entries(cloud.resources ?? {}).find(([k, r]) => k.toLowerCase() === id && r.type === "azure-native:resources:ResourceGroup");
  if (!found) {
    throw new AzFailure(`ERROR: (ResourceGroupNotFound) Resource group '${rg}' could not be found.\nCode: ResourceGroupNotFound\nMessage: Resource group '${rg}' could not be found.\n`, 3);
  }
  return { location: found[1].outputs.location ?? "westeurope" };
}

function parameters(args: readonly string[], cwd: string, ctx: { sub: string; rg: string; location: string }): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  args.forEach((a, i) => {
    if (a !== "--parameters") return;
    const v = args[i + 1] ?? "";
    const eq = v.indexOf("=");
    if (/\.bicepparam$/.test(v) || (/\.json$/.test(v) && eq < 0)) {
      const file = path.resolve(cwd, v);
      if (!fs.existsSync(file)) throw new AzFailure(`ERROR: Unable to parse parameter: ${v}. Make sure the file exists.\n`);
      const text = fs.readFileSync(file, "utf8");
      if (v.endsWith(".json")) {
        const doc = JSON.parse(text) as { parameters?: Record<string, { value?: unknown }> };
        for (const [k, p] of Object.entries(doc.parameters ?? {})) values[k] = p.value;
      } else Object.assign(values, parseBicepParams(text, { resourceGroupId: `/subscriptions/${ctx.sub}/resourceGroups/${ctx.rg}`, location: ctx.location }));
    } else if (eq > 0) {
      const raw = v.slice(eq + 1);
      try {
        values[v.slice(0, eq)] = JSON.parse(raw);
      } catch {
        values[v.slice(0, eq)] = raw;
      }
    }
  });
  return values;
}

function target(args: readonly string[]) {
  const sub = option(args, "--subscription") ?? "00000000-0000-0000-0000-000000000000";
  const rg = option(args, "--resource-group") ?? option(args, "-g");
  if (!rg) throw new AzFailure("ERROR: the following arguments are required: --resource-group/-g\n", 2);
  const template = option(args, "--template-file");
  if (!template) throw new AzFailure("ERROR: one of --template-file, --template-uri, --template-spec is required\n", 2);
  const cwd = process.cwd();
  if (!fs.existsSync(path.resolve(cwd, template))) throw new AzFailure(`ERROR: An error occurred reading file. Could not find file '${path.resolve(cwd, template)}'.\n`);
  const { location } = resourceGroup(sub, rg);
  const params = parameters(args, cwd, { sub, rg, location });
  const model = deploymentModel({ cwd, template, parameters: params, subscriptionId: sub, resourceGroup: rg, location });
  const name = option(args, "--name") ?? `deployment-${Date.now()}`;
  const mode = option(args, "--mode") ?? "Incremental";
  return { sub, rg, template, params, model, name, mode, location };
}

// ---------------------------------------------------------------- what-if

interface PropertyChange {
  path: string;
  propertyChangeType: "Create" | "Delete" | "Modify" | "Array";
  before: unknown;
  after: unknown;
  children: PropertyChange[] | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Azure's delta: object properties by their full dotted path (`properties.deleteRetentionPolicy.days`),
 * arrays as one `Array` change whose children are the elements that differ (paths "0", "1", ...).
 */
export function delta(before: unknown, after: unknown, prefix = ""): PropertyChange[] {
  const out: PropertyChange[] = [];
  const keys = new Set([...Object.keys(isObject(before) ? before : {}), ...Object.keys(isObject(after) ? after : {})]);
  for (const k of [...keys].sort()) {
    const b = isObject(before) ? before[k] : undefined;
    const a = isObject(after) ? after[k] : undefined;
    const p = prefix ? `${prefix}.${k}` : k;
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    if (b === undefined) out.push({ path: p, propertyChangeType: "Create", before: null, after: a, children: null });
    else if (a === undefined) out.push({ path: p, propertyChangeType: "Delete", before: b, after: null, children: null });
    else if (isObject(a) && isObject(b)) out.push(...delta(b, a, p));
    else if (Array.isArray(a) && Array.isArray(b)) out.push({ path: p, propertyChangeType: "Array", before: null, after: null, children: arrayDelta(b, a) });
    else out.push({ path: p, propertyChangeType: "Modify", before: b, after: a, children: null });
  }
  return out;
}

function arrayDelta(before: unknown[], after: unknown[]): PropertyChange[] {
  const out: PropertyChange[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    const b = before[i];
    const a = after[i];
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    if (i >= before.length) out.push({ path: String(i), propertyChangeType: "Create", before: null, after: a, children: null });
    else if (i >= after.length) out.push({ path: String(i), propertyChangeType: "Delete", before: b, after: null, children: null });
    else out.push({ path: String(i), propertyChangeType: "Modify", before: b, after: a, children: null });
  }
  return out;
}

function payload(r: ModelResource): Record<string, unknown> {
  return { apiVersion: r.apiVersion, id: r.id, name: r.name, type: r.type, ...r.body };
}

function whatIf(args: readonly string[]): string {
  const t = target(args);
  return JSON.stringify({ status: "Succeeded", error: null, changes: changesAgainst(t.sub, t.rg, t.model.resources, t.mode), potentialChanges: null, diagnostics: [] });
}

/** What deploying `resources` into the group would do, against what it holds now. */
function changesAgainst(sub: string, rg: string, resources: readonly ModelResource[], mode: string): unknown[] {
  const group = readJson<GroupState>(groupFile(sub, rg), { resources: {}, deployments: {} });
  const desired = new Map(resources.map((r) => [r.id.toLowerCase(), r]));
  const changes: unknown[] = [];
  for (const r of resources) {
    const old = group.resources[r.id.toLowerCase()];
    if (!old) changes.push({ resourceId: r.id, changeType: "Create", before: null, after: payload(r), delta: null });
    else {
      const d = delta(payload(old), payload(r));
      changes.push({ resourceId: r.id, changeType: d.length === 0 ? "NoChange" : "Modify", before: payload(old), after: payload(r), delta: d.length === 0 ? null : d });
    }
  }
  for (const [key, old] of Object.entries(group.resources)) {
    if (desired.has(key)) continue;
    // Incremental mode leaves resources the template does not declare alone; Complete deletes them.
    changes.push({ resourceId: old.id, changeType: mode === "Complete" ? "Delete" : "Ignore", before: payload(old), after: null, delta: null });
  }
  return changes;
}

/** Where `bicep build-params` records the template its `using` names (the sandbox does not compile Bicep). */
const TEMPLATE_FILE_METADATA = "sandboxTemplateFile";

/** `az bicep build-params --file X --stdout`: `{ parametersJson, templateJson }`, as JSON text each. */
function buildParams(args: readonly string[]): string {
  const file = option(args, "--file");
  if (!file || !fs.existsSync(path.resolve(file))) throw new AzFailure(`ERROR: An error occurred reading file. Could not find file '${path.resolve(file ?? "")}'.\n`);
  const text = fs.readFileSync(path.resolve(file), "utf8");
  const using = /^\s*using\s+'([^']+)'/m.exec(text);
  if (!using) throw new AzFailure(`ERROR: ${path.resolve(file)}(1,1) : Error BCP261: A using declaration must be present in this parameters file.\n`);
  // Values that need a deployment scope stay as their source text, as in the group what-if.
  const values = parseBicepParams(text, { resourceGroupId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/unknown", location: "unknown" });
  const template = path.relative(process.cwd(), path.resolve(path.dirname(path.resolve(file)), using[1]));
  return JSON.stringify({
    parametersJson: JSON.stringify({ $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", contentVersion: "1.0.0.0", parameters: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v }])) }),
    templateJson: JSON.stringify({ $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", contentVersion: "1.0.0.0", metadata: { _generator: { name: "bicep", version: "sandbox" }, [TEMPLATE_FILE_METADATA]: template }, resources: {} }),
  });
}

interface ArmResource {
  type?: string;
  name?: string;
  location?: string;
  resourceGroup?: string;
  properties?: { mode?: string; template?: { metadata?: Record<string, unknown> }; parameters?: Record<string, { value?: unknown }> };
}

/**
 * `az deployment sub what-if`: a subscription-scope template of resource groups and nested
 * deployments into them (what the provider generates for a first deployment). Each group that
 * does not exist is a Create; each nested deployment's resources are compared with what the
 * group holds (nothing, for a new group).
 */
function subscriptionWhatIf(args: readonly string[]): string {
  const sub = option(args, "--subscription") ?? "00000000-0000-0000-0000-000000000000";
  const location = option(args, "--location");
  if (!location) throw new AzFailure("ERROR: the following arguments are required: --location/-l\n", 2);
  const file = option(args, "--template-file");
  if (!file || !fs.existsSync(path.resolve(file))) throw new AzFailure(`ERROR: An error occurred reading file. Could not find file '${path.resolve(file ?? "")}'.\n`);
  const template = JSON.parse(fs.readFileSync(path.resolve(file), "utf8")) as { $schema?: string; resources?: ArmResource[] };
  if (!/subscriptionDeploymentTemplate\.json/.test(template.$schema ?? "")) throw new AzFailure("ERROR: (InvalidSchema) The template schema is not valid for a subscription-scope deployment.\n");
  const resources = template.resources ?? [];
  const changes: unknown[] = [];
  const groupLocations = new Map<string, string>();
  for (const r of resources.filter((x) => x.type === "Microsoft.Resources/resourceGroups")) {
    const id = `/subscriptions/${sub}/resourceGroups/${r.name}`;
    groupLocations.set((r.name ?? "").toLowerCase(), r.location ?? location);
    let exists = true;
    try {
      resourceGroup(sub, r.name ?? "");
    } catch {
      exists = false;
    }
    const after = { apiVersion: "2024-03-01", id, location: r.location, name: r.name, type: "Microsoft.Resources/resourceGroups" };
    changes.push(exists ? { resourceId: id, changeType: "NoChange", before: after, after, delta: null } : { resourceId: id, changeType: "Create", before: null, after, delta: null });
  }
  for (const d of resources.filter((x) => x.type === "Microsoft.Resources/deployments")) {
    const rg = d.resourceGroup ?? "";
    const templateFile = d.properties?.template?.metadata?.[TEMPLATE_FILE_METADATA];
    if (typeof templateFile !== "string") throw new AzFailure(`ERROR: (InvalidTemplate) The sandbox's az previews only nested deployments of templates compiled by its own \`bicep build-params\` (metadata.${TEMPLATE_FILE_METADATA}).\n`);
    const values = Object.fromEntries(Object.entries(d.properties?.parameters ?? {}).map(([k, v]) => [k, v?.value]));
    const model = deploymentModel({ cwd: process.cwd(), template: templateFile, parameters: values, subscriptionId: sub, resourceGroup: rg, location: groupLocations.get(rg.toLowerCase()) ?? location });
    changes.push(...changesAgainst(sub, rg, model.resources, d.properties?.mode ?? "Incremental"));
  }
  return JSON.stringify({ status: "Succeeded", error: null, changes, potentialChanges: null, diagnostics: [] });
}

// ---------------------------------------------------------------- create, show, delete

function throttled(deploymentId: string): AzFailure {
  return new AzFailure(
    `ERROR: {"status":"Failed","error":{"code":"DeploymentFailed","target":"${deploymentId}","message":"At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.","details":[{"code":"TooManyRequests","message":"The request is being throttled as the limit has been reached for operation type - Write_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits"}]}}\n`,
  );
}

/** True once per marker name: the first caller creates the file atomically. */
function firstTime(marker: string): boolean {
  fs.mkdirSync(azDir, { recursive: true });
  try {
    fs.closeSync(fs.openSync(path.join(azDir, marker), "wx"));
    return true;
  } catch {
    return false;
  }
}

function create(args: readonly string[]): string {
  const t = target(args);
  const deploymentId = `/subscriptions/${t.sub}/resourceGroups/${t.rg}/providers/Microsoft.Resources/deployments/${t.name}`;
  if (process.env.SANDBOX_AZ_SCENARIO === "throttled-once" && firstTime("throttled-once.deployment-group-create")) throw throttled(deploymentId);
  const file = groupFile(t.sub, t.rg);
  const group = readJson<GroupState>(file, { resources: {}, deployments: {} });
  const resources: Record<string, ModelResource> = t.mode === "Complete" ? {} : { ...group.resources };
  for (const r of t.model.resources) resources[r.id.toLowerCase()] = r;
  const started = new Date();
  const deployment = {
    id: deploymentId,
    location: null,
    name: t.name,
    properties: {
      correlationId: crypto.randomUUID(),
      dependencies: [],
      duration: "PT1.2S",
      error: null,
      mode: t.mode,
      outputResources: t.model.resources.map((r) => ({ id: r.id, resourceGroup: t.rg })),
      // Runtime values Azure assigns (the function app's host name) are the sandbox app's address (sandbox/health-server.ts).
      outputs: withRuntimeOutputs(t.model.outputs, sandboxDir),
      parameters: Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, { type: typeof v === "number" ? "Int" : typeof v === "boolean" ? "Bool" : Array.isArray(v) ? "Array" : typeof v === "object" ? "Object" : "String", value: v }])),
      provisioningState: "Succeeded",
      templateHash: String(parseInt(crypto.createHash("sha256").update(JSON.stringify(t.model)).digest("hex").slice(0, 12), 16)),
      timestamp: started.toISOString(),
    },
    resourceGroup: t.rg,
    type: "Microsoft.Resources/deployments",
  };
  writeJson(file, { resources, deployments: { ...group.deployments, [t.name]: deployment } });
  return JSON.stringify(deployment, null, 2);
}

function allResources(): Map<string, ModelResource> {
  const dir = path.join(azDir, "resource-groups");
  const out = new Map<string, ModelResource>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    for (const r of Object.values(readJson<GroupState>(path.join(dir, f), { resources: {}, deployments: {} }).resources)) out.set(r.id.toLowerCase(), r);
  }
  return out;
}

function show(args: readonly string[]): string {
  const ids = listOption(args, "--ids");
  const known = allResources();
  const shown = ids.map((id) => {
    const r = known.get(id.toLowerCase());
    if (!r) throw new AzFailure(`ERROR: (ResourceNotFound) The Resource '${id.split("/providers/")[1] ?? id}' under resource group '${id.split("/")[4] ?? "?"}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix\nCode: ResourceNotFound\n`, 3);
    return { ...payload(r), properties: { ...(isObject(r.body.properties) ? r.body.properties : {}), provisioningState: "Succeeded" } };
  });
  return JSON.stringify(shown.length === 1 ? shown[0] : shown, null, 2);
}

function remove(args: readonly string[]): string {
  const id = (listOption(args, "--ids")[0] ?? "").toLowerCase();
  const dir = path.join(azDir, "resource-groups");
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith(".json")) : []) {
    const file = path.join(dir, f);
    const group = readJson<GroupState>(file, { resources: {}, deployments: {} });
    if (id in group.resources) {
      delete group.resources[id];
      writeJson(file, group);
      return "";
    }
  }
  throw new AzFailure(`ERROR: (ResourceNotFound) The Resource '${id}' was not found.\nCode: ResourceNotFound\n`, 3);
}

// ---------------------------------------------------------------- entry

function command(args: readonly string[]): string {
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith("-")) break;
    words.push(a);
  }
  return words.join(" ");
}

async function run(args: readonly string[]): Promise<string> {
  const cmd = command(args);
  if (process.env.SANDBOX_AZ_SCENARIO === "not-logged-in" && cmd !== "version") throw new AzFailure("ERROR: Please run 'az login' to setup account.\n");
  switch (cmd) {
    case "version":
      return JSON.stringify({ "azure-cli": "2.67.0", "azure-cli-core": "2.67.0", extensions: {}, sandbox: true });
    case "account show": {
      const id = option(args, "--subscription") ?? "8d2f6a41-93c7-4b0e-a5d8-1e6f2c9b7a30";
      return JSON.stringify({ environmentName: "AzureCloud", homeTenantId: "5b0c8f3e-2d7a-4e19-9c61-4f8a2b7d3e05", id, isDefault: true, managedByTenants: [], name: "Sandbox subscription", state: "Enabled", tenantId: "5b0c8f3e-2d7a-4e19-9c61-4f8a2b7d3e05", user: { name: "sandbox-user@contoso.example", type: "user" } }, null, 2);
    }
    case "bicep build": {
      const file = option(args, "--file");
      if (!file || !fs.existsSync(path.resolve(file))) throw new AzFailure(`ERROR: An error occurred reading file. Could not find file '${path.resolve(file ?? "")}'.\n`);
      return JSON.stringify({ $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", contentVersion: "1.0.0.0", metadata: { _generator: { name: "bicep", version: "sandbox" } }, resources: {} });
    }
    case "deployment group what-if": {
      const seconds = Number(process.env.SANDBOX_AZ_WHATIF_SECONDS ?? "0");
      if (seconds > 0) await new Promise((r) => setTimeout(r, seconds * 1000));
      return whatIf(args);
    }
    case "bicep build-params":
      return buildParams(args);
    case "deployment sub what-if": {
      const seconds = Number(process.env.SANDBOX_AZ_WHATIF_SECONDS ?? "0");
      if (seconds > 0) await new Promise((r) => setTimeout(r, seconds * 1000));
      return subscriptionWhatIf(args);
    }
    case "deployment group create":
      return create(args);
    case "resource show":
      return show(args);
    case "resource delete":
      return remove(args);
    default:
      throw new AzFailure(`ERROR: '${cmd}' is misspelled or not recognized by the system (the sandbox's az answers only what the Bicep provider runs: account show, bicep build/build-params, deployment group what-if/create, deployment sub what-if, resource show/delete).\n`, 2);
  }
}

function log(args: readonly string[]): void {
  const file = process.env.SANDBOX_AZ_LOG ?? path.join(azDir, "calls.jsonl");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `${JSON.stringify({ command: command(args), args, cwd: process.cwd(), at: new Date().toISOString() })}\n`);
}

/** Runs one az command line as the real az would: output on stdout, `ERROR: ...` on stderr and an exit code. */
export function main(args: readonly string[]): void {
  log(args);
  run(args).then(
    (out) => {
      process.stdout.write(out ? `${out}\n` : "");
    },
    (err: unknown) => {
      if (err instanceof AzFailure) {
        process.stderr.write(err.message);
        process.exitCode = err.exitCode;
      } else {
        process.stderr.write(`ERROR: The command failed with an unexpected error: ${(err as Error).stack ?? String(err)}\n`);
        process.exitCode = 1;
      }
    },
  );
}

if (require.main === module) main(process.argv.slice(2));
