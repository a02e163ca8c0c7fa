#!/usr/bin/env node
// Installs the policy pack's own dependencies (policies/package-lock.json) when they are missing or
// older than the lockfile; otherwise does nothing. `npm test` and the sandbox need them; `npm ci`
// of the project does not (its build does not compile the policy pack), which keeps every
// workflow job's install to the project's own dependencies.
"use strict";
const { execFileSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const policies = path.join(__dirname, "..", "policies");
const lock = fs.readFileSync(path.join(policies, "package-lock.json"));
const digest = crypto.createHash("sha256").update(lock).digest("hex");
const stamp = path.join(policies, "node_modules", ".delivery-lock-sha256");
if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === digest) process.exit(0);
process.stderr.write("installing the policy pack's dependencies (npm ci --prefix policies)\n");
execFileSync("npm", ["ci", "--prefix", policies, "--no-audit", "--no-fund"], { stdio: "inherit" });
fs.writeFileSync(stamp, digest);
