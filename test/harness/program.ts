/**
 * Evaluates the whole Pulumi program (index.ts) under Pulumi's mocks for a real stack file,
 * recording every resource registration. Invokes are answered only from an explicit table of
 * recorded responses; anything else throws `Mock not implemented: <token>`, so a missing stub
 * can never pass silently.
 */
import * as path from "node:path";
import type * as pulumiType from "@pulumi/pulumi";
import { readStackFile } from "../../core/stack-file";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface RegisteredResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  /** Inputs plus the outputs the mocked provider computed (what policies see after an update). */
  readonly state: Record<string, any>;
  readonly provider?: string;
  readonly custom: boolean;
  readonly id: string;
  /** Resource options the program set that policies read (protect). */
  readonly opts: { readonly protect: boolean };
  /** The URN the engine gives the resource. */
  readonly urn: string;
  /** Per input, the URNs of the resources its value was computed from (as the engine records them for policies). */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

export type InvokeHandler = (args: Record<string, any>) => Record<string, any>;

/** Recorded GitHub API answers for the reviewers the committed stack files name. */
export const RECORDED_GITHUB_USERS: Readonly<Record<string, number>> = { octocat: 583231, "release-captain": 1000001 };
export const RECORDED_GITHUB_TEAMS: Readonly<Record<string, number>> = { "qa-leads": 4100001, "release-managers": 4100002, "platform-admins": 4100003 };

function notFound(what: string): never {
  // The GitHub provider's error for an unknown login or team, as a gRPC failure carries it
  // (`details`), which is what the SDK turns into the invoke's error message.
  throw Object.assign(new Error("invoke failed"), { details: `GET https://api.github.com/${what}: 404 Not Found []` });
}

export const DEFAULT_INVOKES: Readonly<Record<string, InvokeHandler>> = {
  "github:index/getUser:getUser": ({ username }) => {
    const id = RECORDED_GITHUB_USERS[username];
    return id ? { id: String(id), login: username, nodeId: `U_${id}` } : notFound(`users/${username}`);
  },
  "github:index/getTeam:getTeam": ({ slug }) => {
    const id = RECORDED_GITHUB_TEAMS[slug];
    return id ? { id: String(id), slug, name: slug, nodeId: `T_${id}` } : notFound(`orgs/contoso/teams/${slug}`);
  },
};

export interface EvaluateOptions {
  /** Replaces or adds config values (`delivery-platform:key` -> value; objects are JSON-encoded). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Config keys to drop from the stack file. */
  readonly removeConfig?: readonly string[];
  /** Extra or overriding invoke handlers. */
  readonly invokes?: Readonly<Record<string, InvokeHandler>>;
  /**
   * Evaluate as the first `pulumi preview` of a new stack rather than `up`: nothing exists yet, so
   * every output that is not an input (ids, principal ids, ARNs, `name`s) is unknown, and so is
   * every input computed from one (recorded as `pulumi.Unknown` in `state`). Defaults to false.
   */
  readonly preview?: boolean;
}

export interface ProgramRun {
  readonly resources: readonly RegisteredResource[];
  readonly outputs: Record<string, unknown>;
  readonly invokes: readonly { token: string; args: Record<string, any> }[];
  /** Resources of a type (e.g. `github:index/repositoryEnvironment:RepositoryEnvironment`). */
  ofType(type: string): RegisteredResource[];
  /** The one resource of a type and name; throws when missing or ambiguous. */
  one(type: string, name: string): RegisteredResource;
}

/** Computed outputs real providers return, keyed by type. */
function computedOutputs(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  switch (type) {
    case "azure-native:managedidentity:UserAssignedIdentity":
      return { clientId: `client-${name}`, principalId: `principal-${name}`, tenantId: "tenant", name: inputs.resourceName };
    case "azure-native:resources:ResourceGroup":
      return { name: inputs.resourceGroupName };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::123456789012:role/${name}`, name };
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      return { arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" };
    case "github:index/repositoryRuleset:RepositoryRuleset":
      return { rulesetId: 42 };
    case "github:index/repositoryPullRequest:RepositoryPullRequest":
      return { number: 17, state: "open" };
    default:
      return {};
  }
}

/** Outputs the provider's check already computes, so they are known during a preview too (auto-names). */
function checkedOutputs(type: string, name: string): Record<string, any> {
  return type === "aws:iam/role:Role" ? { name } : {};
}

/** Ids in the shape the real providers return, where tests look at them. */
function mockId(type: string, name: string, inputs: Record<string, any>): string {
  if (type === "azure-native:resources:ResourceGroup") return `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${inputs.resourceGroupName}`;
  if (type === "azure-native:authorization:RoleDefinition") return `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${inputs.roleDefinitionId}`;
  return `${name}-id`;
}

let loaded: { pulumi: typeof pulumiType; program: () => Promise<Record<string, unknown>> } | undefined;

/** The SDK and index.ts's exported program function, loaded once; each call of the function is one run. */
function loadProgram(): NonNullable<typeof loaded> {
  loaded ??= { pulumi: require("@pulumi/pulumi"), program: require("../../index") };
  return loaded;
}

export async function evaluateStack(stack: string, opts: EvaluateOptions = {}): Promise<ProgramRun> {
  const { config, secretKeys } = readStackFile(REPO_ROOT, stack);
  for (const key of opts.removeConfig ?? []) delete config[key];
  for (const [key, value] of Object.entries(opts.config ?? {})) config[key] = typeof value === "string" ? value : JSON.stringify(value);

  const resources: RegisteredResource[] = [];
  const invokes: { token: string; args: Record<string, any> }[] = [];
  const handlers = { ...DEFAULT_INVOKES, ...(opts.invokes ?? {}) };
  const protectedResources = new Set<string>();
  const registrations = new Map<string, { urn: string; propertyDependencies: Record<string, string[]> }>();

  let outputs: Record<string, unknown> = {};
  let failure: unknown;
  {
    // The SDK keeps a run's state on the global object: a fresh store per evaluation, while the
    // modules (the SDK, the provider SDKs, the program) load once per test file.
    (globalThis as any).globalStore = undefined;
    (globalThis as any).stackResource = undefined;
    const { pulumi, program } = loadProgram();
    pulumi.runtime.setAllConfig(config, secretKeys);
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          const key = `${args.type}::${args.name}`;
          const protect = protectedResources.has(key);
          // A preview creates nothing: no id, and only what check computes besides the inputs.
          const id = opts.preview ? "" : mockId(args.type, args.name, args.inputs);
          const state = { ...args.inputs, ...(opts.preview ? checkedOutputs(args.type, args.name) : computedOutputs(args.type, args.name, args.inputs)) };
          const registration = registrations.get(key) ?? { urn: "", propertyDependencies: {} };
          resources.push({ type: args.type, name: args.name, inputs: args.inputs, state, provider: args.provider, custom: args.custom ?? true, id, opts: { protect }, ...registration });
          return { id: opts.preview ? undefined : id, state };
        },
        call(args) {
          invokes.push({ token: args.token, args: args.inputs });
          const handler = handlers[args.token];
          if (!handler) throw new Error(`Mock not implemented: ${args.token}`);
          return handler(args.inputs);
        },
      },
      "delivery-platform",
      stack,
      opts.preview ?? false,
    );
    // Mocks do not pass resource options to newResource; the registration request carries
    // them, so wrap the mock monitor to record which resources the program protects.
    const monitor = (pulumi.runtime as any).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    // The same for the property dependencies the engine hands the policy pack, and the URN.
    monitor.registerResource = (req: any, callback: unknown) => {
      const key = `${req.getType()}::${req.getName()}`;
      if (req.getProtect()) protectedResources.add(key);
      const propertyDependencies: Record<string, string[]> = {};
      for (const [prop, deps] of req.getPropertydependenciesMap().entries()) propertyDependencies[prop] = deps.getUrnsList();
      registrations.set(key, { urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()), propertyDependencies });
      return register(req, callback);
    };
    try {
      const result = await program();
      // A preview's unknown outputs never reach apply(): read them as they are (unknowns kept).
      outputs = opts.preview ? await previewOutputs(pulumi, result ?? {}) : await unwrapAll(pulumi, result ?? {});
      await pulumi.runtime.disconnect();
    } catch (err) {
      failure = err;
      // Let what the failed run still has in flight (a component's registerOutputs) reach this
      // run's mock monitor, not the next evaluation's, which would not know its URN.
      await pulumi.runtime.disconnect().catch(() => undefined);
    }
  }
  // The resources registered before the failure, so tests can assert that nothing was created.
  if (failure) throw Object.assign(failure as object, { registered: resources });

  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    resources,
    outputs,
    invokes,
    ofType,
    one(type, name) {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) {
        const names = ofType(type).map((r) => r.name);
        throw new Error(`expected one ${type} named ${name}, found ${found.length}; registered: ${names.join(", ") || "none"}`);
      }
      return found[0];
    },
  };
}

async function previewOutputs(pulumi: typeof pulumiType, value: Record<string, unknown>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, pulumi.Output.isInstance(v) ? await (v as any).promise(true) : v] as const));
  return Object.fromEntries(entries);
}

async function unwrapAll(pulumi: typeof pulumiType, value: Record<string, unknown>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await unwrap(pulumi, v)] as const));
  return Object.fromEntries(entries);
}

/** Resolves an Output (or plain value) to its value. */
export function unwrap<T>(pulumi: typeof pulumiType, value: T | pulumiType.Output<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(value).apply((v) => resolve(v as T)));
}
