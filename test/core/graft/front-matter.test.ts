import fc from "fast-check";
import { normaliseRepoPath, parsePromptFile } from "../../../core/graft/front-matter";

describe("parsePromptFile", () => {
  it("reads deps, model and output", () => {
    const r = parsePromptFile("docs/a.prompt.md", "---\nmodel: anthropic.claude-3-haiku-20240307-v1:0\ndeps:\n  - src/a.ts\n  - ./src/b.ts\noutput: docs/out/a.md\n---\nWrite.\n");
    expect(r).toEqual({ ok: true, frontMatter: { deps: ["src/a.ts", "src/b.ts"], model: "anthropic.claude-3-haiku-20240307-v1:0", output: "docs/out/a.md" }, body: "Write.\n" });
  });

  it("accepts no front matter, an empty one and an empty deps", () => {
    const none = { deps: [], model: undefined, output: undefined };
    expect(parsePromptFile("a.prompt.md", "Write.\n")).toEqual({ ok: true, frontMatter: none, body: "Write.\n" });
    expect(parsePromptFile("a.prompt.md", "---\n---\nWrite.\n")).toEqual({ ok: true, frontMatter: none, body: "Write.\n" });
    expect(parsePromptFile("a.prompt.md", "---\ndeps:\n---\nWrite.\n")).toEqual({ ok: true, frontMatter: none, body: "Write.\n" });
  });

  it("ignores keys other tools use, but not near misses of its own", () => {
    expect(parsePromptFile("a.prompt.md", "---\ntitle: Guide\ndeps: [a]\n---\n").ok).toBe(true);
    expect(parsePromptFile("docs/a.prompt.md", "---\ntitle: Guide\ndep:\n  - src/a.ts\n---\n")).toEqual({
      ok: false,
      problems: [{ file: "docs/a.prompt.md", line: 3, message: 'unknown key "dep"; did you mean "deps"?' }],
    });
  });

  it("reports malformed YAML with the file's line number", () => {
    expect(parsePromptFile("docs/a.prompt.md", "---\ndeps:\n  - src/a.ts\n  - [src/b.ts\nmodel: m\n---\nBody\n")).toEqual({
      ok: false,
      problems: [{ file: "docs/a.prompt.md", line: 5, message: "front matter is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]" }],
    });
  });

  it("reports an unclosed front matter on line 1", () => {
    expect(parsePromptFile("a.prompt.md", "---\ndeps: [a]\nWrite.\n")).toEqual({
      ok: false,
      problems: [{ file: "a.prompt.md", line: 1, message: "front matter opened with --- is never closed; add a line with --- after it" }],
    });
  });

  it("reports every bad field with its line", () => {
    const text = ["---", "deps:", "  - src/a.ts", "  - ../secrets.txt", "  - 42", "  - /etc/passwd", "  - src/a.ts", "model: 7", "output: C:\\out.md", "---", "Body"].join("\n");
    expect(parsePromptFile("p.prompt.md", text)).toEqual({
      ok: false,
      problems: [
        { file: "p.prompt.md", line: 4, message: 'deps[1] "../secrets.txt" leaves the repository (contains ..)' },
        { file: "p.prompt.md", line: 5, message: "deps[2] must be a file path string, got 42" },
        { file: "p.prompt.md", line: 6, message: 'deps[3] "/etc/passwd" is absolute; write it relative to the repository root' },
        { file: "p.prompt.md", line: 7, message: 'deps[4] "src/a.ts" repeats deps[0]; list each file once' },
        { file: "p.prompt.md", line: 8, message: "model must be a non-empty string, got 7" },
        { file: "p.prompt.md", line: 9, message: 'output "C:\\out.md" uses backslashes; write it with forward slashes' },
      ],
    });
  });

  it("reports deps that are not a list, and front matter that is not a mapping", () => {
    expect(parsePromptFile("p.prompt.md", "---\ndeps: src/a.ts\n---\n")).toEqual({
      ok: false,
      problems: [{ file: "p.prompt.md", line: 2, message: "deps must be a list of repository-relative file paths, e.g. `deps: [src/a.ts]`" }],
    });
    expect(parsePromptFile("p.prompt.md", "---\n- a\n- b\n---\n")).toEqual({
      ok: false,
      problems: [{ file: "p.prompt.md", line: 2, message: "front matter must be a YAML mapping such as `deps: [src/a.ts]`" }],
    });
  });

  it("reports duplicate keys", () => {
    const r = parsePromptFile("p.prompt.md", "---\nmodel: a\nmodel: b\n---\n");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatchObject({ file: "p.prompt.md", line: 3 });
  });

  it("never throws, and every problem names the file and a line inside it (property)", () => {
    const yamlish = fc.stringMatching(/^[-a-z:\[\]{}"' \n#&*!|>%@`0-9./\\]*$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), yamlish.map((y) => `---\n${y}\n---\nBody\n`), fc.constantFrom("---\n", "---\r\n---\r\n", "---\n---")), (text) => {
        const r = parsePromptFile("x.prompt.md", text);
        if (!r.ok) {
          const lines = text.split("\n").length;
          for (const p of r.problems) {
            expect(p.file).toBe("x.prompt.md");
            expect(p.line).toBeGreaterThanOrEqual(1);
            expect(p.line).toBeLessThanOrEqual(lines);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("the quick reader and the full YAML parser agree (property)", () => {
    const item = fc.oneof(fc.stringMatching(/^[a-z.\/ ]{1,10}$/), fc.constantFrom("src/a.ts", "./src/a.ts", "../x", "/abs", "42", "true", "a b", "src//a", "'q'", "x # c"));
    const frontMatter = fc.record(
      {
        deps: fc.oneof(fc.array(item, { maxLength: 4 }).map((xs) => (xs.length === 0 ? "deps:" : `deps:\n${xs.map((x) => `  - ${x}`).join("\n")}`)), fc.constant("deps: src/a.ts")),
        model: fc.oneof(fc.constantFrom("model: anthropic.claude-3-haiku-20240307-v1:0", "model: ", "model: a b", "model: 7", "modle: x"), fc.constant("")),
        output: fc.constantFrom("", "output: docs/x.md", "output: ../x.md", "title: Something"),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(frontMatter, (fm) => {
        const text = `---\n${[fm.deps, fm.model, fm.output].filter(Boolean).join("\n")}\n---\nBody\n`;
        expect(parsePromptFile("x.prompt.md", text)).toEqual(parsePromptFile("x.prompt.md", text, { fast: false }));
      }),
      { numRuns: 1000 },
    );
  });

  it("reads back any list of valid deps (property)", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/).filter((s) => s !== "..");
    const dep = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
    fc.assert(
      fc.property(fc.uniqueArray(dep, { maxLength: 8 }), (deps) => {
        const text = `---\ndeps:\n${deps.map((d) => `  - "${d}"`).join("\n")}\n---\nBody\n`;
        const r = parsePromptFile("x.prompt.md", text);
        expect(r).toEqual({ ok: true, frontMatter: { deps, model: undefined, output: undefined }, body: "Body\n" });
      }),
    );
  });
});

describe("normaliseRepoPath", () => {
  it("returns paths in normal form, which normalise to themselves (property)", () => {
    const segment = fc.oneof(fc.constantFrom(".", "..", "", " a", "b\\c", "C:"), fc.stringMatching(/^[a-z0-9._-]{1,6}$/));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean(), (parts, leadingSlash) => {
        const raw = `${leadingSlash ? "/" : ""}${parts.join("/")}`;
        const r = normaliseRepoPath(raw);
        if (!r.ok) return;
        expect(r.path.split("/").some((p) => p === "" || p === "." || p === "..")).toBe(false);
        expect(normaliseRepoPath(r.path)).toEqual(r);
        expect(normaliseRepoPath(`./${r.path}`)).toEqual(r);
      }),
      { numRuns: 500 },
    );
  });

  it("normalises ./ and repeated slashes", () => {
    expect(normaliseRepoPath("./src//a.ts")).toEqual({ ok: true, path: "src/a.ts" });
    expect(normaliseRepoPath(".")).toEqual({ ok: false, reason: "names the repository root, not a file" });
  });
});
