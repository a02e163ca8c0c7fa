/**
 * What one Graft document looks like as a Pulumi dynamic resource, without Pulumi: its inputs
 * (the content hashes and the staleness verdict computed when the program ran), the diff
 * (changes exactly when the document is stale) and create/update (generate when stale, adopt the
 * document as it is otherwise). providers/graft/ is a thin adapter over these functions.
 */
import * as path from "node:path";
import { DEFAULT_RETRY_POLICY } from "./failures";
import { adoptDocument, generateDocument, type GenerateResult } from "./generate";
import type { ModelTable } from "./models";

export interface GraftGeneratorSettings {
  /** The generator argv with `{prompt}`, `{output}`, `{stage}`, `{model}` placeholders; empty for the built-in Bedrock generator. */
  readonly command: readonly string[];
  /** Model names to what Bedrock invokes (graft.models). */
  readonly models: ModelTable;
  readonly timeoutSeconds: number;
  /** Backoff before each retry of a throttled generation. */
  readonly throttleDelaysMs: readonly number[];
  readonly awsRegion?: string;
  readonly availableModels: readonly string[];
}

/** The inputs of one document resource. Every field is plain data. */
export interface GraftDocumentInputs {
  /** Repository root, relative to the Pulumi program's working directory (or absolute). */
  readonly root: string;
  readonly prompt: string;
  readonly output: string;
  readonly stage: string;
  readonly model: string;
  /** SHA-256 of the prompt's instructions. */
  readonly instructionsSha256: string;
  /** SHA-256 of each front-matter dep ("missing" for a dep another document generates first). */
  readonly deps: Readonly<Record<string, string>>;
  /** SHA-256 of the document as it is now ("missing" when absent). */
  readonly currentOutputSha256: string;
  /** Why the document is stale; empty when it is up to date. */
  readonly staleReasons: readonly string[];
  readonly generator: GraftGeneratorSettings;
}

/** The state of one document resource after create/update. */
export interface GraftDocumentOutputs extends Omit<GraftDocumentInputs, "staleReasons"> {
  /** Empty after create/update, except when generation was deferred: then the reasons it is still stale. */
  readonly staleReasons: readonly string[];
  /** SHA-256 of the generated document. */
  readonly outputSha256: string;
  /** Its signature line. */
  readonly signature: string;
  /** The model really called (the Bedrock id or inference profile invoked, or the one a command's signature names). */
  readonly modelCalled: string;
  readonly durationMs: number;
  readonly attempts: number;
  /** False when the document was already up to date and was adopted without generating, or when generation was deferred. */
  readonly generated: boolean;
  /** Set when the document is stale but this process does not generate it (see `generationDeferral`): why, and who does. */
  readonly deferred?: string;
}

export interface GraftDocumentDiff {
  readonly changes: boolean;
  readonly replaces: string[];
  readonly deleteBeforeReplace: boolean;
}

/**
 * A document changes exactly when it is stale. Hash inputs that moved while the document stayed
 * up to date (it was regenerated outside Pulumi, say) are not a change.
 */
export function diffGraftDocument(_olds: Partial<GraftDocumentOutputs> | undefined, news: GraftDocumentInputs): GraftDocumentDiff {
  return { changes: news.staleReasons.length > 0, replaces: [], deleteBeforeReplace: false };
}

export interface ApplyOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (line: string) => void;
  /** Directory `root` is relative to. Defaults to process.cwd(). */
  readonly cwd?: string;
}

/**
 * Why this process must not generate documents, or undefined when it may. A GitHub Actions runner's
 * checkout dies with the runner, and the deploy job that runs `pulumi up` must not write to the
 * branch: there the docs workflow (docs-generate.yml, the `docs` environment) is the only
 * generator and writer, and the deploy job hands it the stale documents (`delivery docs
 * dispatch-stale`). Everywhere else (a local `pulumi up`, the sandbox) the documents are generated into
 * the working tree, where the person running it commits them.
 */
export function generationDeferral(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return env.GITHUB_ACTIONS === "true" ? "not generated on a GitHub Actions runner (its checkout dies with it); the deploy job asks the docs workflow to regenerate and commit it" : undefined;
}

/** create/update: regenerate a stale document (or defer it, see generationDeferral), adopt an up-to-date one. */
export async function applyGraftDocument(inputs: GraftDocumentInputs, options: ApplyOptions = {}): Promise<GraftDocumentOutputs> {
  const root = path.resolve(options.cwd ?? process.cwd(), inputs.root);
  const deferred = inputs.staleReasons.length > 0 ? generationDeferral(options.env ?? process.env) : undefined;
  let result: GenerateResult;
  if (deferred !== undefined) {
    // The document stays stale, so the next preview still lists it and the docs workflow regenerates it.
    const current = adoptDocument(root, inputs.output, inputs.model);
    options.log?.(`${inputs.output}: ${deferred}`);
    return { ...inputs, outputSha256: inputs.currentOutputSha256, signature: current.signature, modelCalled: "", durationMs: 0, attempts: 0, generated: false, deferred };
  }
  if (inputs.staleReasons.length === 0) {
    result = adoptDocument(root, inputs.output, inputs.model);
  } else {
    result = await generateDocument({
      root,
      prompt: inputs.prompt,
      output: inputs.output,
      stage: inputs.stage,
      model: inputs.model,
      deps: Object.keys(inputs.deps),
      command: inputs.generator.command,
      models: inputs.generator.models,
      timeoutMs: inputs.generator.timeoutSeconds * 1000,
      retry: { ...DEFAULT_RETRY_POLICY, throttleDelaysMs: inputs.generator.throttleDelaysMs },
      awsRegion: inputs.generator.awsRegion,
      availableModels: inputs.generator.availableModels,
      env: options.env,
      sleep: options.sleep,
      log: options.log,
    });
  }
  return {
    ...inputs,
    staleReasons: [],
    outputSha256: result.outputSha256,
    signature: result.signature,
    modelCalled: result.model,
    durationMs: result.durationMs,
    attempts: result.attempts,
    generated: result.generated,
  };
}
