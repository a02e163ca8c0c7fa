/**
 * The layering rules of .dependency-cruiser.cjs, enforced on every `npm test`: core/ imports no
 * outer layer, only tests import test code, no cycles. First shown to catch each kind of
 * violation in a small throwaway tree, then run on the repository.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "./harness/program";

const DEPCRUISE = path.join(REPO_ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
const CONFIG = path.join(REPO_ROOT, ".dependency-cruiser.cjs");

function depcruise(cwd: string, roots: readonly string[]) {
  const r = spawnSync(process.execPath, [DEPCRUISE, "--config", CONFIG, "--output-type", "err", ...roots], { cwd, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("layering (dependency-cruiser)", () => {
  it("reports a core module importing the CLI, production code importing test code, and a cycle", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "layering-"));
    try {
      const files: Record<string, string> = {
        "tsconfig.json": "{}",
        "core/rule.ts": 'import { cliThing } from "../cli/io";\nexport const rule = cliThing;\n',
        "cli/io.ts": 'import { rule } from "../core/rule";\nexport const cliThing = 1;\nexport const again = rule;\n',
        "scripts/bench.ts": 'import { fake } from "../test/fake";\nexport const b = fake;\n',
        "test/fake.ts": "export const fake = 1;\n",
      };
      for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
      }
      const r = depcruise(dir, ["core", "cli", "scripts", "test"]);
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/error core-imports-no-outer-layer: core\/rule\.ts → cli\/io\.ts/);
      expect(r.output).toMatch(/error only-tests-import-test-code: scripts\/bench\.ts → test\/fake\.ts/);
      expect(r.output).toMatch(/error no-cycles: (core\/rule\.ts|cli\/io\.ts) →/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("holds for the repository", () => {
    const r = depcruise(REPO_ROOT, ["index.ts", "core", "cli", "components", "providers", "workflows", "sandbox", "scripts", "policies", "test"]);
    // The whole report on failure: each violation names the rule, the importing module and the imported one.
    expect(r.output).toContain("no dependency violations found");
    expect(r.code).toBe(0);
  }, 60_000);
});
