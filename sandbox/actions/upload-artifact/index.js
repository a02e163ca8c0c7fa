"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { input, fail, info, setOutput } = require(`${process.env.DELIVERY_RUNNER_STANDINS}/lib/standin.js`);

const root = process.env.DELIVERY_RUNNER_ARTIFACTS_DIR;
if (!root) fail("DELIVERY_RUNNER_ARTIFACTS_DIR is not set");
const name = input("name") || "artifact";
if (/[":<>|*?\\/\r\n]/.test(name)) fail(`The artifact name is not valid: ${name}. Contains the following character: one of " : < > | * ? \\ / \\r \\n`);
const mode = input("if-no-files-found") || "warn";
const dest = path.join(root, name);
if (fs.existsSync(dest)) fail(`Failed to CreateArtifact: an artifact with this name already exists on the workflow run (${name})`);
let count = 0;
for (const line of input("path", { required: true }).split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
  const src = path.resolve(process.env.GITHUB_WORKSPACE, line);
  if (!fs.existsSync(src)) continue;
  const stat = fs.statSync(src);
  const to = path.join(dest, path.basename(src));
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(src, to, { recursive: true });
  count += stat.isDirectory() ? fs.readdirSync(src, { recursive: true }).length : 1;
}
if (count === 0) {
  const message = `No files were found with the provided path: ${input("path")}. No artifacts will be uploaded.`;
  if (mode === "error") fail(message);
  if (mode === "warn") process.stdout.write(`::warning::${message}\n`);
  process.exit(0);
}
setOutput("artifact-id", String(Date.now()));
info(`Artifact ${name} has been successfully uploaded (${count} entries)`);
