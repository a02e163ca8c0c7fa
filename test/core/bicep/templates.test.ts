/**
 * The committed templates, checked with the same code the provider's check runs: every parameters
 * file's `using` names bicep/main.bicep, every required parameter is set, every module exists, and
 * the environments differ where they should. (scripts/validate-bicep.sh adds a Bicep parser and
 * checkov's security checks.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { assignedParameters, collectTemplateFiles, contentHash } from "../../../core/bicep/files";
import { validateSpecFiles } from "../../../core/bicep/spec";
import { readStackFile } from "../../../core/stack-file";
import { TEMPLATE_ASSIGNABLE_ROLES } from "../../../core/azure-roles";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

function params(env: string): Record<string, string> {
  const text = read(`bicep/parameters/${env}.bicepparam`);
  return Object.fromEntries(assignedParameters(text).map((n) => [n, new RegExp(`^param ${n} = (.*)$`, "m").exec(text)![1]]));
}

describe("bicep/ templates", () => {
  it.each(ENVIRONMENTS)("%s.bicepparam uses main.bicep and sets every required parameter", (env) => {
    expect(validateSpecFiles({ root: ROOT, template: "bicep/main.bicep", parameters: `bicep/parameters/${env}.bicepparam`, overrides: {} })).toEqual([]);
  });

  it("references every module, and every module is referenced", () => {
    const { files } = collectTemplateFiles(ROOT, "bicep/main.bicep");
    const modules = fs.readdirSync(path.join(ROOT, "bicep/modules")).map((f) => `bicep/modules/${f}`);
    expect(files.filter((f) => f.startsWith("bicep/modules/")).sort()).toEqual(modules.filter((f) => f.endsWith(".bicep")).sort());
    for (const m of ["storage", "monitoring", "servicebus", "keyvault", "identity", "compute", "machinelearning", "rbac"]) expect(modules).toContain(`bicep/modules/${m}.bicep`);
  });

  it("hashes each environment differently", () => {
    const hashes = ENVIRONMENTS.map((env) => contentHash({ root: ROOT, template: "bicep/main.bicep", parameters: `bicep/parameters/${env}.bicepparam` }).hash);
    expect(new Set(hashes).size).toBe(3);
  });

  it("keeps dev cheap and prod resilient", () => {
    expect(params("dev")).toMatchObject({ functionPlanSku: "'Y1'", storageSku: "'Standard_LRS'", serviceBusSku: "'Standard'", keyVaultPurgeProtection: "false" });
    expect(params("prod")).toMatchObject({ functionPlanSku: "'EP2'", storageSku: "'Standard_GZRS'", serviceBusSku: "'Premium'", keyVaultPurgeProtection: "true" });
    expect(params("prod").deployMachineLearning).toBe("false");
  });

  it("is secure by default", () => {
    const storage = read("bicep/modules/storage.bicep");
    expect(storage).toMatch(/minimumTlsVersion: 'TLS1_2'/);
    expect(storage).toMatch(/supportsHttpsTrafficOnly: true/);
    expect(storage).toMatch(/allowBlobPublicAccess: false/);
    expect(storage).toMatch(/allowSharedKeyAccess: false/);
    expect(read("bicep/modules/keyvault.bicep")).toMatch(/enableRbacAuthorization: true/);
    const compute = read("bicep/modules/compute.bicep");
    expect(compute).toMatch(/httpsOnly: true/);
    expect(compute).toMatch(/minTlsVersion: '1.2'/);
    expect(compute).toMatch(/ftpsState: 'Disabled'/);
    expect(compute).toMatch(/type: 'UserAssigned'/);
    expect(read("bicep/modules/servicebus.bicep")).toMatch(/disableLocalAuth: true/);
    for (const m of ["storage", "monitoring", "servicebus", "keyvault", "compute", "machinelearning"]) {
      const text = read(`bicep/modules/${m}.bicep`);
      if (m !== "monitoring") expect({ m, diagnostics: /Microsoft\.Insights\/diagnosticSettings/.test(text) }).toEqual({ m, diagnostics: true });
    }
  });

  it("assigns exactly the roles the deploy identity may delegate", () => {
    const rbac = read("bicep/modules/rbac.bicep");
    const block = /var roles = \{([\s\S]*?)\n\}/.exec(rbac)![1];
    const ids = [...block.matchAll(/'([0-9a-f-]{36})'/g)].map((m) => m[1]).sort();
    expect(ids).toEqual(TEMPLATE_ASSIGNABLE_ROLES.map((r) => r.id).sort());
  });

  it("is what the stack files deploy", () => {
    for (const env of ENVIRONMENTS) {
      const environments = JSON.parse(readStackFile(ROOT, env).config["delivery-platform:environments"]) as { name: string; bicep: { template: string; parameters: string } }[];
      expect(environments.find((e) => e.name === env)!.bicep).toMatchObject({ template: "bicep/main.bicep", parameters: `bicep/parameters/${env}.bicepparam` });
    }
  });
});
