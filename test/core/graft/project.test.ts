import fc from "fast-check";
import { globSync } from "tinyglobby";
import { stackConfigSchema } from "../../../core/config";
import { buildProject, discoverPrompts, GraftValidationError, loadProject } from "../../../core/graft/project";
import { cleanupScratch, GRAFT_DEFAULTS, tempDir, writeTree } from "./helpers";

afterAll(cleanupScratch);

const config = { promptGlobs: ["**/*.prompt.md"], defaultModel: "anthropic.claude-sonnet-4-5-20250929-v1:0" };

function errorOf(fn: () => unknown): GraftValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GraftValidationError) return err;
    throw err;
  }
  throw new Error("expected a GraftValidationError");
}

describe("discoverPrompts", () => {
  it("finds prompts by glob, sorted, skipping node_modules and dot-directories", () => {
    const root = tempDir();
    writeTree(root, { "b.prompt.md": "", "docs/a.prompt.md": "", "node_modules/x/c.prompt.md": "", ".graft/d.prompt.md": "", "docs/readme.md": "" });
    expect(discoverPrompts(root, ["**/*.prompt.md"])).toEqual(["b.prompt.md", "docs/a.prompt.md"]);
    expect(discoverPrompts(root, ["docs/**/*.prompt.md"])).toEqual(["docs/a.prompt.md"]);
  });

  it("the default globs find Graft's layout: the root README.prompt.md and prompts under docs/", () => {
    const root = tempDir();
    writeTree(root, { "README.prompt.md": "", "docs/getting-started.prompt.md": "", "docs/naming/02-final/recommendation.prompt.md": "" });
    const defaults = stackConfigSchema.shape.graft.parse(undefined);
    expect(discoverPrompts(root, defaults.promptGlobs)).toEqual(["README.prompt.md", "docs/getting-started.prompt.md", "docs/naming/02-final/recommendation.prompt.md"]);
    expect(defaults.generatorCommand).toEqual([]);
  });

  it("finds exactly what the glob library it replaced finds (tinyglobby, dot: false), for any tree and globs (property)", () => {
    const segment = fc.constantFrom("docs", "src", "a", "b-c", ".hidden", "node_modules", ".git", "x.prompt.md", "README.prompt.md", ".dot.prompt.md", "notes.md", "y.md");
    const file = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
    const glob = fc.constantFrom("**/*.prompt.md", "*.prompt.md", "docs/**/*.prompt.md", "**/README.prompt.md", "docs/*.md", "src/**", "**/*.md", ".hidden/**/*.prompt.md", "a/{b-c,docs}/*.md", "**/x.prompt.md");
    fc.assert(
      fc.property(fc.uniqueArray(file, { minLength: 1, maxLength: 12 }), fc.uniqueArray(glob, { minLength: 1, maxLength: 3 }), (files, globs) => {
        const root = tempDir();
        // A path cannot be both a file and a directory: keep the files no other file lies under.
        const kept = files.filter((f) => !files.some((g) => g.startsWith(`${f}/`)));
        writeTree(root, Object.fromEntries(kept.map((f) => [f, ""])));
        // tinyglobby's `**/node_modules/**` ignore does not reach inside a dot-directory a glob names; the rule does.
        const skipped = (p: string) => p.split("/").slice(0, -1).some((dir) => ["node_modules", ".git", ".dvc", ".graft"].includes(dir));
        const expected = globSync([...globs], { cwd: root, onlyFiles: true, dot: false, expandDirectories: false })
          .filter((p) => !skipped(p))
          .sort();
        expect(discoverPrompts(root, globs)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });
});

describe("loadProject", () => {
  it("orders documents so that upstream documents come first, and applies the default model", () => {
    const root = tempDir();
    writeTree(root, {
      "src/a.ts": "a",
      "docs/a-guide.prompt.md": "---\ndeps: [docs/b.md]\n---\nGuide\n",
      "docs/b.prompt.md": "---\ndeps: [src/a.ts]\nmodel: anthropic.claude-3-haiku-20240307-v1:0\n---\nRef\n",
    });
    const project = loadProject(root, config);
    expect(project.documents.map((d) => [d.output, d.stage, d.model, d.upstream])).toEqual([
      ["docs/b.md", "b", "anthropic.claude-3-haiku-20240307-v1:0", []],
      ["docs/a-guide.md", "a_guide", config.defaultModel, ["docs/b.md"]],
    ]);
  });

  it("lists every problem at once, and nothing is returned", () => {
    const root = tempDir();
    writeTree(root, {
      "src/present.ts": "",
      "docs/configuration.prompt.md": "---\ndeps:\n  - src/config.json\n  - src/present.ts\n---\n",
      "docs/api-reference.prompt.md": "---\ndeps:\n  - sources/api/endpoints.yaml\n  - src/config.json\n---\n",
      "docs/broken.prompt.md": "---\ndeps: [unclosed\n---\n",
      "docs/a.prompt.md": "---\ndeps: [docs/b.md]\n---\n",
      "docs/b.prompt.md": "---\ndeps: [docs/c.md]\n---\n",
      "docs/c.prompt.md": "---\ndeps: [docs/a.md]\n---\n",
      "docs/self.prompt.md": "---\ndeps: [docs/self.md]\n---\n",
      "docs/x.prompt.md": "---\noutput: docs/shared.md\n---\n",
      "other/y.prompt.md": "---\noutput: docs/shared.md\n---\n",
      "src/dir/file.txt": "",
      "docs/dir.prompt.md": "---\ndeps: [src/dir]\n---\n",
    });
    const err = errorOf(() => loadProject(root, GRAFT_DEFAULTS));
    expect(err.message).toBe(
      [
        "Graft found 7 problems in the prompt files; nothing was generated:",
        "  - docs/broken.prompt.md:2: front matter is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
        "  - docs/shared.md is written by 2 prompts: docs/x.prompt.md, other/y.prompt.md; give all but one a distinct output: in their front matter",
        "  - missing dependency sources/api/endpoints.yaml (required by docs/api-reference.prompt.md)",
        "  - missing dependency src/config.json (required by docs/api-reference.prompt.md, docs/configuration.prompt.md)",
        "  - dependency src/dir is a directory (required by docs/dir.prompt.md); list the files it should track",
        "  - dependency cycle: docs/a.md -> docs/b.md -> docs/c.md -> docs/a.md (docs/a.prompt.md depends on docs/b.md, docs/b.prompt.md depends on docs/c.md, docs/c.prompt.md depends on docs/a.md)",
        "  - dependency cycle: docs/self.md -> docs/self.md (docs/self.prompt.md depends on docs/self.md)",
        "Fix them and run again.",
      ].join("\n"),
    );
    expect(err.problems.map((p) => p.kind)).toEqual(["front-matter", "duplicate-output", "missing-dep", "missing-dep", "directory-dep", "cycle", "cycle"]);
  });

  it("treats outputs differing only in case as one output", () => {
    const err = errorOf(() =>
      buildProject("/repo", ["a/API.prompt.md", "a/api.prompt.md"], config, { isFile: () => true, readText: () => "Body\n" }),
    );
    expect(err.problems).toEqual([{ kind: "duplicate-output", output: "a/API.md", prompts: ["a/API.prompt.md", "a/api.prompt.md"] }]);
  });

  it("accepts a dep that another prompt generates even before it exists", () => {
    const project = buildProject("/repo", ["a.prompt.md", "b.prompt.md"], config, {
      isFile: () => false,
      readText: (p) => (p === "b.prompt.md" ? "---\ndeps: [a.md]\n---\n" : "Body\n"),
    });
    expect(project.documents.map((d) => d.output)).toEqual(["a.md", "b.md"]);
  });
});
