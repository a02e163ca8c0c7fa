/**
 * Pulumi serialises a dynamic provider with `pulumi.runtime.serializeFunction(() => provider)` and
 * runs the text in a separate plain-Node process (no ts-node, no jest). This proves both halves:
 * the provider serialises to a small text that captures nothing but the implementation's path,
 * and that text, loaded the way Pulumi's dynamic-provider host loads it, runs check against a real
 * repository with the compiled implementation and the fake az.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import { execa } from "execa";
import { bicepProvider, implModulePath, missingImplMessage } from "../../../providers/bicep";
import { FAKE_AZ_DIR } from "../../fakes/az/fake-az";
import { makeRepo, SUBSCRIPTION } from "./fixture";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** Compiles core/ and providers/bicep/ to CommonJS under `out`, as `npm run build` does into dist/. */
function compile(out: string): void {
  const dirs = ["core", "providers/bicep"];
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
  for (const file of dirs.flatMap(walk)) {
    const source = fs.readFileSync(path.join(ROOT, file), "utf8");
    const code = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true }, fileName: file }).outputText;
    const target = path.join(out, file.replace(/\.ts$/, ".js"));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, code);
  }
}

describe("the Bicep provider as Pulumi serialises it", () => {
  it("serialises with pulumi.runtime.serializeFunction, capturing only the implementation path", async () => {
    const provider = bicepProvider("/opt/delivery/dist/providers/bicep/impl.js");
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    expect(sf.text).toContain('"/opt/delivery/dist/providers/bicep/impl.js"');
    expect(sf.text.length).toBeLessThan(4000);
    expect(sf.text).not.toMatch(/execa|zod|classify|WhatIf/);
  });

  it("runs check from the serialised text in a plain node process", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bicep-dist-"));
    compile(out);
    const provider = bicepProvider(path.join(out, "providers", "bicep", "impl.js"));
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    const providerFile = path.join(out, "provider.txt");
    fs.writeFileSync(providerFile, sf.text);
    const repo = makeRepo();
    const news = { name: "app", root: repo, template: "bicep/main.bicep", parameters: "bicep/parameters/dev.bicepparam", resourceGroupName: "rg-payments-dev", subscriptionId: SUBSCRIPTION, stack: "dev",
      // What the component always passes: the provider applies no defaults of its own for these.
      mode: "Incremental", overrides: {}, verifyHealth: true, healthEndpoints: [], auditDir: "audit", deletePolicy: "keep",
      // a preview (pulumi.runtime.isDryRun()), so check runs the what-if
      preview: true };
    // What cmd/dynamic-provider does: requireFromString(text).handler(), then call the method.
    const script = `
      const requireFromString = require("require-from-string");
      const text = require("fs").readFileSync(${JSON.stringify(providerFile)}, "utf8");
      const provider = requireFromString(text).handler();
      provider.check({}, ${JSON.stringify(news)}).then((r) => process.stdout.write("RESULT " + JSON.stringify(r) + "\\n"), (e) => { console.error(e); process.exit(1); });
    `;
    const log = path.join(out, "az-calls.jsonl");
    const result = await execa("node", ["-e", script], {
      cwd: ROOT,
      env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules"), PATH: `${FAKE_AZ_DIR}${path.delimiter}${process.env.PATH}`, FAKE_AZ_SCENARIO: "success", FAKE_AZ_LOG: log },
      reject: false,
    });
    expect(result.stderr).toBe("");
    const lines = result.stdout.split("\n");
    const checked = JSON.parse(lines.find((l) => l.startsWith("RESULT "))!.slice("RESULT ".length));
    expect(checked.failures).toBeUndefined();
    expect(checked.inputs.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(checked.inputs.plannedWhatIf.summary).toBe("2 to create");
    expect(checked.inputs).not.toHaveProperty("preview");
    // the first-deployment what-if ran through execa and the fake az in that process
    expect(fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l).command)).toEqual(["account show", "bicep build", "deployment group what-if"]);
    // No engine connection in a dynamic-provider process: pulumi.log writes to stdout, which the engine shows as diagnostics.
    expect(lines).toContain("info: [runtime] [bicep app] what-if Succeeded: 2 to create, 0 to modify, 0 to delete, 0 to deploy, 0 no change, 0 ignore, 0 unsupported");
  }, 30_000);

  it("loads the implementation from dist/ when running from TypeScript sources", () => {
    expect(implModulePath("/repo/providers/bicep/index.ts")).toBe("/repo/dist/providers/bicep/impl.js");
    expect(implModulePath("/repo/dist/providers/bicep/index.js")).toBe("/repo/dist/providers/bicep/impl.js");
    expect(missingImplMessage("/nowhere/impl.js")).toBe(
      "The Bicep provider's compiled implementation /nowhere/impl.js is missing. Pulumi runs dynamic providers without TypeScript support, so the provider is loaded from dist/: run `npm run build` (npm ci does it) and try again.",
    );
  });
});
