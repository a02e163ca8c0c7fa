/**
 * A transient Azure fault during `pulumi up`: the fake az throttles the first
 * `az deployment group create` (TooManyRequests), the Bicep provider classifies it as retryable,
 * waits (its default backoff, about 30 s) and the second attempt deploys.
 */
import * as fs from "node:fs";
import { describeEngine, Workspace } from "./harness";

jest.setTimeout(300_000);

describeEngine("engine: transient az failures during up", () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = Workspace.create("retry");
  });
  afterAll(() => ws?.dispose());

  it("retries a throttled deployment and succeeds", async () => {
    const r = await ws.sandbox(["up"], { SANDBOX_AZ_SCENARIO: "throttled-once" });
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/\[bicep dev\] deploy: attempt 1 failed \(environmental\/throttled, retrying in \d+ ms\)/);
    expect(r.output).toContain("[bicep dev] deploy: attempt 2 succeeded");
    expect(ws.azCalls().filter((c) => c.command === "deployment group create")).toHaveLength(2);
    const audit = JSON.parse(fs.readFileSync(auditFile(ws), "utf8")) as { result: string; attempts: { phase?: string; outcome: string }[] };
    expect(audit.result).toBe("succeeded");
    expect(audit.attempts.filter((a) => a.phase === "deploy").map((a) => a.outcome)).toEqual(["failed", "succeeded"]);
  });
});

function auditFile(ws: Workspace): string {
  const dir = `${ws.paths.dir}/audit`;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json"));
  if (files.length !== 1) throw new Error(`expected one audit record in ${dir}, found ${files.join(", ")}`);
  return `${dir}/${files[0]}`;
}
