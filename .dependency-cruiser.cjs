/**
 * The layering `npm test` enforces (test/layering.test.ts runs `depcruise` with this file):
 * core/ is the rules and reads nothing from the layers built on it; only tests import test code;
 * no module imports itself back through a cycle.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "core-imports-no-outer-layer",
      comment: "core/ holds the rules every layer shares; it must not depend on the layers that use it (cli, components, providers, workflows, sandbox, scripts, policies, the program's index.ts).",
      severity: "error",
      from: { path: "^core/" },
      to: { path: "^(cli|components|providers|workflows|sandbox|scripts|policies)/|^index\\.ts$" },
    },
    {
      name: "only-tests-import-test-code",
      comment: "test/ is test code: the program, the CLI, the sandbox and the scripts must not need it. Move what they share into sandbox/ or core/.",
      severity: "error",
      from: { pathNot: "^test/" },
      to: { path: "^test/" },
    },
    {
      name: "no-cycles",
      comment: "A cycle makes load order matter and the layers meaningless: move what both sides need into a module of its own (as cli/io.ts does for the CLI's types).",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist|\\.sandbox)/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    // A type-only import still ties the layers together for a reader; count it.
    moduleSystems: ["cjs", "es6"],
  },
};
