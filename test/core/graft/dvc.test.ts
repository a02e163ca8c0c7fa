import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { dvcStatus, readDvcPipeline, DvcFileError } from "../../../core/graft/dvc";
import { ContentHasher, dvcMd5 } from "../../../core/graft/hashing";
import { DVC, liveDvcStatuses } from "./live-dvc";
import { applyMutations, cleanupScratch, copyFixture, DVC_EXPECTED, FIXTURE_REPO, SCENARIOS, tempDir, writeTree } from "./helpers";

afterAll(cleanupScratch);

describe("the fixture's dvc.lock", () => {
  it("holds the hashes DVC computes for every dep and out", () => {
    const lock = parse(readFileSync(path.join(FIXTURE_REPO, "dvc.lock"), "utf8"));
    let checked = 0;
    for (const stage of Object.values(lock.stages) as Array<{ deps: any[]; outs: any[] }>) {
      for (const entry of [...stage.deps, ...stage.outs]) {
        const content = readFileSync(path.join(FIXTURE_REPO, entry.path));
        expect([entry.path, dvcMd5(content, entry.hash === "md5" ? "md5" : "md5-dos2unix")]).toEqual([entry.path, entry.md5]);
        expect(entry.size).toBe(content.length);
        checked++;
      }
    }
    expect(checked).toBe(13);
  });

  it("has one DVC 2.x entry (no hash:), for the CRLF file", () => {
    const lock = parse(readFileSync(path.join(FIXTURE_REPO, "dvc.lock"), "utf8"));
    const legacy = Object.values(lock.stages).flatMap((s: any) => [...s.deps, ...s.outs].filter((e: any) => e.hash === undefined));
    expect(legacy).toEqual([{ path: "src/faq.txt", md5: "2b230bfcfe33ab4e7bf22d4eee3caab1", size: 41 }]);
  });
});

describe("dvcStatus agrees with `dvc status --json`", () => {
  it(`was captured from ${DVC_EXPECTED.dvcVersion} for every scenario`, () => {
    expect(Object.keys(DVC_EXPECTED.scenarios).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))("%s", (name, s) => {
    const root = copyFixture();
    applyMutations(root, s.mutations);
    const report = dvcStatus(readDvcPipeline(root)!, new ContentHasher(root, { cache: false }));
    expect(report.unsupported).toEqual({});
    expect(report.status).toEqual(DVC_EXPECTED.scenarios[name]);
    // Same key order as DVC prints.
    expect(JSON.stringify(report.status)).toBe(JSON.stringify(DVC_EXPECTED.scenarios[name]));
  });

  // Every scenario's checkout is prepared first, so that one DVC process answers them all.
  const live = new Map<string, { root: string; status: unknown }>();
  if (DVC) {
    beforeAll(() => {
      const roots = SCENARIOS.map((s) => {
        const root = copyFixture();
        applyMutations(root, s.mutations);
        return root;
      });
      liveDvcStatuses(roots).forEach((status, i) => live.set(SCENARIOS[i].name, { root: roots[i], status }));
    });
  }
  (DVC ? it.each(SCENARIOS.map((s) => [s.name] as const)) : it.skip.each([["(dvc not on PATH)"] as const]))("live dvc: %s", (name) => {
    const { root, status } = live.get(name)!;
    expect(dvcStatus(readDvcPipeline(root)!, new ContentHasher(root, { cache: false })).status).toEqual(status);
  });
});

describe("readDvcPipeline", () => {
  it("returns undefined without dvc.yaml", () => {
    expect(readDvcPipeline(tempDir())).toBeUndefined();
  });

  it("reads a 1.x lock file (stages at the top level) and a configured cache dir", () => {
    const root = tempDir();
    writeTree(root, {
      "dvc.yaml": "stages:\n  s:\n    cmd: echo\n    deps: [a.txt]\n    outs: [o.txt]\n",
      "dvc.lock": "s:\n  cmd: echo\n  deps:\n  - path: a.txt\n    md5: 60b725f10c9c85c70d97880dfe8191b3\n  outs:\n  - path: o.txt\n    md5: 60b725f10c9c85c70d97880dfe8191b3\n",
      "a.txt": "a\n",
      "o.txt": "a\n",
      ".dvc/config": "[core]\n    remote = x\n[cache]\n    dir = ../elsewhere\n",
      "elsewhere/60/b725f10c9c85c70d97880dfe8191b3": "a\n",
    });
    const pipeline = readDvcPipeline(root)!;
    expect(pipeline.cacheDir).toBe(path.join(".dvc", "../elsewhere"));
    expect(dvcStatus(pipeline, new ContentHasher(root, { cache: false }))).toEqual({ status: {}, unsupported: {} });
  });

  it("reports stages it cannot evaluate exactly instead of guessing", () => {
    const root = tempDir();
    writeTree(root, {
      "dvc.yaml": [
        "stages:",
        "  tmpl:",
        "    foreach: [a, b]",
        "    do:",
        "      cmd: echo ${item}",
        "  params:",
        "    cmd: train",
        "    params: [lr]",
        "  dir:",
        "    cmd: ls",
        "    deps: [data]",
        "  etag:",
        "    cmd: x",
        "    deps: [a.txt]",
        "",
      ].join("\n"),
      "dvc.lock": "schema: '2.0'\nstages:\n  etag:\n    cmd: x\n    deps:\n    - path: a.txt\n      hash: etag\n      etag: abc\n",
      "data/x.txt": "x",
      "a.txt": "a",
    });
    expect(dvcStatus(readDvcPipeline(root)!, new ContentHasher(root, { cache: false }))).toEqual({
      status: {},
      unsupported: { tmpl: "uses foreach/matrix templating", params: "has params dependencies", dir: "tracks the directory data", etag: "uses the etag hash" },
    });
  });

  it("reports always_changed, and skips a frozen stage's deps", () => {
    const root = tempDir();
    writeTree(root, {
      "dvc.yaml": "stages:\n  a:\n    cmd: x\n    always_changed: true\n  f:\n    cmd: y\n    frozen: true\n    deps: [gone.txt]\n",
    });
    expect(dvcStatus(readDvcPipeline(root)!, new ContentHasher(root, { cache: false })).status).toEqual({ a: ["always changed"] });
  });

  it("throws DvcFileError for YAML it cannot read", () => {
    const root = tempDir();
    writeTree(root, { "dvc.yaml": "stages: [\n" });
    expect(() => readDvcPipeline(root)).toThrow(DvcFileError);
    expect(() => readDvcPipeline(root)).toThrow(/^dvc\.yaml is not valid YAML: /);
  });
});
