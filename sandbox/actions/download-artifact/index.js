"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { input, fail, info, setOutput } = require(`${process.env.DELIVERY_RUNNER_STANDINS}/lib/standin.js`);

const root = process.env.DELIVERY_RUNNER_ARTIFACTS_DIR;
if (!root) fail("DELIVERY_RUNNER_ARTIFACTS_DIR is not set");
const dest = path.resolve(process.env.GITHUB_WORKSPACE, input("path") || ".");
const name = input("name");
const available = fs.existsSync(root) ? fs.readdirSync(root).filter((n) => fs.statSync(path.join(root, n)).isDirectory()).sort() : [];

/** The real action's pattern is a minimatch glob over artifact names; names hold no "/", so `*` and `?` suffice. */
function globToRegExp(glob) {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
}

let targets;
if (name) {
  if (!available.includes(name)) fail(`Unable to download artifact(s): Artifact not found for name: ${name}\n        Please ensure that your artifact is not expired and the artifact was uploaded using a compatible version of toolkit/upload-artifact.`);
  targets = [[name, dest]];
} else {
  const pattern = input("pattern");
  const matched = pattern ? available.filter((n) => globToRegExp(pattern).test(n)) : available;
  const merge = input("merge-multiple") === "true";
  info(`Found ${matched.length} artifact(s)`);
  targets = matched.map((n) => [n, merge ? dest : path.join(dest, n)]);
}
fs.mkdirSync(dest, { recursive: true });
for (const [artifact, to] of targets) {
  fs.cpSync(path.join(root, artifact), to, { recursive: true });
  info(`Artifact download completed successfully: ${artifact}`);
}
setOutput("download-path", dest);
info(`Total of ${targets.length} artifact(s) downloaded`);
