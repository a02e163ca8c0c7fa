/**
 * Runs the generator for one document: the configured argv (with `{prompt}`, `{output}`,
 * `{stage}` and `{model}` replaced) through execa, in the repository root, with the caller's
 * environment — which is where the AWS credentials come from (the workflow's
 * aws-actions/configure-aws-credentials step exports them) — plus GRAFT_MODEL / LLM_MODEL and
 * AWS_REGION. Failures are classified (./failures) and retried only when transient. A success
 * must leave the document with a Graft signature line; its generation record is then written to
 * graft.lock.json.
 *
 * Generations are serialised (./mutex). This module is what the Graft dynamic provider captures,
 * so it stays small: no YAML, no globbing, no Pulumi.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { classifyGenerationFailure, DEFAULT_RETRY_POLICY, retryDecision, type GenerationFailure, type GenerationFailureCategory, type RetryPolicy } from "./failures";
import { sha256File } from "./hashing";
import { withGenerationLock, type LockOptions } from "./mutex";
import { writeRecord } from "./record";
import { instructionsDigest, sha256Hex, splitSignedDocument } from "./text";

export interface GenerateRequest {
  /** Repository root (absolute). */
  readonly root: string;
  readonly prompt: string;
  readonly output: string;
  readonly stage: string;
  readonly model: string;
  /** The prompt's front-matter deps, recorded with their hashes after a success. */
  readonly deps: readonly string[];
  /** The generator argv with placeholders. */
  readonly command: readonly string[];
  /** How long one attempt may run before it counts as a read timeout. */
  readonly timeoutMs: number;
  readonly retry?: RetryPolicy;
  /** Exported as AWS_REGION / AWS_DEFAULT_REGION when the environment sets neither. */
  readonly awsRegion?: string;
  /** Models the stack may invoke, named when a model is not found. */
  readonly availableModels?: readonly string[];
  /** The generator's environment. Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Progress lines (retries). */
  readonly log?: (line: string) => void;
  readonly lock?: LockOptions;
}

export interface GenerateResult {
  readonly output: string;
  /** SHA-256 of the whole document after generation. */
  readonly outputSha256: string;
  /** The document's signature line. */
  readonly signature: string;
  /** The model the generator was asked to use. */
  readonly model: string;
  readonly durationMs: number;
  readonly attempts: number;
  /** False when the document was adopted as it was, without running the generator. */
  readonly generated: boolean;
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
  const argv = expandCommand(req.command, req);
  const env = generatorEnv(req);
  // Required here, by name: Pulumi's closure serializer would turn an import of execa into a
  // require of its file path (execa/index.js), which execa's package exports do not allow.
  const { execa } = require("execa") as typeof import("execa");
  const history: GenerationFailureCategory[] = [];
  let timeoutMs = req.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const res = await execa(argv[0], argv.slice(1), { cwd: req.root, env, extendEnv: false, timeout: timeoutMs, reject: false, all: true, stdin: "ignore", forceKillAfterDelay: 1000, maxBuffer: 16 * 1024 * 1024 });
    const output = String(res.all ?? "").slice(-MAX_CAPTURED_OUTPUT);
    let failure: GenerationFailure;
    if ((res as { code?: string }).code === "ENOENT") {
      failure = {
        category: "unknown",
        retryable: false,
        reason: `the generator command ${argv[0]} was not found (PATH=${env.PATH ?? ""})`,
        fix: `Install it, or set graft.generatorCommand, e.g. ["dvc", "repro", "--single-item", "{stage}"].`,
      };
    } else if (res.exitCode === 0 && !res.timedOut) {
      const written = readOutput(req.root, req.output);
      if (typeof written !== "string") {
        writeRecord(req.root, req.output, { prompt: req.prompt, model: req.model, instructionsSha256, deps, outputSha256: written.sha256 });
        return { output: req.output, outputSha256: written.sha256, signature: written.signature, model: req.model, durationMs: Date.now() - started, attempts: attempt, generated: true };
      }
      failure = classifyGenerationFailure(output, { model: req.model, invalidOutput: written });
    } else {
      failure = classifyGenerationFailure(output, {
        model: req.model,
        region: req.awsRegion,
        availableModels: req.availableModels,
        timedOut: res.timedOut,
        timeoutSeconds: Math.round(timeoutMs / 100) / 10,
        env,
        exitCode: res.exitCode,
      });
    }
    history.push(failure.category);
    const decision = retryDecision(failure, history, policy);
    if (!decision.retry) throw new GenerationError(req.output, failure, attempt, output);
    req.log?.(`${req.output}: ${failure.reason}; retrying in ${decision.delayMs} ms (attempt ${attempt + 1})`);
    await sleep(decision.delayMs);
    timeoutMs = req.timeoutMs * decision.timeoutFactor;
  }
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
    durationMs: 0,
    attempts: 0,
    generated: false,
  };
}
