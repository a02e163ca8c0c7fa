/**
 * Entry point of a stand-in provider plugin: `node main.js <package> [engine address] [flags]`,
 * started by the launcher `pulumi-resource-<package>` that ./install.ts writes into the sandbox's
 * PULUMI_HOME. It serves the package's table with `@pulumi/pulumi/provider`'s `main`.
 *
 * That server (3.276) serves check/diff/create/read/update/delete/invoke, but answers CheckConfig
 * and DiffConfig with UNIMPLEMENTED and drops the configuration Configure receives. A stand-in needs
 * its configuration (the Azure subscription in ids, the AWS account in ARNs, the GitHub owner in
 * URLs), so the service implementation is wrapped when it is registered: Configure records the
 * configuration and then runs the SDK's own handler; CheckConfig validates it; DiffConfig compares
 * it. Everything else is the SDK's code.
 */
import * as path from "node:path";
import { main } from "@pulumi/pulumi/provider";
import { isStandInPackage, standInTable, STAND_IN_PACKAGES } from "./index";
import { StandInProvider, sameValue } from "./stand-in";
import { ProviderState } from "./state";

/* eslint-disable @typescript-eslint/no-require-imports */
const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] })) as typeof import("@grpc/grpc-js");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");

type Callback = (err: unknown, value?: unknown) => void;
type Call = { request: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `github:config:owner` → `owner`; values arrive as strings, JSON for anything else. */
export function configFromVariables(pkg: string, variables: Iterable<[string, string]>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [key, raw] of variables) {
    const name = key.startsWith(`${pkg}:config:`) ? key.slice(`${pkg}:config:`.length) : key.split(":").pop()!;
    let value: unknown = raw;
    if (/^[[{]/.test(raw)) {
      try {
        value = JSON.parse(raw);
      } catch {
        value = raw;
      }
    }
    config[name] = value;
  }
  return config;
}

function withoutVersion(props: Record<string, unknown> | undefined): Record<string, unknown> {
  const { version: _version, ...rest } = props ?? {};
  return rest;
}

function wrapService(standIn: StandInProvider, impl: Record<string, (call: Call, callback: Callback) => void>): object {
  const wrapped = Object.create(impl) as Record<string, (call: Call, callback: Callback) => void>;
  wrapped.checkConfig = (call, callback) => {
    const news = call.request.getNews();
    const problems = standIn.table.validateConfig?.(withoutVersion(news?.toJavaScript())) ?? [];
    const resp = new provproto.CheckResponse();
    resp.setInputs(news);
    resp.setFailuresList(
      problems.map((reason) => {
        const f = new provproto.CheckFailure();
        f.setProperty("");
        f.setReason(reason);
        return f;
      }),
    );
    callback(null, resp);
  };
  wrapped.diffConfig = (call, callback) => {
    const olds = withoutVersion((call.request.getOldInputs() ?? call.request.getOlds())?.toJavaScript());
    const news = withoutVersion(call.request.getNews()?.toJavaScript());
    const resp = new provproto.DiffResponse();
    resp.setChanges(sameValue(olds, news) ? provproto.DiffResponse.DiffChanges.DIFF_NONE : provproto.DiffResponse.DiffChanges.DIFF_SOME);
    callback(null, resp);
  };
  wrapped.configure = (call, callback) => {
    const req = call.request;
    const args = req.getArgs?.();
    standIn.config = args ? withoutVersion(args.toJavaScript()) : configFromVariables(standIn.table.name, req.getVariablesMap().entries());
    impl.configure.call(wrapped, call, callback);
  };
  return wrapped;
}

export async function serve(argv: readonly string[]): Promise<void> {
  const [pkg, ...engineArgs] = argv;
  if (!pkg || !isStandInPackage(pkg)) {
    process.stderr.write(`usage: main.js <${STAND_IN_PACKAGES.join("|")}> [engine address]; got ${JSON.stringify(pkg)}\n`);
    process.exit(2);
  }
  const sandboxDir = process.env.DELIVERY_SANDBOX_DIR ?? path.resolve(__dirname, "..", "..", "..", ".sandbox");
  const standIn = new StandInProvider(standInTable(pkg), new ProviderState(path.join(sandboxDir, "cloud", `${pkg}.json`)));

  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (this: InstanceType<typeof grpc.Server>, service, implementation) {
    const impl = service === provrpc.ResourceProviderService ? wrapService(standIn, implementation as never) : implementation;
    return addService.call(this, service, impl as never);
  };
  await main(standIn, [...engineArgs]);
}

if (require.main === module) {
  serve(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
