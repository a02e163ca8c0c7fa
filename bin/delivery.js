#!/usr/bin/env node
// The `delivery` command: bin/delivery.bundle.js, the command with its dependencies in one file
// (scripts/bundle-cli.js), so a checkout runs it without `npm ci`. A stale bundle does not run:
// every source file and locked package it lists must match this checkout, or the command stops
// before doing anything. (That cannot tell a hand-edited bundle: the PR preview jobs rebuild it and
// compare.) After editing cli/, core/ or workflows/ (or their dependencies), run `npm run bundle`.
"use strict";
const path = require("node:path");
const { staleness, BUNDLE } = require("../scripts/bundle-cli.js");

const root = path.join(__dirname, "..");
const reason = staleness(root);
if (reason !== null) {
  process.stderr.write(`delivery: ${BUNDLE} is not the build of this checkout (${reason}); run \`npm run bundle\` (and commit it).\n`);
  process.exit(2);
}

require(path.join(root, BUNDLE))
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
