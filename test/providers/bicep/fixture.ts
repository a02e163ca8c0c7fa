/** A small Bicep repository in a temporary directory: a template, a module, a loaded file and a parameters file. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BicepDeploymentProps } from "../../../providers/bicep/impl";

export const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";

export const FILES: Readonly<Record<string, string>> = {
  "bicep/main.bicep": [
    "targetScope = 'resourceGroup'",
    "",
    "@description('Environment name.')",
    "param environmentName string",
    "param location string = resourceGroup().location",
    "",
    "// module comment: module ignored 'modules/missing.bicep' = {}",
    "module storage 'modules/storage.bicep' = {",
    "  name: 'storage'",
    "  params: { environmentName: environmentName, location: location }",
    "}",
    "",
    "output storageAccountName string = storage.outputs.name",
    "",
  ].join("\n"),
  "bicep/modules/storage.bicep": [
    "param environmentName string",
    "param location string",
    "var rules = loadJsonContent('rules.json')",
    "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {",
    "  name: 'st${environmentName}${uniqueString(resourceGroup().id)}'",
    "  location: location",
    "  sku: { name: 'Standard_LRS' }",
    "  kind: 'StorageV2'",
    "  properties: { minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true, networkAcls: rules }",
    "}",
    "output name string = st.name",
    "",
  ].join("\n"),
  "bicep/modules/rules.json": '{ "defaultAction": "Allow", "bypass": "AzureServices" }\n',
  "bicep/parameters/dev.bicepparam": ["using '../main.bicep'", "", "param environmentName = 'dev'", ""].join("\n"),
};

/** Writes FILES (plus `extra`) under a new temporary directory and returns its path. */
export function makeRepo(extra: Readonly<Record<string, string>> = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "bicep-repo-"));
  for (const [rel, text] of Object.entries({ ...FILES, ...extra })) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** The provider's inputs for the repository at `root` as the component sends them for `pulumi up`; a test changes what it is about. */
export function bicepProps(root: string, extra: Partial<BicepDeploymentProps> = {}): BicepDeploymentProps {
  return {
    name: "app",
    root,
    template: "bicep/main.bicep",
    parameters: "bicep/parameters/dev.bicepparam",
    resourceGroupName: "rg-payments-dev",
    subscriptionId: SUBSCRIPTION,
    location: "westeurope",
    mode: "Incremental",
    overrides: {},
    verifyHealth: true,
    healthEndpoints: [],
    auditDir: "audit",
    deletePolicy: "keep",
    stack: "dev",
    retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 100, multiplier: 2, jitter: 0 },
    ...extra,
  };
}
