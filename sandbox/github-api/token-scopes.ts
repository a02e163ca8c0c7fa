/**
 * The scopes a scoped token (a job's GITHUB_TOKEN, an App installation token asked for with
 * `permissions`) needs on each route the stand-in serves, as GitHub's "Permissions required for
 * GitHub Apps" lists them: GET needs read, anything else write, and write includes read. A route
 * that any of several scopes opens (a pull request's comments: `issues` or `pull-requests`) lists
 * them all. Routes every installation token may call (repository metadata, collaborator
 * permission, branch rules) need none. Organization team membership needs `members`, which a job
 * token never has.
 *
 * A job's token arrives as "<token>.<base64url(JSON permissions)>": the runner (act.patch,
 * ACT_SCOPED_JOB_TOKENS) appends the job's `permissions:`, as GitHub mints a token per job.
 */

/** Scope needed per route (the stand-in's route pattern, without the method); absent: none. */
const ROUTE_SCOPES: Readonly<Record<string, readonly string[]>> = {
  "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": ["issues", "pull-requests"],
  "/repos/{owner}/{repo}/commits/{ref}": ["contents"],
  "/repos/{owner}/{repo}/git/commits/{commit_sha}": ["contents"],
  "/orgs/{org}/teams/{team_slug}/memberships/{username}": ["members"],
  "/repos/{owner}/{repo}/pulls": ["pull-requests"],
  "/repos/{owner}/{repo}/pulls/{pull_number}": ["pull-requests"],
  "/repos/{owner}/{repo}/pulls/{pull_number}/reviews": ["pull-requests"],
  "/repos/{owner}/{repo}/commits/{commit_sha}/pulls": ["pull-requests", "contents"],
  "/repos/{owner}/{repo}/issues": ["issues", "pull-requests"],
  "/repos/{owner}/{repo}/issues/{issue_number}": ["issues", "pull-requests"],
  "/repos/{owner}/{repo}/issues/{issue_number}/labels": ["issues", "pull-requests"],
  "/repos/{owner}/{repo}/issues/{issue_number}/events": ["issues", "pull-requests"],
  "/repos/{owner}/{repo}/issues/{issue_number}/comments": ["issues", "pull-requests"],
  "/repos/{owner}/{repo}/issues/comments/{comment_id}": ["issues", "pull-requests"],
  "/repos/{owner}/{repo}/commits/{ref}/check-runs": ["checks"],
  "/repos/{owner}/{repo}/commits/{ref}/statuses": ["statuses"],
  "/repos/{owner}/{repo}/commits/{ref}/status": ["statuses"],
  "/repos/{owner}/{repo}/statuses/{sha}": ["statuses"],
  "/repos/{owner}/{repo}/commits/{commit_sha}/comments": ["contents"],
  "/repos/{owner}/{repo}/compare/{basehead}": ["contents"],
  "/repos/{owner}/{repo}/branches/{branch}": ["contents"],
  "/repos/{owner}/{repo}/git/ref/{ref}": ["contents"],
  "/repos/{owner}/{repo}/git/refs": ["contents"],
  "/repos/{owner}/{repo}/deployments": ["deployments"],
  "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses": ["deployments"],
  "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs": ["actions"],
  "/repos/{owner}/{repo}/actions/runs/{run_id}": ["actions"],
  "/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts": ["actions"],
  "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches": ["actions"],
};

/**
 * Where one method of a route differs from the rule above: creating an issue needs `issues` (a pull
 * request is opened elsewhere), and a commit comment is created with read access to the contents.
 */
const METHOD_ROUTE_SCOPES: Readonly<Record<string, { readonly scopes: readonly string[]; readonly access: "read" | "write" }>> = {
  "POST /repos/{owner}/{repo}/issues": { scopes: ["issues"], access: "write" },
  "POST /repos/{owner}/{repo}/commits/{commit_sha}/comments": { scopes: ["contents"], access: "read" },
};

export type TokenPermissions = Readonly<Record<string, string>>;

/** Splits a job token into the token act was given and the job's permissions; null when it carries none. */
export function jobTokenParts(token: string): { base: string; permissions: TokenPermissions } | null {
  const dot = token.indexOf(".");
  if (dot < 0) return null;
  try {
    const permissions = JSON.parse(Buffer.from(token.slice(dot + 1), "base64url").toString("utf8")) as unknown;
    if (typeof permissions !== "object" || permissions === null || Array.isArray(permissions)) return null;
    return { base: token.slice(0, dot), permissions: permissions as TokenPermissions };
  } catch {
    return null;
  }
}

/** Why a token with `permissions` may not call `method route`, or null when it may. */
export function missingScope(permissions: TokenPermissions, method: string, route: string): string | null {
  const special = METHOD_ROUTE_SCOPES[`${method} ${route}`];
  const scopes = special?.scopes ?? ROUTE_SCOPES[route];
  if (!scopes) return null;
  const access = special?.access ?? (method === "GET" ? "read" : "write");
  const granted = (scope: string) => {
    // A workflow names scopes with hyphens (`pull-requests`), the App API with underscores (`pull_requests`).
    const level = permissions[scope] ?? permissions[scope.replace(/-/g, "_")] ?? permissions["*"] ?? "none";
    return level === "write" || (access === "read" && level === "read");
  };
  if (scopes.some(granted)) return null;
  return `${method} ${route} needs ${scopes.map((s) => `${s}: ${access}`).join(" or ")}; the token has ${JSON.stringify(permissions)}`;
}
