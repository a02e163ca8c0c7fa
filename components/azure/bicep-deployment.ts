/**
 * One environment's Bicep deployment: `pulumi preview` runs lint and the Azure what-if and shows
 * its summary, `pulumi up` deploys with classified retries, verifies health and writes an audit
 * record. The work is done by the Bicep dynamic provider (providers/bicep) on top of core/bicep.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { BicepConfig } from "../../core/config";
import { BICEP_COMPONENT_DEFAULTS } from "../../core/defaults";
import type { RetryPolicy } from "../../core/retry";
import { validateSpecFiles, validateSpecShape, type CommandTimeouts, type DeletePolicy } from "../../core/bicep/spec";
import { BicepDeploymentResource, implModulePath, missingImplMessage } from "../../providers/bicep";
import type { BicepDeploymentOutputs } from "../../providers/bicep/impl";

export interface BicepDeploymentArgs {
  /** Resource group the template is deployed into; it must exist before `pulumi up` deploys (it may be created in the same program). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Subscription GUID holding the resource group (the stack's azure.subscriptionId). */
  readonly subscriptionId: pulumi.Input<string>;
  /**
   * The environment's Bicep settings from the stack configuration: template and parameters paths
   * (relative to `root`), deployment mode, health verification and endpoints, whether destructive
   * changes are allowed (with a reason), and the retry policy for transient faults (`retry`: the
   * fields it leaves out take RETRY_DEFAULTS from core/defaults.ts, filled by the provider).
   */
  readonly bicep: BicepConfig;
  /**
   * Parameter values passed after the parameters file (`--parameters name=value`), e.g. values
   * computed by the program. Not secrets: they are hashed and their names are audited. Defaults to none.
   */
  readonly parameterOverrides?: Readonly<Record<string, pulumi.Input<unknown>>>;
  /**
   * Region of the resource group (the stack's azure.location). With it, the first preview of an
   * environment shows the what-if of everything the template will create, before the group
   * exists (a subscription-scope what-if). Defaults to none: that preview then has no what-if.
   */
  readonly location?: pulumi.Input<string>;
  /**
   * Repository root the paths are relative to; must be absolute. Defaults to the Pulumi project
   * directory (process.cwd()). The provider receives it relative to the project directory, so two
   * checkouts of the same commit give the same inputs.
   */
  readonly root?: string;
  /**
   * Directory audit records are written to, relative to `root` (absolute paths are refused: they
   * would differ per machine). `DELIVERY_AUDIT_DIR` in the environment of `pulumi up` overrides it
   * when the deployment runs; the workflows point it at the directory they upload.
   * Defaults to BICEP_COMPONENT_DEFAULTS.auditDir ("audit").
   */
  readonly auditDir?: string;
  /** Per-command limits in seconds; left-out commands take TIMEOUT_DEFAULTS (account 60, lint 300, whatIf 900, deploy 3600, resource 120, http 30), filled by the provider. */
  readonly timeouts?: Partial<CommandTimeouts>;
  /**
   * What removing this component does. "keep" (the default) leaves every Azure resource in place:
   * an ARM deployment is a record, not its resources. "deleteResources" deletes the resources the
   * last deployment reported (`outputResources`), children first. Defaults to "keep".
   */
  readonly deletePolicy?: DeletePolicy;
  /** Stack name recorded in audit records. Defaults to pulumi.getStack(). */
  readonly stack?: string;
  /** The dynamic provider to use. Defaults to the Bicep provider (tests pass their own). */
  readonly provider?: pulumi.dynamic.ResourceProvider;
}

/**
 * Every problem with the arguments, checked before any resource is created: names, ids, retry and
 * timeout ranges (when known now), and the files (template and parameters exist, the parameters'
 * `using` names the template, required parameters are set, modules exist).
 */
export function validateBicepDeploymentArgs(name: string, args: BicepDeploymentArgs, root: string): string[] {
  const known = <T>(v: pulumi.Input<T> | undefined): T | undefined => (v === undefined || pulumi.Output.isInstance(v) || v instanceof Promise ? undefined : (v as T));
  const problems: string[] = [];
  if (!path.isAbsolute(root)) problems.push(`[root] must be an absolute path (received ${JSON.stringify(root)})`);
  if (args.auditDir !== undefined && (path.isAbsolute(args.auditDir) || args.auditDir.split(/[\\/]/).includes(".."))) {
    problems.push(`[auditDir] must be a directory inside the repository, relative to root (received ${JSON.stringify(args.auditDir)}); to write records elsewhere, set DELIVERY_AUDIT_DIR in the environment of \`pulumi up\` instead`);
  }
  const shape = validateSpecShape({
    name,
    template: args.bicep.template,
    parameters: args.bicep.parameters,
    resourceGroupName: known(args.resourceGroupName),
    subscriptionId: known(args.subscriptionId),
    location: known(args.location),
    mode: args.bicep.mode,
    healthEndpoints: args.bicep.healthEndpoints,
    allowDestructiveChanges: args.bicep.allowDestructiveChanges,
    deletePolicy: args.deletePolicy,
    ...(args.bicep.retry ? { retry: args.bicep.retry as RetryPolicy } : {}),
    ...(args.timeouts ? { timeouts: args.timeouts as CommandTimeouts } : {}),
  });
  problems.push(...shape.map((p) => `[${p.property === "name" ? "name" : p.property}] ${p.reason}`));
  if (shape.some((p) => p.property === "template" || p.property === "parameters")) return problems;
  const overrides = Object.fromEntries(Object.keys(args.parameterOverrides ?? {}).map((k) => [k, true]));
  problems.push(...validateSpecFiles({ root, template: args.bicep.template, parameters: args.bicep.parameters, overrides }).map((p) => `[bicep.${p.property === "template" ? "template" : "parameters"}] ${p.reason}`));
  return problems;
}

/** `delivery:azure:BicepDeployment`: the Bicep deployment of one environment. */
export class BicepDeployment extends pulumi.ComponentResource {
  /** The ARM deployment id of the last deployment. */
  readonly deploymentId: pulumi.Output<string>;
  /** `delivery-<name>-<content hash>`: the same content always deploys under the same name. */
  readonly deploymentName: pulumi.Output<string>;
  /** Every resource the last deployment reported. */
  readonly resourceIds: pulumi.Output<string[]>;
  /** The template's outputs, name -> value. */
  readonly templateOutputs: pulumi.Output<Record<string, unknown>>;
  /** Counts per change type and destructive resource ids of the last what-if. */
  readonly whatIf: pulumi.Output<BicepDeploymentOutputs["whatIf"]>;
  /** Deployment attempts the last `pulumi up` took (1 when nothing was retried). */
  readonly attempts: pulumi.Output<number>;
  /** Duration of the last deployment, all phases, in milliseconds. */
  readonly durationMs: pulumi.Output<number>;
  /** Path of the last audit record. */
  readonly auditFile: pulumi.Output<string>;
  /** Whether every deployed resource and endpoint was healthy after the last deployment. */
  readonly healthy: pulumi.Output<boolean>;

  constructor(name: string, args: BicepDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delivery:azure:BicepDeployment", name, {}, opts);
    const root = args.root ?? process.cwd();
    const problems = validateBicepDeploymentArgs(name, args, root);
    if (problems.length > 0) {
      throw new pulumi.ResourceError(`BicepDeployment "${name}" has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n  ${problems.join("\n  ")}`, this);
    }
    if (!args.provider) {
      const missing = missingImplMessage(implModulePath());
      if (missing) pulumi.log.warn(missing, this);
    }
    const deployment = new BicepDeploymentResource(
      `${name}-deployment`,
      {
        name,
        // Relative to the project directory (the provider's working directory): no machine's path in the inputs.
        root: path.relative(process.cwd(), root) || ".",
        template: args.bicep.template,
        parameters: args.bicep.parameters,
        resourceGroupName: args.resourceGroupName,
        subscriptionId: args.subscriptionId,
        mode: args.bicep.mode,
        overrides: pulumi.output(args.parameterOverrides ?? {}) as unknown as pulumi.Output<Record<string, unknown>>,
        verifyHealth: args.bicep.verifyHealth,
        healthEndpoints: args.bicep.healthEndpoints,
        ...(args.bicep.allowDestructiveChanges ? { allowDestructiveChanges: args.bicep.allowDestructiveChanges } : {}),
        auditDir: args.auditDir ?? BICEP_COMPONENT_DEFAULTS.auditDir,
        ...(args.location !== undefined ? { location: args.location } : {}),
        // Partial overrides: the provider fills the rest from the defaults table, once.
        retry: args.bicep.retry ?? {},
        timeouts: args.timeouts ?? {},
        // Keeping resources is the safe default: the deployment record is not what it deployed.
        deletePolicy: args.deletePolicy ?? BICEP_COMPONENT_DEFAULTS.deletePolicy,
        // The provider runs the what-if in check only during a preview, and never stores this field.
        preview: pulumi.runtime.isDryRun(),
        stack: args.stack ?? pulumi.getStack(),
      },
      { parent: this },
      ...(args.provider ? [args.provider] : []),
    );
    this.deploymentId = deployment.deploymentId;
    this.deploymentName = deployment.deploymentName;
    this.resourceIds = deployment.resourceIds;
    this.templateOutputs = deployment.templateOutputs;
    this.whatIf = deployment.whatIf;
    this.attempts = deployment.attempts;
    this.durationMs = deployment.durationMs;
    this.auditFile = deployment.auditFile;
    this.healthy = deployment.healthy;
    this.registerOutputs({
      deploymentId: this.deploymentId,
      deploymentName: this.deploymentName,
      resourceIds: this.resourceIds,
      templateOutputs: this.templateOutputs,
      whatIf: this.whatIf,
      attempts: this.attempts,
      durationMs: this.durationMs,
      auditFile: this.auditFile,
      healthy: this.healthy,
    });
  }
}
