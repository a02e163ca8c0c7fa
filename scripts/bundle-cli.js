#!/usr/bin/env node
// `npm run bundle`: the `delivery` command as one committed file, bin/delivery.bundle.js, built by
// esbuild from cli/main.ts with every dependency inside. Workflow jobs that only run `delivery`
// (gates, replies, the promotion machine, docs dispatch) run it straight from their checkout: no
// `npm ci`, so no dependency's install script runs next to their tokens, and no 10-20 s install per
// job. Like a JavaScript action's committed dist/, it must be the build of the sources beside it:
// its first line lists each source file's SHA-256 and each bundled package's locked version and
// integrity, bin/delivery.js refuses to run it when the checkout differs, and `npm test` fails when
// the committed file is not what this script builds now (test/cli/bundle.test.ts).
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
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")).packages;
  const sources = {};
  const packages = {};
  for (const input of inputs) {
    const pkg = packageDir(input);
    if (pkg === null) {
      sources[input] = sha256(fs.readFileSync(path.join(root, input)));
    } else {
      const entry = lock[pkg];
      if (!entry) throw new Error(`bundle: ${input} comes from ${pkg}, which package-lock.json does not lock; run npm install`);
      packages[pkg] = `${entry.version} ${entry.integrity}`;
    }
  }
  const manifest = { entry: ENTRY, sources, packages };
  return `${MANIFEST_MARKER}${JSON.stringify(manifest)}\n${result.outputFiles[0].text}`;
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

module.exports = { buildBundle, BUNDLE, MANIFEST_MARKER };

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
