/** Every subcommand, registered in the order `delivery --help` lists them. */
import type { Command } from "commander";
import type { CliIo } from "../main";
import { registerConfig } from "./config";

export function registerCommands(program: Command, io: CliIo): void {
  registerConfig(program, io);
}
