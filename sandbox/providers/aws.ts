/**
 * The `aws` stand-in: the IAM OIDC provider, a role and its inline policy, with ARNs in the
 * configured account, role unique ids, and IAM's errors for malformed policy documents and names
 * that already exist.
 */
import { CloudError, need, str, type Props, type ProviderTable, type ResourceType, type StandInContext } from "./model";

function account(ctx: StandInContext): string {
  const allowed = ctx.config.allowedAccountIds;
  const list = Array.isArray(allowed) ? allowed : typeof allowed === "string" ? (JSON.parse(allowed) as unknown[]) : [];
  // The sandbox's credentials belong to the first allowed account (the real provider refuses any other).
  return typeof list[0] === "string" ? list[0] : "123456789012";
}

function policyProblems(property: string, text: unknown): { property: string; reason: string }[] {
  if (typeof text !== "string") return [{ property, reason: `${property} must be a JSON policy document string` }];
  try {
    const doc = JSON.parse(text) as { Version?: string; Statement?: unknown };
    if (doc.Version !== "2012-10-17") return [{ property, reason: `MalformedPolicyDocument: ${property} must set "Version": "2012-10-17"` }];
    if (!Array.isArray(doc.Statement) || doc.Statement.length === 0) return [{ property, reason: `MalformedPolicyDocument: ${property} has no Statement` }];
    return [];
  } catch (err) {
    return [{ property, reason: `"${property}" contains an invalid JSON policy: ${(err as Error).message}` }];
  }
}

const oidcProvider: ResourceType = {
  required: ["url", "clientIdLists"],
  replaceOnChanges: ["url"],
  computed: ["arn", "tagsAll", "thumbprintLists"],
  validate: (i) => (/^https:\/\//.test(str(i, "url") ?? "") ? [] : [{ property: "url", reason: `url must start with https://, got ${JSON.stringify(i.url)}` }]),
  naturalKey: (i) => (str(i, "url") ?? "").replace(/^https:\/\//, ""),
  conflict: (i, ctx) =>
    `creating IAM OIDC Provider: operation error IAM: CreateOpenIDConnectProvider, https response error StatusCode: 409, EntityAlreadyExists: Provider with url ${str(i, "url")} already exists in account ${account(ctx)}.`,
  create: (i, ctx) => {
    const arn = `arn:aws:iam::${account(ctx)}:oidc-provider/${need(i, "url").replace(/^https:\/\//, "")}`;
    return { id: arn, computed: { arn, tagsAll: i.tags ?? {}, thumbprintLists: i.thumbprintLists ?? [] } };
  },
  update: (id, _olds, news) => ({ arn: id, tagsAll: news.tags ?? {}, thumbprintLists: news.thumbprintLists ?? [] }),
};

const role: ResourceType = {
  required: ["assumeRolePolicy"],
  replaceOnChanges: ["name", "namePrefix", "path"],
  computed: ["arn", "uniqueId", "createDate", "tagsAll", "roleLastUseds", "path"],
  autoName: { property: "name", maxLength: 64 },
  validate: (i) => {
    const problems = policyProblems("assumeRolePolicy", i.assumeRolePolicy);
    const max = i.maxSessionDuration;
    if (max !== undefined && (typeof max !== "number" || max < 3600 || max > 43200)) problems.push({ property: "maxSessionDuration", reason: `expected maxSessionDuration to be in the range (3600 - 43200), got ${max}` });
    return problems;
  },
  naturalKey: (i) => str(i, "name") ?? "",
  conflict: (i) => `creating IAM Role (${str(i, "name")}): operation error IAM: CreateRole, https response error StatusCode: 409, EntityAlreadyExists: Role with name ${str(i, "name")} already exists.`,
  create: (i, ctx) => {
    const name = need(i, "name");
    const path = str(i, "path") ?? "/";
    return {
      id: name,
      computed: { arn: `arn:aws:iam::${account(ctx)}:role${path}${name}`, uniqueId: `AROA${ctx.digest(name, 17).toUpperCase()}`, createDate: ctx.now(), tagsAll: i.tags ?? {}, roleLastUseds: [], path },
    };
  },
};

const rolePolicy: ResourceType = {
  required: ["role", "policy"],
  replaceOnChanges: ["role", "name", "namePrefix"],
  computed: [],
  autoName: { property: "name", maxLength: 128 },
  validate: (i) => policyProblems("policy", i.policy),
  create: (i, ctx) => {
    const roleName = need(i, "role");
    if (!Object.values(ctx.state.all()).some((r) => r.type === "aws:iam/role:Role" && r.outputs.name === roleName)) {
      throw new CloudError(`putting IAM Role (${roleName}) Policy (${need(i, "name")}): operation error IAM: PutRolePolicy, https response error StatusCode: 404, NoSuchEntity: The role with name ${roleName} cannot be found.`);
    }
    return { id: `${roleName}:${need(i, "name")}`, computed: {} };
  },
};

export const awsTable = (version: string): ProviderTable => ({
  name: "aws",
  version,
  resources: {
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": oidcProvider,
    "aws:iam/role:Role": role,
    "aws:iam/rolePolicy:RolePolicy": rolePolicy,
  },
  invokes: {},
  validateConfig: (config: Props) => (config.region === undefined || config.region === "" ? ["region is not set: set it on the provider or with `pulumi config set aws:region <region>`"] : []),
});
