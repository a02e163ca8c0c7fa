/**
 * GraftDocs under Pulumi's mocks, with its resources' diffs computed by the real provider: the
 * preview of a changed dep lists exactly the affected documents, with the reason logged against
 * each, and bad prompts stop the program before any document resource exists.
 */
import type * as pulumiType from "@pulumi/pulumi";
import type { GraftDocumentInputs } from "../../../core/graft/document-resource";
import { setRecordingMocks, type Registered } from "../../harness/mocks";
import { applyMutations, cleanupScratch, copyFixture, GRAFT_DEFAULTS, scenario, writeTree } from "../../core/graft/helpers";

// These drive the real provider code and child processes: seconds on a loaded 2-core machine.
jest.setTimeout(30_000);

let pulumi: typeof pulumiType;
let registered: Registered[] = [];
let infos: string[] = [];
let warnings: string[] = [];

beforeAll(async () => {
  pulumi = require("@pulumi/pulumi");
  await setRecordingMocks(pulumi, (r) => registered.push(r), { preview: true });
  jest.spyOn(pulumi.log, "info").mockImplementation(async (msg: string) => void infos.push(msg));
  jest.spyOn(pulumi.log, "warn").mockImplementation(async (msg: string) => void warnings.push(msg));
});

beforeEach(() => {
  registered = [];
  infos = [];
  warnings = [];
});

afterAll(cleanupScratch);

function unwrap<T>(output: pulumiType.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

async function plan(name: string, root: string) {
  const { GraftDocs } = require("../../../components/graft/graft-docs") as typeof import("../../../components/graft/graft-docs");
  const docs = new GraftDocs(name, { rootDir: root, config: GRAFT_DEFAULTS, hashCache: false, availableModels: [GRAFT_DEFAULTS.defaultModel] });
  await unwrap(docs.staleDocuments);
  await new Promise((r) => setTimeout(r, 50));
  const children = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/graft:GraftDocument" && r.name.startsWith(`${name}/`));
  return { docs, children: new Map(children.map((c) => [c.inputs.output as string, c])) };
}

/** What `pulumi preview` would show: the documents whose diff reports changes. */
async function previewChanges(children: Map<string, Registered>, olds: Map<string, Registered>): Promise<string[]> {
  const { graftDocumentProvider } = require("../../../providers/graft/provider") as typeof import("../../../providers/graft/provider");
  const changed: string[] = [];
  for (const [output, child] of children) {
    const diff = await graftDocumentProvider.diff!(output, olds.get(output)?.inputs as never, child.inputs as GraftDocumentInputs);
    if (diff.changes) changed.push(output);
  }
  return changed;
}

describe("GraftDocs", () => {
  it("registers one document resource per prompt, named after the component and the document, parented to it", async () => {
    const root = copyFixture();
    const { docs, children } = await plan("site-docs", root);
    expect([...children.keys()].sort()).toEqual(["docs/api.md", "docs/faq.md", "docs/guide.md"]);
    expect([...children.values()].map((c) => c.name).sort()).toEqual(["site-docs/docs/api.md", "site-docs/docs/faq.md", "site-docs/docs/guide.md"]);
    const urn = await unwrap(docs.documentResources.get("docs/guide.md")!.urn);
    expect(urn).toBe("urn:pulumi:dev::delivery-platform::delivery:graft:GraftDocs$pulumi-nodejs:dynamic/graft:GraftDocument::site-docs/docs/guide.md");
    expect(registered.find((r) => r.type === "delivery:graft:GraftDocs")?.name).toBe("site-docs");
    const api = children.get("docs/api.md")!.inputs;
    expect(api).toMatchObject({
      root,
      prompt: "docs/api.prompt.md",
      output: "docs/api.md",
      stage: "api",
      model: GRAFT_DEFAULTS.defaultModel,
      staleReasons: [],
      generator: { command: ["graft", "generate", "{prompt}"], timeoutSeconds: 600, throttleDelaysMs: [5000, 15000, 45000], availableModels: [GRAFT_DEFAULTS.defaultModel] },
    });
    expect(Object.keys(api.deps)).toEqual(["src/api.ts", "src/config.json"]);
    expect(typeof api.__provider).toBe("string");
    expect(await unwrap(docs.staleDocuments)).toEqual([]);
    expect(infos).toEqual([]);
  });

  it("previews exactly the documents a changed dep affects, and logs why", async () => {
    const root = copyFixture();
    const before = await plan("before", root);
    expect(await previewChanges(before.children, before.children)).toEqual([]);

    applyMutations(root, scenario("dep modified").mutations);
    const after = await plan("after", root);
    expect((await previewChanges(after.children, before.children)).sort()).toEqual(["docs/api.md", "docs/guide.md"]);
    expect(await unwrap(after.docs.staleDocuments)).toEqual(["docs/api.md", "docs/guide.md"]);
    expect(after.children.get("docs/api.md")!.inputs.deps["src/api.ts"]).not.toBe(before.children.get("docs/api.md")!.inputs.deps["src/api.ts"]);
    expect(infos).toEqual(["docs/api.md is stale: deps changed: src/api.ts (modified)", "docs/guide.md is stale: depends on a document regenerated first: docs/api.md"]);
  });

  it("previews a hand edit and a model change as updates", async () => {
    const root = copyFixture();
    applyMutations(root, [...scenario("output edited by hand").mutations, { op: "replace", path: "docs/faq.prompt.md", from: "anthropic.claude-3-haiku-20240307-v1:0", to: "anthropic.claude-3-5-sonnet-20240620-v1:0" }]);
    const { children } = await plan("edits", root);
    expect((await previewChanges(children, children)).sort()).toEqual(["docs/faq.md", "docs/guide.md"]);
    expect(infos).toEqual([
      "docs/faq.md is stale: model changed: anthropic.claude-3-haiku-20240307-v1:0 -> anthropic.claude-3-5-sonnet-20240620-v1:0",
      "docs/guide.md is stale: output edited by hand: it differs from the generated version recorded in graft.lock.json",
    ]);
  });

  it("stops with every prompt problem listed before creating any document resource", async () => {
    const root = copyFixture();
    writeTree(root, { "docs/bad.prompt.md": "---\ndeps:\n  - src/nope.ts\nmodl: x\n---\n" });
    const { GraftDocs } = require("../../../components/graft/graft-docs") as typeof import("../../../components/graft/graft-docs");
    expect(() => new GraftDocs("broken", { rootDir: root, config: GRAFT_DEFAULTS, hashCache: false })).toThrow(
      ["Graft found 1 problem in the prompt files; nothing was generated:", '  - docs/bad.prompt.md:4: unknown key "modl"; did you mean "model"?', "Fix them and run again."].join("\n"),
    );
    expect(registered.filter((r) => r.type.includes("GraftDocument"))).toEqual([]);
  });

  it("rejects bad arguments before anything else", async () => {
    const { GraftDocs } = require("../../../components/graft/graft-docs") as typeof import("../../../components/graft/graft-docs");
    expect(() => new GraftDocs("args", { rootDir: "/no/such/repo", config: { ...GRAFT_DEFAULTS, generatorCommand: [" "] } })).toThrow(
      [
        "GraftDocs arguments have 2 problems:",
        '  - [rootDir] must be an existing directory; received "/no/such/repo" (resolved to /no/such/repo). Point it at the repository root.',
        '  - [config.generatorCommand] must start with an executable, or be empty for the built-in Bedrock generator; received [" "].',
      ].join("\n"),
    );
  });

  it("warns when dvc.yaml is out of step with the prompts", async () => {
    const root = copyFixture();
    writeTree(root, { "docs/extra.prompt.md": "Extra\n" });
    await plan("warned", root);
    expect(warnings).toEqual(["dvc.yaml has no stage writing docs/extra.md (prompt docs/extra.prompt.md); run `delivery graft-sync` and commit dvc.yaml"]);
  });
});
