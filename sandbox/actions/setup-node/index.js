"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");
const { input, fail, info, setOutput } = require(`${process.env.DELIVERY_RUNNER_STANDINS}/lib/standin.js`);

let wanted = input("node-version");
const file = input("node-version-file");
if (!wanted && file) {
  const full = path.resolve(process.env.GITHUB_WORKSPACE, file);
  if (!fs.existsSync(full)) fail(`The specified node version file at: ${full} does not exist`);
  const text = fs.readFileSync(full, "utf8");
  wanted = path.basename(full) === "package.json" ? (JSON.parse(text).engines?.node ?? "") : text.trim().split(/\r?\n/)[0];
}
if (!wanted) fail("node-version or node-version-file is required by the stand-in");
// The runner's `node` on PATH (not this action's own interpreter).
const actual = execFileSync("node", ["--version"], { encoding: "utf8" }).trim();
const major = (v) => /(\d+)/.exec(v.replace(/^[^\d]*/, ""))?.[1];
if (major(wanted) !== major(actual)) fail(`Unable to find Node version '${wanted}' on this runner (it has ${actual}).`);
setOutput("node-version", actual);
info(`Node.js ${actual} (requested ${wanted})${input("cache") ? `; cache: ${input("cache")} uses the runner's own npm cache` : ""}`);
