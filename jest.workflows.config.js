// `npm run test:workflows`: the rendered workflows executed by a real Actions runner (nektos/act)
// offline, against the stand-in GitHub API, the sandbox Pulumi engine and the stand-in clouds.
const base = require("./jest.config.js");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ["<rootDir>/test/workflows/scenarios"],
  // The promotion scenario (a deploy, then promote.yml's decide, validate and act, twice) takes
  // 30-60 minutes on 2 cores, which CI's time budget cannot hold yet: it runs when asked for,
  // `DELIVERY_SCENARIOS=all npm run test:workflows` (docs/workflow-runner.md).
  testPathIgnorePatterns: ["/node_modules/", ...(process.env.DELIVERY_SCENARIOS === "all" ? [] : ["/promotion\\.test\\.ts$"])],
  // Scenarios run act, npm and Pulumi: one at a time on a small machine.
  maxWorkers: 1,
  testTimeout: 15 * 60 * 1000,
};
