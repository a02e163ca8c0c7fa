// Lets plain node require .ts files by transpiling them (no type check), for test/fakes/az/sandbox-az.
// Transpiled text is cached by content hash in the temp directory, so only the first call loads TypeScript.
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const cacheDir = path.join(os.tmpdir(), "delivery-transpile-cache");
let ts;
require.extensions[".ts"] = (module, filename) => {
  const source = fs.readFileSync(filename, "utf8");
  const cached = path.join(cacheDir, `${crypto.createHash("sha256").update(filename).update(source).digest("hex")}.js`);
  let outputText;
  try {
    outputText = fs.readFileSync(cached, "utf8");
  } catch {
    ts ??= require(path.join(__dirname, "..", "..", "..", "node_modules", "typescript"));
    ({ outputText } = ts.transpileModule(source, { fileName: filename, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }));
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(`${cached}.${process.pid}`, outputText);
    fs.renameSync(`${cached}.${process.pid}`, cached);
  }
  module._compile(outputText, filename);
};
