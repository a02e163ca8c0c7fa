// Jest runs the TypeScript sources through SWC (@swc/jest) file by file (tsconfig.json
// `isolatedModules`), without type-checking (`tsc`, run beside Jest by `npm test`, does that). SWC
// over ts-jest: a fresh clone has no transform cache (Jest keys it by the checkout's path), and
// ts-jest spent ~34 s of CPU filling it on 2 cores (Jest 88 s cold, 70 s warm); with SWC the cold
// run costs what the warm one does. Some dependencies (execa, Octokit) ship only as ES modules,
// which Jest cannot require, so exactly the packages that declare `"type": "module"` are turned
// into CommonJS by SWC as well.
const fs = require("node:fs");
const path = require("node:path");

function esmOnlyPackages(nodeModules) {
  const names = [];
  const visit = (dir, scope) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      if (!scope && entry.name.startsWith("@")) {
        visit(path.join(dir, entry.name), entry.name);
        continue;
      }
      const name = scope ? `${scope}/${entry.name}` : entry.name;
      const nested = path.join(dir, entry.name, "node_modules");
      if (fs.existsSync(nested)) visit(nested, undefined);
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, entry.name, "package.json"), "utf8"));
        if (pkg.type === "module") names.push(name);
      } catch {
        // not a package directory
      }
    }
  };
  visit(nodeModules, undefined);
  return [...new Set(names)];
}

// Every `dvc` command otherwise starts a second DVC process in the background to send usage
// analytics (`dvc daemon analytics`): on this offline machine it only costs CPU the tests need.
// Set here so every worker, and every process a test starts, inherits it.
process.env.DVC_NO_ANALYTICS ??= "1";

const esm = esmOnlyPackages(path.join(__dirname, "node_modules")).map((n) => n.replace(/[.+]/g, "\\$&"));

/** SWC's options for one kind of source: CommonJS for Jest, the target tsconfig.json compiles to, source maps for stack traces. */
function swc(syntax) {
  return { jsc: { parser: { syntax }, target: "es2022" }, module: { type: "commonjs" }, sourceMaps: "inline", swcrc: false };
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  // Two workers a core: many tests wait on a process they started (the fake az, dvc, git, node) or
  // on a timeout they provoke, and a waiting worker leaves its core to another. On 2 cores, one
  // worker a core idled both for a tenth of the run (`npm test` back to back: 77 s with two workers,
  // 59 s with four).
  // (A number: Jest reads a percentage above 100% as a count of workers.)
  maxWorkers: 2 * require("node:os").availableParallelism(),
  // Many tests start real processes (the fake az, dvc, git, the Pulumi CLI); on a busy 2-core
  // machine one of those can take longer than Jest's 5 s default without anything being wrong.
  testTimeout: 30_000,
  roots: ["<rootDir>/test"],
  setupFilesAfterEnv: ["<rootDir>/test/harness/pulumi-promise-stacks.ts"],
  // Compiled code shared between the test files of a worker (the file says how): `npm test` back
  // to back, 46-53 s with it, 54-64 s without.
  runtime: "<rootDir>/test/harness/jest-runtime.js",
  testMatch: ["**/*.test.ts"],
  // The engine tests run the real Pulumi CLI for minutes: `npm run test:engine` (jest.engine.config.js);
  // the workflow scenarios run act: `npm run test:workflows` (jest.workflows.config.js).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/engine/", "<rootDir>/test/workflows/scenarios/"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", swc("typescript")],
    "^.+\\.m?js$": ["@swc/jest", swc("ecmascript")],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esm.join("|")})/)`],
  // unicorn-magic (used by execa) exports only an "import" condition, which Jest's CommonJS resolver skips.
  moduleNameMapper: { "^unicorn-magic$": "<rootDir>/node_modules/unicorn-magic/node.js" },
  moduleFileExtensions: ["ts", "js", "mjs", "json"],
};
