import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run, type CliIo } from "../../cli/main";

const FIXTURES = path.join(__dirname, "..", "fixtures", "whatif");

function io(stdin = "", cwd = FIXTURES): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), readStdin: async () => stdin, cwd, env: {} };
}

describe("delivery classify", () => {
  it("classifies standard input", async () => {
    const t = io("ERROR: (TooManyRequests) The request is being throttled.");
    expect(await run(["classify", "-"], t)).toBe(0);
    expect(JSON.parse(t.out.join(""))).toMatchObject({ category: "environmental", retryable: true, kind: "throttled" });
  });

  it("classifies a file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "classify-"));
    fs.writeFileSync(path.join(dir, "out.log"), "main.bicep(1,1) : Error BCP018: Expected the \"=\" character at this location.");
    const t = io("", dir);
    expect(await run(["classify", "out.log"], t)).toBe(0);
    expect(JSON.parse(t.out.join(""))).toMatchObject({ category: "logic", retryable: false, kind: "bicep-compile-error" });
  });

  it("says so when the file is missing", async () => {
    const t = io();
    expect(await run(["classify", "nope.log"], t)).toBe(2);
    expect(t.err.join("")).toBe("delivery: cannot read nope.log: no such file\n");
  });
});

describe("delivery whatif", () => {
  it("prints counts and destructive changes as JSON", async () => {
    const t = io();
    expect(await run(["whatif", "mixed.json"], t)).toBe(0);
    const json = JSON.parse(t.out.join(""));
    expect(json.counts).toEqual({ Create: 1, Modify: 1, Delete: 1, Deploy: 0, NoChange: 2, Ignore: 1, Unsupported: 1 });
    expect(json.destructive).toEqual([
      { resourceId: "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ServiceBus/namespaces/sb-delivery-dev/queues/legacy-orders", changeType: "Delete", resourceType: "Microsoft.ServiceBus/namespaces/queues", name: "sb-delivery-dev/legacy-orders" },
    ]);
  });

  it("prints PR-comment markdown", async () => {
    const t = io();
    expect(await run(["whatif", "mixed.json", "--format", "markdown", "--title", "dev"], t)).toBe(0);
    expect(t.out.join("")).toMatch(/^### dev: Succeeded\n/);
    expect(t.out.join("")).toContain("> **1 destructive change**: these resources would be deleted.");
  });

  it("fails on destructive changes when asked", async () => {
    const t = io();
    expect(await run(["whatif", "mixed.json", "--fail-on-destructive"], t)).toBe(3);
    expect(t.err.join("")).toBe("delivery: 1 destructive change(s) in mixed.json\n");
  });

  it("rejects malformed what-if output with a clear message", async () => {
    const t = io('{"status": "Succeeded", "changes": [');
    expect(await run(["whatif", "-"], t)).toBe(2);
    expect(t.err.join("")).toMatch(/^delivery: -: what-if output is not JSON \(/);
  });

  it("rejects an unknown format", async () => {
    const t = io();
    expect(await run(["whatif", "mixed.json", "--format", "yaml"], t)).toBe(2);
    expect(t.err.join("")).toBe('delivery: --format must be json or markdown (received "yaml")\n');
  });
});
