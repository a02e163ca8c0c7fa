import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import {
  CHANGE_TYPES,
  countsLine,
  deltaText,
  digest,
  mdCell,
  mdCode,
  parseResourceId,
  parseWhatIf,
  previewOf,
  propertyDeltas,
  renderMarkdown,
  summarizeWhatIf,
  summaryJson,
  summaryLines,
  WhatIfParseError,
} from "../../core/whatif";

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
        '  Modify      Microsoft.Storage/storageAccounts stdeliverydev01 [properties.allowBlobPublicAccess: true => false, properties.minimumTlsVersion: "TLS1_0" => "TLS1_2"]',
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
    expect(() => parseWhatIf(JSON.stringify({ status: "Succeeded", properties: { changes: [{ resourceId: "/x", changeType: "Explode" }] } }))).toThrow(
      /^what-if output \(REST shape\) is not a WhatIfOperationResult: at \.properties\.changes\[0\]\.changeType: /,
    );
  });

  it("reads the ARM REST shape (status + properties.changes) as az's flat shape", () => {
    const flat = summarizeWhatIf(parseWhatIf(fixture("mixed")));
    const rest = summarizeWhatIf(parseWhatIf(fixture("mixed-rest")));
    expect(rest).toEqual(flat);
    expect(rest.destructive.map((c) => c.resourceId)).toEqual([rid("Microsoft.ServiceBus/namespaces/sb-delivery-dev/queues/legacy-orders")]);
  });

  it("refuses a document that says nothing about changes, naming what it expected, instead of reading it as no changes", () => {
    for (const doc of [{}, { status: "Succeeded" }, { status: "Succeeded", properties: {} }, { status: "Succeeded", changes: null }, { value: [] }]) {
      expect(() => parseWhatIf(JSON.stringify(doc))).toThrow(/has no `changes` list and no `error`.*Expected a WhatIfOperationResult: either az's flat shape .* or the ARM REST shape/);
    }
    expect(() => parseWhatIf(JSON.stringify({ status: "Succeeded", properties: { changes: null } }))).toThrow(/has no `properties\.changes` list and no `error` \(status "Succeeded"; keys: status, properties\)/);
    expect(() => parseWhatIf("[]")).toThrow(/^what-if output is an array, expected a WhatIfOperationResult/);
    expect(() => parseWhatIf("null")).toThrow(/^what-if output is null, expected/);
  });

  it("reads a failed what-if that carries only an error, in either shape", () => {
    expect(summarizeWhatIf(parseWhatIf(JSON.stringify({ status: "Failed", error: { code: "InvalidTemplate", message: "bad" } }))).error).toEqual({ code: "InvalidTemplate", message: "InvalidTemplate: bad" });
    expect(summarizeWhatIf(parseWhatIf(JSON.stringify({ status: "Failed", properties: { changes: null }, error: { code: "InvalidTemplate", message: "bad" } }))).status).toBe("Failed");
  });

  const change = fc.record({
    resourceId: fc.constantFrom("Microsoft.Web/sites/a", "Microsoft.Storage/storageAccounts/b", "Microsoft.KeyVault/vaults/c").chain((p) => fc.nat(99).map((n) => rid(`${p}${n}`))),
    changeType: fc.constantFrom(...CHANGE_TYPES),
  });

  it("gives the same summary for a document in either shape, and counts every change (property)", () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 30 }), fc.constantFrom("Succeeded", "Running"), (changes, status) => {
        const flat = summarizeWhatIf(parseWhatIf(JSON.stringify({ status, changes })));
        const rest = summarizeWhatIf(parseWhatIf(JSON.stringify({ status, properties: { changes } })));
        expect(rest).toEqual(flat);
        const expected = Object.fromEntries(CHANGE_TYPES.map((t) => [t, changes.filter((c) => c.changeType === t).length]));
        expect(flat.counts).toEqual(expected);
        expect(flat.destructive).toHaveLength(expected.Delete);
        expect(flat.hasChanges).toBe(expected.Create + expected.Modify + expected.Delete + expected.Deploy > 0);
      }),
    );
  });

  it("never reads a document without a changes list or an error as a summary (property)", () => {
    const notChanges = fc.dictionary(
      fc.string({ maxLength: 12 }).filter((k) => !["changes", "error", "properties", "__proto__"].includes(k)),
      fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })),
      { maxKeys: 5 },
    );
    fc.assert(
      fc.property(notChanges, fc.boolean(), (doc, rest) => {
        const text = JSON.stringify(rest ? { ...doc, properties: { changes: null } } : doc);
        expect(() => parseWhatIf(text)).toThrow(WhatIfParseError);
      }),
    );
  });
});

describe("property deltas", () => {
  it("flattens nested deltas into full paths with their values", () => {
    expect(
      propertyDeltas([
        { path: "properties", propertyChangeType: "Modify", children: [{ path: "deleteRetentionPolicy.days", propertyChangeType: "Modify", before: 7, after: 14 }] },
        { path: "properties.ipRules", propertyChangeType: "Array", children: [{ path: "0", propertyChangeType: "Create", after: { value: "10.0.0.0/24" } }] },
        { path: "properties.readOnly", propertyChangeType: "NoEffect", before: "x" },
      ]),
    ).toEqual([
      { path: "properties.deleteRetentionPolicy.days", propertyChangeType: "Modify", before: 7, after: 14 },
      { path: "properties.ipRules[0]", propertyChangeType: "Create", after: { value: "10.0.0.0/24" } },
    ]);
  });

  it("reads as az prints it", () => {
    expect(deltaText({ path: "properties.deleteRetentionPolicy.days", propertyChangeType: "Modify", before: 7, after: 14 })).toBe("properties.deleteRetentionPolicy.days: 7 => 14");
    expect(deltaText({ path: "tags.owner", propertyChangeType: "Create", after: "team" })).toBe('+ tags.owner: "team"');
    expect(deltaText({ path: "tags.old", propertyChangeType: "Delete", before: 1 })).toBe("- tags.old: 1");
  });
});

describe("previewOf (what the Bicep deployment's diff carries)", () => {
  it("lists changed resources with their values, destructive first and marked, unchanged ones only counted", () => {
    const p = previewOf(summarizeWhatIf(parseWhatIf(fixture("mixed"))));
    expect(p.summary).toBe("1 to delete, 1 to create, 1 to modify, 1 unsupported, 3 unchanged");
    expect(p.changes.map((c) => [c.changeType, c.destructive ?? false])).toEqual([
      ["Delete", true],
      ["Create", false],
      ["Modify", false],
      ["Unsupported", false],
    ]);
    expect(p.changes[2].delta).toEqual([
      { path: "properties.allowBlobPublicAccess", propertyChangeType: "Modify", before: true, after: false },
      { path: "properties.minimumTlsVersion", propertyChangeType: "Modify", before: "TLS1_0", after: "TLS1_2" },
    ]);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p); // plain JSON, as Pulumi serialises inputs
  });

  it("stays bounded on a large what-if and says how much it left out", () => {
    const big = summarizeWhatIf({ status: "Succeeded", changes: Array.from({ length: 450 }, (_, i) => ({ resourceId: rid(`Microsoft.Web/sites/s${i}`), changeType: "Create" as const, after: { blob: "x".repeat(5000) } })) });
    const p = previewOf(big);
    expect(p.changes).toHaveLength(200);
    expect(p.omitted).toBe(250);
    expect(p.changes[0].after).toBe("(5011 characters; see the what-if JSON)");
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

  it("shows a headline with the counts, a destructive warning and the table with property deltas, destructive first", () => {
    const md = renderMarkdown(summary, { title: "dev (rg-payments-dev)" });
    expect(md.split("\n").slice(0, 6)).toEqual([
      "##### dev (rg-payments-dev): **1 to delete**, 1 to create, 1 to modify, 1 unsupported, 3 unchanged",
      "",
      "> [!WARNING]",
      "> **1 destructive change**: this resource would be deleted (first rows below).",
      "",
      "| change | resource | type | property changes (before => after) |",
    ]);
    const rows = md.split("\n").filter((l) => /^\| (🔴|🟢|🟡|⚪)/.test(l));
    expect(rows[0]).toBe("| 🔴 Delete | `sb-delivery-dev/legacy-orders` | Microsoft.ServiceBus/namespaces/queues | 1 property removed |");
    expect(rows[2]).toBe("| 🟡 Modify | `stdeliverydev01` | Microsoft.Storage/storageAccounts | `properties.allowBlobPublicAccess: true => false`<br>`properties.minimumTlsVersion: \"TLS1_0\" => \"TLS1_2\"` |");
    expect(md).toContain("<details><summary>3 unchanged resources</summary>");
  });

  it("trims to the size limit, keeping destructive rows and saying what was left out and where the rest is", () => {
    const many = summarizeWhatIf({
      status: "Succeeded",
      changes: [
        { resourceId: rid("Microsoft.Web/sites/doomed"), changeType: "Delete" },
        ...Array.from({ length: 500 }, (_, i) => ({ resourceId: rid(`Microsoft.Storage/storageAccounts/st${i}`), changeType: "Create" as const })),
      ],
    });
    const md = renderMarkdown(many, { maxChars: 4000, fullWhatIfAt: "the artifact `whatif-dev`" });
    expect(md.length).toBeLessThanOrEqual(4000);
    expect(md).toContain("`doomed`");
    expect(md).toMatch(/… \d+ more changes left out to fit a comment; the full what-if is in the artifact `whatif-dev`\.\n$/);
  });

  it("never breaks the table whatever the ids contain", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 10 }), (names) => {
        const s = summarizeWhatIf({ status: "Succeeded", changes: names.map((n) => ({ resourceId: rid(`Microsoft.Web/sites/${n}`), changeType: "Create" as const })) });
        const rows = renderMarkdown(s).split("\n").filter((l) => l.startsWith("| 🟢"));
        expect(rows).toHaveLength(names.length);
        for (const row of rows) expect(row.replace(/\\\|/g, "").split("|")).toHaveLength(6);
      }),
    );
  });

  it("escapes cells", () => {
    expect(mdCell("a|b`c<d>\ne")).toBe("a\\|b'c&lt;d&gt; e");
  });

  it("writes code spans without entity references, which GitHub would show as typed (`7 =&gt; 14`)", () => {
    expect(mdCode("days: 7 => 14")).toBe("`days: 7 => 14`");
    expect(mdCode("a|b`c<script>\nd")).toBe("`a\\|b'c<script> d`");
  });
});
