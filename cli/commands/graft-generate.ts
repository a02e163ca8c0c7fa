/**
 * `delivery graft-generate [--root DIR] [--stack NAME] [--only PATH...] [--json]`: regenerates the
 * stale Graft documents one at a time, upstream documents first — the same core/graft generation
 * (generator argv, retries, lock, graft.lock.json record) the Graft dynamic provider runs, for a
 * workflow step that has AWS credentials but no Pulumi.
 */
import type { Command } from "commander";
import { updateDvcLock } from "../../core/graft/dvc-lock";
import { GenerationError, generateDocument, type GenerateResult } from "../../core/graft/generate";
import { withGenerationLock } from "../../core/graft/mutex";
import { CliError, type CliIo } from "../io";
import { graftStatusOrFail, resolveGraftOptions } from "./graft-status";

export function registerGraftGenerate(program: Command, io: CliIo): void {
  program
    .command("graft-generate")
    .description("regenerate the stale Graft documents, one at a time (needs AWS credentials in the environment)")
    .option("--root <dir>", "repository root", ".")
    .option("--stack <name>", "read the graft and aws config from Pulumi.<name>.yaml (default: the config defaults)")
    .option("--only <paths...>", "regenerate only these documents (generated paths), if stale")
    .option("--json", "print one JSON object")
    .action(async (opts: { root: string; stack?: string; only?: string[]; json?: boolean }) => {
      const resolved = resolveGraftOptions(io, opts);
      const status = graftStatusOrFail(resolved.root, resolved.config, true, "fail");
      const known = new Set(status.documents.map((d) => d.output));
      const unknown = (opts.only ?? []).filter((p) => !known.has(p));
      if (unknown.length > 0) throw new CliError(`--only names ${unknown.join(", ")}, which no prompt generates; known documents: ${[...known].join(", ") || "none"}`);
      const targets = status.documents.filter((d) => d.stale && (opts.only === undefined || opts.only.includes(d.output)));
      const results: GenerateResult[] = [];
      for (const doc of targets) {
        if (doc.reasons.every((r) => r.kind === "dvc")) {
          // graft.lock.json shows the document current; only dvc.lock is behind: record it, as `dvc commit` would.
          const update = await withGenerationLock(resolved.root, async () => updateDvcLock(resolved.root, doc.output));
          if (update.kind === "skipped") throw new CliError(`${doc.output} is up to date but dvc.lock could not be updated: ${update.reason}`, 1);
          io.stderr(`${doc.output} is up to date (graft.lock.json); dvc.lock stage ${doc.dvc?.stage ?? doc.stage} recorded without regenerating\n`);
          continue;
        }
        io.stderr(`generating ${doc.output}: ${doc.messages.join("; ")}\n`);
        try {
          results.push(
            await generateDocument({
              root: resolved.root,
              prompt: doc.prompt,
              output: doc.output,
              stage: doc.stage,
              model: doc.model,
              deps: Object.keys(doc.inputs.deps),
              command: resolved.config.generatorCommand,
              models: resolved.config.models,
              timeoutMs: resolved.config.timeoutSeconds * 1000,
              awsRegion: resolved.awsRegion,
              availableModels: resolved.availableModels,
              env: io.env,
              log: (line) => io.stderr(`${line}\n`),
            }),
          );
        } catch (err) {
          // Stop at the first failure: later documents may depend on this one.
          if (err instanceof GenerationError) throw new CliError(err.message, 1);
          throw err;
        }
      }
      if (opts.json) io.stdout(`${JSON.stringify({ generated: results }, null, 2)}\n`);
      else if (results.length === 0) io.stdout("Nothing to generate: every document is up to date.\n");
      else {
        for (const r of results) {
          const lock = r.dvcLock?.kind === "written" ? `, dvc.lock stage ${r.dvcLock.stage} updated` : "";
          io.stdout(`generated ${r.output} (${r.model}, ${r.durationMs} ms, ${r.attempts} attempt${r.attempts === 1 ? "" : "s"}${lock})\n`);
        }
      }
    });
}
