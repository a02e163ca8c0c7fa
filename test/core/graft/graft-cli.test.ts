/** `delivery graft-status` and `delivery graft-generate`, run in-process through the real CLI. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { run } from "../../../cli/main";
import { captureIo } from "../../harness/cli";
import { standInEnv, useBedrockStandIn } from "./bedrock-helpers";
import { smallRepo } from "./generator-helpers";
import { applyMutations, cleanupScratch, copyFixture, scenario, writeTree } from "./helpers";

afterAll(cleanupScratch);
const bedrock = useBedrockStandIn();

describe("delivery graft-status", () => {
  it("lists the stale documents with their reasons, without credentials", async () => {
    const root = copyFixture();
    applyMutations(root, scenario("dep modified").mutations);
    const cli = captureIo({ cwd: root, env: {} });
    expect(await run(["graft-status", "--no-cache"], cli.io)).toBe(0);
    expect(cli.stdout()).toBe(
      [
        "2 of 3 documents are stale:",
        "  docs/api.md (prompt docs/api.prompt.md, stage api)",
        "    - deps changed: src/api.ts (modified)",
        "  docs/guide.md (prompt docs/guide.prompt.md, stage guide)",
        "    - depends on a document regenerated first: docs/api.md",
        "",
      ].join("\n"),
    );
  });

  it("--check exits 1 when anything is stale, 0 when nothing is", async () => {
    const root = copyFixture();
    const clean = captureIo({ cwd: root });
    expect(await run(["graft-status", "--check"], clean.io)).toBe(0);
    expect(clean.stdout()).toBe("All 3 documents are up to date.\n");

    applyMutations(root, scenario("output deleted").mutations);
    const stale = captureIo({ cwd: path.dirname(root) });
    expect(await run(["graft-status", "--root", "repo", "--check"], stale.io)).toBe(1);
    expect(stale.stderr()).toBe("delivery: 1 Graft document is stale; regenerate with `pulumi up` or `delivery graft-generate` and commit the result\n");
  });

  it("--json reports every document, and dvc status exactly as `dvc status --json` would", async () => {
    const root = copyFixture();
    applyMutations(root, scenario("dep modified").mutations);
    const cli = captureIo({ cwd: root });
    expect(await run(["graft-status", "--json", "--no-cache"], cli.io)).toBe(0);
    const json = JSON.parse(cli.stdout());
    expect(json.stale).toEqual(["docs/api.md", "docs/guide.md"]);
    expect(json.dvc.status).toEqual({ api: [{ "changed deps": { "src/api.ts": "modified" } }], stats: [{ "changed deps": { "src/api.ts": "modified" } }] });
    expect(json.documents[0]).toMatchObject({
      output: "docs/api.md",
      prompt: "docs/api.prompt.md",
      stage: "api",
      stale: true,
      reasons: ["deps changed: src/api.ts (modified)"],
      details: [{ kind: "deps-changed", deps: [{ path: "src/api.ts", change: "modified" }] }],
      baseline: "graft.lock.json",
      dvc: { stage: "api", status: [{ "changed deps": { "src/api.ts": "modified" } }] },
    });
  });

  it("bad prompts are a usage error (exit 2) listing every problem", async () => {
    const root = smallRepo();
    writeTree(root, { "docs/e.prompt.md": "---\ndeps: [a.txt\n---\n", "docs/f.prompt.md": "---\nmodle: x\n---\n" });
    const cli = captureIo({ cwd: root });
    expect(await run(["graft-status"], cli.io)).toBe(2);
    expect(cli.stderr()).toMatch(/^delivery: Graft found 2 problems in the prompt files; nothing was generated:\n  - docs\/e\.prompt\.md:2: front matter is not valid YAML: .*\n  - docs\/f\.prompt\.md:2: .*modle.*\nFix them and run again\.\n$/);
  });

  it("a deleted dependency is reported per document as deleted, like dvc status, without aborting", async () => {
    const root = copyFixture();
    applyMutations(root, [{ op: "delete", path: "src/config.json" }]);
    const cli = captureIo({ cwd: root });
    expect(await run(["graft-status", "--json", "--no-cache"], cli.io)).toBe(0);
    const json = JSON.parse(cli.stdout());
    expect(json.documents.filter((d: { stale: boolean }) => d.stale).map((d: { output: string; reasons: string[] }) => [d.output, d.reasons])).toEqual([
      ["docs/api.md", ["deps changed: src/config.json (deleted)"]],
      ["docs/guide.md", ["depends on a document regenerated first: docs/api.md"]],
    ]);
    expect(json.dvc.status.api).toEqual([{ "changed deps": { "src/config.json": "deleted" } }]);
    const generate = captureIo({ cwd: root, env: standInEnv(bedrock()) });
    expect(await run(["graft-generate"], generate.io)).toBe(2);
    expect(generate.stderr()).toContain("missing dependency src/config.json (required by docs/api.prompt.md");
  });

  it("--check fails when dvc.yaml is out of step with the prompts, and graft-sync brings it back", async () => {
    const root = copyFixture();
    applyMutations(root, [{ op: "replace", path: "dvc.yaml", from: "    - src/config.json\n", to: "" }]);
    const check = captureIo({ cwd: root });
    expect(await run(["graft-status", "--check", "--no-cache"], check.io)).toBe(1);
    expect(check.stdout()).toContain("out of step: dvc.yaml stage api deps disagree with docs/api.prompt.md: it lacks src/config.json; run `delivery graft-sync` and commit dvc.yaml");
    expect(check.stderr()).toContain("dvc.yaml is out of step with the prompts; run `delivery graft-sync` and commit dvc.yaml");
    const syncCheck = captureIo({ cwd: root });
    expect(await run(["graft-sync", "--check"], syncCheck.io)).toBe(1);
    const sync = captureIo({ cwd: root });
    expect(await run(["graft-sync"], sync.io)).toBe(0);
    expect(sync.stdout()).toBe("dvc.yaml: stage api: deps set to docs/api.prompt.md, src/api.ts, src/config.json\n");
    const again = captureIo({ cwd: root });
    expect(await run(["graft-sync"], again.io)).toBe(0);
    expect(again.stdout()).toBe("dvc.yaml is in step with the prompts.\n");
  });
});

describe("delivery graft-generate", () => {
  it("out of the box (built-in Bedrock generator), regenerates the stale documents in order, after which graft-status --check passes", async () => {
    const root = smallRepo();
    const cli = captureIo({ cwd: root, env: standInEnv(bedrock()) });
    expect(await run(["graft-generate"], cli.io)).toBe(0);
    expect(cli.stdout()).toMatch(/^generated docs\/a\.md \(us\.anthropic\.claude-sonnet-4-5-20250929-v1:0, \d+ ms, 1 attempt\)\ngenerated docs\/b\.md/);
    expect(bedrock().requests.map((r) => r.modelId)).toEqual(Array(4).fill("us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
    expect(readFileSync(path.join(root, "docs/b.md"), "utf8")).toMatch(/^<!-- Generated by Graft \| model=anthropic\.claude-sonnet-4-5-20250929-v1:0 \| sig=[0-9a-f]{64} \| rev=workspace \| \d{4}-\d{2}-\d{2} -->\n# Summarise the alpha document\.\n/);
    const check = captureIo({ cwd: root });
    expect(await run(["graft-status", "--check"], check.io)).toBe(0);
    const again = captureIo({ cwd: root, env: standInEnv(bedrock()) });
    expect(await run(["graft-generate"], again.io)).toBe(0);
    expect(again.stdout()).toBe("Nothing to generate: every document is up to date.\n");
  });

  it("stops at the first failure with the explanation (exit 1)", async () => {
    const root = smallRepo();
    bedrock().script(["access-denied"]);
    const cli = captureIo({ cwd: root, env: standInEnv(bedrock()) });
    expect(await run(["graft-generate", "--only", "docs/c.md"], cli.io)).toBe(1);
    expect(cli.stderr()).toContain("delivery: docs/c.md was not generated (1 attempt): the AWS identity may not invoke us.anthropic.claude-sonnet-4-5-20250929-v1:0 in us-east-1 (AccessDeniedException)");
    expect(bedrock().requests.map((r) => r.step)).toEqual(["access-denied"]);
  });

  it("rejects --only paths no prompt generates", async () => {
    const cli = captureIo({ cwd: smallRepo() });
    expect(await run(["graft-generate", "--only", "docs/zzz.md"], cli.io)).toBe(2);
    expect(cli.stderr()).toBe("delivery: --only names docs/zzz.md, which no prompt generates; known documents: docs/a.md, docs/b.md, docs/c.md, docs/d.md\n");
  });
});
