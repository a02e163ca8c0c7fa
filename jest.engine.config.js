// The engine tests: the real Pulumi CLI on the real program against the sandbox stand-ins.
// Same transform as the unit tests; one file at a time, since each runs the engine, a language
// host, provider plugins and TypeScript compiles, which already keep two cores busy.
const base = require("./jest.config.js");

/** @type {import('jest').Config} */
module.exports = { ...base, maxWorkers: 1, roots: ["<rootDir>/test/engine"], testPathIgnorePatterns: ["/node_modules/"] };
