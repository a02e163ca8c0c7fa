// `npm run test:workflows`: the rendered workflows executed by a real Actions runner (nektos/act)
// offline, against the stand-in GitHub API, the sandbox Pulumi engine and the stand-in clouds.
const base = require("./jest.config.js");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ["<rootDir>/test/workflows/scenarios"],
  // Every scenario file runs in CI: a job that only runs `delivery` installs nothing (the committed
  // bundle), one that runs the program installs it (about 20 s here). Two extra paths in
  // issueops-deploy.test.ts (/preview staging, the three-stack PR preview: the same jobs as /preview dev
  // and prod's preview, for the other stacks) run only with DELIVERY_SCENARIOS=all
  // (docs/workflow-runner.md).
  testPathIgnorePatterns: ["/node_modules/"],
  // Three scenario files at a time on 2 cores, each in its own world (repository, GitHub stand-in,
  // clouds, backend): much of a scenario is waiting (health-check retries, the soak clock, process
  // start-up), which the other files fill. Measured in clean-clone runs on 2 cores, with the job
  // workspaces on the RAM disk: 616 s two at a time, 564 s three at a time with issueops-locks.test.ts
  // split from issueops-deploy.test.ts (one file at a time it once took 1,048 s). The longest file
  // sets the floor, so no file should hold much more than a third of the suite.
  maxWorkers: 3,
  // What the workers share is installed once, first.
  globalSetup: "<rootDir>/test/workflows/global-setup.ts",
  testTimeout: 15 * 60 * 1000,
  // Each scenario's own wall time in the log, not only each file's.
  verbose: true,
};
