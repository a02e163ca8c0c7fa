"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { input, fail, info } = require(`${process.env.DELIVERY_RUNNER_STANDINS}/lib/standin.js`);

const remote = process.env.DELIVERY_RUNNER_GIT_REMOTE;
if (!remote) fail("DELIVERY_RUNNER_GIT_REMOTE is not set: the stand-in checkout clones from the sandbox's git remote");
const repository = input("repository") || process.env.GITHUB_REPOSITORY;
if (repository !== process.env.GITHUB_REPOSITORY) fail(`the stand-in serves only ${process.env.GITHUB_REPOSITORY}, not ${repository}`);
const workspace = process.env.GITHUB_WORKSPACE;
const relative = input("path");
const target = path.resolve(workspace, relative || ".");
if (!target.startsWith(workspace)) fail(`Repository path '${target}' is not under '${workspace}'`);
const persist = input("persist-credentials") !== "false";

const git = (args, cwd = target) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

// Like the real action: the workspace is emptied before the repository is laid out there (the
// runner gives each job a fresh workspace; on a reused runner the action cleans it).
fs.mkdirSync(target, { recursive: true });
for (const entry of fs.readdirSync(target)) fs.rmSync(path.join(target, entry), { recursive: true, force: true });

let ref = input("ref");
let sha = "";
if (!ref) {
  ref = process.env.GITHUB_REF;
  sha = process.env.GITHUB_SHA;
}
git(["init", "--quiet", "--initial-branch=main"]);
git(["remote", "add", "origin", remote]);
git(["fetch", "--quiet", "--no-tags", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/pull/*:refs/remotes/pull/*", "+refs/tags/*:refs/tags/*"]);
let commit;
const tryRev = (rev) => {
  try {
    return git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
  } catch {
    return "";
  }
};
if (sha) commit = tryRev(sha);
else if (/^[0-9a-f]{40}$/.test(ref)) commit = tryRev(ref);
else if (ref.startsWith("refs/heads/")) commit = tryRev(`refs/remotes/origin/${ref.slice("refs/heads/".length)}`);
else if (ref.startsWith("refs/pull/")) commit = tryRev(`refs/remotes/pull/${ref.slice("refs/pull/".length)}`);
else if (ref.startsWith("refs/tags/")) commit = tryRev(ref);
else commit = tryRev(`refs/remotes/origin/${ref}`) || tryRev(`refs/tags/${ref}`);
if (!commit) fail(`A branch or tag with the name '${ref}' could not be found`);
// actions/checkout v7 (src/unsafe-pr-checkout-helper.ts): a `pull_request_target` or `workflow_run`
// (of a pull request) run refuses a fork pull request's code unless `allow-unsafe-pr-checkout`.
refuseForkPrCheckout(ref, commit);
const branch = ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : /^[0-9a-f]{40}$/.test(ref) || ref.startsWith("refs/") ? "" : ref;
if (branch) git(["checkout", "--quiet", "-B", branch, commit]);
else git(["checkout", "--quiet", "--detach", commit]);
if (!persist) git(["remote", "set-url", "--push", "origin", "https://github.com/credentials-not-persisted.invalid/"]);
git(["config", "--local", "user.name", "stand-in runner"]);
info(`Checked out ${ref} at ${commit} into ${target}${persist ? " (push credentials kept)" : ""}`);

function refuseForkPrCheckout(ref, commit) {
  if (input("allow-unsafe-pr-checkout").toLowerCase() === "true") return;
  const eventName = process.env.GITHUB_EVENT_NAME;
  if (eventName !== "pull_request_target" && eventName !== "workflow_run") return;
  const payload = JSON.parse(fs.readFileSync(process.env.GITHUB_EVENT_PATH, "utf8"));
  const baseRepoId = payload.repository?.id;
  if (typeof baseRepoId !== "number") return;
  let headRepo;
  const shas = [];
  if (eventName === "pull_request_target") {
    headRepo = payload.pull_request?.head?.repo;
    shas.push(payload.pull_request?.head?.sha, payload.pull_request?.merge_commit_sha);
  } else {
    const wrEvent = payload.workflow_run?.event;
    if (typeof wrEvent !== "string" || !wrEvent.startsWith("pull_request")) return;
    headRepo = payload.workflow_run?.head_repository;
    shas.push(payload.workflow_run?.head_commit?.id);
    if (wrEvent !== "pull_request_target") shas.push(payload.workflow_run?.head_sha);
  }
  if (typeof headRepo?.id !== "number" || headRepo.id === baseRepoId) return;
  const known = shas.filter((v) => typeof v === "string" && v).map((v) => v.toLowerCase());
  const repositoryIsHead = typeof headRepo.full_name === "string" && repository.toLowerCase() === headRepo.full_name.toLowerCase();
  if (!repositoryIsHead && !/^refs\/pull\/[0-9]+\/(?:head|merge)$/.test(ref) && !known.includes(commit.toLowerCase())) return;
  fail(`Refusing to check out fork pull request code from a '${eventName}' workflow. This workflow runs with the base repository's GITHUB_TOKEN, secrets, default-branch cache scope, and runner access. Fetching and executing a fork's code in that trusted context commonly leads to "pwn request" vulnerabilities. To opt in, review the risks at https://gh.io/securely-using-pull_request_target and set 'allow-unsafe-pr-checkout: true' on the actions/checkout step.`);
}
