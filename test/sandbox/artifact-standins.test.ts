/**
 * The artifact stand-ins keep what actions/upload-artifact and actions/download-artifact keep, laid
 * out as they lay it out: an upload's root is its one directory, its one file's directory, or the
 * common ancestor of several paths; a download by name lands in `path`, by pattern one directory
 * per artifact (or all in `path` with `merge-multiple`).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ACTIONS = path.join(__dirname, "..", "..", "sandbox", "actions");
let dir: string;
let workspace: string;
let artifacts: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "artifact-standins-"));
  workspace = path.join(dir, "ws");
  artifacts = path.join(dir, "artifacts");
  for (const [file, text] of Object.entries({ "out/a.txt": "a", "out/sub/b.txt": "b", "logs/up.log": "up", "logs/outputs.json": "{}" })) {
    fs.mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true });
    fs.writeFileSync(path.join(workspace, file), text);
  }
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(action: string, inputs: Record<string, string>): { status: number | null; out: string } {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, DELIVERY_RUNNER_STANDINS: ACTIONS, DELIVERY_RUNNER_ARTIFACTS_DIR: artifacts, GITHUB_WORKSPACE: workspace, GITHUB_OUTPUT: path.join(dir, "output") };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const r = spawnSync(process.execPath, [path.join(ACTIONS, action, "index.js")], { env, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const tree = (root: string) => (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(root, f)).isFile()).sort();

it("uploads one directory as its contents, one file as itself, several paths below their common ancestor", () => {
  expect(run("upload-artifact", { name: "dir", path: "out" }).status).toBe(0);
  expect(run("upload-artifact", { name: "file", path: "logs/up.log" }).status).toBe(0);
  expect(run("upload-artifact", { name: "files", path: "logs/up.log\nlogs/outputs.json\n" }).status).toBe(0);
  expect(run("upload-artifact", { name: "apart", path: "out/sub\nlogs" }).status).toBe(0);
  expect(tree(path.join(artifacts, "dir"))).toEqual(["a.txt", path.join("sub", "b.txt")]);
  expect(tree(path.join(artifacts, "file"))).toEqual(["up.log"]);
  expect(tree(path.join(artifacts, "files"))).toEqual(["outputs.json", "up.log"]);
  expect(tree(path.join(artifacts, "apart"))).toEqual([path.join("logs", "outputs.json"), path.join("logs", "up.log"), path.join("out", "sub", "b.txt")]);
  // Names are unique within a run, as on GitHub.
  expect(run("upload-artifact", { name: "dir", path: "out" }).out).toContain("an artifact with this name already exists");
});

it("downloads by name into path, by pattern one directory per artifact, and fails on a missing name", () => {
  run("upload-artifact", { name: "validation-dev", path: "logs/up.log" });
  run("upload-artifact", { name: "validation-prod", path: "out" });
  run("upload-artifact", { name: "audit", path: "out" });
  expect(run("download-artifact", { name: "validation-dev", path: "one" }).status).toBe(0);
  expect(tree(path.join(workspace, "one"))).toEqual(["up.log"]);
  expect(run("download-artifact", { pattern: "validation-*", path: "many", "merge-multiple": "false" }).status).toBe(0);
  expect(tree(path.join(workspace, "many"))).toEqual([path.join("validation-dev", "up.log"), path.join("validation-prod", "a.txt"), path.join("validation-prod", "sub", "b.txt")]);
  expect(run("download-artifact", { pattern: "nothing-*", path: "none" }).out).toContain("Found 0 artifact(s)");
  const missing = run("download-artifact", { name: "deploy-outcome-dev", path: "x" });
  expect(missing.status).not.toBe(0);
  expect(missing.out).toContain("Artifact not found for name: deploy-outcome-dev");
});
