// `npm run test:workflows`: the rendered workflows executed by a real Actions runner (nektos/act)
// offline, against the stand-in GitHub API, the sandbox Pulumi engine and the stand-in clouds.
const base = require("./jest.config.js");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ["<rootDir>/test/workflows/scenarios"],
  testPathIgnorePatterns: ["/node_modules/"],
  // Scenarios run act, npm and Pulumi: one at a time on a small machine.
  maxWorkers: 1,
  testTimeout: 15 * 60 * 1000,
};
