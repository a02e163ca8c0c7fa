/**
 * One stand-in resource provider, driven by a table (./model.ts), implementing the
 * `@pulumi/pulumi/provider` Provider interface: check (required inputs, auto-naming, unknown
 * types rejected), diff (changed inputs, replacements), create / read / update / delete against
 * the provider's own state file, and invoke. `@pulumi/pulumi`'s provider server (3.276) serves
 * these CRUD methods over gRPC; ./main.ts adds the provider configuration it does not pass on.
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import type * as provider from "@pulumi/pulumi/provider";
import { CloudError, type Props, type ProviderTable, type ResourceType, type StandInContext } from "./model";
import { ProviderState } from "./state";

/** The value the engine sends for inputs not known during a preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function hasUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(hasUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasUnknown);
  return false;
}

/** Structural equality of JSON values, ignoring key order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => sameValue(v, (b as unknown[])[i]));
  const ka = Object.keys(a as object).filter((k) => (a as Props)[k] !== undefined && (a as Props)[k] !== null);
  const kb = Object.keys(b as object).filter((k) => (b as Props)[k] !== undefined && (b as Props)[k] !== null);
  return ka.length === kb.length && ka.every((k) => sameValue((a as Props)[k], (b as Props)[k]));
}

/** `urn:pulumi:stack::project::type::name` → type and name. */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return { type: qualified.split("$").pop() ?? qualified, name: parts.slice(3).join("::") };
}

/** A computed output missing from the type's `computed` list would make every later diff report a change. */
function assertDeclared(token: string, type: ResourceType, computed: Props): void {
  const undeclared = Object.keys(computed).filter((k) => !type.computed.includes(k));
  if (undeclared.length > 0) throw new Error(`stand-in table bug: ${token} computes ${undeclared.join(", ")} without listing them in computed`);
}

const isBlank = (v: unknown) => v === undefined || v === null || v === "";

export class StandInProvider implements provider.Provider {
  readonly version: string;
  /** Set by configure (./main.ts) before any resource operation. */
  config: Record<string, unknown> = {};

  constructor(
    readonly table: ProviderTable,
    readonly state: ProviderState,
  ) {
    this.version = table.version;
  }

  private context(): StandInContext {
    return {
      config: this.config,
      state: this.state,
      sandboxDir: path.dirname(path.dirname(this.state.file)),
      guid: () => crypto.randomUUID(),
      next: (counter, start) => this.state.next(counter, start),
      now: () => new Date().toISOString(),
      digest: (text, length = 40) => crypto.createHash("sha1").update(text).digest("hex").slice(0, length),
    };
  }

  private typeOf(urn: string): { token: string; name: string; type: ResourceType } {
    const { type: token, name } = parseUrn(urn);
    const type = this.table.resources[token];
    if (!type) {
      throw new Error(
        `The sandbox stand-in for the "${this.table.name}" provider does not implement ${token} (resource "${name}"). ` +
          `It accepts only the resources this program uses: ${Object.keys(this.table.resources).sort().join(", ")}. ` +
          `Add the type to sandbox/providers/${this.table.name}.ts, or run against the real provider.`,
      );
    }
    return { token, name, type };
  }

  async check(urn: string, olds: Props, news: Props): Promise<provider.CheckResult> {
    const { name, type } = this.typeOf(urn);
    const inputs: Props = { ...news };
    if (type.autoName && isBlank(inputs[type.autoName.property])) {
      const previous = olds?.[type.autoName.property];
      // Like Pulumi's auto-naming: the resource name plus a random suffix, kept across updates.
      inputs[type.autoName.property] = typeof previous === "string" && previous !== "" ? previous : `${name}-${crypto.createHash("sha1").update(urn).digest("hex").slice(0, 7)}`.slice(0, type.autoName.maxLength);
    }
    const failures = type.required.filter((k) => isBlank(inputs[k])).map((k) => ({ property: k, reason: `Missing required property '${k}'` }));
    if (failures.length === 0 && !hasUnknown(inputs) && type.validate) failures.push(...type.validate(inputs, this.context()));
    return { inputs, failures };
  }

  async diff(_id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
    const { type } = this.typeOf(urn);
    const computed = new Set(type.computed);
    const keys = new Set([...Object.keys(news), ...Object.keys(olds).filter((k) => !computed.has(k))]);
    keys.delete("__inputs");
    const changed = [...keys].filter((k) => !sameValue(olds[k], news[k]));
    const replaces = changed.filter((k) => type.replaceOnChanges.includes(k));
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
  }

  async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
    const { token, type } = this.typeOf(urn);
    const ctx = this.context();
    if (type.naturalKey) {
      const key = type.naturalKey(inputs, ctx);
      const clash = Object.values(this.state.all()).find((r) => r.type === token && type.naturalKey!(r.inputs, ctx) === key);
      if (clash) throw new CloudError(type.conflict ? type.conflict(inputs, ctx) : `${key} already exists (created as ${clash.urn})`);
    }
    const { id, computed } = type.create(inputs, ctx);
    assertDeclared(token, type, computed);
    const outs = { ...inputs, ...computed };
    this.state.put(id, { type: token, urn, inputs, outputs: outs });
    return { id, outs };
  }

  async read(id: string, urn: string): Promise<provider.ReadResult> {
    const stored = this.state.get(id);
    // Gone from the cloud: an empty id tells the engine the resource no longer exists.
    if (!stored) return { id: "", props: {} };
    this.typeOf(urn);
    return { id, props: stored.outputs, inputs: stored.inputs };
  }

  async update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
    const { token, type } = this.typeOf(urn);
    const stored = this.state.get(id);
    if (!stored) throw new CloudError(`${token} ${id} does not exist (deleted outside Pulumi?); run \`pulumi refresh\` and try again`);
    const previous = Object.fromEntries(type.computed.filter((k) => k in stored.outputs).map((k) => [k, stored.outputs[k]]));
    const computed = type.update ? type.update(id, olds, news, this.context()) : previous;
    assertDeclared(token, type, computed);
    const outs = { ...news, ...previous, ...computed };
    this.state.put(id, { type: token, urn, inputs: news, outputs: outs });
    return { outs };
  }

  async delete(id: string, urn: string): Promise<void> {
    const { type } = this.typeOf(urn);
    const ctx = this.context();
    type.beforeDelete?.(id, ctx);
    const stored = this.state.get(id);
    this.state.remove(id);
    if (stored) type.afterDelete?.(id, stored.outputs, ctx);
  }

  async invoke(token: string, inputs: Props): Promise<provider.InvokeResult> {
    const fn = this.table.invokes[token];
    if (!fn) {
      throw new Error(
        `The sandbox stand-in for the "${this.table.name}" provider does not implement the function ${token}. ` +
          `It answers only: ${Object.keys(this.table.invokes).sort().join(", ") || "(none)"}.`,
      );
    }
    return { outputs: fn(inputs, this.context()) };
  }
}

export { CloudError };
