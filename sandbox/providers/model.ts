/**
 * What a stand-in provider is made of: one table per provider (name, plugin version, the resource
 * types and invokes it accepts). The generic engine in ./stand-in.ts serves any table over
 * Pulumi's resource-provider protocol; the tables (./github.ts, ./azure-native.ts, ./aws.ts) only
 * say what each type requires, what forces a replacement and what the cloud computes.
 */
import type { ProviderState } from "./state";

/** Property bag as the engine sends it (JSON; unknowns are UNKNOWN, secrets are wrapped). */
export type Props = Record<string, unknown>;

/** What a type's functions get: the provider's configuration, its state, ids and time. */
export interface StandInContext {
  /** Provider configuration (`owner`, `subscriptionId`, `region`, ...), keys without the package prefix. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly state: ProviderState;
  /** The sandbox directory (its other stand-ins keep their state there too, e.g. the fake az). */
  readonly sandboxDir: string;
  /** A new random GUID (identity client and principal ids). */
  guid(): string;
  /** The next number of a named counter, starting at `start` (ruleset ids, PR numbers). */
  next(counter: string, start: number): number;
  /** ISO time now. */
  now(): string;
  /** A stable hex digest of the text (etags, SHAs). */
  digest(text: string, length?: number): string;
}

/** A failure the provider reports like the real one does: the cloud API's error text. */
export class CloudError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CloudError";
  }
}

export interface ResourceType {
  /** Inputs that must be present (the real provider's required properties). */
  readonly required: readonly string[];
  /** Inputs whose change replaces the resource (ForceNew / immutable in the real API). */
  readonly replaceOnChanges: readonly string[];
  /** Output-only properties; everything else in the outputs echoes the inputs. */
  readonly computed: readonly string[];
  /** An input the provider fills from the resource name when it is unset (Pulumi auto-naming). */
  readonly autoName?: { readonly property: string; readonly maxLength: number };
  /** Further input problems, as check failures. */
  validate?(inputs: Props, ctx: StandInContext): { property: string; reason: string }[];
  /** The key that must be unique among live resources of this type (e.g. repo + label name), if any. */
  naturalKey?(inputs: Props, ctx: StandInContext): string;
  /** The error the real API gives for a natural-key conflict. */
  conflict?(inputs: Props, ctx: StandInContext): string;
  /** The cloud's id and computed outputs of a new resource. */
  create(inputs: Props, ctx: StandInContext): { id: string; computed: Props };
  /** Throws the cloud's error when the resource cannot be deleted now (e.g. a lock). */
  beforeDelete?(id: string, ctx: StandInContext): void;
  /** Side effects of a deletion beyond this provider's state (e.g. a resource group takes its contents with it). */
  afterDelete?(id: string, stored: Props, ctx: StandInContext): void;
  /** Computed outputs after an update. Defaults to the old ones. */
  update?(id: string, olds: Props, news: Props, ctx: StandInContext): Props;
}

/** An invoke (data source): arguments in, result out; throw CloudError for "not found". */
export type InvokeFunction = (args: Props, ctx: StandInContext) => Props;

export interface ProviderTable {
  /** Package name, e.g. "azure-native". */
  readonly name: string;
  /** The version of the npm SDK in package.json; the engine asks for exactly this plugin. */
  readonly version: string;
  readonly resources: Readonly<Record<string, ResourceType>>;
  readonly invokes: Readonly<Record<string, InvokeFunction>>;
  /** Problems with the provider configuration (checked once, at configure). */
  validateConfig?(config: Readonly<Record<string, unknown>>): string[];
}

/** A string input, or undefined when it is unset or not a string. */
export function str(props: Props, key: string): string | undefined {
  const v = props[key];
  return typeof v === "string" ? v : undefined;
}

/** A string input that must be there (check guarantees it); throws a clear error otherwise. */
export function need(props: Props, key: string): string {
  const v = str(props, key);
  if (v === undefined || v === "") throw new CloudError(`missing required property "${key}"`);
  return v;
}
