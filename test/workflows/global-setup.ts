/**
 * Once before the workflow scenarios, which run two files at a time: the sandbox's shared parts
 * (the Pulumi CLI in .sandbox/pulumi-home, the stand-in provider plugins, the policy pack's
 * dependencies) are installed here, so two workers never install them at the same moment.
 */
import * as path from "node:path";
import { ensureSandbox, sandboxPaths } from "../../scripts/sandbox";

export default async function setup(): Promise<void> {
  const root = path.resolve(__dirname, "..", "..");
  await ensureSandbox(sandboxPaths(root, path.join(root, ".sandbox")), (line) => process.stderr.write(`${line}\n`));
}
