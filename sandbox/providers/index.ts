/**
 * The stand-in providers: one generic implementation (./stand-in.ts) and a table per package. The
 * plugin versions are the ones the installed npm SDKs request (`pulumi.version` in their
 * package.json), so the engine asks for exactly the plugins installed here.
 */
import * as path from "node:path";
import { awsTable } from "./aws";
import { azureNativeTable } from "./azure-native";
import { githubTable } from "./github";
import type { ProviderTable } from "./model";

export const STAND_IN_PACKAGES = ["github", "azure-native", "aws"] as const;
export type StandInPackage = (typeof STAND_IN_PACKAGES)[number];

const TABLES: Record<StandInPackage, (version: string) => ProviderTable> = {
  github: githubTable,
  "azure-native": azureNativeTable,
  aws: awsTable,
};

/** The plugin version the installed `@pulumi/<pkg>` SDK sends on RegisterResource. */
export function sdkPluginVersion(pkg: StandInPackage, from: string = process.cwd()): string {
  const file = require.resolve(`@pulumi/${pkg}/package.json`, { paths: [from, path.join(__dirname, "..", "..")] });
  const json = require(file) as { version: string; pulumi?: { version?: string } };
  return json.pulumi?.version ?? json.version;
}

export function isStandInPackage(name: string): name is StandInPackage {
  return (STAND_IN_PACKAGES as readonly string[]).includes(name);
}

export function standInTable(pkg: StandInPackage, version: string = sdkPluginVersion(pkg)): ProviderTable {
  return TABLES[pkg](version);
}
