import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { commitsWorkflows, renderWorkflows } from "../../workflows";
import type { CliIo } from "../io";
import { loadStack } from "./config";

/** Writes the workflow files a stack commits under `out`; returns the paths written. */
export function writeRenderedWorkflows(io: CliIo, stack: string, out: string): string[] {
  const cfg = loadStack(io, stack);
  if (!commitsWorkflows(cfg)) {
    io.stdout(`Stack "${stack}" does not commit workflows (manageRepository is false); the stack with manageRepository: true does. Nothing written.\n`);
    return [];
  }
  const written: string[] = [];
  for (const file of renderWorkflows(cfg)) {
    const target = path.resolve(io.cwd, out, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content);
    written.push(target);
    io.stdout(`wrote ${path.relative(io.cwd, target) || target}\n`);
  }
  return written;
}

export function registerRenderWorkflows(program: Command, io: CliIo): void {
  program
    .command("render-workflows")
    .description("write the GitHub Actions workflow files a stack would commit (offline; nothing for stacks that do not manage the repository)")
    .requiredOption("--stack <name>", "stack whose Pulumi.<name>.yaml to read")
    .requiredOption("--out <dir>", "directory to write .github/workflows/*.yml under")
    .action((opts: { stack: string; out: string }) => {
      writeRenderedWorkflows(io, opts.stack, opts.out);
    });
}
