import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { decideIntent, intentConfig, type Decision } from "../../core/intent";
import { CliError, type CliIo } from "../io";
import { resolveStack } from "./github-client";

/** Reads an event file and decides; a file that is not JSON is a decision too (`invalid-payload`). */
export function decideFromFile(io: CliIo, file: string, eventName: string, stack?: string): Decision {
  const cfg = resolveStack(io, stack);
  const full = path.resolve(io.cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(full, "utf8");
  } catch (err) {
    throw new CliError(`cannot read the event file ${full}: ${(err as Error).message}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    payload = undefined;
  }
  return decideIntent(eventName, payload, intentConfig(cfg));
}

export function registerIntent(program: Command, io: CliIo): void {
  program
    .command("intent")
    .description("turn a GitHub event payload (issue_comment, pull_request_target labeled, workflow_dispatch, push to an environment branch) into one JSON decision: action, environment, commit, who asked, or why nothing is done")
    .requiredOption("--event <file>", "the event payload, e.g. $GITHUB_EVENT_PATH")
    .requiredOption("--event-name <name>", "the event name, e.g. $GITHUB_EVENT_NAME")
    .option("--stack <name>", "stack file to read environments from (default: the one with manageRepository: true)")
    .action((opts: { event: string; eventName: string; stack?: string }) => {
      const decision = decideFromFile(io, opts.event, opts.eventName, opts.stack);
      io.stdout(`${JSON.stringify(decision)}\n`);
    });
}
