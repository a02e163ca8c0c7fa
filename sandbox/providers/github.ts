/**
 * The `github` stand-in: the repository resources and invokes this program uses, with the ids and
 * computed outputs the real provider (pulumi-github 6.x, a Terraform bridge) returns.
 */
import * as crypto from "node:crypto";
import { CloudError, need, str, type Props, type ProviderTable, type ResourceType, type StandInContext } from "./model";

const owner = (ctx: StandInContext) => (typeof ctx.config.owner === "string" && ctx.config.owner !== "" ? ctx.config.owner : "sandbox-owner");
const api = (ctx: StandInContext, repo: string) => `https://api.github.com/repos/${owner(ctx)}/${repo}`;
/** A stable positive id for a name (users, teams, repositories), like GitHub's numeric ids. */
const numericId = (text: string) => (parseInt(crypto.createHash("sha1").update(text).digest("hex").slice(0, 7), 16) % 90_000_000) + 1_000_000;
const repositoryId = (ctx: StandInContext, repo: string) => numericId(`repo:${owner(ctx)}/${repo}`);
const stamps = (ctx: StandInContext) => ({ createdAt: ctx.now(), updatedAt: ctx.now() });

const repositoryEnvironment: ResourceType = {
  required: ["repository", "environment"],
  replaceOnChanges: ["repository", "environment"],
  computed: [],
  create: (i) => ({ id: `${need(i, "repository")}:${need(i, "environment")}`, computed: {} }),
};

const environmentDeploymentPolicy: ResourceType = {
  required: ["repository", "environment"],
  replaceOnChanges: ["repository", "environment", "branchPattern", "tagPattern"],
  computed: ["policyId", "repositoryId"],
  validate: (i) => (str(i, "branchPattern") === undefined && str(i, "tagPattern") === undefined ? [{ property: "branchPattern", reason: "one of branchPattern or tagPattern must be specified" }] : []),
  create: (i, ctx) => {
    const policyId = ctx.next("deployment-branch-policy", 30_000_001);
    return { id: `${need(i, "repository")}:${need(i, "environment")}:${policyId}`, computed: { policyId, repositoryId: repositoryId(ctx, need(i, "repository")) } };
  },
};

const environmentVariable: ResourceType = {
  required: ["repository", "environment", "variableName", "value"],
  replaceOnChanges: ["repository", "environment", "variableName"],
  computed: ["createdAt", "updatedAt", "repositoryId"],
  naturalKey: (i) => `${str(i, "repository")}:${str(i, "environment")}:${str(i, "variableName")}`,
  conflict: (i, ctx) => `POST ${api(ctx, need(i, "repository"))}/environments/${need(i, "environment")}/variables: 409 Already exists - Variable already exists []`,
  create: (i, ctx) => ({ id: `${need(i, "repository")}:${need(i, "environment")}:${need(i, "variableName")}`, computed: { ...stamps(ctx), repositoryId: repositoryId(ctx, need(i, "repository")) } }),
  update: (_id, olds, _news, ctx) => ({ createdAt: olds.createdAt, updatedAt: ctx.now(), repositoryId: olds.repositoryId }),
};

const repositoryVariable: ResourceType = {
  required: ["repository", "variableName", "value"],
  replaceOnChanges: ["repository", "variableName"],
  computed: ["createdAt", "updatedAt"],
  naturalKey: (i) => `${str(i, "repository")}:${str(i, "variableName")}`,
  conflict: (i, ctx) => `POST ${api(ctx, need(i, "repository"))}/actions/variables: 409 Already exists - Variable already exists []`,
  create: (i, ctx) => ({ id: `${need(i, "repository")}:${need(i, "variableName")}`, computed: stamps(ctx) }),
  update: (_id, olds, _news, ctx) => ({ createdAt: olds.createdAt, updatedAt: ctx.now() }),
};

const ruleset: ResourceType = {
  required: ["repository", "enforcement", "rules", "target"],
  replaceOnChanges: ["repository"],
  computed: ["rulesetId", "nodeId", "etag"],
  validate: (i) => (["branch", "tag", "push"].includes(str(i, "target") ?? "") ? [] : [{ property: "target", reason: `expected target to be one of ["branch" "tag" "push"], got ${str(i, "target")}` }]),
  naturalKey: (i) => `${str(i, "repository")}:${str(i, "name")}`,
  conflict: (i, ctx) => `POST ${api(ctx, need(i, "repository"))}/rulesets: 422 Validation Failed [{Resource:Ruleset Field:name Code:already_exists Message:Name must be unique}]`,
  create: (i, ctx) => {
    const rulesetId = ctx.next("ruleset", 4_100_001);
    return { id: String(rulesetId), computed: { rulesetId, nodeId: `RRS_lACqUmVwb3NpdG9yec${rulesetId}`, etag: `W/"${ctx.digest(JSON.stringify(i), 32)}"` } };
  },
  update: (_id, olds, news, ctx) => ({ rulesetId: olds.rulesetId, nodeId: olds.nodeId, etag: `W/"${ctx.digest(JSON.stringify(news), 32)}"` }),
};

const issueLabel: ResourceType = {
  required: ["repository", "name", "color"],
  replaceOnChanges: ["repository"],
  computed: ["etag", "url"],
  validate: (i) => (/^[0-9a-fA-F]{6}$/.test(str(i, "color") ?? "") ? [] : [{ property: "color", reason: `color must be 6 hexadecimal digits without '#', got ${JSON.stringify(i.color)}` }]),
  naturalKey: (i) => `${str(i, "repository")}:${(str(i, "name") ?? "").toLowerCase()}`,
  conflict: (i, ctx) => `POST ${api(ctx, need(i, "repository"))}/labels: 422 Validation Failed [{Resource:Label Field:name Code:already_exists Message:}]`,
  create: (i, ctx) => ({
    id: `${need(i, "repository")}:${need(i, "name")}`,
    computed: { url: `${api(ctx, need(i, "repository"))}/labels/${encodeURIComponent(need(i, "name"))}`, etag: `W/"${ctx.digest(JSON.stringify(i), 32)}"` },
  }),
  update: (_id, _olds, news, ctx) => ({ url: `${api(ctx, need(news, "repository"))}/labels/${encodeURIComponent(need(news, "name"))}`, etag: `W/"${ctx.digest(JSON.stringify(news), 32)}"` }),
};

function fileComputed(i: Props, ctx: StandInContext): Props {
  const content = str(i, "content") ?? "";
  // Git's blob id: sha1("blob <size>\0<content>").
  const sha = crypto.createHash("sha1").update(`blob ${Buffer.byteLength(content)}\0${content}`).digest("hex");
  const branch = str(i, "branch") ?? "main";
  return { sha, commitSha: ctx.digest(`${branch}:${str(i, "file")}:${sha}:${ctx.now()}`), ref: branch, autocreateBranchSourceSha: ctx.digest(`base:${str(i, "autocreateBranchSourceBranch") ?? "main"}`), repositoryId: repositoryId(ctx, need(i, "repository")) };
}

const repositoryFile: ResourceType = {
  required: ["repository", "file", "content"],
  replaceOnChanges: ["repository", "file", "branch"],
  computed: ["sha", "commitSha", "ref", "autocreateBranchSourceSha", "repositoryId"],
  create: (i, ctx) => ({ id: `${need(i, "repository")}/${need(i, "file")}:${str(i, "branch") ?? "main"}`, computed: fileComputed(i, ctx) }),
  update: (_id, _olds, news, ctx) => fileComputed(news, ctx),
};

const pullRequest: ResourceType = {
  required: ["baseRepository", "baseRef", "headRef", "title"],
  replaceOnChanges: ["baseRepository", "headRef", "owner"],
  computed: ["number", "state", "baseSha", "headSha", "openedAt", "updatedAt", "openedBy", "draft", "labels"],
  validate: (i) => (str(i, "baseRef") === str(i, "headRef") ? [{ property: "headRef", reason: "headRef must differ from baseRef: no commits between them" }] : []),
  create: (i, ctx) => {
    const repo = need(i, "baseRepository");
    const number = ctx.next(`pr:${repo}`, 1);
    const at = Math.floor(Date.now() / 1000);
    return {
      id: `${owner(ctx)}:${repo}:${number}`,
      computed: { number, state: "open", baseSha: ctx.digest(`base:${need(i, "baseRef")}`), headSha: ctx.digest(`head:${need(i, "headRef")}:${at}`), openedAt: at, updatedAt: at, openedBy: "delivery-platform-bot", draft: false, labels: [] },
    };
  },
  update: (_id, olds, _news) => ({ ...Object.fromEntries(pullRequest.computed.map((k) => [k, olds[k]])), updatedAt: Math.floor(Date.now() / 1000) }),
};

/** Users and teams the sandbox's GitHub knows: any name resolves, except names starting with "missing-" (to try the error path). */
function lookup(kind: "user" | "team", name: string): void {
  if (name.startsWith("missing-")) throw new CloudError(`GET https://api.github.com/${kind === "user" ? `users/${name}` : `orgs/*/teams/${name}`}: 404 Not Found []`);
}

export const githubTable = (version: string): ProviderTable => ({
  name: "github",
  version,
  resources: {
    "github:index/repositoryEnvironment:RepositoryEnvironment": repositoryEnvironment,
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy": environmentDeploymentPolicy,
    "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": environmentVariable,
    "github:index/actionsVariable:ActionsVariable": repositoryVariable,
    "github:index/repositoryRuleset:RepositoryRuleset": ruleset,
    "github:index/issueLabel:IssueLabel": issueLabel,
    "github:index/repositoryFile:RepositoryFile": repositoryFile,
    "github:index/repositoryPullRequest:RepositoryPullRequest": pullRequest,
  },
  invokes: {
    "github:index/getUser:getUser": (args) => {
      const login = need(args, "username");
      lookup("user", login);
      const id = numericId(`user:${login}`);
      return { id: String(id), login, username: login, name: login, nodeId: `U_kgDO${id}`, avatarUrl: `https://avatars.githubusercontent.com/u/${id}?v=4`, siteAdmin: false, gpgKeys: [], sshKeys: [] };
    },
    "github:index/getTeam:getTeam": (args, ctx) => {
      const slug = need(args, "slug");
      lookup("team", slug);
      const id = numericId(`team:${owner(ctx)}/${slug}`);
      return { id: String(id), slug, name: slug, nodeId: `T_kwDO${id}`, description: "", privacy: "closed", permission: "pull", members: [], repositories: [], repositoriesDetaileds: [], notificationSetting: "notifications_enabled" };
    },
  },
});
