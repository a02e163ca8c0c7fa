/** Every subcommand, registered in the order `delivery --help` lists them. */
import type { Command } from "commander";
import type { CliIo } from "../io";
import type { ClientFactory } from "./github-client";

/** What the commands reach outside the process through; left out, each command uses the real one. */
export interface CliDeps {
  /** The GitHub client of every command that calls the API (tests hand in a fake). */
  readonly github?: ClientFactory;
  /** The clock the promotion machine reads (soak times, freezes). */
  readonly now?: () => Date;
  /** This machine's name, which `unlock` compares with a lock's. */
  readonly hostname?: () => string;
}

type Register = (program: Command, io: CliIo, deps: CliDeps) => void;

/**
 * Each command's name and registration, in `--help` order. A command's module is required only
 * when it is registered: loading every command (zod schemas, execa, octokit, ...) takes longer
 * than most commands take to run (`graft-status` is timed by `npm run build && node dist/scripts/bench-graft.js`).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: ReadonlyArray<readonly [name: string, register: Register]> = [
  ["config", (p, io) => (require("./config") as typeof import("./config")).registerConfig(p, io)],
  ["classify", (p, io) => (require("./classify") as typeof import("./classify")).registerClassify(p, io)],
  ["whatif", (p, io) => (require("./whatif") as typeof import("./whatif")).registerWhatIf(p, io)],
  ["intent", (p, io) => (require("./intent") as typeof import("./intent")).registerIntent(p, io)],
  ["gate", (p, io, d) => (require("./gate") as typeof import("./gate")).registerGate(p, io, d.github)],
  ["pr-comment", (p, io, d) => (require("./pr-comment") as typeof import("./pr-comment")).registerPrComment(p, io, d.github)],
  ["drift", (p, io, d) => (require("./drift") as typeof import("./drift")).registerDrift(p, io, d.github)],
  ["render-workflows", (p, io) => (require("./render-workflows") as typeof import("./render-workflows")).registerRenderWorkflows(p, io)],
  ["graft-status", (p, io) => (require("./graft-status") as typeof import("./graft-status")).registerGraftStatus(p, io)],
  ["graft-generate", (p, io) => (require("./graft-generate") as typeof import("./graft-generate")).registerGraftGenerate(p, io)],
  ["graft-sync", (p, io) => (require("./graft-sync") as typeof import("./graft-sync")).registerGraftSync(p, io)],
  ["docs", (p, io, d) => (require("./docs") as typeof import("./docs")).registerDocs(p, io, d.github)],
  ["promote", (p, io, d) => (require("./promote") as typeof import("./promote")).registerPromote(p, io, d.github, d.now)],
  ["validate", (p, io) => (require("./validate") as typeof import("./validate")).registerValidate(p, io)],
  ["unlock", (p, io, d) => (require("./unlock") as typeof import("./unlock")).registerUnlock(p, io, d.github, d.hostname)],
];
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Registers the commands. With `argv` whose first word names a command, only that command is
 * loaded and registered; otherwise (`--help`, `help`, a misspelt name, no argv) every command is,
 * so help and "did you mean" list them all.
 */
export function registerCommands(program: Command, io: CliIo, deps: CliDeps = {}, argv?: readonly string[]): void {
  const only = argv !== undefined ? COMMANDS.find(([name]) => name === argv[0]) : undefined;
  for (const [, register] of only ? [only] : COMMANDS) register(program, io, deps);
}
