/** Every subcommand, registered in the order `delivery --help` lists them. */
import type { Command } from "commander";
import type { CliIo } from "../main";
import { registerClassify } from "./classify";
import { registerConfig } from "./config";
import { registerDocs } from "./docs";
import { registerDrift } from "./drift";
import { registerGate } from "./gate";
import { registerGraftGenerate } from "./graft-generate";
import { registerGraftStatus } from "./graft-status";
import { registerGraftSync } from "./graft-sync";
import { registerIntent } from "./intent";
import { registerPrComment } from "./pr-comment";
import { registerPromote } from "./promote";
import { registerRenderWorkflows } from "./render-workflows";
import { registerUnlock } from "./unlock";
import { registerValidate } from "./validate";
import { registerWhatIf } from "./whatif";

export function registerCommands(program: Command, io: CliIo): void {
  registerConfig(program, io);
  registerClassify(program, io);
  registerWhatIf(program, io);
  registerIntent(program, io);
  registerGate(program, io);
  registerPrComment(program, io);
  registerDrift(program, io);
  registerRenderWorkflows(program, io);
  registerGraftStatus(program, io);
  registerGraftGenerate(program, io);
  registerGraftSync(program, io);
  registerDocs(program, io);
  registerPromote(program, io);
  registerValidate(program, io);
  registerUnlock(program, io);
}
