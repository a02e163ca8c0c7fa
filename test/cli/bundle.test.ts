/**
 * The `delivery` command the workflows run is the committed bundle bin/delivery.bundle.js
 * (scripts/bundle-cli.js), run from a checkout without `npm ci`. It must be the build of the sources
 * beside it: the committed file is what the bundler builds now, and bin/delivery.js refuses to run
 * it in a checkout whose sources or locked packages differ from the ones it was built from.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../harness/program";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bundler = require(path.join(REPO_ROOT, "scripts", "bundle-cli.js")) as {
  buildBundle(root?: string): Promise<string>;
  manifestOf(text: string): { sources: Record<string, string>; packages: Record<string, string> } | null;
  BUNDLE: string;
};

// esbuild keeps a service process for later builds; stop it so the Jest worker can exit.
// eslint-disable-next-line @typescript-eslint/no-require-imports
afterAll(() => (require("esbuild") as { stop(): Promise<void> | void }).stop());

const committed = () => fs.readFileSync(path.join(REPO_ROOT, bundler.BUNDLE), "utf8");
const manifestOf = (text: string) => {
  const manifest = bundler.manifestOf(text);
  if (!manifest) throw new Error(`${bundler.BUNDLE} has no manifest on its first line`);
  return manifest;
};

it("is the build of the current sources (after editing cli/, core/ or workflows/, run `npm run bundle`)", async () => {
  const built = await bundler.buildBundle();
  // Compared as a whole; on a mismatch, name what changed rather than print 3 MB.
  const expected = manifestOf(built);
  expect(manifestOf(committed())).toEqual(expected);
  expect(committed() === built).toBe(true);
  expect(Object.keys(expected.sources)).toEqual(expect.arrayContaining(["cli/main.ts", "core/classify.ts", "workflows/common.ts"]));
  expect(Object.keys(expected.packages)).toEqual(expect.arrayContaining(["node_modules/@octokit/rest", "node_modules/zod"]));
});

describe("bin/delivery.js in a checkout", () => {
  let dir: string;
  beforeAll(() => {
    // A checkout with only what the bundle lists, as a job's checkout has no node_modules.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "delivery-bundle-"));
    for (const file of ["bin/delivery.js", "scripts/bundle-cli.js", bundler.BUNDLE, "package-lock.json", ...Object.keys(manifestOf(committed()).sources)]) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dir, file));
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const delivery = (...args: string[]) => spawnSync(process.execPath, [path.join(dir, "bin", "delivery.js"), ...args], { cwd: dir, encoding: "utf8", input: "" });

  it("runs without node_modules when the checkout is what it was built from", () => {
    expect(fs.existsSync(path.join(dir, "node_modules"))).toBe(false);
    const r = delivery("classify");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ category: "unknown", retryable: false });
  });

  it("refuses to run, naming the file, when a source differs", () => {
    const file = path.join(dir, "core", "classify.ts");
    const original = fs.readFileSync(file, "utf8");
    fs.appendFileSync(file, "\n// changed after the bundle was built\n");
    try {
      const r = delivery("classify");
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("bin/delivery.bundle.js is not the build of this checkout (core/classify.ts differs); run `npm run bundle`");
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it("refuses to run when package-lock.json locks a bundled package differently", () => {
    const lockFile = path.join(dir, "package-lock.json");
    const original = fs.readFileSync(lockFile, "utf8");
    const lock = JSON.parse(original) as { packages: Record<string, { version: string }> };
    lock.packages["node_modules/zod"].version = "0.0.0";
    fs.writeFileSync(lockFile, JSON.stringify(lock));
    try {
      const r = delivery("classify");
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("package-lock.json locks node_modules/zod differently");
    } finally {
      fs.writeFileSync(lockFile, original);
    }
  });
});
