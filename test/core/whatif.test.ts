import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { countsLine, digest, mdCell, parseResourceId, parseWhatIf, renderMarkdown, summarizeWhatIf, summaryJson, summaryLines, WhatIfParseError } from "../../core/whatif";

const FIXTURES = path.join(__dirname, "..", "fixtures", "whatif");
const SUB = "11111111-2222-3333-4444-555555555555";
function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8").replaceAll("{sub}", SUB).replaceAll("{rg}", "rg-payments-dev");
}
const rid = (p: string) => `/subscriptions/${SUB}/resourceGroups/rg-payments-dev/providers/${p}`;

describe("what-if summary", () => {
  const summary = summarizeWhatIf(parseWhatIf(fixture("mixed")));

  it("counts every change type", () => {
    expect(summary.counts).toEqual({ Create: 1, Modify: 1, Delete: 1, Deploy: 0, NoChange: 2, Ignore: 1, Unsupported: 1 });
    expect(summary.total).toBe(7);
    expect(summary.hasChanges).toBe(true);
    expect(countsLine(summary)).toBe("1 to create, 1 to modify, 1 to delete, 0 to deploy, 2 no change, 1 ignore, 1 unsupported");
  });

  it("lists destructive changes by resource id, first", () => {
    expect(summary.destructive.map((c) => c.resourceId)).toEqual([rid("Microsoft.ServiceBus/namespaces/sb-delivery-dev/queues/legacy-orders")]);
    expect(summary.changes[0].changeType).toBe("Delete");
    expect(summary.changes.map((c) => c.changeType)).toEqual(["Delete", "Create", "Modify", "Unsupported", "NoChange", "NoChange", "Ignore"]);
  });

  it("reports changed property paths of a modification", () => {
    expect(summary.changes.find((c) => c.changeType === "Modify")!.changedProperties).toEqual(["properties.allowBlobPublicAccess (Modify)", "properties.minimumTlsVersion (Modify)"]);
  });

  it("gives the JSON the CLI prints", () => {
    expect(summaryJson(summary)).toMatchObject({
      status: "Succeeded",
      counts: { Create: 1, Modify: 1, Delete: 1, Deploy: 0, NoChange: 2, Ignore: 1, Unsupported: 1 },
      destructive: [{ resourceId: rid("Microsoft.ServiceBus/namespaces/sb-delivery-dev/queues/legacy-orders"), changeType: "Delete", resourceType: "Microsoft.ServiceBus/namespaces/queues", name: "sb-delivery-dev/legacy-orders" }],
    });
  });

  it("gives the preview lines, destructive ones as warnings", () => {
    expect(summaryLines(summary)).toEqual({
      info: [
        "what-if Succeeded: 1 to create, 1 to modify, 1 to delete, 0 to deploy, 2 no change, 1 ignore, 1 unsupported",
        "  Create      Microsoft.Insights/components appi-delivery-dev",
        "  Modify      Microsoft.Storage/storageAccounts stdeliverydev01 [properties.allowBlobPublicAccess (Modify), properties.minimumTlsVersion (Modify)]",
        "  Unsupported Microsoft.Authorization/roleAssignments 3f8a7c2e-1d4b-5e6f-8a9b-0c1d2e3f4a5b",
      ],
      warn: [`DESTRUCTIVE Delete: ${rid("Microsoft.ServiceBus/namespaces/sb-delivery-dev/queues/legacy-orders")}`],
    });
  });

  it("keeps a compact digest", () => {
    expect(digest(summary)).toEqual({
      status: "Succeeded",
      counts: summary.counts,
      destructive: [rid("Microsoft.ServiceBus/namespaces/sb-delivery-dev/queues/legacy-orders")],
      changed: [
        `Delete ${rid("Microsoft.ServiceBus/namespaces/sb-delivery-dev/queues/legacy-orders")}`,
        `Create ${rid("Microsoft.Insights/components/appi-delivery-dev")}`,
        `Modify ${rid("Microsoft.Storage/storageAccounts/stdeliverydev01")}`,
        `Unsupported ${rid("Microsoft.Authorization/roleAssignments/3f8a7c2e-1d4b-5e6f-8a9b-0c1d2e3f4a5b")}`,
      ],
    });
  });

  it("reports a failed what-if with its inner errors", () => {
    const failed = summarizeWhatIf(parseWhatIf(fixture("failed")));
    expect(failed.status).toBe("Failed");
    expect(failed.error?.code).toBe("InvalidTemplateDeployment");
    expect(failed.error?.message).toContain("| SkuNotAvailable: The requested size for resource");
    expect(failed.hasChanges).toBe(false);
  });

  it("sees no changes in a no-change result", () => {
    const s = summarizeWhatIf(parseWhatIf(fixture("no-change")));
    expect(s.hasChanges).toBe(false);
    expect(s.destructive).toEqual([]);
  });
});

describe("parseWhatIf", () => {
  it("rejects text that is not JSON, showing its start", () => {
    expect(() => parseWhatIf('{"status": "Succeeded", "changes": [')).toThrow(WhatIfParseError);
    expect(() => parseWhatIf("WARNING: something\n{}")).toThrow(/^what-if output is not JSON \(.*\); it starts with "WARNING: something \{\}"\. Run `az deployment group what-if` with --no-pretty-print/);
  });

  it("rejects an unknown change type, naming where", () => {
    expect(() => parseWhatIf(JSON.stringify({ status: "Succeeded", changes: [{ resourceId: "/x", changeType: "Explode" }] }))).toThrow(/^what-if output is not a WhatIfOperationResult: at \.changes\[0\]\.changeType: /);
  });
});

describe("parseResourceId", () => {
  it("splits nested types and names", () => {
    expect(parseResourceId(rid("Microsoft.Storage/storageAccounts/st1/blobServices/default/containers/audit"))).toEqual({
      subscriptionId: SUB,
      resourceGroup: "rg-payments-dev",
      type: "Microsoft.Storage/storageAccounts/blobServices/containers",
      name: "st1/default/audit",
    });
  });

  it("handles extension resources (the last providers segment wins)", () => {
    expect(parseResourceId(`${rid("Microsoft.KeyVault/vaults/kv1")}/providers/Microsoft.Authorization/roleAssignments/abc`).type).toBe("Microsoft.Authorization/roleAssignments");
  });
});

describe("renderMarkdown", () => {
  const summary = summarizeWhatIf(parseWhatIf(fixture("mixed")));

  it("shows counts, a destructive warning and the table, destructive first", () => {
    const md = renderMarkdown(summary, { title: "dev (rg-payments-dev)" });
    expect(md.split("\n").slice(0, 9)).toEqual([
      "### dev (rg-payments-dev): Succeeded",
      "",
      "| create | modify | delete | deploy | no change | ignore | unsupported |",
      "|---:|---:|---:|---:|---:|---:|---:|",
      "| 1 | 1 | 1 | 0 | 2 | 1 | 1 |",
      "",
      "> [!WARNING]",
      "> **1 destructive change**: these resources would be deleted.",
      "",
    ]);
    const rows = md.split("\n").filter((l) => l.startsWith("| 🔴") || l.startsWith("| 🟢") || l.startsWith("| 🟡"));
    expect(rows[0]).toBe(`| 🔴 Delete | Microsoft.ServiceBus/namespaces/queues | sb-delivery-dev/legacy-orders |  | \`${rid("Microsoft.ServiceBus/namespaces/sb-delivery-dev/queues/legacy-orders")}\` |`);
  });

  it("trims to the size limit, keeping destructive rows and saying what was left out", () => {
    const many = summarizeWhatIf({
      status: "Succeeded",
      changes: [
        { resourceId: rid("Microsoft.Web/sites/doomed"), changeType: "Delete" },
        ...Array.from({ length: 500 }, (_, i) => ({ resourceId: rid(`Microsoft.Storage/storageAccounts/st${i}`), changeType: "Create" as const })),
      ],
    });
    const md = renderMarkdown(many, { maxChars: 4000 });
    expect(md.length).toBeLessThanOrEqual(4000);
    expect(md).toContain("Microsoft.Web/sites/doomed");
    expect(md).toMatch(/… \d+ more changes left out to fit a comment; the full what-if JSON is in the run's artifacts\.\n$/);
  });

  it("never breaks the table whatever the ids contain", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 10 }), (names) => {
        const s = summarizeWhatIf({ status: "Succeeded", changes: names.map((n) => ({ resourceId: rid(`Microsoft.Web/sites/${n}`), changeType: "Create" as const })) });
        const rows = renderMarkdown(s).split("\n").filter((l) => l.startsWith("| 🟢"));
        expect(rows).toHaveLength(names.length);
        for (const row of rows) expect(row.replace(/\\\|/g, "").split("|")).toHaveLength(7);
      }),
    );
  });

  it("escapes cells", () => {
    expect(mdCell("a|b`c<d>\ne")).toBe("a\\|b'c&lt;d&gt; e");
  });
});
