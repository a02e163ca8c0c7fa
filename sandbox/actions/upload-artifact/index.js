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
// The artifact's root, as upload-artifact computes it (src/shared/search.ts): one directory path is
// its own root, one file path its directory, several paths their least common ancestor; every
// file keeps its path below that root.
const paths = input("path", { required: true }).split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map((line) => path.resolve(process.env.GITHUB_WORKSPACE, line));
const found = paths.filter((p) => fs.existsSync(p));
const base = paths.length > 1 ? commonAncestor(paths) : found.length === 1 && fs.statSync(found[0]).isFile() ? path.dirname(found[0]) : paths[0];
let count = 0;
for (const src of found) {
  const stat = fs.statSync(src);
  const to = path.join(dest, path.relative(base, src));
  fs.mkdirSync(path.dirname(to), { recursive: true });
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

function commonAncestor(all) {
  const split = all.map((p) => p.split(path.sep));
  const common = [];
  for (let i = 0; split.every((parts) => i < parts.length && parts[i] === split[0][i]); i++) common.push(split[0][i]);
  return common.join(path.sep) || path.sep;
}
