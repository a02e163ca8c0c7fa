#!/usr/bin/env node
// The `delivery` command. `npm ci` compiles the TypeScript sources into dist/ (the `prepare`
// script); run `npm run build` after editing them.
"use strict";
const path = require("node:path");
const fs = require("node:fs");

const entry = path.join(__dirname, "..", "dist", "cli", "main.js");
if (!fs.existsSync(entry)) {
  process.stderr.write("delivery: dist/ is missing; run `npm ci` (or `npm run build`) in the repository first.\n");
  process.exit(2);
}
require(entry)
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
