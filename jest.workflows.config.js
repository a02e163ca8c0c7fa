// `npm run test:workflows`: the rendered workflows executed by a real Actions runner (nektos/act)
// offline, against the stand-in GitHub API, the sandbox Pulumi engine and the stand-in clouds.
const base = require("./jest.config.js");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ["<rootDir>/test/workflows/scenarios"],
  // Every job of a scenario installs the project (`npm ci --omit=dev`, 40-70 s here), so the full set takes
  // over an hour on 2 cores, more than CI's time budget holds. CI runs the core set; the promotion
  // scenario (a deploy, then promote.yml's decide, validate and act, twice: 30-60 minutes) and the
  // docs hand-over run when asked for: `DELIVERY_SCENARIOS=all npm run test:workflows`
  // (docs/workflow-runner.md).
  testPathIgnorePatterns: ["/node_modules/", ...(process.env.DELIVERY_SCENARIOS === "all" ? [] : ["/promotion\\.test\\.ts$", "/docs-deploy\\.test\\.ts$"])],
  // Scenarios run act, npm and Pulumi: one at a time on a small machine.
  maxWorkers: 1,
  testTimeout: 15 * 60 * 1000,
};
