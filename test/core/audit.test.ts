import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { auditFileName, auditOutputs, redactText, redactValue, writeAuditRecord, type AuditRecord } from "../../core/audit";

describe("audit redaction", () => {
  it("masks credential-looking text", () => {
    expect(redactText("DefaultEndpointsProtocol=https;AccountName=st1;AccountKey=abc123==;EndpointSuffix=core.windows.net")).toBe(
      "DefaultEndpointsProtocol=https;AccountName=st1;AccountKey=***;EndpointSuffix=core.windows.net",
    );
    expect(redactText("https://st1.blob.core.windows.net/c/b?sv=2022&sig=AbC%2Bdef&se=2026")).toBe("https://st1.blob.core.windows.net/c/b?sv=2022&sig=***&se=2026");
    expect(redactText("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2lnbmF0dXJlMTIz end")).toBe("token *** end");
  });

  it("masks values under secret-looking keys, deeply", () => {
    expect(redactValue({ a: { clientSecret: "x", list: [{ password: "y", name: "ok" }] }, sku: "S1" })).toEqual({ a: { clientSecret: "***", list: [{ password: "***", name: "ok" }] }, sku: "S1" });
  });

  it("keeps secure outputs by type only", () => {
    expect(auditOutputs({ conn: { type: "SecureString", value: "x" }, name: { type: "String", value: "st1" } })).toEqual({ conn: { type: "SecureString", value: "***" }, name: { type: "String", value: "st1" } });
  });
});

describe("audit files", () => {
  it("are named by time, stack and deployment", () => {
    expect(auditFileName({ startedAt: "2026-02-19T10:05:30.123Z", stack: "dev", deploymentName: "delivery-app-1a2b3c4d5e6f" })).toBe("20260219T100530Z-dev-delivery-app-1a2b3c4d5e6f.json");
  });

  it("are written redacted, as JSON", () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "audit-")), "audit");
    const record = { startedAt: "2026-02-19T10:05:30.000Z", stack: "dev", deploymentName: "d", failure: { message: "AccountKey=zzz" } } as unknown as AuditRecord;
    const file = writeAuditRecord(dir, record);
    expect(path.basename(file)).toBe("20260219T100530Z-dev-d.json");
    expect(JSON.parse(fs.readFileSync(file, "utf8")).failure.message).toBe("AccountKey=***");
  });
});
