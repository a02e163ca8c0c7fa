/**
 * After a generation, graft.lock.json and dvc.lock move together: `graft-status --check` and
 * `dvc status` (ours, and the real one when DVC is on PATH) are both clean — with the built-in
 * generator, with a command generator, and with a `dvc repro` generator.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { parseBlockYaml, emitBlockYaml, yamlString } from "../../../core/graft/block-yaml";
import { dvcStatus, readDvcPipeline } from "../../../core/graft/dvc";
import { renderLockStage, replaceLockStage, updateDvcLock } from "../../../core/graft/dvc-lock";
import { generateDocument } from "../../../core/graft/generate";
import { ContentHasher } from "../../../core/graft/hashing";
import { computeStatus } from "../../../core/graft/staleness";
import { run } from "../../../cli/main";
import { captureIo } from "../../harness/cli";
import { standInEnv, useBedrockStandIn } from "./bedrock-helpers";
import { fakeGenerator } from "./generator-helpers";
import { applyMutations, cleanupScratch, copyFixture, GRAFT_DEFAULTS } from "./helpers";
import { DVC, liveDvcStatus } from "./live-dvc";

afterAll(cleanupScratch);
const bedrock = useBedrockStandIn();
// The live tests run real `dvc` (a Python start-up of seconds each) on a shared 2-core machine.
jest.setTimeout(120_000);

const liveIt = DVC ? it : it.skip;

function ourDvcStatus(root: string): unknown {
  return dvcStatus(readDvcPipeline(root)!, new ContentHasher(root, { cache: false })).status;
}

function lockBlock(text: string, stage: string): string {
  const lines = text.split("\n");
  const start = lines.indexOf(`  ${stage}:`);
  let end = start + 1;
  while (end < lines.length && lines[end].startsWith("   ")) end++;
  return lines.slice(start, end).join("\n");
}

describe("graft-generate keeps graft.lock.json and dvc.lock together", () => {
  it("built-in generator: both checks are clean afterwards, and only the regenerated stages' blocks of dvc.lock change", async () => {
    const root = copyFixture();
    applyMutations(root, [{ op: "append", path: "src/config.json", content: "\n" }]);
    const before = readFileSync(path.join(root, "dvc.lock"), "utf8");
    expect(Object.keys(ourDvcStatus(root) as object).sort()).toEqual(["api"]);
    const cli = captureIo({ cwd: root, env: standInEnv(bedrock()) });
    expect(await run(["graft-generate"], cli.io)).toBe(0);
    expect(cli.stdout()).toMatch(/^generated docs\/api\.md \(.*, dvc\.lock stage api updated\)\ngenerated docs\/guide\.md \(.*, dvc\.lock stage guide updated\)\n$/);
    const after = readFileSync(path.join(root, "dvc.lock"), "utf8");
    for (const stage of ["faq", "stats"]) expect(lockBlock(after, stage)).toBe(lockBlock(before, stage));
    expect(parse(after)).toEqual(parseBlockYaml(after));
    expect(ourDvcStatus(root)).toEqual({});
    const check = captureIo({ cwd: root });
    expect(await run(["graft-status", "--check", "--no-cache"], check.io)).toBe(0);
  });

  liveIt("built-in generator: real `dvc status` is clean afterwards", async () => {
    const root = copyFixture();
    applyMutations(root, [{ op: "append", path: "src/faq.txt", content: "One more question.\n" }]);
    expect(Object.keys(liveDvcStatus(root) as object)).toEqual(["faq"]);
    const cli = captureIo({ cwd: root, env: standInEnv(bedrock()) });
    expect(await run(["graft-generate"], cli.io)).toBe(0);
    expect(liveDvcStatus(root)).toEqual({});
    expect(computeStatus(root, GRAFT_DEFAULTS, { cache: false }).documents.filter((d) => d.stale)).toEqual([]);
  });

  liveIt("a command generator (no DVC involved): real `dvc status` is clean afterwards", async () => {
    const root = copyFixture();
    applyMutations(root, [{ op: "append", path: "src/config.json", content: "\n" }]);
    const fake = fakeGenerator(["success"]);
    for (const doc of computeStatus(root, GRAFT_DEFAULTS, { cache: false }).documents.filter((d) => d.stale)) {
      await generateDocument({ root, prompt: doc.prompt, output: doc.output, stage: doc.stage, model: doc.model, deps: Object.keys(doc.inputs.deps), command: GRAFT_DEFAULTS.generatorCommand, models: GRAFT_DEFAULTS.models, timeoutMs: 10_000, env: fake.env });
    }
    expect(liveDvcStatus(root)).toEqual({});
    expect(computeStatus(root, GRAFT_DEFAULTS, { cache: false }).documents.filter((d) => d.stale)).toEqual([]);
  });

  liveIt("a `dvc repro` generator: DVC writes dvc.lock, which is then left as DVC wrote it", async () => {
    const root = copyFixture();
    applyMutations(root, [{ op: "append", path: "src/faq.txt", content: "Another.\n" }]);
    spawnSync("git", ["init", "-q"], { cwd: root });
    const fake = fakeGenerator(["success"]);
    const [doc] = computeStatus(root, GRAFT_DEFAULTS, { cache: false }).documents.filter((d) => d.stale);
    const result = await generateDocument({ root, prompt: doc.prompt, output: doc.output, stage: doc.stage, model: doc.model, deps: Object.keys(doc.inputs.deps), command: ["dvc", "repro", "--single-item", "{stage}"], models: GRAFT_DEFAULTS.models, timeoutMs: 60_000, env: fake.env });
    expect(result.dvcLock).toEqual({ kind: "up-to-date", stage: "faq" });
    expect(liveDvcStatus(root)).toEqual({});
    expect(computeStatus(root, GRAFT_DEFAULTS, { cache: false }).documents.filter((d) => d.stale)).toEqual([]);
  }, 60_000);

  liveIt("a cached out is stored in the DVC cache, as `dvc commit` does", () => {
    const root = copyFixture();
    applyMutations(root, [{ op: "append", path: "src/api.ts", content: "// more\n" }]);
    writeFileSync(path.join(root, "build/stats.txt"), "8 src/api.ts\n");
    expect(updateDvcLock(root, "build/stats.txt")).toEqual({ kind: "written", stage: "stats" });
    expect((liveDvcStatus(root) as Record<string, unknown>).stats).toBeUndefined();
    expect((ourDvcStatus(root) as Record<string, unknown>).stats).toBeUndefined();
  });

  it("after a graft-only regeneration, a dvc.lock left behind is recorded without regenerating", async () => {
    const root = copyFixture();
    // dvc.lock forgets the faq stage; graft.lock.json still says docs/faq.md is current.
    const lock = readFileSync(path.join(root, "dvc.lock"), "utf8");
    writeFileSync(path.join(root, "dvc.lock"), replaceLockStage(lock, "faq", "")!);
    const cli = captureIo({ cwd: root, env: standInEnv(bedrock()) });
    expect(await run(["graft-generate"], cli.io)).toBe(0);
    expect(cli.stderr()).toContain("docs/faq.md is up to date (graft.lock.json); dvc.lock stage faq recorded without regenerating");
    expect(bedrock().requests).toEqual([]);
    expect(ourDvcStatus(root)).toEqual({});
  });
});

describe("dvc.lock text", () => {
  const entry = { cmd: "bash scripts/render_llm.sh --prompt docs/a.prompt.md --out docs/a.md --name a", deps: [{ path: "docs/a.prompt.md", md5: "0".repeat(32), size: 3 }], outs: [{ path: "docs/a.md", md5: "1".repeat(32), size: 4 }] };

  it("renders a stage the way DVC writes it", () => {
    expect(renderLockStage("a", entry)).toBe(
      [
        "  a:",
        "    cmd: bash scripts/render_llm.sh --prompt docs/a.prompt.md --out docs/a.md --name a",
        "    deps:",
        "    - path: docs/a.prompt.md",
        "      hash: md5",
        `      md5: '${"0".repeat(32)}'`,
        "      size: 3",
        "    outs:",
        "    - path: docs/a.md",
        "      hash: md5",
        `      md5: '${"1".repeat(32)}'`,
        "      size: 4",
        "",
      ].join("\n"),
    );
  });

  it("replaces one stage's block (folded continuation lines included), appends a new one, creates the file", () => {
    const text = "schema: '2.0'\nstages:\n  a:\n    cmd: bash x --prompt\n      docs/a.prompt.md\n    deps: []\n  b:\n    cmd: y\n";
    const replaced = replaceLockStage(text, "a", renderLockStage("a", entry))!;
    expect(parse(replaced).stages).toEqual({ a: { ...entry, deps: entry.deps.map((d) => ({ path: d.path, hash: "md5", md5: d.md5, size: d.size })), outs: entry.outs.map((d) => ({ path: d.path, hash: "md5", md5: d.md5, size: d.size })) }, b: { cmd: "y" } });
    expect(Object.keys(parse(replaceLockStage(text, "c", renderLockStage("c", entry))!).stages)).toEqual(["a", "b", "c"]);
    expect(parse(replaceLockStage(undefined, "c", renderLockStage("c", entry))!)).toMatchObject({ schema: "2.0", stages: { c: { cmd: entry.cmd } } });
    expect(replaceLockStage("c:\n  cmd: x\n", "c", renderLockStage("c", entry))).toBeUndefined();
  });

  it("yamlString round-trips any string through the yaml package and the block reader (property)", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const doc = `k: ${yamlString(s)}\n`;
        expect(parse(doc)).toEqual({ k: s });
        const fast = parseBlockYaml(doc);
        if (fast !== undefined) expect(fast).toEqual({ k: s });
      }),
      { numRuns: 500 },
    );
  });

  it("emitBlockYaml writes what the yaml package and the block reader read back unchanged (property)", () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_./-]{0,12}$/);
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, scalar, fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(key, tie("node"), { maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 4 }), (data) => {
        const text = emitBlockYaml(data);
        expect(parse(text) ?? {}).toEqual(data);
        const fast = parseBlockYaml(text);
        if (fast !== undefined) expect(fast ?? {}).toEqual(data);
      }),
      { numRuns: 300 },
    );
  });
});
