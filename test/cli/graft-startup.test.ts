/**
 * `delivery graft-status` starts fast: only the command being run is loaded (cli/commands/index.ts),
 * and graft-status without `--stack` loads neither the config schema (zod), the YAML parser, execa,
 * octokit nor the AWS SDK. Runs the installed binary (dist/, built by `npm ci` / `npm run build`).
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "../harness/program";
import { cleanupScratch, tempDir, writeTree } from "../core/graft/helpers";

afterAll(cleanupScratch);

/** The packages a command loaded, after running it in a fresh process through dist/cli/main.js. */
function packagesLoaded(argv: readonly string[]): string[] {
  const script = [
    `require(${JSON.stringify(path.join(REPO_ROOT, "dist", "cli", "main.js"))}).run(${JSON.stringify(argv)}, { stdout: () => {}, stderr: (t) => process.stderr.write(t), readStdin: async () => "", cwd: process.cwd(), env: process.env })`,
    `.then((code) => { const names = new Set(); for (const k of Object.keys(require.cache)) { const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(k); if (m) names.add(m[1]); } process.stdout.write(JSON.stringify({ code, names: [...names].sort() })); });`,
  ].join("");
  const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" })) as { code: number; names: string[] };
  expect(out.code).toBe(0);
  return out.names;
}

it("graft-status loads only what it needs", () => {
  const root = tempDir();
  writeTree(root, { "src/a.txt": "alpha\n", "docs/a.prompt.md": "---\ndeps:\n  - src/a.txt\n---\nDescribe alpha.\n" });
  const loaded = packagesLoaded(["graft-status", "--root", root, "--json"]);
  for (const heavy of ["zod", "yaml", "execa", "@octokit/rest", "@aws-sdk/client-bedrock-runtime", "@pulumi/pulumi"]) expect(loaded).not.toContain(heavy);
  expect(loaded).toContain("commander");
});

it("--help still loads and lists every command", () => {
  const help = execFileSync(process.execPath, [path.join(REPO_ROOT, "bin", "delivery.js"), "--help"], { encoding: "utf8" });
  for (const name of ["config", "classify", "graft-status", "graft-generate", "graft-sync", "docs", "promote", "unlock"]) expect(help).toContain(name);
});
