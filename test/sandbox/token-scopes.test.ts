/**
 * The stand-in GitHub enforces a scoped token's permissions as GitHub does: a job's GITHUB_TOKEN
 * (the runner appends the job's `permissions:`) or an App installation token asked for with
 * `permissions` gets 403 "Resource not accessible by integration" on a route its scopes do not open.
 */
import { createGitHubApi, GitHubWorld } from "../../sandbox/github-api/server";
import { MemoryGit } from "../../sandbox/github-api/git-data";
import { jobTokenParts, missingScope } from "../../sandbox/github-api/token-scopes";

const JOB = "ghs_job";
const jobToken = (permissions: Record<string, string>) => `${JOB}.${Buffer.from(JSON.stringify(permissions)).toString("base64url")}`;

function api() {
  const world = new GitHubWorld("contoso", "payments-service");
  const git = new MemoryGit();
  const sha = git.addCommit();
  world.tokens[JOB] = "github-actions[bot]";
  const { answer, calls } = createGitHubApi(world, git);
  const call = (token: string, method: string, url: string, body?: unknown) => answer({ method, url, authorization: `token ${token}`, body: body === undefined ? "" : JSON.stringify(body) });
  return { world, sha, call, calls };
}

describe("missingScope", () => {
  it("needs read to GET and write for anything else; write includes read; either scope of a shared route will do", () => {
    expect(missingScope({ statuses: "read" }, "GET", "/repos/{owner}/{repo}/commits/{ref}/statuses")).toBeNull();
    expect(missingScope({ statuses: "read" }, "POST", "/repos/{owner}/{repo}/statuses/{sha}")).toBe('POST /repos/{owner}/{repo}/statuses/{sha} needs statuses: write; the token has {"statuses":"read"}');
    expect(missingScope({ statuses: "write" }, "GET", "/repos/{owner}/{repo}/commits/{ref}/statuses")).toBeNull();
    expect(missingScope({ "pull-requests": "write" }, "POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")).toBeNull();
    expect(missingScope({ issues: "write" }, "POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")).toBeNull();
    expect(missingScope({ contents: "read" }, "POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")).toContain("needs issues: write or pull-requests: write");
    expect(missingScope({ "*": "read" }, "GET", "/repos/{owner}/{repo}/deployments")).toBeNull();
    expect(missingScope({ "*": "read" }, "POST", "/repos/{owner}/{repo}/deployments")).not.toBeNull();
    expect(missingScope({ deployments: "none", "*": "write" }, "GET", "/repos/{owner}/{repo}/deployments")).not.toBeNull();
    expect(missingScope({}, "GET", "/repos/{owner}/{repo}/collaborators/{username}/permission")).toBeNull();
    expect(missingScope({ "*": "write" }, "GET", "/orgs/{org}/teams/{team_slug}/memberships/{username}")).toBeNull();
    expect(missingScope({ contents: "write", "pull-requests": "write" }, "GET", "/orgs/{org}/teams/{team_slug}/memberships/{username}")).toContain("needs members: read");
    // One method of a route can differ: opening an issue needs `issues` (listing them, either scope);
    // a commit comment is created with read access to the contents.
    expect(missingScope({ "pull-requests": "write" }, "POST", "/repos/{owner}/{repo}/issues")).toBe('POST /repos/{owner}/{repo}/issues needs issues: write; the token has {"pull-requests":"write"}');
    expect(missingScope({ "pull-requests": "read" }, "GET", "/repos/{owner}/{repo}/issues")).toBeNull();
    expect(missingScope({ contents: "read" }, "POST", "/repos/{owner}/{repo}/commits/{commit_sha}/comments")).toBeNull();
    expect(missingScope({ issues: "write" }, "POST", "/repos/{owner}/{repo}/commits/{commit_sha}/comments")).toContain("needs contents: read");
    // An App installation token names its scopes as the App API does.
    expect(missingScope({ pull_requests: "write" }, "POST", "/repos/{owner}/{repo}/pulls")).toBeNull();
  });

  it("reads a job token's permissions, and nothing from a token without them", () => {
    expect(jobTokenParts(jobToken({ contents: "read" }))).toEqual({ base: JOB, permissions: { contents: "read" } });
    expect(jobTokenParts("ghs_plain")).toBeNull();
    expect(jobTokenParts("ghs_x.not-json")).toBeNull();
  });
});

describe("the stand-in GitHub with scoped tokens", () => {
  it("refuses a job token a write its job's permissions do not grant, and records the refusal", () => {
    const { world, sha, call, calls } = api();
    const refused = call(jobToken({ contents: "read", deployments: "read" }), "POST", `/repos/contoso/payments-service/statuses/${sha}`, { state: "success", context: "health (staging)" });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).message).toBe("Resource not accessible by integration");
    expect(world.statuses).toEqual([]);
    expect(calls.at(-1)).toMatchObject({ route: "POST /repos/{owner}/{repo}/statuses/{sha}", status: 403, actor: "github-actions[bot]" });

    const allowed = call(jobToken({ statuses: "write" }), "POST", `/repos/contoso/payments-service/statuses/${sha}`, { state: "success", context: "health (staging)" });
    expect(allowed.status).toBe(201);
    expect(world.statuses.map((s) => s.creator?.login)).toEqual(["github-actions[bot]"]);
  });

  it("enforces an App installation token's asked-for permissions, and leaves an unscoped one alone", () => {
    const { world, sha, call } = api();
    world.tokens.app_key = "delivery-promotion[bot]";
    const narrowed = JSON.parse(call("app_key", "POST", "/app/installations/1/access_tokens", { permissions: { statuses: "read" } }).body).token;
    expect(call(narrowed, "POST", `/repos/contoso/payments-service/statuses/${sha}`, { state: "success", context: "x" }).status).toBe(403);
    const full = JSON.parse(call("app_key", "POST", "/app/installations/1/access_tokens", {}).body).token;
    expect(call(full, "POST", `/repos/contoso/payments-service/statuses/${sha}`, { state: "success", context: "x" }).status).toBe(201);
  });
});
