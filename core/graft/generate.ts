/**
 * Generates one document, with the built-in Bedrock generator (the default) or a configured
 * command:
 *
 * - built-in (`command` empty): the prompt pack (./pack, as Graft's pack_prompt.py builds it) is
 *   sent to Bedrock's Converse API through the AWS SDK (./bedrock), with the model resolved through
 *   the `graft.models` table (./models); the answer is written with Graft's signature line
 *   (`sig` = SHA-256 of the pack), as Graft's render_llm.sh writes it;
 * - command: the configured argv (with `{prompt}`, `{output}`, `{stage}` and `{model}` replaced)
 *   through execa in the repository root, with the caller's environment plus GRAFT_MODEL /
 *   LLM_MODEL and AWS_REGION; it must leave the document with a signature line.
 *
 * Failures are classified (./failures) and retried only when transient. After a success the
 * generation record goes to graft.lock.json and the dvc.yaml stage writing the document (if any)
 * to dvc.lock (./dvc-lock), so `graft-status` and `dvc status` both see the document as current.
 *
 * Generations are serialised (./mutex). This module is what the Graft dynamic provider captures,
 * so it stays small: no globbing, no Pulumi; the SDK and execa are required by name when used.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { converse } from "./bedrock";
import { updateDvcLock, type DvcLockUpdate } from "./dvc-lock";
import { classifyGenerationFailure, DEFAULT_RETRY_POLICY, retryDecision, type GenerationFailure, type GenerationFailureCategory, type RetryPolicy } from "./failures";
import { sha256File } from "./hashing";
import { resolveBedrockModel, type ModelTable } from "./models";
import { withGenerationLock, type LockOptions } from "./mutex";
import { buildPromptPack, gitRevision, readPackSources } from "./pack";
import { writeRecord } from "./record";
import { instructionsDigest, parseSignatureLine, renderSignedDocument, sha256Hex, splitSignedDocument } from "./text";

export interface GenerateRequest {
  /** Repository root (absolute). */
  readonly root: string;
  readonly prompt: string;
  readonly output: string;
  readonly stage: string;
  /** The model as the prompt (or graft.defaultModel) names it. */
  readonly model: string;
  /** The prompt's front-matter deps, recorded with their hashes after a success. */
  readonly deps: readonly string[];
  /** The generator argv with placeholders; empty for the built-in Bedrock generator. */
  readonly command: readonly string[];
  /** Model names to what Bedrock invokes (graft.models); used by the built-in generator. */
  readonly models: ModelTable;
  /** How long one attempt may run before it counts as a read timeout. */
  readonly timeoutMs: number;
  readonly retry?: RetryPolicy;
  /** Exported as AWS_REGION / AWS_DEFAULT_REGION when the environment sets neither. */
  readonly awsRegion?: string;
  /** Models the stack may invoke, named when a model is not found. */
  readonly availableModels?: readonly string[];
  /** The generator's environment (credentials, region, endpoint). Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Progress lines (retries). */
  readonly log?: (line: string) => void;
  readonly lock?: LockOptions;
  /** The clock for the signature's date. Defaults to the system clock. */
  readonly now?: () => Date;
}

export interface GenerateResult {
  readonly output: string;
  /** SHA-256 of the whole document after generation. */
  readonly outputSha256: string;
  /** The document's signature line. */
  readonly signature: string;
  /** The model really called: the Bedrock id or profile invoked, or the one the command's signature names. */
  readonly model: string;
  /** The model as the prompt named it. */
  readonly requestedModel: string;
  readonly durationMs: number;
  readonly attempts: number;
  /** False when the document was adopted as it was, without running the generator. */
  readonly generated: boolean;
  /** What happened to dvc.lock (undefined when nothing was generated). */
  readonly dvcLock?: DvcLockUpdate;
}

export class GenerationError extends Error {
  constructor(
    readonly output: string,
    readonly failure: GenerationFailure,
    readonly attempts: number,
    readonly generatorOutput: string,
  ) {
    super(`${output} was not generated (${attempts} attempt${attempts === 1 ? "" : "s"}): ${failure.reason}. ${failure.fix}`);
    this.name = "GenerationError";
  }
}

/** Replaces `{prompt}`, `{output}`, `{stage}` and `{model}` in every argument. */
export function expandCommand(command: readonly string[], values: { readonly prompt: string; readonly output: string; readonly stage: string; readonly model: string }): string[] {
  return command.map((arg) => arg.replace(/\{(prompt|output|stage|model)\}/g, (_, key: keyof typeof values) => values[key]));
}

/** The generator's environment: the caller's, plus the model and region. */
export function generatorEnv(req: Pick<GenerateRequest, "env" | "model" | "awsRegion">): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.env ?? process.env)) if (v !== undefined) env[k] = v;
  env.GRAFT_MODEL = req.model;
  // Graft's render_llm.sh reads LLM_MODEL as its default model.
  env.LLM_MODEL = req.model;
  if (req.awsRegion && !env.AWS_REGION && !env.AWS_DEFAULT_REGION) {
    env.AWS_REGION = req.awsRegion;
    env.AWS_DEFAULT_REGION = req.awsRegion;
  }
  return env;
}

/** Generates one document, one generation at a time across the process and the repository. */
export function generateDocument(req: GenerateRequest): Promise<GenerateResult> {
  return withGenerationLock(req.root, () => runGenerator(req), req.lock);
}

const MAX_CAPTURED_OUTPUT = 64 * 1024;

type AttemptResult = { readonly ok: true; readonly modelCalled: string } | { readonly ok: false; readonly failure: GenerationFailure; readonly output: string };
type Attempt = (timeoutMs: number) => Promise<AttemptResult>;

async function runGenerator(req: GenerateRequest): Promise<GenerateResult> {
  const started = Date.now();
  const policy = req.retry ?? DEFAULT_RETRY_POLICY;
  const sleep = req.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // Hash the inputs before the generator reads them: the record must describe what it was given.
  const instructionsSha256 = instructionsDigest(readFileSync(path.join(req.root, req.prompt), "utf8"));
  const deps: Record<string, string> = {};
  for (const dep of req.deps) {
    const hash = sha256File(path.join(req.root, dep));
    if (hash === undefined) {
      throw new GenerationError(req.output, { category: "unknown", retryable: false, reason: `its dependency ${dep} does not exist`, fix: `Create ${dep} or remove it from the deps of ${req.prompt}.` }, 0, "");
    }
    deps[dep] = hash;
  }
  const attempt = req.command.length === 0 ? bedrockAttempt(req) : commandAttempt(req);
  const history: GenerationFailureCategory[] = [];
  let timeoutMs = req.timeoutMs;
  for (let n = 1; ; n++) {
    const result = await attempt(timeoutMs);
    if (result.ok) {
      const written = readOutput(req.root, req.output);
      if (typeof written === "string") throw new GenerationError(req.output, classifyGenerationFailure("", { model: req.model, invalidOutput: written }), n, "");
      writeRecord(req.root, req.output, { prompt: req.prompt, model: req.model, modelCalled: result.modelCalled, instructionsSha256, deps, outputSha256: written.sha256, signature: written.signature });
      const dvcLock = updateDvcLock(req.root, req.output);
      if (dvcLock.kind === "skipped") req.log?.(`${req.output}: dvc.lock not updated: ${dvcLock.reason}`);
      return { output: req.output, outputSha256: written.sha256, signature: written.signature, model: result.modelCalled, requestedModel: req.model, durationMs: Date.now() - started, attempts: n, generated: true, dvcLock };
    }
    history.push(result.failure.category);
    const decision = retryDecision(result.failure, history, policy);
    if (!decision.retry) throw new GenerationError(req.output, result.failure, n, result.output);
    req.log?.(`${req.output}: ${result.failure.reason}; retrying in ${decision.delayMs} ms (attempt ${n + 1})`);
    await sleep(decision.delayMs);
    timeoutMs = req.timeoutMs * decision.timeoutFactor;
  }
}

/** One run of the configured generator command. */
function commandAttempt(req: GenerateRequest): Attempt {
  const argv = expandCommand(req.command, req);
  const env = generatorEnv(req);
  return async (timeoutMs) => {
    // Required here, by name: Pulumi's closure serializer would turn an import of execa into a
    // require of its file path (execa/index.js), which execa's package exports do not allow.
    const { execa } = require("execa") as typeof import("execa");
    const res = await execa(argv[0], argv.slice(1), { cwd: req.root, env, extendEnv: false, timeout: timeoutMs, reject: false, all: true, stdin: "ignore", forceKillAfterDelay: 1000, maxBuffer: 16 * 1024 * 1024 });
    const output = String(res.all ?? "").slice(-MAX_CAPTURED_OUTPUT);
    if ((res as { code?: string }).code === "ENOENT") {
      const failure: GenerationFailure = {
        category: "unknown",
        retryable: false,
        reason: `the generator command ${argv[0]} was not found (PATH=${env.PATH ?? ""})`,
        fix: `Install it, or leave graft.generatorCommand unset to use the built-in Bedrock generator.`,
      };
      return { ok: false, failure, output };
    }
    if (res.exitCode === 0 && !res.timedOut) {
      const written = readOutput(req.root, req.output);
      if (typeof written !== "string") return { ok: true, modelCalled: parseSignatureLine(written.signature)?.model ?? req.model };
      return { ok: false, failure: classifyGenerationFailure(output, { model: req.model, invalidOutput: written }), output };
    }
    const failure = classifyGenerationFailure(output, {
      model: req.model,
      region: req.awsRegion,
      availableModels: req.availableModels,
      timedOut: res.timedOut,
      timeoutSeconds: Math.round(timeoutMs / 100) / 10,
      env,
      exitCode: res.exitCode,
    });
    return { ok: false, failure, output };
  };
}

/**
 * One call of the built-in generator: the pack and the model are worked out once, before the
 * first attempt (the inputs do not change between retries).
 */
function bedrockAttempt(req: GenerateRequest): Attempt {
  const env = req.env ?? process.env;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || req.awsRegion;
  type Prepared = { modelId: string; maxTokens: number; pack: string; rev: string };
  let prepared: Prepared | GenerationFailure | undefined;
  const prepare = (): Prepared | GenerationFailure => {
    const resolved = resolveBedrockModel(req.model, req.models, region);
    if (!resolved.ok) return { category: "model-not-found", retryable: false, reason: resolved.reason, fix: "Map the model to an inference-profile id in graft.models, or set the region." };
    const pack = buildPromptPack(readPackSources(req.root, req.prompt, req.output, req.deps));
    return { modelId: resolved.modelId, maxTokens: resolved.maxTokens, pack: pack.text, rev: gitRevision(req.root) };
  };
  return async (timeoutMs) => {
    prepared ??= prepare();
    if ("category" in prepared) return { ok: false, failure: prepared, output: "" };
    const { modelId, maxTokens, pack, rev } = prepared;
    const answer = await converse({ modelId, text: pack, region, timeoutMs, maxTokens, env });
    if (!answer.ok) {
      const failure = classifyGenerationFailure(answer.error, {
        model: modelId,
        region,
        availableModels: req.availableModels,
        timedOut: answer.timedOut,
        timeoutSeconds: Math.round(timeoutMs / 100) / 10,
        env,
      });
      return { ok: false, failure, output: answer.error };
    }
    if (answer.stopReason === "max_tokens") {
      const why = `Bedrock stopped ${modelId} at its output limit (${maxTokens} tokens, graft.models["${req.model}"].maxTokens), so the document would be cut short; nothing was written`;
      return { ok: false, failure: classifyGenerationFailure("", { model: modelId, invalidOutput: why }), output: "" };
    }
    const date = (req.now?.() ?? new Date()).toISOString().slice(0, 10);
    const document = renderSignedDocument(answer.text, { model: req.model, sig: sha256Hex(pack), rev, date });
    writeAtomically(path.join(req.root, req.output), document);
    return { ok: true, modelCalled: modelId };
  };
}

function writeAtomically(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/** The document's hash and signature line, or why it cannot be used. */
function readOutput(root: string, output: string): { sha256: string; signature: string } | string {
  let content: Buffer;
  try {
    content = readFileSync(path.join(root, output));
  } catch {
    return `${output} does not exist`;
  }
  const doc = splitSignedDocument(content);
  if (!doc.signature) return `${output} has no Graft signature line`;
  return { sha256: sha256Hex(content), signature: doc.signatureLine! };
}

/** The document as it is, without generating (for documents that are already up to date). */
export function adoptDocument(root: string, output: string, model: string): GenerateResult {
  const written = readOutput(root, output);
  return {
    output,
    outputSha256: typeof written === "string" ? "missing" : written.sha256,
    signature: typeof written === "string" ? "" : written.signature,
    model,
    requestedModel: model,
    durationMs: 0,
    attempts: 0,
    generated: false,
  };
}
