/**
 * Which Bedrock model a prompt's `model:` names. Front matter (and graft.defaultModel) may use a
 * Bedrock model id (`anthropic.claude-3-haiku-20240307-v1:0`), an inference-profile id
 * (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`), or one of the `llm`-style aliases Graft's
 * prompts use (`bedrock-claude-v4.5-sonnet-us`, from the llm-bedrock-anthropic plugin). One table,
 * `graft.models` in the stack config (defaults below), maps names to what is invoked; a model that
 * Bedrock serves only through an inference profile is marked `inferenceProfile: true` and invoked
 * through the profile of the region's geography (`us.`, `eu.`, `apac.`, ...).
 *
 * Kept free of imports: the Graft dynamic provider captures these functions by value.
 */

/** One row of the model table. */
export interface ModelTableEntry {
  /** The Bedrock model id or inference-profile id to invoke. */
  readonly modelId: string;
  /**
   * Bedrock serves the model on demand only through a cross-region inference profile; it is then
   * invoked as `<geo>.<modelId>` for the region's geography. Defaults to false.
   */
  readonly inferenceProfile?: boolean;
  /** Most tokens the model may write per document (Converse maxTokens). Defaults to 4096. */
  readonly maxTokens?: number;
}

// What Graft's generator asks for: llm-bedrock-anthropic's default max_tokens_to_sample, which
// every Claude model on Bedrock accepts (Claude 3 Haiku writes at most 4,096).
const DEFAULT_MAX_TOKENS = 4096;
export const DEFAULT_MODEL_MAX_TOKENS = DEFAULT_MAX_TOKENS;

export type ModelTable = Readonly<Record<string, ModelTableEntry>>;

// The Claude 4 family and 3.5 Haiku / 3.7 Sonnet are served on demand only through inference
// profiles; Bedrock answers a direct call with "on-demand throughput isn't supported".
const PROFILE_ONLY = { inferenceProfile: true } as const;
// Claude 4 models write up to 32,000 (Opus) or 64,000 (Sonnet, Haiku 4.5) tokens; 16,000 leaves
// room for long reference documents.
const LONG = { maxTokens: 16_000 } as const;

/**
 * The default `graft.models`: Graft's default alias and the llm-bedrock-anthropic aliases for the
 * Claude models, plus the base ids that need an inference profile.
 */
export const DEFAULT_MODEL_TABLE: ModelTable = {
  "bedrock-claude-v4.5-sonnet-us": { modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", ...LONG },
  "bedrock-claude-v4.5-sonnet-global": { modelId: "global.anthropic.claude-sonnet-4-5-20250929-v1:0", ...LONG },
  "bedrock-claude-v4.5-sonnet": { modelId: "anthropic.claude-sonnet-4-5-20250929-v1:0", ...PROFILE_ONLY, ...LONG },
  "bedrock-claude-v4.1-opus-us": { modelId: "us.anthropic.claude-opus-4-1-20250805-v1:0", ...LONG },
  "bedrock-claude-v4.1-opus": { modelId: "anthropic.claude-opus-4-1-20250805-v1:0", ...PROFILE_ONLY, ...LONG },
  "bedrock-claude-v4-sonnet": { modelId: "anthropic.claude-sonnet-4-20250514-v1:0", ...PROFILE_ONLY, ...LONG },
  "bedrock-claude-v3.7-sonnet": { modelId: "us.anthropic.claude-3-7-sonnet-20250219-v1:0" },
  "bedrock-claude-v3.5-haiku": { modelId: "us.anthropic.claude-3-5-haiku-20241022-v1:0" },
  "bedrock-claude-v3-haiku": { modelId: "anthropic.claude-3-haiku-20240307-v1:0" },
  "anthropic.claude-sonnet-4-5-20250929-v1:0": { modelId: "anthropic.claude-sonnet-4-5-20250929-v1:0", ...PROFILE_ONLY, ...LONG },
  "anthropic.claude-haiku-4-5-20251001-v1:0": { modelId: "anthropic.claude-haiku-4-5-20251001-v1:0", ...PROFILE_ONLY, ...LONG },
  "anthropic.claude-opus-4-1-20250805-v1:0": { modelId: "anthropic.claude-opus-4-1-20250805-v1:0", ...PROFILE_ONLY, ...LONG },
  "anthropic.claude-sonnet-4-20250514-v1:0": { modelId: "anthropic.claude-sonnet-4-20250514-v1:0", ...PROFILE_ONLY, ...LONG },
  "anthropic.claude-3-7-sonnet-20250219-v1:0": { modelId: "anthropic.claude-3-7-sonnet-20250219-v1:0", ...PROFILE_ONLY },
  "anthropic.claude-3-5-haiku-20241022-v1:0": { modelId: "anthropic.claude-3-5-haiku-20241022-v1:0", ...PROFILE_ONLY },
};

// Cross-region inference profiles are named by geography; the prefixes Bedrock uses.
const PROFILE_PREFIX = /^(?:us|eu|apac|us-gov|jp|au|ca|global)\./;

/**
 * The inference-profile geography for a region (`us-east-1` -> `us`, `eu-west-1` -> `eu`,
 * `ap-southeast-2` -> `apac`), or undefined for a region Bedrock has no profiles for.
 */
export function inferenceProfileGeo(region: string): string | undefined {
  if (region.startsWith("us-gov-")) return "us-gov";
  if (region.startsWith("us-") || region.startsWith("ca-")) return "us";
  if (region.startsWith("eu-")) return "eu";
  if (region.startsWith("ap-")) return "apac";
  return undefined;
}

export type ResolvedModel = { readonly ok: true; readonly modelId: string; readonly via: string; readonly maxTokens: number } | { readonly ok: false; readonly reason: string };

/**
 * What to invoke for a model name, in a region: the table's entry (or the name itself when the
 * table has none), through the region's inference profile when the entry needs one.
 */
export function resolveBedrockModel(name: string, table: ModelTable, region: string | undefined): ResolvedModel {
  const entry = Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  const modelId = entry?.modelId ?? name;
  const via = entry ? `graft.models["${name}"]` : "the model id as written";
  const maxTokens = entry?.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!entry?.inferenceProfile || PROFILE_PREFIX.test(modelId)) return { ok: true, modelId, via, maxTokens };
  const geo = region === undefined ? undefined : inferenceProfileGeo(region);
  if (geo === undefined) {
    return {
      ok: false,
      reason: `${name} is served only through an inference profile, and ${region === undefined ? "no AWS region is set" : `region ${region} has no known inference-profile geography`}; set AWS_REGION (or aws.region), or map ${name} in graft.models to an inference-profile id such as us.${modelId}`,
    };
  }
  return { ok: true, modelId: `${geo}.${modelId}`, via: `${via}, through the ${geo} inference profile`, maxTokens };
}
