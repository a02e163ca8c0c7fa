// Jest's module runtime (jest.config.js `runtime`), with V8's code cache between test files.
//
// Jest gives every test file fresh modules: it compiles each module's source again (`vm.Script`),
// and V8 compiles every function again as it first runs. @pulumi/pulumi, the providers and the
// program are most of that, and about half the test files load them. This runtime keeps each
// module's first script in the worker; when a later file loads the same module text, it takes that
// script's compiled code once (`createCachedData`, which includes the functions that have run by
// then) and every later load of the module starts from it.
// Module state is still fresh per file: only compiled code is shared, and V8 rejects cached data
// that does not match the source (the module then compiles as before).
//
// `createScriptFromCode` is jest-runtime 29.7.0's own, with the cached data added.
"use strict";
const vm = require("node:vm");
const { handlePotentialSyntaxError } = require("@jest/transform");
const Runtime = require("jest-runtime").default;

const COPIED_FROM = "29.7.0";
const installed = require("jest-runtime/package.json").version;
if (installed !== COPIED_FROM) {
  throw new Error(
    `test/harness/jest-runtime.js overrides createScriptFromCode as jest-runtime ${COPIED_FROM} writes it, but jest-runtime ${installed} is installed: ` +
      `compare the method in node_modules/jest-runtime/build/index.js, carry the change over, and set COPIED_FROM to ${installed}.`,
  );
}

/** Per module file: the wrapped source, the first script compiled from it, and its code cache once taken. */
const compiled = new Map();

function cachedDataFor(filename, source) {
  const entry = compiled.get(filename);
  if (!entry || entry.source !== source) return undefined;
  entry.data ??= entry.script.createCachedData();
  return entry.data;
}

class CodeCachingRuntime extends Runtime {
  createScriptFromCode(scriptSource, filename) {
    try {
      const scriptFilename = this._resolver.isCoreModule(filename) ? `jest-nodejs-core-${filename}` : filename;
      const source = this.wrapCodeInModuleWrapper(scriptSource);
      const cachedData = cachedDataFor(filename, source);
      const script = new vm.Script(source, {
        cachedData,
        columnOffset: this._fileTransforms.get(filename)?.wrapperLength,
        displayErrors: true,
        filename: scriptFilename,
        importModuleDynamically: async (specifier) => {
          const context = this._environment.getVmContext?.();
          if (!context) throw new Error("Test environment has been torn down");
          const module = await this.resolveModule(specifier, scriptFilename, context);
          return this.linkAndEvaluateModule(module);
        },
      });
      // The first script of a module text is the one whose code later loads reuse; so is one whose
      // cached data V8 refused (it compiled from the source instead).
      if (!cachedData || script.cachedDataRejected) compiled.set(filename, { source, script, data: undefined });
      return script;
    } catch (e) {
      throw handlePotentialSyntaxError(e);
    }
  }
}

module.exports = CodeCachingRuntime;
