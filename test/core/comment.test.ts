import fc from "fast-check";
import {
  GITHUB_COMMENT_LIMIT,
  collapsedLog,
  commentMarker,
  deployEndBody,
  deployStartBody,
  fenceFor,
  findMarkedComment,
  fitComment,
  parseResourceSummary,
  previewCommentBody,
  previewOutcome,
  readStaleDocs,
  whatIfSection,
  type PreviewCommentInput,
} from "../../core/comment";
import { generatedWhatIf } from "../fixtures/whatif/generate";

const SUB = "11111111-2222-3333-4444-555555555555";
const rid = (rg: string, p: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/${p}`;

const BOT = "github-actions[bot]";
const SHA = "0123456789abcdef0123456789abcdef01234567";

function input(over: Partial<PreviewCommentInput> = {}): PreviewCommentInput {
  return { stack: "dev", outcome: "passed", commit: SHA, runUrl: "https://github.com/o/r/actions/runs/1", whatif: [], staleDocs: [], log: "Previewing update (dev)\nResources:\n    + 2 to create\n    5 unchanged\n", counts: null, ...over };
}

describe("markers", () => {
  it("dev and dev-eu never collide", () => {
    const comments = [
      { id: 1, body: `${commentMarker("preview", "dev-eu")}\nEU`, user: { login: BOT } },
      { id: 2, body: `${commentMarker("preview", "dev")}\nDEV`, user: { login: BOT } },
    ];
    expect(findMarkedComment(comments, commentMarker("preview", "dev"), BOT)?.id).toBe(2);
    expect(findMarkedComment(comments, commentMarker("preview", "dev-eu"), BOT)?.id).toBe(1);
    expect(findMarkedComment(comments.slice(0, 1), commentMarker("preview", "dev"), BOT)).toBeUndefined();
  });

  it("never picks a comment by someone else that copies the marker", () => {
    const comments = [{ id: 9, body: `${commentMarker("preview", "dev")}\nhijack`, user: { login: "mallory" } }];
    expect(findMarkedComment(comments, commentMarker("preview", "dev"), BOT)).toBeUndefined();
  });

  it("is a hidden HTML comment", () => {
    expect(commentMarker("preview", "dev")).toBe("<!-- delivery-platform:preview:dev -->");
    expect(commentMarker("preview", "a b-->")).toBe("<!-- delivery-platform:preview:a_b--_ -->");
  });
});

describe("fitting GitHub's limit", () => {
  it("keeps the end of a long log, collapsed, and says what was cut", () => {
    const log = `${"noise\n".repeat(30_000)}Resources:\n    + 1 to create\nerror: the real problem`;
    const body = previewCommentBody(input({ log, outcome: "failed" }));
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body).toContain("<details><summary>Preview output</summary>");
    expect(body).toContain("error: the real problem");
    expect(body).toMatch(/\(first [\d,]+ characters omitted; the full log is in the workflow run\)/);
    expect(body.startsWith("<!-- delivery-platform:preview:dev -->\n")).toBe(true);
  });

  it("uses a fence longer than any backtick run in the log", () => {
    expect(fenceFor("a ``` b ````` c")).toBe("``````");
    const block = collapsedLog("x", "```\nclosing attempt\n```", 1000);
    expect(block).toContain("````text\n```\nclosing attempt\n```\n````");
  });

  it("escapes HTML in the summary line", () => {
    expect(collapsedLog("<b>", "x", 100)).toContain("<summary>&lt;b&gt;</summary>");
  });

  it("always fits, never splits a surrogate pair and keeps the marker (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 2000 }), fc.integer({ min: 0, max: 90_000 }), fc.integer({ min: 1000, max: GITHUB_COMMENT_LIMIT }), (chunk, repeat, limit) => {
        const log = chunk.repeat(Math.min(repeat, 90_000 / Math.max(1, chunk.length)));
        const body = fitComment(`${commentMarker("preview", "dev")}\nhead`, { summary: "log", content: log }, "foot", limit);
        expect(body.length).toBeLessThanOrEqual(limit);
        expect(body.startsWith(commentMarker("preview", "dev"))).toBe(true);
        expect(body).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      }),
      { numRuns: 200 },
    );
  });

  it("trims even an oversized head", () => {
    const body = fitComment(`<!-- m -->\n${"x".repeat(100_000)}`, null, "");
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body).toContain("truncated to fit GitHub's comment limit");
  });
});

describe("preview comment", () => {
  it("renders the outcome, what-if and stale documents", () => {
    const body = previewCommentBody(
      input({
        outcome: "policy-violation",
        whatif: ["**rg-app-dev**: 1 to create"],
        staleDocs: [{ path: "docs/a.md", reason: "dep changed: src/a|b.ts" }],
        counts: { create: 2, update: 0, delete: 0, replace: 0, same: 5 },
      }),
    );
    expect(body).toContain("### ❌ `pulumi preview` for `dev`: **blocked by policy**");
    expect(body).toContain(`Commit ${SHA.slice(0, 12)} · [workflow run](https://github.com/o/r/actions/runs/1) · 2 created, 0 updated, 0 replaced, 0 deleted, 5 unchanged`);
    expect(body).toContain("**rg-app-dev**: 1 to create");
    expect(body).toContain("| docs/a.md | dep changed: src/a\\|b.ts |");
  });

  it("says when nothing is stale and when the list is unreadable", () => {
    expect(previewCommentBody(input())).toContain("_None: every generated document is up to date._");
    expect(previewCommentBody(input({ staleDocs: null }))).toContain("gave no readable list");
  });
});

describe("what-if section", () => {
  const mixed = JSON.stringify({
    status: "Succeeded",
    properties: {
      changes: [
        { resourceId: rid("rg-app-dev", "Microsoft.Web/sites/old"), changeType: "Delete" },
        { resourceId: rid("rg-app-dev", "Microsoft.Storage/storageAccounts/st1"), changeType: "Modify", delta: [{ path: "properties.deleteRetentionPolicy.days", propertyChangeType: "Modify", before: 7, after: 14 }] },
      ],
    },
  });

  it("has a headline with the counts over every deployment and a table per deployment, the destructive deployment first", () => {
    const section = whatIfSection([
      { name: "api", text: JSON.stringify({ status: "Succeeded", changes: [{ resourceId: rid("rg-app-dev", "Microsoft.Web/sites/api"), changeType: "Create" }] }) },
      { name: "app", text: mixed },
    ]);
    expect(section.headline).toBe("**1 to delete**, 1 to create, 1 to modify");
    expect(section.blocks[0].split("\n")[0]).toBe("##### app: **1 to delete**, 1 to modify");
    expect(section.blocks[0]).toContain("`properties.deleteRetentionPolicy.days: 7 => 14`");
    expect(section.blocks[1].split("\n")[0]).toBe("##### api: 1 to create");
    const body = previewCommentBody(input({ whatif: section.blocks, whatifHeadline: section.headline }));
    expect(body).toContain("#### Azure what-if: **1 to delete**, 1 to create, 1 to modify");
  });

  it("never reads an unreadable what-if as no changes", () => {
    const section = whatIfSection([
      { name: "app", text: JSON.stringify({ status: "Succeeded", value: [] }) },
      { name: "api", text: mixed },
    ]);
    expect(section.headline).toBe("**1 to delete**, 1 to modify; **1 what-if unreadable**");
    expect(section.blocks[1]).toMatch(/^##### app: \*\*what-if unreadable\*\*\n\n> \[!CAUTION\]\n> what-if output has no 'changes' list and no 'error'/);
  });

  it("keeps a 2,000-resource what-if under GitHub's limit, summarised, pointing to the artifact", () => {
    const section = whatIfSection([{ name: "app", text: generatedWhatIf(2000) }], { fullWhatIfAt: "the run's artifact `whatif-prod`" });
    const body = previewCommentBody(input({ stack: "prod", whatif: section.blocks, whatifHeadline: section.headline, log: "x".repeat(200_000) }));
    // under the limit however GitHub counts: UTF-16 units, code points or UTF-8 bytes
    expect(body.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(Buffer.byteLength(body, "utf8")).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(section.headline).toBe("**200 to delete**, 467 to create, 400 to modify, 933 unchanged");
    // destructive rows come first and all 200 fit; the rest is counted and pointed to
    const rows = body.split("\n").filter((l) => l.startsWith("| 🔴"));
    expect(rows).toHaveLength(200);
    // every other kind of change still shows examples, modifications with their values
    const modified = body.split("\n").filter((l) => /^\| \S+ Modify \|/.test(l));
    expect(modified.length).toBeGreaterThan(20);
    expect(modified[0]).toContain("properties.deleteRetentionPolicy.days: 7 => 14");
    expect(body.split("\n").filter((l) => /^\| \S+ Create \|/.test(l)).length).toBeGreaterThan(20);
    expect(body).toMatch(/^\| … \| \d+ more Modify \| \| \|$/m);
    expect(body).toMatch(/^\| … \| \d+ more Create \| \| \|$/m);
    expect(body).toMatch(/… \d+ more changes left out to fit a comment; the full what-if is in the run's artifact `whatif-prod`\./);
    expect(body).toContain("<details><summary>Preview output</summary>");
  });
});

describe("deploy comments", () => {
  const base = { action: "deploy" as const, environment: "prod", commit: SHA, requestedBy: "alice", runUrl: "https://x/run" };
  it("start", () => {
    expect(deployStartBody(base)).toBe(`🚀 Deploying \`prod\` to ${SHA.slice(0, 12)} for @alice: [follow the run](https://x/run).`);
  });
  it("success with counts, duration and retries", () => {
    const body = deployEndBody({ ...base, result: "success", attempts: 3, durationSeconds: 421, counts: { create: 1, update: 2, delete: 0, replace: 0, same: 9 }, classification: null, log: "" });
    expect(body).toContain(`✅ Deployed \`prod\` to ${SHA.slice(0, 12)} in 7 min 1 s (2 retries, transient failures).`);
    expect(body).toContain("Resources: 1 created, 2 updated, 0 replaced, 0 deleted, 9 unchanged.");
  });
  it("failure with class and next step", () => {
    const body = deployEndBody({
      ...base,
      result: "failure",
      attempts: 1,
      durationSeconds: 30,
      counts: null,
      classification: { category: "logic", kind: "invalid-template", retryable: false, reason: "Fix the template error at main.bicep:12." },
      log: "error: InvalidTemplate",
    });
    expect(body).toContain("Failure class: **logic** (`invalid-template`), not retried.");
    expect(body).toContain("Next step: Fix the template error at main.bicep:12.");
    expect(body).toContain("<details><summary>pulumi up output (last attempt)</summary>");
  });
});

describe("parsing Pulumi output", () => {
  it("reads the resource summary of up and preview", () => {
    expect(parseResourceSummary("Resources:\n    + 3 created\n    ~ 1 updated\n    +-1 replaced\n    - 2 deleted\n    10 unchanged\n\nDuration: 1m")).toEqual({ create: 3, update: 1, replace: 1, delete: 2, same: 10 });
    expect(parseResourceSummary("Resources:\n    + 2 to create\n    5 unchanged")).toEqual({ create: 2, update: 0, replace: 0, delete: 0, same: 5 });
    expect(parseResourceSummary("no summary")).toBeNull();
  });
  it("tells policy violations from other failures", () => {
    expect(previewOutcome(0, "Policy Violations:\n [advisory]")).toBe("passed");
    expect(previewOutcome(255, "Policy Violations:\n    [mandatory]  delivery-policies v0.1.0  prod-requires-reviewers")).toBe("policy-violation");
    expect(previewOutcome(255, "error: could not load plugin")).toBe("failed");
  });
  it("reads graft-status JSON leniently", () => {
    expect(readStaleDocs([{ output: "a.md", reasons: ["model changed", "dep changed: x"] }])).toEqual([{ path: "a.md", reason: "model changed; dep changed: x" }]);
    expect(readStaleDocs({ stale: [{ path: "b.md", reason: "output missing" }, { path: "c.md", stale: false }] })).toEqual([{ path: "b.md", reason: "output missing" }]);
    expect(readStaleDocs({ unexpected: true })).toBeNull();
  });
});
