import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CliIo } from "../../cli/io";
import { run } from "../../cli/main";

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

  it("answers not retryable for a pulumi up log whose provider retries are spent", async () => {
    const log = [
      "  azure:BicepDeployment (dev-deployment):",
      "    error: deploy failed: az deployment group create failed (exit code 1):",
      '    ERROR: {"status":"Failed","error":{"code":"DeploymentFailed","details":[{"code":"TooManyRequests","message":"The request is being throttled."}]}}',
      "    [retries exhausted after 3 attempts; last failure environmental/throttled] Retries exhausted: every attempt the retry policy allows (bicep.retry for this environment) failed with a transient fault, ...",
    ].join("\n");
    const t = io(log);
    expect(await run(["classify", "-"], t)).toBe(0);
    expect(JSON.parse(t.out.join(""))).toMatchObject({ category: "environmental", retryable: false, kind: "retries-exhausted" });
  });

  it("classifies a deploy whose job ended before pulumi up reported as a failure that is not retried, and refuses a file beside it", async () => {
    const t = io();
    expect(await run(["classify", "--deploy-job-ended", "cancelled"], t)).toBe(0);
    const c = JSON.parse(t.out.join(""));
    expect(c).toMatchObject({ category: "unknown", retryable: false, kind: "deploy-job-ended" });
    expect(c.reason).toContain("The deploy job ended (cancelled) after re-checking the gates");
    // A job result is a word; anything else is not echoed into the deployment record.
    const odd = io();
    expect(await run(["classify", "--deploy-job-ended", "x; rm -rf /"], odd)).toBe(0);
    expect(JSON.parse(odd.out.join("")).reason).toContain("The deploy job ended (unknown)");
    const both = io();
    expect(await run(["classify", "up.log", "--deploy-job-ended", "failure"], both)).toBe(2);
    expect(both.err.join("")).toContain("give either a file to classify (up.log) or --deploy-job-ended, not both");
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
    expect(t.out.join("")).toMatch(/^##### dev: \*\*1 to delete\*\*, 1 to create, 1 to modify, 1 unsupported, 3 unchanged\n/);
    expect(t.out.join("")).toContain("> **1 destructive change**: this resource would be deleted (first rows below).");
  });

  it("reads the ARM REST shape like az's, and refuses a document it cannot read instead of printing no changes", async () => {
    const flat = io();
    const rest = io();
    expect(await run(["whatif", "mixed.json"], flat)).toBe(0);
    expect(await run(["whatif", "mixed-rest.json"], rest)).toBe(0);
    expect(rest.out.join("")).toBe(flat.out.join(""));
    const t = io('{"status": "Succeeded", "value": []}');
    expect(await run(["whatif", "-"], t)).toBe(2);
    expect(t.err.join("")).toMatch(/^delivery: -: what-if output has no `changes` list and no `error` \(status "Succeeded"; keys: status, value\)/);
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
