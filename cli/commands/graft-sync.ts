/**
 * `delivery graft-sync [--root DIR] [--stack NAME] [--check]`: writes or updates dvc.yaml so it has
 * one stage per prompt (Graft's `sync`): a new prompt needs no hand-written stage. `--check` writes
 * nothing and exits 1 when dvc.yaml is out of step (what `graft-status --check` also fails on).
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { DvcFileError, readDvcPipeline } from "../../core/graft/dvc";
import { GraftValidationError, loadProject } from "../../core/graft/project";
import { stageCommand, syncDvcYaml } from "../../core/graft/sync";
import { CliError, type CliIo } from "../io";
import { resolveGraftOptions } from "./graft-status";

export function registerGraftSync(program: Command, io: CliIo): void {
  program
    .command("graft-sync")
    .description("write or update the dvc.yaml stages for the Graft prompts (one per prompt: the prompt and its deps in, the document out)")
    .option("--root <dir>", "repository root", ".")
    .option("--stack <name>", "read the graft config from Pulumi.<name>.yaml (default: the config defaults)")
    .option("--check", "write nothing; exit 1 when dvc.yaml is out of step")
    .action((opts: { root: string; stack?: string; check?: boolean }) => {
      const resolved = resolveGraftOptions(io, opts);
      let result: ReturnType<typeof syncDvcYaml>;
      try {
        const pipeline = readDvcPipeline(resolved.root);
        const stageByOutput = new Map<string, string>();
        for (const stage of pipeline?.stages ?? []) for (const out of stage.outs) if (!stageByOutput.has(out.path)) stageByOutput.set(out.path, stage.name);
        const project = loadProject(resolved.root, resolved.config, { stageFor: (o) => stageByOutput.get(o), missingDeps: "report" });
        result = syncDvcYaml(resolved.root, project.documents, (doc) => stageCommand(doc, resolved.config.generatorCommand, opts.stack));
      } catch (err) {
        if (err instanceof GraftValidationError || err instanceof DvcFileError) throw new CliError(err.message);
        throw err;
      }
      if (result.changes.length === 0) {
        io.stdout("dvc.yaml is in step with the prompts.\n");
        return;
      }
      for (const change of result.changes) io.stdout(`${opts.check ? "out of step" : "dvc.yaml"}: ${change}\n`);
      if (opts.check) throw new CliError(`dvc.yaml is out of step with the prompts; run \`delivery graft-sync\` and commit dvc.yaml`, 1);
      writeFileSync(path.join(resolved.root, "dvc.yaml"), result.text);
    });
}
