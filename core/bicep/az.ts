/**
 * The `az` commands a Bicep deployment runs, as argument lists, and the contract of whatever runs
 * them (execa in the provider, a fake in tests). Every command names the subscription explicitly,
 * so the CLI's default subscription never decides where a deployment lands.
 */
import type { BicepDeploymentSpec } from "./spec";

export interface AzRunOptions {
  /** Milliseconds before the command is stopped and fails as a timeout. */
  readonly timeoutMs: number;
}

export interface AzOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `az` with the given arguments; resolves on exit code 0, rejects with AzCommandError otherwise. */
export interface AzRunner {
  run(args: readonly string[], options: AzRunOptions): Promise<AzOutput>;
}

export type AzFailure = "exit" | "timeout" | "not-found";

/** A failed `az` command; the message is what the classifier reads. */
export class AzCommandError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly failure: AzFailure,
    readonly stderr: string,
    readonly stdout: string,
    readonly exitCode?: number,
  ) {
    super(message);
    this.name = "AzCommandError";
  }
}

/** `az deployment group what-if` → "az deployment group what-if": the command without its arguments. */
export function commandLabel(args: readonly string[]): string {
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith("-")) break;
    words.push(a);
  }
  return `az ${words.join(" ")}`;
}

export const AZ_NOT_FOUND_MESSAGE =
  "Azure CLI (az) was not found on PATH. Install it (https://aka.ms/azure-cli; in a workflow the ubuntu runners have it) and make sure `az version` works, then run again.";

/** Builds the error for a failed command, keeping the first 40 lines of stderr. */
export function azError(args: readonly string[], failure: AzFailure, out: { stdout?: string; stderr?: string; exitCode?: number; timeoutMs?: number }): AzCommandError {
  const label = commandLabel(args);
  const stderr = out.stderr ?? "";
  const stdout = out.stdout ?? "";
  let message: string;
  if (failure === "not-found") message = AZ_NOT_FOUND_MESSAGE;
  else if (failure === "timeout") message = `${label} timed out after ${Math.round((out.timeoutMs ?? 0) / 1000)}s and was stopped (raise timeouts in the deployment's arguments if it needs longer)`;
  else {
    const lines = stderr.trim().split("\n");
    const shown = lines.length > 40 ? [...lines.slice(0, 40), `… (${lines.length - 40} more lines)`] : lines;
    message = `${label} failed (exit code ${out.exitCode ?? "?"}):\n${shown.join("\n") || stdout.trim().slice(0, 2000)}`;
  }
  return new AzCommandError(message, label, failure, stderr, stdout, out.exitCode);
}

type Target = Pick<BicepDeploymentSpec, "root" | "template" | "parameters" | "resourceGroupName" | "subscriptionId" | "mode" | "overrides">;

/** `key=value` arguments for overrides: strings as they are, anything else as JSON (az parses both). */
export function overrideArgs(overrides: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(overrides)
    .sort()
    .flatMap((k) => {
      const v = overrides[k];
      return ["--parameters", `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`];
    });
}

function deploymentArgs(t: Target, name: string): string[] {
  return [
    "--resource-group",
    t.resourceGroupName,
    "--subscription",
    t.subscriptionId,
    "--name",
    name,
    "--template-file",
    t.template,
    "--parameters",
    t.parameters,
    ...overrideArgs(t.overrides),
    "--mode",
    t.mode,
  ];
}

export const azCommands = {
  account: (subscriptionId: string) => ["account", "show", "--subscription", subscriptionId, "--output", "json", "--only-show-errors"],
  lint: (template: string) => ["bicep", "build", "--file", template, "--stdout"],
  whatIf: (t: Target, name: string) => ["deployment", "group", "what-if", ...deploymentArgs(t, name), "--result-format", "FullResourcePayloads", "--no-pretty-print", "--only-show-errors"],
  /** The parameters file compiled with the template its `using` names: `{ parametersJson, templateJson }` (both JSON text). */
  buildParams: (parameters: string) => ["bicep", "build-params", "--file", parameters, "--stdout"],
  /** What-if at subscription scope of a generated template (a first deployment, before its resource group exists). */
  subscriptionWhatIf: (subscriptionId: string, location: string, name: string, templateFile: string) => [
    "deployment",
    "sub",
    "what-if",
    "--subscription",
    subscriptionId,
    "--location",
    location,
    "--name",
    name,
    "--template-file",
    templateFile,
    "--result-format",
    "FullResourcePayloads",
    "--no-pretty-print",
    "--only-show-errors",
  ],
  create: (t: Target, name: string) => ["deployment", "group", "create", ...deploymentArgs(t, name), "--output", "json", "--only-show-errors"],
  /** Several ids at once: az prints one object for one id, an array for several. */
  resourceShow: (ids: readonly string[], subscriptionId: string) => ["resource", "show", "--ids", ...ids, "--subscription", subscriptionId, "--output", "json", "--only-show-errors"],
  resourceDelete: (id: string, subscriptionId: string) => ["resource", "delete", "--ids", id, "--subscription", subscriptionId, "--only-show-errors"],
} as const;

/** Parses az JSON output; the error names the command and shows the start of the text. */
export function parseAzJson<T>(args: readonly string[], stdout: string): T {
  try {
    return JSON.parse(stdout) as T;
  } catch (err) {
    const start = stdout.trim().slice(0, 80).replace(/\s+/g, " ");
    throw new Error(`${commandLabel(args)} printed output that is not JSON (${(err as Error).message}); it starts with ${JSON.stringify(start)}`);
  }
}
