/**
 * A stand-in for the GitHub REST API, for running the platform's workflows and the `delivery`
 * command offline. It serves the endpoints the workflows, the stand-in actions and `delivery`
 * call, on 127.0.0.1, with state:
 *
 * - git data (commits, refs, compare, trees, commit -> pull requests) comes from a real bare git
 *   repository, the same one the stand-in `actions/checkout` clones, so SHAs are real;
 * - everything social (pull requests, issues, comments, labels and who applied them, reviews,
 *   collaborators, teams, check runs, statuses, deployments, workflow runs, dispatches) lives in
 *   `GitHubWorld`, which a test seeds and inspects directly.
 *
 * Every request is recorded (`calls`) with the identity its token stands for, so a scenario can
 * assert "one comment per stack, edited in place" or "nothing was deployed". Tokens are mapped to
 * identities by the test (`tokens`); an unknown token is refused with 401, as GitHub does. A scoped
 * token (a job's, which carries the job's `permissions:`, or an App installation token asked for
 * with `permissions`) is refused with GitHub's 403 on a route its scopes do not open
 * (token-scopes.ts).
 * Unknown routes answer 404 and are recorded, so a missing endpoint shows up in the call log
 * instead of being guessed.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { bareRepository, type GitData } from "./git-data";
import { jobTokenParts, missingScope, type TokenPermissions } from "./token-scopes";

export type Permission = "admin" | "maintain" | "write" | "triage" | "read";

export interface Actor {
  readonly login: string;
  readonly type: "User" | "Bot";
  readonly id: number;
}

export interface Label {
  readonly name: string;
}

export interface PullRequest {
  number: number;
  title: string;
  state: "open" | "closed";
  draft: boolean;
  user: Actor;
  head: { ref: string; sha: string; repo: { full_name: string } };
  base: { ref: string; sha: string };
  labels: Label[];
  merged_at: string | null;
  merge_commit_sha: string | null;
  body: string;
  created_at: string;
}

export interface Issue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  user: Actor;
  labels: Label[];
  assignees: Actor[];
  created_at: string;
  closed_at: string | null;
}

export interface Comment {
  id: number;
  issue_number: number;
  user: Actor;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface IssueEvent {
  id: number;
  issue_number: number;
  event: "labeled" | "unlabeled";
  label: Label;
  actor: Actor;
  created_at: string;
}

export interface Review {
  id: number;
  pull_number: number;
  user: Actor;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED";
  commit_id: string;
  submitted_at: string;
}

export interface CheckRun {
  id: number;
  head_sha: string;
  name: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  app: { id: number; slug: string };
}

export interface CommitStatus {
  id: number;
  sha: string;
  context: string;
  state: "pending" | "success" | "failure" | "error";
  description: string | null;
  target_url: string | null;
  creator: Actor;
  created_at: string;
}

export interface Deployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  task: string;
  payload: unknown;
  description: string | null;
  creator: Actor;
  created_at: string;
  transient_environment: boolean;
  production_environment: boolean;
}

export interface DeploymentStatus {
  id: number;
  deployment_id: number;
  state: string;
  description: string | null;
  environment_url: string | null;
  log_url: string | null;
  creator: Actor;
  created_at: string;
}

/** One entry of the repository activity (`GET /repos/{owner}/{repo}/activity`): a ref moved. */
export interface Push {
  id: number;
  ref: string;
  before: string;
  after: string;
  activity_type: "push" | "force_push" | "branch_creation";
  actor: Actor;
  timestamp: string;
}

export interface WorkflowRun {
  id: number;
  workflow_id: string;
  name: string;
  event: string;
  status: string;
  conclusion: string | null;
  head_sha: string;
  head_branch: string;
  html_url: string;
  created_at: string;
  actor: Actor;
  artifacts: { id: number; name: string; expired: boolean }[];
}

export interface Dispatch {
  workflow_id: string;
  ref: string;
  inputs: Record<string, string>;
  by: Actor;
  /** The run id answered to a dispatch that asked for `return_run_details`; whoever runs the workflow gives its run this id. */
  runId?: number;
}

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  /** `METHOD /route/with/{params}` as Octokit names it, when the route is known. */
  readonly route: string;
  readonly status: number;
  readonly actor: string;
  readonly body: unknown;
}

/** Everything the stand-in GitHub holds besides git. Tests seed and read it directly. */
export class GitHubWorld {
  collaborators: Record<string, Permission> = {};
  teams: Record<string, string[]> = {};
  users: Record<string, Actor> = {};
  pulls: PullRequest[] = [];
  issues: Issue[] = [];
  comments: Comment[] = [];
  issueEvents: IssueEvent[] = [];
  reviews: Review[] = [];
  checkRuns: CheckRun[] = [];
  statuses: CommitStatus[] = [];
  deployments: Deployment[] = [];
  deploymentStatuses: DeploymentStatus[] = [];
  workflowRuns: WorkflowRun[] = [];
  dispatches: Dispatch[] = [];
  /** The repository activity: each push to a branch, oldest first. */
  pushes: Push[] = [];
  /** Ruleset rules per branch, as `GET /repos/{owner}/{repo}/rules/branches/{branch}` returns them. */
  branchRules: Record<string, unknown[]> = {};
  /** Token -> who it acts as. */
  tokens: Record<string, string> = {};
  /** Token -> the scopes it was issued with (App installation tokens asked for with `permissions`). */
  tokenPermissions: Record<string, TokenPermissions> = {};
  /**
   * Called after each answered request: a scenario can make something happen between two calls,
   * e.g. push to a pull request after the gate read it and before the deploy job re-reads it.
   */
  afterCall: ((call: RecordedCall) => void) | undefined;
  private nextNumber = 1;

  /** Numbers issues and pull requests from `next` on (after a recorded history's own numbers). */
  numberFrom(next: number): void {
    this.nextNumber = Math.max(this.nextNumber, next);
  }
  private nextId = 1000;
  private clock = Date.parse("2026-12-01T09:00:00Z");

  constructor(
    readonly owner: string,
    readonly repo: string,
    readonly defaultBranch = "main",
  ) {}

  get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  id(): number {
    return this.nextId++;
  }

  /** Monotonic timestamps, one second apart, so "newest" is well defined in every test. */
  now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  /** Lets time pass in this GitHub (a soak, a wait), for what happens next. */
  advance(minutes: number): void {
    this.clock += minutes * 60_000;
  }

  user(login: string): Actor {
    return (this.users[login] ??= { login, type: login.endsWith("[bot]") ? "Bot" : "User", id: 10_000 + Object.keys(this.users).length });
  }

  addCollaborator(login: string, permission: Permission): Actor {
    this.collaborators[login] = permission;
    return this.user(login);
  }

  openPullRequest(options: { title?: string; author: string; head: string; headSha: string; base: string; baseSha: string; draft?: boolean; fork?: boolean; labels?: string[] }): PullRequest {
    const pr: PullRequest = {
      number: this.nextNumber++,
      title: options.title ?? `Change ${options.head}`,
      state: "open",
      draft: options.draft ?? false,
      user: this.user(options.author),
      head: { ref: options.head, sha: options.headSha, repo: { full_name: options.fork ? `${options.author}/${this.repo}` : this.fullName } },
      base: { ref: options.base, sha: options.baseSha },
      labels: (options.labels ?? []).map((name) => ({ name })),
      merged_at: null,
      merge_commit_sha: null,
      body: "",
      created_at: this.now(),
    };
    this.pulls.push(pr);
    return pr;
  }

  openIssue(options: { title: string; body?: string; author: string; labels?: string[] }): Issue {
    const issue: Issue = {
      number: this.nextNumber++,
      title: options.title,
      body: options.body ?? "",
      state: "open",
      user: this.user(options.author),
      labels: (options.labels ?? []).map((name) => ({ name })),
      assignees: [],
      created_at: this.now(),
      closed_at: null,
    };
    this.issues.push(issue);
    return issue;
  }

  pull(number: number): PullRequest | undefined {
    return this.pulls.find((p) => p.number === number);
  }

  addLabel(number: number, name: string, by: string): void {
    const target = this.pull(number) ?? this.issues.find((i) => i.number === number);
    if (!target) throw new Error(`no pull request or issue #${number}`);
    if (!target.labels.some((l) => l.name === name)) target.labels.push({ name });
    this.issueEvents.push({ id: this.id(), issue_number: number, event: "labeled", label: { name }, actor: this.user(by), created_at: this.now() });
  }

  /** A review of pull request `number` by `by`, on the commit it was given for. */
  addReview(number: number, by: string, state: Review["state"], commitId: string): Review {
    if (!this.pull(number)) throw new Error(`no pull request #${number}`);
    const review: Review = { id: this.id(), pull_number: number, user: this.user(by), state, commit_id: commitId, submitted_at: this.now() };
    this.reviews.push(review);
    return review;
  }

  addComment(number: number, body: string, by: string): Comment {
    const at = this.now();
    const comment: Comment = { id: this.id(), issue_number: number, user: this.user(by), body, created_at: at, updated_at: at };
    this.comments.push(comment);
    return comment;
  }

  addCheckRun(sha: string, name: string, conclusion: string, app = { id: 15368, slug: "github-actions" }): CheckRun {
    const run: CheckRun = { id: this.id(), head_sha: sha, name, status: "completed", conclusion, app };
    this.checkRuns.push(run);
    return run;
  }

  /**
   * A run of the deploy workflow that GitHub lists as ended (`GET .../actions/runs`): the runner's
   * own runs are not listed by themselves, so a scenario that needs "this run has ended" (a stale
   * lock, the promotion machine's deploy runs) records it.
   */
  addEndedDeployRun(run: { id: number; conclusion: string; headSha: string; by: string; createdAt: string; event?: string; artifacts?: WorkflowRun["artifacts"] }): WorkflowRun {
    const ended: WorkflowRun = {
      id: run.id,
      workflow_id: "deploy.yml",
      name: "Deploy",
      event: run.event ?? "issue_comment",
      status: "completed",
      conclusion: run.conclusion,
      head_sha: run.headSha,
      head_branch: this.defaultBranch,
      html_url: `https://github.com/${this.fullName}/actions/runs/${run.id}`,
      created_at: run.createdAt,
      actor: this.user(run.by),
      artifacts: run.artifacts ?? [],
    };
    this.workflowRuns.push(ended);
    return ended;
  }

  /** Records that `by` pushed `after` to `branch` (the activity the approval check reads). */
  recordPush(branch: string, after: string, options: { by: string; before?: string; type?: Push["activity_type"]; at?: string }): Push {
    const push: Push = { id: this.id(), ref: `refs/heads/${branch}`, before: options.before ?? "0".repeat(40), after, activity_type: options.type ?? "push", actor: this.user(options.by), timestamp: options.at ?? this.now() };
    this.pushes.push(push);
    return push;
  }

  commentsOn(number: number): Comment[] {
    return this.comments.filter((c) => c.issue_number === number);
  }
}

interface Request {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
  readonly actor: Actor;
}

type Handler = (req: Request, params: Record<string, string>) => unknown;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A handler's answer with another status than the method's usual one. */
class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

const notFound = (what: string) => new HttpError(404, `Not Found: ${what}`);

/** One request as it reaches GitHub: method, path with query, `Authorization` header and raw body. */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string;
  readonly body: string;
}

/** The stand-in's answers, without a network: the HTTP server and in-process clients both ask `answer`. */
export interface GitHubApi {
  readonly world: GitHubWorld;
  readonly calls: RecordedCall[];
  /** Status and JSON text (empty for 204), exactly what the HTTP server sends. */
  answer(request: ApiRequest): { status: number; body: string };
}

export interface GitHubApiServer {
  readonly url: string;
  readonly world: GitHubWorld;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

/**
 * Starts the stand-in on 127.0.0.1 (an ephemeral port unless `port` is given). `gitDir` is the
 * bare repository that is the repository's git data.
 */
export async function startGitHubApi(world: GitHubWorld, gitDir: string, options: { port?: number; log?: (line: string) => void } = {}): Promise<GitHubApiServer> {
  const api = createGitHubApi(world, bareRepository(gitDir), options);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const { status, body } = api.answer({ method: req.method ?? "GET", url: req.url ?? "/", authorization: req.headers.authorization ?? "", body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(body);
    });
  });
  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, "127.0.0.1", resolveListen));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    world,
    calls: api.calls,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/**
 * The stand-in's route table over `world`, with its commits and refs read from `git` (a bare
 * repository on disk, or a `MemoryGit` in in-process tests).
 */
export function createGitHubApi(world: GitHubWorld, git: GitData, options: { log?: (line: string) => void } = {}): GitHubApi {
  const calls: RecordedCall[] = [];
  const repoPrefix = `/repos/${world.owner}/${world.repo}`;

  const commitJson = (sha: string) => {
    const c = git.commit(sha);
    if (c === null) throw new HttpError(422, `No commit found for SHA: ${sha}`);
    const date = c.author.date || world.now();
    return {
      sha,
      commit: { tree: { sha: c.tree }, message: c.message, author: { ...c.author, date }, committer: { date } },
      parents: c.parents.map((p) => ({ sha: p })),
      html_url: `https://github.com/${world.fullName}/commit/${sha}`,
    };
  };
  const resolve = (ref: string): string => {
    const sha = git.resolve(ref);
    if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`);
    return sha;
  };
  const paged = <T>(items: T[], q: URLSearchParams): T[] => {
    const perPage = Number(q.get("per_page") ?? 30);
    const page = Number(q.get("page") ?? 1);
    return items.slice((page - 1) * perPage, page * perPage);
  };
  const issueJson = (i: Issue) => ({ ...i, html_url: `https://github.com/${world.fullName}/issues/${i.number}`, pull_request: undefined });
  const pullJson = (p: PullRequest) => ({ ...p, html_url: `https://github.com/${world.fullName}/pull/${p.number}`, merged: p.merged_at !== null });
  const commentJson = (c: Comment) => ({ ...c, html_url: `https://github.com/${world.fullName}/issues/${c.issue_number}#issuecomment-${c.id}` });
  const findIssueLike = (n: number) => world.pull(n) ?? world.issues.find((i) => i.number === n);

  const routes: [string, string, Handler][] = [
    ["GET", "/user", (req) => req.actor],
    ["GET", `/repos/{owner}/{repo}`, () => ({ full_name: world.fullName, name: world.repo, owner: { login: world.owner }, default_branch: world.defaultBranch, private: true })],
    [
      "GET",
      `/repos/{owner}/{repo}/collaborators/{username}/permission`,
      (_req, p) => {
        const permission = world.collaborators[p.username];
        if (!permission) throw notFound(`${p.username} is not a collaborator`);
        const legacy = permission === "maintain" ? "write" : permission === "triage" ? "read" : permission;
        return { permission: legacy, role_name: permission, user: world.user(p.username) };
      },
    ],
    [
      "GET",
      "/orgs/{org}/teams/{team_slug}/memberships/{username}",
      (_req, p) => {
        if (!(world.teams[p.team_slug] ?? []).includes(p.username)) throw notFound(`${p.username} in ${p.team_slug}`);
        return { state: "active", role: "member" };
      },
    ],
    // Pull requests
    [
      "GET",
      `/repos/{owner}/{repo}/pulls`,
      (req) => {
        const state = req.query.get("state") ?? "open";
        const base = req.query.get("base");
        const head = req.query.get("head");
        const list = world.pulls
          .filter((p) => state === "all" || p.state === state)
          .filter((p) => !base || p.base.ref === base)
          .filter((p) => !head || `${world.owner}:${p.head.ref}` === head)
          .slice()
          .reverse();
        return paged(list.map(pullJson), req.query);
      },
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/pulls/{pull_number}`,
      (_req, p) => {
        const pr = world.pull(Number(p.pull_number));
        if (!pr) throw notFound(`pull request ${p.pull_number}`);
        return pullJson(pr);
      },
    ],
    [
      "POST",
      `/repos/{owner}/{repo}/pulls`,
      (req) => {
        const head = String(req.body.head ?? "");
        const base = String(req.body.base ?? "");
        const headSha = resolve(head);
        const baseSha = resolve(base);
        const pr = world.openPullRequest({ title: String(req.body.title ?? ""), author: req.actor.login, head, headSha, base, baseSha, draft: req.body.draft === true });
        pr.body = String(req.body.body ?? "");
        return pullJson(pr);
      },
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/pulls/{pull_number}/reviews`,
      (req, p) => paged(world.reviews.filter((r) => r.pull_number === Number(p.pull_number)), req.query),
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/commits/{commit_sha}/pulls`,
      (_req, p) => {
        const sha = resolve(p.commit_sha);
        return world.pulls.filter((pr) => pr.head.sha === sha || pr.merge_commit_sha === sha).map(pullJson);
      },
    ],
    // Issues, comments, labels, events
    [
      "GET",
      `/repos/{owner}/{repo}/issues`,
      (req) => {
        const state = req.query.get("state") ?? "open";
        const labels = (req.query.get("labels") ?? "").split(",").filter(Boolean);
        const creator = req.query.get("creator");
        const list = world.issues
          .filter((i) => state === "all" || i.state === state)
          .filter((i) => !creator || i.user.login === creator)
          .filter((i) => labels.every((l) => i.labels.some((x) => x.name === l)))
          .slice()
          .reverse();
        return paged(list.map(issueJson), req.query);
      },
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/issues/{issue_number}`,
      (_req, p) => {
        const n = Number(p.issue_number);
        const pr = world.pull(n);
        if (pr) return { ...pullJson(pr), pull_request: { url: `${repoPrefix}/pulls/${n}` } };
        const issue = world.issues.find((i) => i.number === n);
        if (!issue) throw notFound(`issue ${n}`);
        return issueJson(issue);
      },
    ],
    [
      "POST",
      `/repos/{owner}/{repo}/issues`,
      (req) => {
        const issue = world.openIssue({ title: String(req.body.title ?? ""), body: String(req.body.body ?? ""), author: req.actor.login, labels: (req.body.labels as string[] | undefined) ?? [] });
        issue.assignees = ((req.body.assignees as string[] | undefined) ?? []).map((a) => world.user(a));
        return issueJson(issue);
      },
    ],
    [
      "PATCH",
      `/repos/{owner}/{repo}/issues/{issue_number}`,
      (req, p) => {
        const issue = world.issues.find((i) => i.number === Number(p.issue_number));
        if (!issue) throw notFound(`issue ${p.issue_number}`);
        if (req.body.state === "closed" || req.body.state === "open") {
          issue.state = req.body.state;
          issue.closed_at = req.body.state === "closed" ? world.now() : null;
        }
        if (typeof req.body.body === "string") issue.body = req.body.body;
        if (Array.isArray(req.body.labels)) issue.labels = (req.body.labels as string[]).map((name) => ({ name }));
        if (Array.isArray(req.body.assignees)) issue.assignees = (req.body.assignees as string[]).map((a) => world.user(a));
        return issueJson(issue);
      },
    ],
    [
      "POST",
      `/repos/{owner}/{repo}/issues/{issue_number}/labels`,
      (req, p) => {
        const n = Number(p.issue_number);
        for (const name of (req.body.labels as string[] | undefined) ?? []) world.addLabel(n, name, req.actor.login);
        return findIssueLike(n)?.labels ?? [];
      },
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/issues/{issue_number}/events`,
      (req, p) => paged(world.issueEvents.filter((e) => e.issue_number === Number(p.issue_number)), req.query),
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/issues/{issue_number}/comments`,
      (req, p) => {
        if (!findIssueLike(Number(p.issue_number))) throw notFound(`issue ${p.issue_number}`);
        return paged(world.commentsOn(Number(p.issue_number)).map(commentJson), req.query);
      },
    ],
    [
      "POST",
      `/repos/{owner}/{repo}/issues/{issue_number}/comments`,
      (req, p) => {
        const n = Number(p.issue_number);
        if (!findIssueLike(n)) throw notFound(`issue ${n}`);
        const body = String(req.body.body ?? "");
        if (body.length > 65_536) throw new HttpError(422, "Validation Failed: body is too long (maximum is 65536 characters)");
        return commentJson(world.addComment(n, body, req.actor.login));
      },
    ],
    [
      "PATCH",
      `/repos/{owner}/{repo}/issues/comments/{comment_id}`,
      (req, p) => {
        const comment = world.comments.find((c) => c.id === Number(p.comment_id));
        if (!comment) throw notFound(`comment ${p.comment_id}`);
        const body = String(req.body.body ?? "");
        if (body.length > 65_536) throw new HttpError(422, "Validation Failed: body is too long (maximum is 65536 characters)");
        comment.body = body;
        comment.updated_at = world.now();
        return commentJson(comment);
      },
    ],
    ["POST", `/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions`, (req) => ({ id: world.id(), content: req.body.content, user: req.actor })],
    // Commits, checks, statuses
    ["GET", `/repos/{owner}/{repo}/commits/{ref}`, (_req, p) => commitJson(resolve(p.ref))],
    [
      "GET",
      `/repos/{owner}/{repo}/commits/{ref}/check-runs`,
      (req, p) => {
        const sha = resolve(p.ref);
        const runs = world.checkRuns.filter((r) => r.head_sha === sha);
        return { total_count: runs.length, check_runs: paged(runs, req.query) };
      },
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/commits/{ref}/statuses`,
      (req, p) => {
        const sha = resolve(p.ref);
        return paged(world.statuses.filter((s) => s.sha === sha).reverse(), req.query);
      },
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/commits/{ref}/status`,
      (_req, p) => {
        const sha = resolve(p.ref);
        const latest = new Map<string, CommitStatus>();
        for (const s of world.statuses.filter((x) => x.sha === sha)) latest.set(s.context, s);
        const statuses = [...latest.values()];
        const state = statuses.some((s) => s.state === "failure" || s.state === "error") ? "failure" : statuses.some((s) => s.state === "pending") || statuses.length === 0 ? "pending" : "success";
        return { sha, state, statuses, total_count: statuses.length };
      },
    ],
    [
      "POST",
      `/repos/{owner}/{repo}/statuses/{sha}`,
      (req, p) => {
        const status: CommitStatus = {
          id: world.id(),
          sha: resolve(p.sha),
          context: String(req.body.context ?? "default"),
          state: req.body.state as CommitStatus["state"],
          description: (req.body.description as string | undefined) ?? null,
          target_url: (req.body.target_url as string | undefined) ?? null,
          creator: req.actor,
          created_at: world.now(),
        };
        world.statuses.push(status);
        return status;
      },
    ],
    [
      "POST",
      `/repos/{owner}/{repo}/commits/{commit_sha}/comments`,
      (req, p) => ({ id: world.id(), commit_id: resolve(p.commit_sha), body: req.body.body, user: req.actor }),
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/compare/{basehead}`,
      (_req, p) => {
        const [base, head] = p.basehead.split("...");
        const b = resolve(base);
        const h = resolve(head);
        const ahead = git.countAhead(b, h);
        const behind = git.countAhead(h, b);
        const status = ahead === 0 && behind === 0 ? "identical" : behind === 0 ? "ahead" : ahead === 0 ? "behind" : "diverged";
        return { status, ahead_by: ahead, behind_by: behind, base_commit: commitJson(b), merge_base_commit: commitJson(git.mergeBase(b, h) ?? b) };
      },
    ],
    // The branch and its head commit (the promotion machine compares each environment branch's head
    // with what was deployed there).
    [
      "GET",
      `/repos/{owner}/{repo}/branches/{branch}`,
      (_req, p) => {
        const sha = git.ref(`refs/heads/${p.branch}`);
        if (!sha) throw notFound(`branch ${p.branch}`);
        return { name: p.branch, commit: commitJson(sha), protected: world.branchRules[p.branch] !== undefined };
      },
    ],
    // git refs and trees
    [
      "GET",
      `/repos/{owner}/{repo}/git/ref/{ref}`,
      (_req, p) => {
        const sha = git.ref(`refs/${p.ref}`);
        if (!sha) throw notFound(`ref ${p.ref}`);
        return { ref: `refs/${p.ref}`, object: { sha, type: "commit" } };
      },
    ],
    [
      "POST",
      `/repos/{owner}/{repo}/git/refs`,
      (req) => {
        const ref = String(req.body.ref ?? "");
        const sha = String(req.body.sha ?? "");
        if (!/^refs\/heads\/[A-Za-z0-9._/-]+$/.test(ref)) throw new HttpError(422, `Reference name is not valid: ${ref}`);
        if (git.ref(ref) !== null) throw new HttpError(422, "Reference already exists");
        const target = git.resolve(sha);
        if (target === null || !git.createRef(ref, target)) throw new HttpError(422, `Object does not exist: ${sha}`);
        return { ref, object: { sha: target, type: "commit" } };
      },
    ],
    ["GET", `/repos/{owner}/{repo}/git/commits/{commit_sha}`, (_req, p) => ({ ...commitJson(resolve(p.commit_sha)).commit, sha: resolve(p.commit_sha) })],
    [
      "GET",
      `/repos/{owner}/{repo}/activity`,
      (req) => {
        const ref = req.query.get("ref");
        const list = world.pushes.filter((a) => !ref || a.ref === ref);
        return paged(req.query.get("direction") === "asc" ? list : list.slice().reverse(), req.query);
      },
    ],
    ["GET", `/repos/{owner}/{repo}/rules/branches/{branch}`, (_req, p) => world.branchRules[p.branch] ?? []],
    // A GitHub App installation token (what actions/create-github-app-token asks for): the App is
    // identified by its private key, which the test registered as a token of the App's bot.
    [
      "POST",
      "/app/installations/{installation_id}/access_tokens",
      (req) => {
        if (req.actor.type !== "Bot") throw new HttpError(401, "A JSON web token could not be decoded");
        const token = `ghs_standin_${world.id()}`;
        world.tokens[token] = req.actor.login;
        const asked = req.body.permissions as TokenPermissions | undefined;
        if (asked && Object.keys(asked).length > 0) world.tokenPermissions[token] = asked;
        return { token, expires_at: new Date(Date.parse(world.now()) + 3600_000).toISOString(), permissions: req.body.permissions ?? {} };
      },
    ],
    ["GET", "/repos/{owner}/{repo}/installation", () => ({ id: 1, app_slug: "delivery-promotion" })],
    // Deployments
    [
      "GET",
      `/repos/{owner}/{repo}/deployments`,
      (req) => {
        const env = req.query.get("environment");
        const sha = req.query.get("sha");
        return paged(world.deployments.filter((d) => (!env || d.environment === env) && (!sha || d.sha === sha)).slice().reverse(), req.query);
      },
    ],
    [
      "POST",
      `/repos/{owner}/{repo}/deployments`,
      (req) => {
        const ref = String(req.body.ref ?? "");
        const deployment: Deployment = {
          id: world.id(),
          sha: resolve(ref),
          ref,
          environment: String(req.body.environment ?? "production"),
          task: String(req.body.task ?? "deploy"),
          payload: req.body.payload ?? {},
          description: (req.body.description as string | undefined) ?? null,
          creator: req.actor,
          created_at: world.now(),
          transient_environment: req.body.transient_environment === true,
          production_environment: req.body.production_environment === true,
        };
        world.deployments.push(deployment);
        return deployment;
      },
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/deployments/{deployment_id}/statuses`,
      (req, p) => paged(world.deploymentStatuses.filter((s) => s.deployment_id === Number(p.deployment_id)).slice().reverse(), req.query),
    ],
    [
      "POST",
      `/repos/{owner}/{repo}/deployments/{deployment_id}/statuses`,
      (req, p) => {
        const id = Number(p.deployment_id);
        if (!world.deployments.some((d) => d.id === id)) throw notFound(`deployment ${id}`);
        const status: DeploymentStatus = {
          id: world.id(),
          deployment_id: id,
          state: String(req.body.state ?? ""),
          description: (req.body.description as string | undefined) ?? null,
          environment_url: (req.body.environment_url as string | undefined) ?? null,
          log_url: (req.body.log_url as string | undefined) ?? null,
          creator: req.actor,
          created_at: world.now(),
        };
        world.deploymentStatuses.push(status);
        return status;
      },
    ],
    // Actions
    [
      "GET",
      `/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs`,
      (req, p) => {
        const branch = req.query.get("branch");
        const event = req.query.get("event");
        const runs = world.workflowRuns
          .filter((r) => r.workflow_id === p.workflow_id && (!branch || r.head_branch === branch) && (!event || r.event === event))
          .slice()
          .reverse();
        return { total_count: runs.length, workflow_runs: paged(runs, req.query) };
      },
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/actions/runs/{run_id}`,
      (_req, p) => {
        const run = world.workflowRuns.find((r) => r.id === Number(p.run_id));
        if (!run) throw notFound(`run ${p.run_id}`);
        return run;
      },
    ],
    [
      "GET",
      `/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts`,
      (_req, p) => {
        const run = world.workflowRuns.find((r) => r.id === Number(p.run_id));
        const artifacts = run?.artifacts ?? [];
        return { total_count: artifacts.length, artifacts };
      },
    ],
    [
      "POST",
      `/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches`,
      (req, p) => {
        const ref = String(req.body.ref ?? "");
        resolve(ref);
        const dispatch: Dispatch = { workflow_id: p.workflow_id, ref, inputs: (req.body.inputs as Record<string, string> | undefined) ?? {}, by: req.actor };
        world.dispatches.push(dispatch);
        if (req.body.return_run_details !== true) return undefined;
        // GitHub answers 200 with the run it queued when asked to.
        dispatch.runId = world.id();
        const runUrl = `https://github.com/${world.fullName}/actions/runs/${dispatch.runId}`;
        return new Answer(200, { workflow_run_id: dispatch.runId, run_url: `https://api.github.com${repoPrefix}/actions/runs/${dispatch.runId}`, html_url: runUrl });
      },
    ],
  ];

  const compiled = routes.map(([method, route, handler]) => {
    const names: string[] = [];
    const pattern = route.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
      names.push(name);
      // Only these may contain slashes (git/ref/heads/main, compare/a...b/c, branches/release/1); a commit ref is matched
      // segment-wise so `commits/{ref}` never swallows `commits/{ref}/check-runs`.
      return name === "basehead" || (name === "ref" && route.includes("/git/ref/")) || (name === "branch" && route.endsWith("/branches/{branch}")) ? "(.+)" : "([^/]+)";
    });
    return { method, route, handler, names, regex: new RegExp(`^${pattern.replace(/\\\{|\\\}/g, "")}$`) };
  });

  const answer = (request: ApiRequest): { status: number; body: string } => {
    const url = new URL(request.url, "http://127.0.0.1");
    const method = request.method;
    let body: Record<string, unknown> = {};
    let status = 200;
    let result: unknown;
    let routeName = `${method} ${url.pathname}`;
    const token = request.authorization.replace(/^(token|bearer)\s+/i, "");
    // A job's token carries the job's permissions after the token the runner was given (token-scopes.ts).
    const job = world.tokens[token] === undefined ? jobTokenParts(token) : null;
    const login = job ? world.tokens[job.base] : world.tokens[token];
    const permissions = job ? job.permissions : world.tokenPermissions[token];
    try {
      if (request.body) body = JSON.parse(request.body) as Record<string, unknown>;
      if (!login) throw new HttpError(401, "Bad credentials");
      const match = compiled.find((r) => r.method === method && r.regex.test(url.pathname));
      if (!match) throw notFound(`no stand-in route for ${method} ${url.pathname}`);
      routeName = `${method} ${match.route}`;
      const refusal = permissions ? missingScope(permissions, method, match.route) : null;
      if (refusal) {
        options.log?.(`403 ${refusal}`);
        throw new HttpError(403, "Resource not accessible by integration");
      }
      const values = match.regex.exec(url.pathname)!.slice(1).map(decodeURIComponent);
      const params = Object.fromEntries(match.names.map((n, i) => [n, values[i]]));
      if ((params.owner && params.owner !== world.owner) || (params.repo && params.repo !== world.repo)) throw notFound(`repository ${params.owner}/${params.repo}`);
      result = match.handler({ method, path: url.pathname, query: url.searchParams, body, actor: world.user(login) }, params);
      status = method === "POST" ? (result === undefined ? 204 : 201) : 200;
      if (result instanceof Answer) [status, result] = [result.status, result.body];
    } catch (err) {
      status = err instanceof HttpError ? err.status : 500;
      result = { message: (err as Error).message, documentation_url: "https://docs.github.com/rest" };
    }
    const call: RecordedCall = { method, path: url.pathname + url.search, route: routeName, status, actor: login ?? "(unauthenticated)", body };
    calls.push(call);
    world.afterCall?.(call);
    options.log?.(`${status} ${method} ${url.pathname}${url.search} (${login ?? "no token"})`);
    return { status, body: result === undefined ? "" : JSON.stringify(result) };
  };
  return { world, calls, answer };
}
