/** dvc.yaml in step with the prompts: `pipelineDrift` and `syncDvcYaml` (Graft's sync). */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { readDvcPipeline } from "../../../core/graft/dvc";
import { loadProject } from "../../../core/graft/project";
import { computeStatus } from "../../../core/graft/staleness";
import { pipelineDrift, shellQuote, stageCommand, syncDvcYaml } from "../../../core/graft/sync";
import { applyMutations, cleanupScratch, copyFixture, GRAFT_DEFAULTS, tempDir, writeTree } from "./helpers";
import { DVC, liveDvcStatus } from "./live-dvc";

afterAll(cleanupScratch);

function sync(root: string) {
  const pipeline = readDvcPipeline(root);
  const byOutput = new Map<string, string>();
  for (const s of pipeline?.stages ?? []) for (const o of s.outs) byOutput.set(o.path, s.name);
  const project = loadProject(root, GRAFT_DEFAULTS, { stageFor: (o) => byOutput.get(o) });
  return syncDvcYaml(root, project.documents, (doc) => stageCommand(doc, [], "prod"));
}

describe("syncDvcYaml", () => {
  it("adds a stage for a new prompt (Graft's name, deps and cache: false out), keeps every other stage and the header", () => {
    const root = copyFixture();
    writeTree(root, { "docs/exec-summary.prompt.md": "---\ndeps:\n  - docs/api.md\n  - src/faq.txt\n---\nSummarise.\n" });
    const before = parse(readFileSync(path.join(root, "dvc.yaml"), "utf8"));
    const result = sync(root);
    expect(result.changes).toEqual(["stage exec_summary: added for docs/exec-summary.prompt.md"]);
    // Only the new stage's block is written: the file as it was comes first, byte for byte.
    expect(result.text.startsWith(readFileSync(path.join(root, "dvc.yaml"), "utf8"))).toBe(true);
    const after = parse(result.text);
    expect(after.stages.exec_summary).toEqual({
      cmd: "npx delivery graft-generate --stack prod --only docs/exec-summary.md",
      deps: ["docs/exec-summary.prompt.md", "docs/api.md", "src/faq.txt"],
      outs: [{ "docs/exec-summary.md": { cache: false } }],
    });
    for (const stage of ["api", "faq", "guide", "stats"]) expect(after.stages[stage]).toEqual(before.stages[stage]);
    writeFileSync(path.join(root, "dvc.yaml"), result.text);
    expect(sync(root).changes).toEqual([]);
    expect(computeStatus(root, GRAFT_DEFAULTS, { cache: false }).outOfStep).toEqual([]);
  });

  it("fixes a stage's deps and removes the stage of a deleted prompt", () => {
    const root = copyFixture();
    applyMutations(root, [{ op: "replace", path: "dvc.yaml", from: "    - src/config.json\n", to: "" }]);
    rmSync(path.join(root, "docs/faq.prompt.md"));
    const project = loadProject(root, GRAFT_DEFAULTS);
    expect(pipelineDrift(project.documents, readDvcPipeline(root)!)).toEqual([
      "dvc.yaml stage api deps disagree with docs/api.prompt.md: it lacks src/config.json; run `delivery graft-sync` and commit dvc.yaml",
      "dvc.yaml stage faq is for docs/faq.prompt.md, which is no longer a prompt; run `delivery graft-sync` and commit dvc.yaml",
    ]);
    const result = sync(root);
    expect(result.changes).toEqual(["stage api: deps set to docs/api.prompt.md, src/api.ts, src/config.json", "stage faq: removed (docs/faq.prompt.md is no longer a prompt)"]);
    expect(Object.keys(parse(result.text).stages)).toEqual(["api", "guide", "stats"]);
    const guideBlock = (text: string) => text.slice(text.indexOf("  guide:"), text.indexOf("  stats:"));
    expect(guideBlock(result.text)).toBe(guideBlock(readFileSync(path.join(root, "dvc.yaml"), "utf8")));
  });

  it("writes a new dvc.yaml with one stage per prompt, distinct names for prompts with the same stem", () => {
    const root = tempDir();
    writeTree(root, { "README.prompt.md": "Intro.\n", "docs/README.prompt.md": "Docs intro.\n" });
    const result = sync(root);
    expect(result.text.startsWith("# Stages for the Graft prompts, written by `delivery graft-sync`")).toBe(true);
    expect(parse(result.text).stages).toEqual({
      README: { cmd: "npx delivery graft-generate --stack prod --only README.md", deps: ["README.prompt.md"], outs: [{ "README.md": { cache: false } }] },
      README_2: { cmd: "npx delivery graft-generate --stack prod --only docs/README.md", deps: ["docs/README.prompt.md"], outs: [{ "docs/README.md": { cache: false } }] },
    });
  });

  (DVC ? it : it.skip)("writes a dvc.yaml real DVC reads (dvc status lists the new stage)", () => {
    const root = copyFixture();
    writeTree(root, { "docs/new.prompt.md": "---\ndeps: [src/faq.txt]\n---\nNew.\n" });
    writeFileSync(path.join(root, "dvc.yaml"), sync(root).text);
    const live = liveDvcStatus(root) as object;
    expect(Object.keys(live)).toEqual(["new"]);
  });
});

describe("stageCommand", () => {
  it("fills a configured command's placeholders and quotes words the shell would split", () => {
    expect(stageCommand({ prompt: "docs/a b.prompt.md", output: "docs/a b.md", stage: "a_b", model: "m" }, ["bash", "scripts/render_llm.sh", "--prompt", "{prompt}", "--out", "{output}", "--name", "{stage}"], undefined)).toBe(
      "bash scripts/render_llm.sh --prompt 'docs/a b.prompt.md' --out 'docs/a b.md' --name a_b",
    );
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
