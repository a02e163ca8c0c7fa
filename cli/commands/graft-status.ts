/**
 * `delivery graft-status [--root DIR] [--json] [--check]`: which Graft documents are stale and
 * why, from content alone — no credentials, no generator, no Pulumi. `--check` exits 1 when any
 * document is stale (for the PR validation job). The same core/graft staleness the GraftDocs
 * component plans its preview from.
 */
import * as path from "node:path";
import type { Command } from "commander";
import type { GraftConfig } from "../../core/config";
import { GRAFT_DEFAULTS } from "../../core/defaults";
import { DvcFileError } from "../../core/graft/dvc";
import { GraftValidationError } from "../../core/graft/project";
import { RecordFileError } from "../../core/graft/record";
import { computeStatus, formatStatus, type GraftStatus } from "../../core/graft/staleness";
import { CliError, type CliIo } from "../io";

export interface GraftCliOptions {
  readonly root?: string;
  readonly stack?: string;
  readonly cache?: boolean;
}

export interface ResolvedGraftOptions {
  readonly root: string;
  readonly config: GraftConfig;
  readonly awsRegion: string | undefined;
  readonly availableModels: readonly string[];
}

/** The repository root and graft config: from `--stack NAME`'s stack file, else the schema defaults. */
export function resolveGraftOptions(io: CliIo, opts: GraftCliOptions): ResolvedGraftOptions {
  const root = path.resolve(io.cwd, opts.root ?? ".");
  if (opts.stack !== undefined) {
    // Loaded only here: the config schema (zod) and the YAML parser take longer to load than a status takes.
    const { loadStack } = require("./config") as typeof import("./config");
    const stack = loadStack({ ...io, cwd: root }, opts.stack);
    return { root, config: stack.graft, awsRegion: stack.aws.region, availableModels: stack.aws.bedrockModelIds };
  }
  const config: GraftConfig = { ...GRAFT_DEFAULTS, promptGlobs: [...GRAFT_DEFAULTS.promptGlobs], generatorCommand: [...GRAFT_DEFAULTS.generatorCommand], models: { ...GRAFT_DEFAULTS.models } };
  return { root, config, awsRegion: io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION, availableModels: [config.defaultModel] };
}

/**
 * Runs the staleness check, turning bad input into CliErrors. `missingDeps`: "report" lists a
 * deleted dep per document (status), "fail" rejects it before anything is generated.
 */
export function graftStatusOrFail(root: string, config: GraftConfig, cache: boolean, missingDeps: "fail" | "report"): GraftStatus {
  try {
    return computeStatus(root, config, { cache, missingDeps });
  } catch (err) {
    if (err instanceof GraftValidationError || err instanceof DvcFileError || err instanceof RecordFileError) throw new CliError(err.message);
    throw err;
  }
}

/** The JSON `graft-status --json` prints. */
export function graftStatusJson(status: GraftStatus): unknown {
  return {
    root: status.root,
    stale: status.documents.filter((d) => d.stale).map((d) => d.output),
    documents: status.documents.map((d) => ({
      output: d.output,
      prompt: d.prompt,
      stage: d.stage,
      model: d.model,
      stale: d.stale,
      reasons: d.messages,
      details: d.reasons,
      baseline: d.baseline,
      inputs: d.inputs,
      upstream: d.upstream,
      dvc: d.dvc,
    })),
    dvc: status.dvc,
    outOfStep: status.outOfStep,
    warnings: status.warnings,
    stats: status.stats,
  };
}

export function registerGraftStatus(program: Command, io: CliIo): void {
  program
    .command("graft-status")
    .description("list the stale Graft documents and why (content hashes; agrees with `dvc status`); needs no credentials")
    .option("--root <dir>", "repository root", ".")
    .option("--stack <name>", "read the graft config from Pulumi.<name>.yaml (default: the config defaults)")
    .option("--json", "print one JSON object")
    .option("--check", "exit 1 when any document is stale or dvc.yaml is out of step with the prompts")
    .option("--no-cache", "ignore and do not write the hash cache in .graft/cache")
    .action((opts: { root: string; stack?: string; json?: boolean; check?: boolean; cache: boolean }) => {
      const resolved = resolveGraftOptions(io, opts);
      const status = graftStatusOrFail(resolved.root, resolved.config, opts.cache, "report");
      io.stdout(opts.json ? `${JSON.stringify(graftStatusJson(status), null, 2)}\n` : formatStatus(status));
      const stale = status.documents.filter((d) => d.stale).length;
      if (!opts.check) return;
      const failures = [
        stale > 0 ? `${stale} Graft document${stale === 1 ? " is" : "s are"} stale; regenerate with \`pulumi up\` or \`delivery graft-generate\` and commit the result` : "",
        status.outOfStep.length > 0 ? "dvc.yaml is out of step with the prompts; run `delivery graft-sync` and commit dvc.yaml" : "",
      ].filter(Boolean);
      if (failures.length > 0) throw new CliError(failures.join("; "), 1);
    });
}
