import * as fs from "node:fs";
import * as path from "node:path";
import { collectTemplateFiles, contentHash, findReferences, MissingReferenceError, parametersUsing, stripComments, templateParameters } from "../../../core/bicep/files";
import { deploymentName, validateSpecFiles, validateSpecShape } from "../../../core/bicep/spec";
import { makeRepo, SUBSCRIPTION } from "../../providers/bicep/fixture";

describe("Bicep file references", () => {
  it("finds modules, imports, loads and using, ignoring comments and strings", () => {
    const src = [
      "using '../main.bicep'",
      "import { tags } from 'shared/types.bicep'",
      "// module a 'commented.bicep' = {}",
      "/* module b 'block.bicep' = {} */",
      "var s = 'module c \\'notreal.bicep\\' = {}'",
      "module kv 'modules/keyvault.bicep' = { name: 'kv' }",
      "module avm 'br/public:avm/res/storage/storage-account:0.9.0' = { name: 'avm' }",
      "var cfg = loadJsonContent('config/app.json')",
    ].join("\n");
    expect(findReferences(src).map((r) => [r.kind, r.target, r.line, r.external])).toEqual([
      ["using", "../main.bicep", 1, false],
      ["import", "shared/types.bicep", 2, false],
      ["module", "modules/keyvault.bicep", 6, false],
      ["module", "br/public:avm/res/storage/storage-account:0.9.0", 7, true],
      ["load", "config/app.json", 8, false],
    ]);
  });

  it("keeps line numbers when stripping comments", () => {
    expect(stripComments("a /* x\ny */ b // c\nd").split("\n")).toHaveLength(3);
  });

  it("follows modules recursively, each file once", () => {
    const root = makeRepo();
    expect(collectTemplateFiles(root, "bicep/main.bicep")).toEqual({ files: ["bicep/main.bicep", "bicep/modules/rules.json", "bicep/modules/storage.bicep"], external: [] });
  });

  it("names the file and line of a missing module", () => {
    const root = makeRepo({ "bicep/main.bicep": "param environmentName string\n\nmodule x 'modules/nope.bicep' = { name: 'x' }\n" });
    expect(() => collectTemplateFiles(root, "bicep/main.bicep")).toThrow(new MissingReferenceError("bicep/main.bicep", 3, "modules/nope.bicep", "bicep/modules/nope.bicep"));
    expect(() => collectTemplateFiles(root, "bicep/main.bicep")).toThrow("bicep/main.bicep:3 references 'modules/nope.bicep', but bicep/modules/nope.bicep does not exist; fix the path or add the file.");
  });

  it("reads required parameters", () => {
    expect(templateParameters("param a string\nparam b int = 3\nparam c string?\nparam d {\n  x: string\n}\n  param nested string\n")).toEqual([
      { name: "a", required: true, line: 1 },
      { name: "b", required: false, line: 2 },
      { name: "c", required: false, line: 3 },
      { name: "d", required: false, line: 4 },
    ]);
  });

  it("resolves a parameters file's using", () => {
    const root = makeRepo();
    expect(parametersUsing(root, "bicep/parameters/dev.bicepparam")).toEqual({ target: "../main.bicep", resolved: "bicep/main.bicep", line: 1 });
  });
});

describe("content hash", () => {
  const base = (root: string) => ({ root, template: "bicep/main.bicep", parameters: "bicep/parameters/dev.bicepparam" });

  it("is stable for the same content, wherever the repository lives", () => {
    expect(contentHash(base(makeRepo())).hash).toBe(contentHash(base(makeRepo())).hash);
  });

  it.each([
    ["a module", "bicep/modules/storage.bicep"],
    ["a loaded file", "bicep/modules/rules.json"],
    ["the parameters file", "bicep/parameters/dev.bicepparam"],
    ["the template", "bicep/main.bicep"],
  ])("changes when %s changes", (_label, file) => {
    const root = makeRepo();
    const before = contentHash(base(root));
    fs.appendFileSync(path.join(root, file), "\n// edited\n");
    const after = contentHash(base(root));
    expect(after.hash).not.toBe(before.hash);
    expect(Object.keys(after.files).filter((f) => after.files[f] !== before.files[f])).toEqual([file]);
  });

  it("changes with overrides and settings, whatever their key order", () => {
    const root = makeRepo();
    const a = contentHash({ ...base(root), overrides: { a: 1, b: { c: 2, d: 3 } } }).hash;
    expect(contentHash({ ...base(root), overrides: { b: { d: 3, c: 2 }, a: 1 } }).hash).toBe(a);
    expect(contentHash({ ...base(root), overrides: { a: 2, b: { c: 2, d: 3 } } }).hash).not.toBe(a);
    expect(contentHash({ ...base(root), overrides: { a: 1, b: { c: 2, d: 3 } }, settings: { mode: "Complete" } }).hash).not.toBe(a);
  });
});

describe("spec validation", () => {
  it("accepts the fixture", () => {
    const root = makeRepo();
    expect(validateSpecFiles({ ...base(root), overrides: {} })).toEqual([]);
    function base(r: string) {
      return { root: r, template: "bicep/main.bicep", parameters: "bicep/parameters/dev.bicepparam" };
    }
  });

  it("reports missing files by property and path", () => {
    const root = makeRepo();
    expect(validateSpecFiles({ root, template: "bicep/other.bicep", parameters: "bicep/parameters/dev.bicepparam", overrides: {} })).toEqual([
      { property: "template", reason: `bicep/other.bicep does not exist (looked in ${root})` },
    ]);
  });

  it("reports a using that points elsewhere", () => {
    const root = makeRepo({ "bicep/other.bicep": "param environmentName string\n" });
    expect(validateSpecFiles({ root, template: "bicep/other.bicep", parameters: "bicep/parameters/dev.bicepparam", overrides: {} })).toEqual([
      { property: "parameters", reason: "bicep/parameters/dev.bicepparam:1 says `using '../main.bicep'` (bicep/main.bicep), but the template is bicep/other.bicep; point the using at the template or fix the template path" },
    ]);
  });

  it("reports a required parameter nobody sets, unless an override does", () => {
    const root = makeRepo({ "bicep/parameters/dev.bicepparam": "using '../main.bicep'\n" });
    const spec = { root, template: "bicep/main.bicep", parameters: "bicep/parameters/dev.bicepparam" };
    expect(validateSpecFiles({ ...spec, overrides: {} })).toEqual([
      { property: "parameters", reason: "bicep/main.bicep:4 declares required parameter 'environmentName', which bicep/parameters/dev.bicepparam does not assign and no override sets; add `param environmentName = ...` to bicep/parameters/dev.bicepparam" },
    ]);
    expect(validateSpecFiles({ ...spec, overrides: { environmentName: "dev" } })).toEqual([]);
  });

  it("checks shapes with exact messages", () => {
    expect(validateSpecShape({ name: "app", template: "/abs/main.bicep", parameters: "p.json", subscriptionId: "nope", resourceGroupName: "rg.", retry: { maxAttempts: 0 } as never })).toEqual([
      { property: "template", reason: 'must be relative to the repository root, without \'..\' (received "/abs/main.bicep")' },
      { property: "parameters", reason: 'must be a .bicepparam file whose `using` names the template (received "p.json")' },
      { property: "resourceGroupName", reason: "must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.' (received \"rg.\")" },
      { property: "subscriptionId", reason: 'must be a subscription GUID, see `az account show --query id` (received "nope")' },
      { property: "retry.maxAttempts", reason: "must be an integer from 1 to 10 (received 0)" },
    ]);
    expect(validateSpecShape({ name: "app", template: "bicep/main.bicep", parameters: "bicep/parameters/dev.bicepparam", subscriptionId: SUBSCRIPTION, resourceGroupName: "rg-app-dev" })).toEqual([]);
  });

  it("derives a deterministic deployment name", () => {
    expect(deploymentName("app dev", "0123456789abcdef")).toBe("delivery-app-dev-0123456789ab");
  });
});
