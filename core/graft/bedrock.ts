/**
 * The built-in generator's one call to the model: Amazon Bedrock's Converse API through the AWS
 * SDK for JavaScript v3, with the SDK's standard configuration — credentials from the default
 * provider chain (environment keys, web identity / the OIDC role a workflow assumed, profiles,
 * container and instance roles), the region from the request or AWS_REGION, and the endpoint
 * from AWS_ENDPOINT_URL_BEDROCK_RUNTIME / AWS_ENDPOINT_URL when set (the stand-in Bedrock in
 * tests and the sandbox).
 *
 * The prompt pack goes as the single user message, as Graft's `llm -m MODEL < PACK` sends it.
 * The SDK's own retries are off (maxAttempts 1): retries are decided once, by ./failures.
 *
 * The SDK is required by name at call time: the Graft dynamic provider captures this module and
 * Pulumi's closure serializer must not try to carry the SDK.
 */

export interface ConverseRequest {
  /** The model or inference-profile id to invoke. */
  readonly modelId: string;
  /** The prompt pack. */
  readonly text: string;
  /** AWS region; the SDK's own resolution (AWS_REGION, profile) applies when undefined. */
  readonly region: string | undefined;
  /** Abort the call after this long (reported as a timeout). */
  readonly timeoutMs: number;
  /** Most tokens the model may write. */
  readonly maxTokens: number;
  /** The environment the SDK's standard variables are read from (see {@link bedrockClientConfig}). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The client configuration, from the SDK's standard variables in `env` (so a caller's environment
 * is honoured, not only process.env): the endpoint from AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else
 * AWS_ENDPOINT_URL; access keys (with AWS_SESSION_TOKEN) when AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY are set — the first link of the default chain; otherwise the SDK's default
 * provider chain (web identity, profiles, container and instance roles).
 */
export function bedrockClientConfig(region: string | undefined, env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const config: Record<string, unknown> = { maxAttempts: 1 };
  if (region) config.region = region;
  const endpoint = env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME || env.AWS_ENDPOINT_URL;
  if (endpoint) config.endpoint = endpoint;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  return config;
}

export type ConverseOutcome =
  | { readonly ok: true; readonly text: string; readonly stopReason: string | undefined }
  | { readonly ok: false; readonly timedOut: boolean; /** The error as `Name: message`, for ./failures. */ readonly error: string };

/** The text of a Converse response, or undefined when it carries none (a malformed answer). */
export function converseText(response: unknown): string | undefined {
  const content = (response as { output?: { message?: { content?: unknown } } } | undefined)?.output?.message?.content;
  if (!Array.isArray(content)) return undefined;
  const texts = content.map((block) => (block as { text?: unknown })?.text).filter((t): t is string => typeof t === "string");
  return texts.length === 0 ? undefined : texts.join("");
}

/** One Converse call; never throws. */
export async function converse(req: ConverseRequest): Promise<ConverseOutcome> {
  const sdk = require("@aws-sdk/client-bedrock-runtime") as typeof import("@aws-sdk/client-bedrock-runtime");
  const client = new sdk.BedrockRuntimeClient(bedrockClientConfig(req.region, req.env));
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, req.timeoutMs);
  try {
    const response = await client.send(
      new sdk.ConverseCommand({
        modelId: req.modelId,
        messages: [{ role: "user", content: [{ text: req.text }] }],
        inferenceConfig: { maxTokens: req.maxTokens },
      }),
      { abortSignal: abort.signal },
    );
    const text = converseText(response);
    if (text === undefined) return { ok: false, timedOut: false, error: "MalformedResponse: the Converse response has no output.message.content text" };
    return { ok: true, text, stopReason: response.stopReason };
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    return { ok: false, timedOut, error: `${e.name ?? "Error"}: ${e.message ?? String(err)}${status ? ` (HTTP ${status})` : ""}` };
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}
