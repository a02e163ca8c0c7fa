/**
 * A fake of the one Octokit method the promotion code calls, `request(route, params)`, answering
 * from recorded API responses (test/fixtures/github/promotion) and recording every request.
 * A request with no recorded answer throws `Mock not implemented: <request>`, so nothing unplanned
 * can pass silently.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Octokit } from "@octokit/rest";

export const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "github", "promotion");
export const OWNER = "contoso";
export const REPO = "payments-service";
const R = `/repos/${OWNER}/${REPO}`;

export const SHA = {
  /** dev's known-good commit, promoted to staging by PR #40. */
  A: "3f2a9c1d5e7b8a0f4c6d2e1b9a8c7d6e5f4a3b2c",
  /** The commit whose dev deployment fails. */
  B: "b7e4d2c9a1f0e8d7c6b5a4f3e2d1c0b9a8f7e6d5",
  /** staging's deployed commit (merge of PR #40), promoted to prod by PR #41. */
  S: "5c9e1a7b3d2f4e6a8c0b9d7f5e3a1c2b4d6f8e0a",
  /** prod's deployed commit (merge of PR #41). */
  P: "9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d",
} as const;

export interface RecordedRequest {
  readonly method: string;
  /** Path and sorted query string, e.g. `/repos/o/r/deployments?environment=dev&per_page=10`. */
  readonly url: string;
  readonly body: Record<string, unknown> | null;
}

type Answer = string | { readonly status: number; readonly file: string } | ((body: Record<string, unknown>) => { status: number; file: string });

/** Every read the collector makes for the committed prod stack's pipeline (dev, staging, prod). */
export function readRoutes(): Record<string, Answer> {
  const routes: Record<string, Answer> = {
    [`GET ${R}/deployments?environment=dev&per_page=10`]: "deployments-dev.json",
    [`GET ${R}/deployments?environment=staging&per_page=10`]: "deployments-staging.json",
    [`GET ${R}/deployments?environment=prod&per_page=10`]: "deployments-prod.json",
    [`GET /orgs/${OWNER}/teams/qa-leads/memberships/qa-bob`]: "membership-qa-leads-qa-bob.json",
    [`GET ${R}/actions/runs/9002`]: "run-9002.json",
    [`GET ${R}/actions/runs/9002/artifacts?per_page=100`]: "artifacts-9002.json",
    [`GET ${R}/branches/dev`]: "branch-dev.json",
    [`GET ${R}/branches/test`]: "branch-test.json",
    [`GET ${R}/branches/main`]: "branch-main.json",
    [`GET ${R}/pulls?base=dev&direction=desc&per_page=20&sort=updated&state=all`]: "pulls-dev.json",
    [`GET ${R}/pulls?base=test&direction=desc&per_page=20&sort=updated&state=all`]: "pulls-test.json",
    [`GET ${R}/pulls?base=main&direction=desc&per_page=20&sort=updated&state=all`]: "pulls-main.json",
    [`GET ${R}/issues?direction=desc&labels=deployment-failure&per_page=30&sort=created&state=all`]: "issues-deployment-failure.json",
    [`GET ${R}/actions/workflows/deploy.yml/runs?branch=dev&event=workflow_dispatch&per_page=10`]: "runs-deploy-dev.json",
    [`GET ${R}/actions/workflows/deploy.yml/runs?branch=test&event=workflow_dispatch&per_page=10`]: "runs-empty.json",
    [`GET ${R}/actions/workflows/deploy.yml/runs?branch=main&event=workflow_dispatch&per_page=10`]: "runs-empty.json",
  };
  for (const id of [1001, 1002, 1003, 2001, 3001]) routes[`GET ${R}/deployments/${id}/statuses?per_page=100`] = `statuses-${id}.json`;
  for (const [name, sha] of Object.entries(SHA)) {
    routes[`GET ${R}/commits/${sha}/check-runs?filter=all&per_page=100`] = `check-runs-${name}.json`;
    routes[`GET ${R}/commits/${sha}/statuses?per_page=100`] = name === "S" ? "commit-statuses-S.json" : "empty-array.json";
  }
  return routes;
}

/** The writes of the failure path, answered as GitHub answers them. */
export function writeRoutes(): Record<string, Answer> {
  return {
    [`POST ${R}/issues`]: { status: 201, file: "issue-57-created.json" },
    [`POST ${R}/actions/workflows/deploy.yml/dispatches`]: { status: 200, file: "dispatch-9003.json" },
    [`POST ${R}/issues/57/comments`]: { status: 201, file: "issue-57-comment.json" },
    [`POST ${R}/deployments`]: { status: 201, file: "deployment-1003-created.json" },
    [`POST ${R}/deployments/1003/statuses`]: (body) => ({ status: 201, file: body.state === "success" ? "status-1003-success.json" : "status-1003-in-progress.json" }),
  };
}

function expand(route: string, params: Record<string, unknown>): { method: string; url: string; body: Record<string, unknown> | null } {
  const [method, template] = route.split(" ");
  const used = new Set<string>();
  const pathname = template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    used.add(name);
    if (params[name] === undefined) throw new Error(`request ${route} is missing the path parameter ${name}`);
    return String(params[name]);
  });
  const rest = Object.fromEntries(Object.entries(params).filter(([k]) => !used.has(k)));
  if (method === "GET") {
    const query = Object.keys(rest)
      .sort()
      .map((k) => `${k}=${encodeURIComponent(String(rest[k]))}`)
      .join("&");
    return { method, url: query ? `${pathname}?${query}` : pathname, body: null };
  }
  return { method, url: pathname, body: rest };
}

/**
 * A fake Octokit for one recorded stage: each answer is read from `<stage>/<file>` if that exists,
 * else from `shared/<file>`.
 */
export function fakeOctokit(stage: string, routes: Record<string, Answer> = { ...readRoutes(), ...writeRoutes() }) {
  const requests: RecordedRequest[] = [];
  const load = (file: string) => {
    const own = path.join(FIXTURES, stage, file);
    return JSON.parse(fs.readFileSync(fs.existsSync(own) ? own : path.join(FIXTURES, "shared", file), "utf8"));
  };
  const request = async (route: string, params: Record<string, unknown> = {}) => {
    const { method, url, body } = expand(route, params);
    requests.push({ method, url, body });
    const answer = routes[`${method} ${url}`];
    if (answer === undefined) throw Object.assign(new Error(`Mock not implemented: ${method} ${url}`), { status: 501 });
    const { status, file } = typeof answer === "string" ? { status: 200, file: answer } : typeof answer === "function" ? answer(body ?? {}) : answer;
    const data = load(file);
    // Octokit throws a RequestError carrying the status for 4xx/5xx answers.
    if (status >= 400) throw Object.assign(new Error(String(data.message ?? `HTTP ${status}`)), { status, response: { status, data } });
    return { status, url: `https://api.github.com${url}`, headers: {}, data };
  };
  const octokit = { request } as unknown as Pick<Octokit, "request">;
  return { octokit, requests, writes: () => requests.filter((r) => r.method !== "GET") };
}
