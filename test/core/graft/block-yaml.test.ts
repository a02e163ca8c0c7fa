import { readFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { parseBlockYaml } from "../../../core/graft/block-yaml";
import { FIXTURE_REPO } from "./helpers";

describe("parseBlockYaml", () => {
  it("reads the fixture's dvc.yaml and dvc.lock exactly as the yaml package does", () => {
    for (const name of ["dvc.yaml", "dvc.lock"]) {
      const text = readFileSync(path.join(FIXTURE_REPO, name), "utf8");
      const fast = parseBlockYaml(text);
      expect(fast).not.toBeUndefined();
      expect(fast).toEqual(parse(text));
    }
  });

  it("reads sequences at the key's indentation, nested mappings and quoted scalars", () => {
    const text = "a:\n- x\n- 'it''s'\n- \"q: r\"\nb:\n  c: 1\n  d:\n    - e: 0x1f\n      f: ~\n    -\n      g: .inf\nh: 'true'\n";
    expect(parseBlockYaml(text)).toEqual(parse(text));
    expect(parseBlockYaml(text)).toEqual({ a: ["x", "it's", "q: r"], b: { c: 1, d: [{ e: 31, f: null }, { g: Infinity }] }, h: "true" });
  });

  it.each([
    ["flow collections", "deps: [a, b]\n"],
    ["block scalars", "cmd: |\n  echo\n"],
    ["anchors", "a: &x 1\nb: *x\n"],
    ["trailing comments", "a: b # note\n"],
    ["duplicate keys", "a: 1\na: 2\n"],
    ["multi-line plain scalars", "a: one\n  two\n"],
    ["tabs", "a:\n\t- b\n"],
    ["document markers", "---\na: 1\n"],
    ["keys the core schema reads as non-strings", "1.0: a\n"],
    ["escapes in double quotes", 'a: "x\\ny"\n'],
    ["a nested sequence on one line", "- - a\n"],
  ])("leaves %s to the full parser", (_name, text) => {
    expect(parseBlockYaml(text)).toBeUndefined();
  });

  it("reads empty input as null, like the yaml package", () => {
    expect(parseBlockYaml("# only a comment\n\n")).toBeNull();
  });

  // Values within the subset, rendered by the yaml package in block style.
  const key = fc.stringMatching(/^[a-z_][a-z0-9_./-]{0,8}$/);
  const scalar = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom("true", "False", "null", "~", "0x1F", "0o17", "1e3", "-2.5", ".5", "007", "+1", "-", "a:b", "a #b", "#x", "- x", "é"),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small" }, scalar, tie("list"), tie("map")),
    list: fc.array(tie("node"), { minLength: 1, maxLength: 4 }),
    map: fc.dictionary(key, tie("node"), { minKeys: 1, maxKeys: 4 }),
  })).node;

  it("agrees with the yaml package whenever it answers (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), fc.boolean(), (doc, indentSeq) => {
        const text = stringify(doc, { indentSeq, lineWidth: 0 });
        const fast = parseBlockYaml(text);
        if (fast !== undefined) expect(fast).toEqual(parse(text));
      }),
      { numRuns: 1000 },
    );
  });

  it("answers for the plain block YAML DVC writes (property)", () => {
    const path_ = fc.array(fc.stringMatching(/^[a-z0-9_][a-z0-9_.-]{0,8}$/), { minLength: 1, maxLength: 3 }).map((p) => p.join("/"));
    const entry = fc.record({ path: path_, hash: fc.constant("md5"), md5: fc.stringMatching(/^[0-9a-f]{32}$/), size: fc.nat() });
    const stage = fc.record({ cmd: fc.stringMatching(/^[a-z][a-z0-9 ./_-]{0,30}$/).map((s) => s.trim() || "x"), deps: fc.array(entry, { maxLength: 4 }), outs: fc.array(entry, { minLength: 1, maxLength: 2 }) });
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), stage, { minKeys: 1, maxKeys: 5 }), (stages) => {
        const text = stringify({ schema: "2.0", stages }, { indentSeq: false, lineWidth: 0 });
        const fast = parseBlockYaml(text);
        expect(fast).toEqual(parse(text));
      }),
      { numRuns: 300 },
    );
  });
});
