#!/usr/bin/env node
// `npm run bundle`: the `delivery` command as one committed file, bin/delivery.bundle.js, built by
// esbuild from cli/main.ts with every dependency inside. Workflow jobs that only run `delivery`
// (gates, replies, the promotion machine, docs dispatch) run it straight from their checkout: no
// `npm ci`, so no dependency's install script runs next to their tokens, and no 10-20 s install per
// job. Like a JavaScript action's committed dist/, it must be the build of the sources beside it:
// its first line lists each source file's SHA-256 and each bundled package's locked version and
// integrity, bin/delivery.js refuses to run it when the checkout differs (`staleness`, here with the
// format it reads), and `npm test` and the PR preview jobs fail when the committed file is not what
// this script builds now (`--check`; test/cli/bundle.test.ts).
//
//   npm run bundle            write bin/delivery.bundle.js
//   npm run bundle -- --check exit 1 (and say why) when the committed bundle is not current
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const ENTRY = "cli/main.ts";
const BUNDLE = "bin/delivery.bundle.js";
/** The first line of the bundle: this marker, then the manifest as JSON. */
const MANIFEST_MARKER = "// delivery-bundle-manifest ";

/** Builds the bundle's text (manifest line first) in memory. */
async function buildBundle(root = ROOT) {
  const esbuild = require("esbuild");
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [ENTRY],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    write: false,
    metafile: true,
    outfile: BUNDLE,
    logLevel: "silent",
    // Readable and stable, so a reviewer can read the change and git stores it as a small delta.
    minify: false,
    legalComments: "inline",
  });
  const inputs = Object.keys(result.metafile.inputs).sort();
  const lock = lockedPackages(root);
  const sources = {};
  const packages = {};
  for (const input of inputs) {
    const pkg = packageDir(input);
    if (pkg === null) {
      sources[input] = sha256(fs.readFileSync(path.join(root, input)));
    } else {
      if (!lock[pkg]) throw new Error(`bundle: ${input} comes from ${pkg}, which package-lock.json does not lock; run npm install`);
      packages[pkg] = lockEntry(lock[pkg]);
    }
  }
  const manifest = { entry: ENTRY, sources, packages };
  return `${MANIFEST_MARKER}${JSON.stringify(manifest)}\n${result.outputFiles[0].text}`;
}

/** The manifest on the first line of a bundle's text: {entry, sources: {file: sha256}, packages: {dir: lock entry}}. */
function manifestOf(text) {
  const first = text.split("\n", 1)[0];
  if (!first.startsWith(MANIFEST_MARKER)) return null;
  return JSON.parse(first.slice(MANIFEST_MARKER.length));
}

/**
 * Why the committed bundle under `root` is not the build of that checkout (a source file it lists
 * differs or is missing, or the lock pins one of its packages differently), or null when it is.
 * Needs no installed package: bin/delivery.js asks it before running the bundle. It cannot tell a
 * hand-edited bundle from a built one; `--check` (in the PR preview jobs and `npm test`) rebuilds.
 */
function staleness(root = ROOT) {
  const file = path.join(root, BUNDLE);
  if (!fs.existsSync(file)) return "it is missing";
  // The manifest is the first line; read only the head of the 3 MB file.
  const fd = fs.openSync(file, "r");
  const head = Buffer.alloc(256 * 1024);
  const n = fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  const manifest = manifestOf(head.subarray(0, n).toString("utf8"));
  if (!manifest) return "its first line is not its manifest";
  for (const [source, hash] of Object.entries(manifest.sources)) {
    const full = path.join(root, source);
    if (!fs.existsSync(full)) return `${source} is missing`;
    if (sha256(fs.readFileSync(full)) !== hash) return `${source} differs`;
  }
  const lock = lockedPackages(root);
  for (const [pkg, locked] of Object.entries(manifest.packages)) {
    if (!lock[pkg] || lockEntry(lock[pkg]) !== locked) return `package-lock.json locks ${pkg} differently`;
  }
  return null;
}

function lockedPackages(root) {
  return JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")).packages;
}

/** How the manifest records a locked package: its version and integrity. */
function lockEntry(entry) {
  return `${entry.version} ${entry.integrity}`;
}

/** node_modules/a/node_modules/@b/c/lib/x.js -> node_modules/a/node_modules/@b/c; a project file -> null. */
function packageDir(input) {
  const at = input.lastIndexOf("node_modules/");
  if (at < 0) return null;
  const rest = input.slice(at + "node_modules/".length).split("/");
  const name = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  return `${input.slice(0, at)}node_modules/${name}`;
}

function sha256(bytes) {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

module.exports = { buildBundle, manifestOf, staleness, BUNDLE };

if (require.main === module) {
  const check = process.argv.includes("--check");
  buildBundle().then(
    (text) => {
      const file = path.join(ROOT, BUNDLE);
      const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
      if (check) {
        if (current !== text) {
          console.error(`bundle: ${BUNDLE} is not the build of the current sources; run \`npm run bundle\` and commit it`);
          process.exit(1);
        }
        return;
      }
      if (current !== text) fs.writeFileSync(file, text);
      console.log(`bundle: ${BUNDLE} ${current === text ? "is current" : "written"} (${(text.length / 1024 / 1024).toFixed(1)} MB)`);
    },
    (err) => {
      console.error(`bundle: ${err.message}`);
      process.exit(1);
    },
  );
}
