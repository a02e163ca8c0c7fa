/**
 * GraftDocs: the repository's Graft documents as Pulumi resources. It discovers the prompt files
 * (graft.promptGlobs), validates them all before creating anything, works out from content which
 * documents are stale and why, and registers one GraftDocument per document. `pulumi preview`
 * therefore shows exactly the stale documents as updates (the reason is logged against each);
 * `pulumi up` regenerates them, upstream documents first, one at a time.
 */
import * as path from "node:path";
import { statSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { GraftConfig } from "../../core/config";
import { DEFAULT_RETRY_POLICY } from "../../core/graft/failures";
import { computeStatus, type DocumentStatus, type GraftStatus } from "../../core/graft/staleness";
import type { GraftDocumentInputs } from "../../core/graft/document-resource";
import { GraftDocument } from "../../providers/graft/provider";

export interface GraftDocsArgs {
  /**
   * The repository root the prompt globs and every path are relative to; absolute, or relative
   * to the Pulumi program's working directory. Must be an existing directory. Defaults to ".".
   */
  readonly rootDir?: string;
  /** The stack's `graft` configuration: prompt globs, generator (built-in Bedrock, or an argv), model table, default model, timeout. */
  readonly config: GraftConfig;
  /**
   * AWS region the generator invokes Bedrock in; exported as AWS_REGION when the environment has
   * none, and named in error messages. Defaults to the environment's AWS_REGION.
   */
  readonly awsRegion?: string;
  /**
   * Bedrock model ids the stack may invoke (aws.bedrockModelIds), named when a model is not
   * found. Defaults to [config.defaultModel].
   */
  readonly availableModels?: readonly string[];
  /**
   * Delays in milliseconds before each retry of a throttled generation; the list's length is the
   * number of retries (0-10 entries, each 0-600000). Defaults to [5000, 15000, 45000].
   */
  readonly throttleDelaysMs?: readonly number[];
  /** Use the on-disk hash cache under `.graft/cache/`. Defaults to true. */
  readonly hashCache?: boolean;
}

/** Per document, after create/update. */
export interface GraftDocumentSummary {
  readonly prompt: string;
  readonly outputSha256: string;
  readonly signature: string;
  readonly model: string;
  readonly durationMs: number;
}

/** Every problem with the arguments (empty when they are valid). Pure apart from one stat of rootDir. */
export function graftDocsArgsProblems(args: GraftDocsArgs, cwd: string = process.cwd()): string[] {
  const problems: string[] = [];
  const root = path.resolve(cwd, args.rootDir ?? ".");
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) problems.push(`[rootDir] must be an existing directory; received "${args.rootDir ?? "."}" (resolved to ${root}). Point it at the repository root.`);
  if (args.config.promptGlobs.length === 0) problems.push("[config.promptGlobs] must list at least one glob; received []. Use e.g. [\"**/*.prompt.md\"].");
  if (args.config.generatorCommand.length > 0 && args.config.generatorCommand[0].trim() === "") {
    problems.push(`[config.generatorCommand] must start with an executable, or be empty for the built-in Bedrock generator; received ${JSON.stringify(args.config.generatorCommand)}.`);
  }
  if (!(args.config.timeoutSeconds > 0)) problems.push(`[config.timeoutSeconds] must be a positive number of seconds; received ${args.config.timeoutSeconds}.`);
  const delays = args.throttleDelaysMs;
  if (delays !== undefined && (delays.length > 10 || delays.some((d) => !Number.isFinite(d) || d < 0 || d > 600_000))) {
    problems.push(`[throttleDelaysMs] must hold at most 10 delays of 0-600000 ms each; received ${JSON.stringify(delays)}.`);
  }
  if (args.availableModels !== undefined && args.availableModels.length === 0) problems.push("[availableModels] must not be empty when given; pass aws.bedrockModelIds or leave it unset.");
  return problems;
}

/** Throws one error listing every problem with the arguments. */
export function validateGraftDocsArgs(args: GraftDocsArgs, cwd: string = process.cwd()): void {
  const problems = graftDocsArgsProblems(args, cwd);
  if (problems.length > 0) throw new Error(`GraftDocs arguments have ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/** The child resource's name: the component's name and the document's path. */
export function graftDocumentResourceName(componentName: string, output: string): string {
  return `${componentName}/${output}`;
}

/** The inputs of one document's resource. */
export function graftDocumentInputs(doc: DocumentStatus, args: GraftDocsArgs, rootDir: string): GraftDocumentInputs {
  return {
    root: rootDir,
    prompt: doc.prompt,
    output: doc.output,
    stage: doc.stage,
    model: doc.model,
    instructionsSha256: doc.inputs.instructionsSha256,
    deps: doc.inputs.deps,
    currentOutputSha256: doc.inputs.outputSha256,
    staleReasons: doc.messages,
    generator: {
      command: args.config.generatorCommand,
      models: args.config.models,
      timeoutSeconds: args.config.timeoutSeconds,
      // Bedrock's throttling recovers over tens of seconds; these match Graft's documented backoff.
      throttleDelaysMs: args.throttleDelaysMs ?? DEFAULT_RETRY_POLICY.throttleDelaysMs,
      ...(args.awsRegion !== undefined ? { awsRegion: args.awsRegion } : {}),
      availableModels: args.availableModels ?? [args.config.defaultModel],
    },
  };
}

export class GraftDocs extends pulumi.ComponentResource {
  /** Per generated document path: its hash, signature line, model and last generation's duration. */
  readonly documents: pulumi.Output<Record<string, GraftDocumentSummary>>;
  /** The documents this run regenerates (stale when the program ran), in generation order. */
  readonly staleDocuments: pulumi.Output<string[]>;
  /** The staleness report the resources were planned from. */
  readonly status: GraftStatus;
  /** The document resources, by generated document path. */
  readonly documentResources: ReadonlyMap<string, GraftDocument>;

  constructor(name: string, args: GraftDocsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delivery:graft:GraftDocs", name, {}, opts);
    const rootDir = args.rootDir ?? ".";
    try {
      validateGraftDocsArgs(args);
      this.status = computeStatus(path.resolve(rootDir), args.config, { cache: args.hashCache ?? true });
    } catch (err) {
      // Invalid arguments, prompts (GraftValidationError), dvc.yaml or graft.lock.json: every
      // problem is in the message, and no document resource exists yet.
      throw new pulumi.ResourceError(err instanceof Error ? err.message : String(err), this);
    }
    for (const warning of [...this.status.outOfStep, ...this.status.warnings]) pulumi.log.warn(warning, this);

    const children = new Map<string, GraftDocument>();
    for (const doc of this.status.documents) {
      const upstream = doc.upstream.map((u) => children.get(u)).filter((c): c is GraftDocument => c !== undefined);
      const child = new GraftDocument(graftDocumentResourceName(name, doc.output), graftDocumentInputs(doc, args, rootDir), { parent: this, dependsOn: upstream });
      children.set(doc.output, child);
      if (doc.stale) pulumi.log.info(`${doc.output} is stale: ${doc.messages.join("; ")}`, child);
    }

    this.documentResources = children;
    const entries = [...children].map(([output, child]) =>
      pulumi.all([child.prompt, child.outputSha256, child.signature, child.model, child.durationMs]).apply(([prompt, outputSha256, signature, model, durationMs]) => [output, { prompt, outputSha256, signature, model, durationMs }] as const),
    );
    this.documents = pulumi.all(entries).apply((pairs) => Object.fromEntries(pairs));
    this.staleDocuments = pulumi.output(this.status.documents.filter((d) => d.stale).map((d) => d.output));
    this.registerOutputs({ documents: this.documents, staleDocuments: this.staleDocuments });
  }
}
