/**
 * The checkout stand-in refuses what actions/checkout v7 refuses: a fork pull request's code in a
 * `pull_request_target` run (which holds the base repository's token and secrets), unless the step
 * opts in with `allow-unsafe-pr-checkout`; the same repository's pull request is checked out.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ACTIONS = path.join(__dirname, "..", "..", "sandbox", "actions");
let dir: string;
let remote: string;
let head: string;

const git = (args: string[], cwd: string) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "checkout-standin-"));
  const work = path.join(dir, "work");
  fs.mkdirSync(work);
  git(["init", "--quiet", "--initial-branch=main"], work);
  fs.writeFileSync(path.join(work, "README.md"), "base\n");
  git(["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "--allow-empty", "-m", "base"], work);
  git(["add", "."], work);
  git(["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "pr head"], work);
  head = git(["rev-parse", "HEAD"], work);
  remote = path.join(dir, "remote.git");
  git(["clone", "--quiet", "--bare", work, remote], dir);
  git(["update-ref", "refs/pull/7/head", head], remote);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function checkout(headRepo: { id: number; full_name: string }, inputs: Record<string, string>): { status: number | null; out: string } {
  const workspace = fs.mkdtempSync(path.join(dir, "ws-"));
  const event = path.join(dir, `event-${headRepo.id}.json`);
  fs.writeFileSync(event, JSON.stringify({ repository: { id: 1, full_name: "contoso/payments-service" }, pull_request: { number: 7, head: { sha: head, repo: headRepo }, merge_commit_sha: null } }));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DELIVERY_RUNNER_STANDINS: ACTIONS,
    DELIVERY_RUNNER_GIT_REMOTE: remote,
    GITHUB_JOB: "deploy",
    GITHUB_REPOSITORY: "contoso/payments-service",
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_NAME: "pull_request_target",
    GITHUB_EVENT_PATH: event,
    GITHUB_REF: "refs/heads/main",
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  const r = spawnSync(process.execPath, [path.join(ACTIONS, "checkout", "index.js")], { env, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

it("refuses a fork pull request's head in pull_request_target, by SHA or by its pull ref", () => {
  const fork = { id: 99, full_name: "mallory/payments-service" };
  for (const ref of [head, "refs/pull/7/head"]) {
    const r = checkout(fork, { ref, path: "target", "persist-credentials": "false" });
    expect(r.status).toBe(1);
    expect(r.out).toContain("::error::Refusing to check out fork pull request code from a 'pull_request_target' workflow.");
  }
});

it("checks out the same repository's pull request, and a fork's when the step opts in", () => {
  const same = checkout({ id: 1, full_name: "contoso/payments-service" }, { ref: head, path: "target", "persist-credentials": "false" });
  expect([same.status, same.out]).toEqual([0, expect.stringContaining(`Checked out ${head} at ${head}`)]);
  const optedIn = checkout({ id: 99, full_name: "mallory/payments-service" }, { ref: head, path: "target", "persist-credentials": "false", "allow-unsafe-pr-checkout": "true" });
  expect(optedIn.status).toBe(0);
});
