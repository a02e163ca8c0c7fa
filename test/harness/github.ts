/**
 * The stand-in GitHub (sandbox/github-api) for in-process tests: the same world and route table the
 * workflow scenarios serve over HTTP, reached through a real Octokit whose `fetch` asks the route
 * table directly. One GitHub fake for every test; a request the stand-in has no route for is
 * answered 404 and recorded, so it shows in `calls`.
 */
import { Octokit } from "@octokit/rest";
import { MemoryGit } from "../../sandbox/github-api/git-data";
import { createGitHubApi, GitHubWorld, type RecordedCall } from "../../sandbox/github-api/server";

export interface StandInGitHub {
  readonly world: GitHubWorld;
  /** The repository's commits and branches. */
  readonly git: MemoryGit;
  readonly calls: RecordedCall[];
  /** A client acting as `login` (default: the workflow's `github-actions[bot]` token). */
  client(login?: string): Octokit;
  /** `METHOD /path?query` of every call, in order. */
  requests(): string[];
  /** What was sent to change something (every call but GET): method, path and the JSON body. */
  writes(): { method: string; url: string; body: unknown }[];
}

export function standInGitHub(options: { owner?: string; repo?: string } = {}): StandInGitHub {
  const world = new GitHubWorld(options.owner ?? "Codertocat", options.repo ?? "Hello-World");
  const git = new MemoryGit();
  const api = createGitHubApi(world, git);
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const client = (login = "github-actions[bot]") => {
    const token = `ghs_test_${login}`;
    world.tokens[token] = login;
    world.user(login);
    const fetch = async (url: string | URL, init?: { method?: string; body?: string; headers?: Record<string, string> }) => {
      const u = new URL(String(url));
      const headers = Object.fromEntries(Object.entries(init?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      const answer = api.answer({ method: init?.method ?? "GET", url: u.pathname + u.search, authorization: headers.authorization ?? "", body: init?.body ?? "" });
      const response = new Response(answer.status === 204 ? null : answer.body, { status: answer.status, headers: { "content-type": "application/json; charset=utf-8" } });
      Object.defineProperty(response, "url", { value: u.toString() }); // as a real fetch sets it
      return response;
    };
    return new Octokit({ auth: token, request: { fetch }, log: quiet });
  };
  return {
    world,
    git,
    calls: api.calls,
    client,
    requests: () => api.calls.map((c) => `${c.method} ${c.path}`),
    writes: () => api.calls.filter((c) => c.method !== "GET").map((c) => ({ method: c.method, url: c.path, body: c.body })),
  };
}

/**
 * What `GET /repos/{owner}/{repo}/rules/branches/{branch}` answers for a ruleset that asks for two
 * approving reviews and for `contexts` as required checks, each to be reported by GitHub Actions
 * (app 15368).
 */
export function requiredChecksRules(repo: { owner: string; repo: string }, contexts: string[]): unknown[] {
  const source = { ruleset_source_type: "Repository", ruleset_source: `${repo.owner}/${repo.repo}`, ruleset_id: 42 };
  return [
    { type: "pull_request", ...source, parameters: { required_approving_review_count: 2 } },
    { type: "required_status_checks", ...source, parameters: { strict_required_status_checks_policy: true, required_status_checks: contexts.map((context) => ({ context, integration_id: 15368 })) } },
  ];
}
