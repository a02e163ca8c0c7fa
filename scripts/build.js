#!/usr/bin/env node
// `npm run build` (and `npm ci`, through `prepare`): compiles the files tsconfig.build.json names
// into dist/, one file at a time with TypeScript's own transpiler and the project's compiler
// options. Nothing is type-checked here: `npm test` owns the type-check (tsc with `isolatedModules`,
// which also proves every file compiles on its own). A whole-program `tsc` spent ~28 s of every
// workflow job's install parsing provider type definitions; this takes ~5 s.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");

const root = path.resolve(__dirname, "..");
const configFile = path.join(root, "tsconfig.build.json");
const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
});
if (parsed.errors.length > 0) fail(parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n"));
const { options, fileNames } = parsed;
const outDir = options.outDir;
const rootDir = options.rootDir;
if (!outDir || !rootDir) fail("tsconfig.build.json must set compilerOptions.outDir and rootDir");

let failed = 0;
for (const source of fileNames) {
  const jsFile = path.join(outDir, path.relative(rootDir, source)).replace(/\.ts$/, ".js");
  const mapFile = `${jsFile}.map`;
  const result = ts.transpileModule(fs.readFileSync(source, "utf8"), {
    compilerOptions: options,
    fileName: source,
    reportDiagnostics: true,
  });
  for (const d of result.diagnostics ?? []) {
    failed++;
    console.error(`${path.relative(root, source)}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  }
  fs.mkdirSync(path.dirname(jsFile), { recursive: true });
  fs.writeFileSync(jsFile, result.outputText);
  if (result.sourceMapText) {
    // Point the map at the source the way tsc does: relative to the map's own directory.
    const map = JSON.parse(result.sourceMapText);
    map.file = path.basename(jsFile);
    map.sources = [path.relative(path.dirname(jsFile), source)];
    fs.writeFileSync(mapFile, JSON.stringify(map));
  }
}
if (failed > 0) fail(`${failed} file(s) did not compile`);

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}
