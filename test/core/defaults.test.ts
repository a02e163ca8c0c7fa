/** The one table of defaults, and the places that read it. */
import * as fs from "node:fs";
import * as path from "node:path";
import { BICEP_CONFIG_DEFAULTS, defaultsMarkdown, RETRY_DEFAULTS } from "../../core/defaults";
import { validateRetryPolicy } from "../../core/retry";
import { REPO_ROOT } from "../harness/program";

describe("core/defaults.ts", () => {
  it("is what docs/bicep.md shows (regenerate with `npx delivery config --defaults`)", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "bicep.md"), "utf8");
    const shown = /<!-- defaults:begin[^\n]*-->\n([\s\S]*?)\n<!-- defaults:end -->/.exec(doc);
    expect(shown?.[1]).toBe(defaultsMarkdown());
  });

  it("holds a retry policy that passes its own rules", () => {
    expect(validateRetryPolicy(RETRY_DEFAULTS)).toEqual([]);
  });

  it("cannot be changed by a caller that mutates what it was given", () => {
    expect(Object.isFrozen(RETRY_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(BICEP_CONFIG_DEFAULTS.healthEndpoints)).toBe(true);
  });
});
