/**
 * Pulumi serialises a dynamic provider with its closure serializer and runs the text in a separate
 * Node process, without ts-node. This test does exactly that outside Jest (whose module system the
 * serializer does not understand): the provider's TypeScript is compiled the way ts-node compiles
 * it, a plain Node process serialises the provider object as @pulumi/pulumi's dynamic.Resource does
 * (`serializeFunction(() => provider, { allowSecrets: true })`), and a second fresh Node process
 * loads the text as the dynamic-provider host does (`require-from-string(text).handler()`) and runs
 * diff and create against the fake generator, and create with the built-in Bedrock generator against
 * the stand-in Bedrock started as a process.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { splitSignedDocument } from "../../../core/graft/text";
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

  it("captures a small closure: node built-ins, and execa, yaml and the Bedrock SDK by name; no Pulumi, no TypeScript", () => {
    // core/graft's generation path: generator, prompt packer, DVC reader and dvc.lock writer.
    expect(text.length).toBeLessThan(120_000);
    // `path` may come out as path/posix: on POSIX both names give the same module object.
    const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1].replace(/^path\/(posix|win32)$/, "path")).sort();
    expect([...new Set(required)]).toEqual(["@aws-sdk/client-bedrock-runtime", "child_process", "crypto", "execa", "fs", "os", "path", "yaml"]);
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
    expect(splitSignedDocument(readFileSync(path.join(root, "docs/a.md"))).signature?.model).toBe("anthropic.claude-sonnet-4-5-20250929-v1:0");
  }, 60_000);

  it("creates with the built-in Bedrock generator in a fresh Node process, against the stand-in Bedrock run as a process", async () => {
    const server = spawn(process.execPath, [path.join(REPO, "test/fakes/bedrock/server.js"), "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        server.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString("utf8").trim()));
        server.once("exit", (code) => reject(new Error(`the stand-in Bedrock exited with ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const root = smallRepo();
      const inputs = {
        root,
        prompt: "docs/a.prompt.md",
        output: "docs/a.md",
        stage: "a",
        model: "bedrock-claude-v4.5-sonnet-us",
        instructionsSha256: "0".repeat(64),
        deps: { "src/a.txt": "0".repeat(64) },
        currentOutputSha256: "missing",
        staleReasons: ["output missing: docs/a.md does not exist"],
        generator: { command: [], models: GRAFT_DEFAULTS.models, timeoutSeconds: 30, throttleDelaysMs: [1], availableModels: [GRAFT_DEFAULTS.defaultModel] },
      };
      const out = node(
        work,
        `
        const text = require("node:fs").readFileSync(${JSON.stringify(path.join(work, "provider.js"))}, "utf8");
        const provider = require("require-from-string")(text).handler();
        provider.create(${JSON.stringify(inputs)}).then((created) => process.stdout.write(JSON.stringify(created)), (e) => { process.stderr.write(String(e.stack)); process.exit(1); });
      `,
        { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: url, AWS_ACCESS_KEY_ID: "stand-in", AWS_SECRET_ACCESS_KEY: "stand-in", AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" },
      );
      expect(JSON.parse(out).outs).toMatchObject({ output: "docs/a.md", model: "bedrock-claude-v4.5-sonnet-us", modelCalled: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", attempts: 1, generated: true, staleReasons: [] });
      const doc = readFileSync(path.join(root, "docs/a.md"), "utf8");
      expect(splitSignedDocument(Buffer.from(doc)).signature?.model).toBe("bedrock-claude-v4.5-sonnet-us");
      expect(doc).toContain("Written by the stand-in Bedrock (us.anthropic.claude-sonnet-4-5-20250929-v1:0) for a GENERATE request.");
    } finally {
      server.kill("SIGTERM");
    }
  }, 60_000);
});
