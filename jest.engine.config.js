// The engine tests: the real Pulumi CLI on the real program against the sandbox stand-ins.
// Same transform as the unit tests; only test/engine, one file at a time would take longer than
// the two cores can share, so Jest's default worker count stands.
const base = require("./jest.config.js");

/** @type {import('jest').Config} */
module.exports = { ...base, roots: ["<rootDir>/test/engine"], testPathIgnorePatterns: ["/node_modules/"] };
