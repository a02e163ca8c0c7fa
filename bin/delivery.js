#!/usr/bin/env node
// The `delivery` command: bin/delivery.bundle.js, the command with its dependencies in one file
// (scripts/bundle-cli.js), so a checkout runs it without `npm ci`. A stale bundle does not run:
// every source file and locked package it lists must match this checkout, or the command stops
// before doing anything. (That cannot tell a hand-edited bundle: the PR preview jobs rebuild it and
// compare.) After editing cli/, core/ or workflows/ (or their dependencies), run `npm run bundle`.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const bundle = path.join(__dirname, "delivery.bundle.js");
const MARKER = "// delivery-bundle-manifest ";

function stale(reason) {
  process.stderr.write(`delivery: bin/delivery.bundle.js is not the build of this checkout (${reason}); run \`npm run bundle\` (and commit it).\n`);
  process.exit(2);
}

function manifest() {
  if (!fs.existsSync(bundle)) stale("it is missing");
  const fd = fs.openSync(bundle, "r");
  const head = Buffer.alloc(256 * 1024);
  const n = fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  const first = head.subarray(0, n).toString("utf8").split("\n", 1)[0];
  if (!first.startsWith(MARKER)) stale("its first line is not its manifest");
  return JSON.parse(first.slice(MARKER.length));
}

const { sources, packages } = manifest();
for (const [file, hash] of Object.entries(sources)) {
  const full = path.join(root, file);
  if (!fs.existsSync(full)) stale(`${file} is missing`);
  if (crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex") !== hash) stale(`${file} differs`);
}
const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")).packages;
for (const [pkg, locked] of Object.entries(packages)) {
  const entry = lock[pkg];
  if (!entry || `${entry.version} ${entry.integrity}` !== locked) stale(`package-lock.json locks ${pkg} differently`);
}

require(bundle)
  .run(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
