/** `delivery graft-status` and `delivery graft-generate`, run in-process through the real CLI. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { run } from "../../../cli/main";
import { captureIo } from "../../harness/cli";
import { fakeGenerator, smallRepo } from "./generator-helpers";
import { applyMutations, cleanupScratch, copyFixture, scenario, writeTree } from "./helpers";

afterAll(cleanupScratch);

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
    writeTree(root, { "docs/e.prompt.md": "---\ndeps: [missing.txt]\n---\n" });
    const cli = captureIo({ cwd: root });
    expect(await run(["graft-status"], cli.io)).toBe(2);
    expect(cli.stderr()).toBe(
      [
        "delivery: Graft found 1 problem in the prompt files; nothing was generated:",
        "  - missing dependency missing.txt (required by docs/e.prompt.md)",
        "Fix them and run again.",
        "",
      ].join("\n"),
    );
  });
});

describe("delivery graft-generate", () => {
  it("regenerates the stale documents in order, after which graft-status --check passes", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["success"]);
    const cli = captureIo({ cwd: root, env: fake.env });
    expect(await run(["graft-generate"], cli.io)).toBe(0);
    expect(cli.stdout()).toMatch(/^generated docs\/a\.md \(anthropic\.claude-sonnet-4-5-20250929-v1:0, \d+ ms, 1 attempt\)\ngenerated docs\/b\.md/);
    expect(fake.log().filter((e) => e.event === "start").map((e) => e.output)).toEqual(["docs/a.md", "docs/b.md", "docs/c.md", "docs/d.md"]);
    const check = captureIo({ cwd: root });
    expect(await run(["graft-status", "--check"], check.io)).toBe(0);
    const again = captureIo({ cwd: root, env: fake.env });
    expect(await run(["graft-generate"], again.io)).toBe(0);
    expect(again.stdout()).toBe("Nothing to generate: every document is up to date.\n");
  });

  it("stops at the first failure with the explanation (exit 1)", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["no-credentials"]);
    const cli = captureIo({ cwd: root, env: fake.env });
    expect(await run(["graft-generate", "--only", "docs/c.md"], cli.io)).toBe(1);
    expect(cli.stderr()).toContain("delivery: docs/c.md was not generated (1 attempt): the generator found no usable AWS credentials");
    expect(readFileSync(path.join(fake.env.GRAFT_FAKE_SCRIPT), "utf8")).toContain("no-credentials");
  });

  it("rejects --only paths no prompt generates", async () => {
    const cli = captureIo({ cwd: smallRepo() });
    expect(await run(["graft-generate", "--only", "docs/zzz.md"], cli.io)).toBe(2);
    expect(cli.stderr()).toBe("delivery: --only names docs/zzz.md, which no prompt generates; known documents: docs/a.md, docs/b.md, docs/c.md, docs/d.md\n");
  });
});
