/**
 * Pulumi serialises a dynamic provider with its closure serializer and runs the text in a separate
 * Node process, without ts-node. This test does exactly that outside Jest (whose module system the
 * serializer does not understand): the provider's TypeScript is compiled the way ts-node compiles
 * it, a plain Node process serialises the provider object as @pulumi/pulumi's dynamic.Resource does
 * (`serializeFunction(() => provider, { allowSecrets: true })`), and a second fresh Node process
 * loads the text as the dynamic-provider host does (`require-from-string(text).handler()`) and runs
 * diff and create against the fake generator.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { checkSignature } from "../../../core/graft/text";
import { fakeGenerator, smallRepo } from "../../core/graft/generator-helpers";
import { cleanupScratch, GRAFT_DEFAULTS, tempDir } from "../../core/graft/helpers";

afterAll(cleanupScratch);

const REPO = path.resolve(__dirname, "..", "..", "..");

/** Transpiles a module and every local module it imports, as ts-node would, into outDir. */
function transpileClosure(entry: string, outDir: string): string[] {
  const tsconfig = ts.readConfigFile(path.join(REPO, "tsconfig.json"), ts.sys.readFile).config;
  const { options } = ts.convertCompilerOptionsFromJson(tsconfig.compilerOptions, REPO);
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    const out = ts.transpileModule(source, { compilerOptions: { ...options, sourceMap: false }, fileName: file });
    const target = path.join(outDir, path.relative(REPO, file)).replace(/\.ts$/, ".js");
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
    for (const m of source.matchAll(/from\s+"(\.{1,2}\/[^"]+)"/g)) queue.push(path.resolve(path.dirname(file), `${m[1]}.ts`));
  }
  return [...seen].map((f) => path.relative(REPO, f)).sort();
}

/**
 * Runs a script file (not `node -e`, whose global scope holds every built-in module and would
 * hide a closure that wrongly expects `fs` or `path` to be globals).
 */
function node(dir: string, script: string, env: Record<string, string> = {}): string {
  const file = path.join(dir, `script-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(file, script);
  return execFileSync(process.execPath, [file], { cwd: REPO, encoding: "utf8", env: { ...process.env, NODE_PATH: path.join(REPO, "node_modules"), ...env } });
}

describe("the Graft provider, serialised", () => {
  const work = tempDir("graft-serialize-");
  const compiled = path.join(work, "compiled");
  let text = "";
  let modules: string[] = [];

  beforeAll(() => {
    modules = transpileClosure(path.join(REPO, "providers/graft/provider.ts"), compiled);
    const textFile = path.join(work, "provider.js");
    node(work, `
      const pulumi = require("@pulumi/pulumi");
      const { graftDocumentProvider } = require(${JSON.stringify(path.join(compiled, "providers/graft/provider.js"))});
      pulumi.runtime.serializeFunction(() => graftDocumentProvider, { allowSecrets: true }).then((sf) => {
        require("node:fs").writeFileSync(${JSON.stringify(textFile)}, sf.text);
      });
    `);
    text = readFileSync(textFile, "utf8");
  }, 60_000);

  it("imports nothing but core/graft from this repository", () => {
    expect(modules.filter((m) => !m.startsWith("core/graft/"))).toEqual(["providers/graft/provider.ts"]);
  });

  it("captures a small closure: node built-ins and execa by name, no Pulumi, no TypeScript", () => {
    expect(text.length).toBeLessThan(60_000);
    // `path` may come out as path/posix: on POSIX both names give the same module object.
    const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1].replace(/^path\/(posix|win32)$/, "path")).sort();
    expect([...new Set(required)]).toEqual(["crypto", "execa", "fs", "os", "path"]);
    expect(text).not.toMatch(/ts-node|typescript|@pulumi/);
  });

  it("does not depend on anything the serializer cannot carry over", () => {
    // A module's references to its own exports compile to `exports.NAME`, which the serializer
    // leaves pointing at the serialized module's exports (only `handler` exists there).
    expect(text.match(/\bexports\.(?!handler\b)\w+/g)).toBeNull();
    // Built-in modules must be required, not expected as globals; symbols cannot be serialised.
    expect(text.match(/global\.(?!Error\b|Object\b|Function\b)\w+/g)).toBeNull();
    expect(text).not.toContain("Symbol.prototype");
  });

  it("runs diff and create in a fresh Node process, generating a stale document", () => {
    const root = smallRepo();
    const fake = fakeGenerator(["throttle", "success"]);
    const inputs = {
      root,
      prompt: "docs/a.prompt.md",
      output: "docs/a.md",
      stage: "a",
      model: GRAFT_DEFAULTS.defaultModel,
      instructionsSha256: "0".repeat(64),
      deps: { "src/a.txt": "0".repeat(64) },
      currentOutputSha256: "missing",
      staleReasons: ["output missing: docs/a.md does not exist"],
      generator: { command: GRAFT_DEFAULTS.generatorCommand, timeoutSeconds: 30, throttleDelaysMs: [1], availableModels: [GRAFT_DEFAULTS.defaultModel] },
    };
    const out = node(
      work,
      `
      const text = require("node:fs").readFileSync(${JSON.stringify(path.join(work, "provider.js"))}, "utf8");
      const provider = require("require-from-string")(text).handler();
      (async () => {
        const inputs = ${JSON.stringify(inputs)};
        const diff = await provider.diff("docs/a.md", {}, inputs);
        const fresh = await provider.diff("docs/a.md", {}, { ...inputs, staleReasons: [] });
        const created = await provider.create(inputs);
        process.stdout.write(JSON.stringify({ diff, fresh, created }));
      })().catch((e) => { process.stderr.write(String(e.stack)); process.exit(1); });
    `,
      fake.env,
    );
    const result = JSON.parse(out);
    expect(result.diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(result.fresh.changes).toBe(false);
    expect(result.created.id).toBe("docs/a.md");
    expect(result.created.outs).toMatchObject({ output: "docs/a.md", model: GRAFT_DEFAULTS.defaultModel, attempts: 2, generated: true, staleReasons: [] });
    expect(checkSignature(readFileSync(path.join(root, "docs/a.md")))).toBe("valid");
  }, 60_000);
});
