/**
 * The Bicep deployment as a Pulumi dynamic resource.
 *
 * Pulumi serialises a dynamic provider with its closure serializer and runs it in a separate Node
 * process, without ts-node. So the provider object captures one string, the absolute path of the
 * compiled implementation (`dist/providers/bicep/impl.js`, built by `npm ci` / `npm run build`),
 * and loads it with `require` inside that process. Nothing else (no execa, no core module, no
 * state) is captured, which keeps the serialized text small and always loadable;
 * test/providers/bicep/serialize.test.ts proves it by serialising the provider the way Pulumi does
 * and running the text in a plain `node`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { BicepDeploymentOutputs, BicepDeploymentProps } from "./impl";

/** Where the compiled implementation is: next to this file when running compiled, else in dist/. */
export function implModulePath(from: string = __filename): string {
  if (from.endsWith(".js")) return path.join(path.dirname(from), "impl.js");
  const root = path.resolve(path.dirname(from), "..", "..");
  return path.join(root, "dist", "providers", "bicep", "impl.js");
}

/** The file to build when the compiled implementation is missing; undefined when it is there. */
export function missingImplMessage(modulePath: string): string | undefined {
  if (fs.existsSync(modulePath)) return undefined;
  return `The Bicep provider's compiled implementation ${modulePath} is missing. Pulumi runs dynamic providers without TypeScript support, so the provider is loaded from dist/: run \`npm run build\` (npm ci does it) and try again.`;
}

/** The implementation's path relative to the project directory, as the provider captures it. */
export const IMPL_PROJECT_PATH = path.join("dist", "providers", "bicep", "impl.js");

/**
 * A dynamic provider that loads its implementation in whichever process runs it. It captures the
 * implementation's path relative to the project directory (the provider host's working
 * directory) and, as a fallback, the absolute path it had when serialised: the state stays usable
 * when the project moves (a CI runner, another laptop), e.g. to delete a removed deployment.
 */
export function bicepProvider(modulePath: string, projectPath: string = IMPL_PROJECT_PATH): pulumi.dynamic.ResourceProvider<BicepDeploymentProps, BicepDeploymentOutputs> {
  const load = (): pulumi.dynamic.ResourceProvider<BicepDeploymentProps, BicepDeploymentOutputs> => {
    let impl: { createBicepProvider: () => pulumi.dynamic.ResourceProvider<BicepDeploymentProps, BicepDeploymentOutputs> };
    try {
      const inProject = require("node:path").resolve(process.cwd(), projectPath);
      impl = require(require("node:fs").existsSync(inProject) ? inProject : modulePath);
    } catch (err) {
      if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
      throw new Error(`The Bicep provider's compiled implementation ${modulePath} is missing. Pulumi runs dynamic providers without TypeScript support, so the provider is loaded from dist/: run \`npm run build\` (npm ci does it) and try again.`);
    }
    return impl.createBicepProvider();
  };
  return {
    check: (olds, news) => load().check!(olds, news),
    diff: (id, olds, news) => load().diff!(id, olds, news),
    create: (inputs) => load().create(inputs),
    read: (id, props) => load().read!(id, props),
    update: (id, olds, news) => load().update!(id, olds, news),
    delete: (id, props) => load().delete!(id, props),
  };
}

let shared: pulumi.dynamic.ResourceProvider | undefined;

/** One provider instance per program, so Pulumi serialises it once for every deployment. */
export function defaultBicepProvider(): pulumi.dynamic.ResourceProvider {
  shared ??= bicepProvider(implModulePath());
  return shared;
}

/** The inputs of a BicepDeploymentResource, each may be an Output. */
export type BicepDeploymentResourceArgs = { readonly [K in keyof BicepDeploymentProps]: pulumi.Input<BicepDeploymentProps[K]> };

/** Output property names the provider sets; declared so Pulumi exposes them as Outputs. */
const OUTPUT_NAMES = ["deploymentName", "deploymentId", "resourceIds", "templateOutputs", "whatIf", "attempts", "durationMs", "auditFile", "healthy", "drift", "contentHash", "files"] as const;

/** The ARM deployment of one Bicep template, run by the Bicep dynamic provider. Use the BicepDeployment component. */
export class BicepDeploymentResource extends pulumi.dynamic.Resource {
  declare readonly deploymentName: pulumi.Output<string>;
  declare readonly deploymentId: pulumi.Output<string>;
  declare readonly resourceIds: pulumi.Output<string[]>;
  declare readonly templateOutputs: pulumi.Output<Record<string, unknown>>;
  declare readonly whatIf: pulumi.Output<BicepDeploymentOutputs["whatIf"]>;
  declare readonly attempts: pulumi.Output<number>;
  declare readonly durationMs: pulumi.Output<number>;
  declare readonly auditFile: pulumi.Output<string>;
  declare readonly healthy: pulumi.Output<boolean>;
  declare readonly drift: pulumi.Output<BicepDeploymentOutputs["drift"]>;
  declare readonly contentHash: pulumi.Output<string>;
  declare readonly files: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: BicepDeploymentResourceArgs, opts?: pulumi.CustomResourceOptions, provider: pulumi.dynamic.ResourceProvider = defaultBicepProvider()) {
    const props: Record<string, unknown> = { ...args };
    for (const key of OUTPUT_NAMES) if (!(key in props)) props[key] = undefined;
    super(provider, name, props, opts, "azure", "BicepDeployment");
  }
}
