/**
 * A scenario's world for running the platform's workflows offline: the repository (a real bare git
 * repository holding this project with its rendered workflows), the stand-in GitHub API serving
 * it, and the sandbox clouds and Pulumi backend the workflows deploy into.
 *
 * `createWorld` lays out a fresh world from this checkout; `bootstrap` does what a person does once
 * by hand before the workflows can run (docs: "One-time bootstrap"): `pulumi stack init` of every
 * stack, committing the stack files' encryption salt, and the first `pulumi up` of each stack with
 * a person's credentials, which creates the identities the workflows then log in as.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parseStackConfig, type StackConfig } from "../../core/config";
import { readStackFile } from "../../core/stack-file";
import { renderWorkflows } from "../../workflows";
import { ADMIN_TOKEN_SECRET, environmentSecrets, PASSPHRASE_SECRET, PROMOTION_APP_KEY_SECRET } from "../../workflows/common";
import { GitHubWorld, startGitHubApi, type GitHubApiServer } from "../github-api/server";
import { ensureSandbox, sandboxEnv, sandboxPaths, type SandboxPaths } from "../../scripts/sandbox";

const execFileAsync = promisify(execFile);

/** The passphrase of the scenario stacks' secrets (nothing real is encrypted with it). */
export const WORLD_PASSPHRASE = "delivery-platform-workflow-runner";
/** The token the workflows' `GITHUB_TOKEN` is, and the identity it acts as in the stand-in API. */
export const JOB_TOKEN = "ghs_standin_job_token";
export const ACTIONS_BOT = "github-actions[bot]";
/** The promotion App's private key, and its bot. */
export const APP_PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY----- stand-in -----END RSA PRIVATE KEY-----";
export const APP_BOT = "delivery-promotion[bot]";
/** The fine-grained token with repository administration the deploy jobs hand to the Pulumi GitHub provider. */
export const ADMIN_TOKEN = "github_pat_standin_admin";

export interface World {
  readonly root: string;
  /** The bare repository: GitHub's git data, cloned by the stand-in checkout. */
  readonly remote: string;
  /** A clone the test commits through (never a job's workspace). */
  readonly clone: string;
  readonly api: GitHubApiServer;
  readonly github: GitHubWorld;
  readonly sandbox: SandboxPaths;
  /** Prod's stack configuration, which renders the workflows. */
  readonly cfg: StackConfig;
  readonly artifacts: string;
  /** The runner machine's disk: act's action cache, under which each job gets its workspace (`runnerDisk`). */
  readonly runnerDisk: string;
  git(args: string[], cwd?: string): string;
  /** git in the bare repository (what GitHub holds). */
  remoteGit(args: string[]): string;
  /** Writes files on `branch` (created from `from` if new), commits and pushes; returns the new SHA. */
  commit(branch: string, files: Record<string, string | null>, message: string, options?: { from?: string; author?: string }): string;
  /** `refs/pull/N/head` and `refs/pull/N/merge` for a pull request, as GitHub keeps them. */
  publishPullRequestRefs(number: number, head: string, base: string): { head: string; merge: string };
  sha(ref: string): string;
  /**
   * Runs this project's `delivery` command in the test's clone against this GitHub, as a person
   * (their token) or a job (JOB_TOKEN) would; resolves to its output, rejects with it on failure.
   * Asynchronous: the stand-in API answers from this process.
   */
  delivery(args: readonly string[], options?: { token?: string }): Promise<string>;
  /** Every call the jobs made to the fake `az` so far, in order (its log, sandbox/fake-az.ts). */
  azCalls(): Array<{ command: string; args: string[] }>;
  close(): Promise<void>;
}

/** The project directory this module belongs to (sources run from the tree, compiled ones from dist/). */
export function findProjectRoot(from: string): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "package.json"))) return dir;
  }
  throw new Error(`no project directory (with Pulumi.yaml) above ${from}`);
}

/** Every file of this checkout that git would commit (tracked or new, not ignored). */
function projectFiles(projectRoot: string): string[] {
  return execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: projectRoot, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "" && fs.existsSync(path.join(projectRoot, f)));
}

function gitIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GIT_AUTHOR_NAME: "alice", GIT_AUTHOR_EMAIL: "alice@example.com", GIT_COMMITTER_NAME: "alice", GIT_COMMITTER_EMAIL: "alice@example.com", ...env },
  }).trim();
}

export interface WorldOptions {
  /** This checkout (default: the project the runner belongs to). */
  readonly projectRoot?: string;
  /** Where worlds are laid out (default: a new temp directory). */
  readonly root?: string;
  readonly log?: (line: string) => void;
}

/** Free space the RAM disk must have for the runner's workspaces (two jobs' installs of the program are about 1 GiB). */
const RAM_DISK_MIN_FREE = 4 * 1024 ** 3;

/**
 * Where the runner keeps its job workspaces: a new directory in DELIVERY_RUNNER_DISK when set,
 * else on the RAM disk (/dev/shm) when it has room, else in the world. A hosted runner installs on a
 * local SSD; this machine's virtual disk creates files about 2.5 times slower, and a job's
 * `npm ci` writes 42,000 of them (25 s on disk, 11 s in RAM, measured on 2 cores). Only the
 * workspaces live there; the world (logs, state, artifacts) stays in `root`.
 */
export function runnerDisk(root: string, env: NodeJS.ProcessEnv = process.env, ramDisk = "/dev/shm"): string {
  const chosen = env.DELIVERY_RUNNER_DISK || (hasRoom(ramDisk) ? ramDisk : undefined);
  if (chosen === undefined) return path.join(root, "act-cache");
  fs.mkdirSync(chosen, { recursive: true });
  return fs.mkdtempSync(path.join(chosen, "delivery-runner-"));
}

function hasRoom(dir: string): boolean {
  try {
    const s = fs.statfsSync(dir);
    fs.accessSync(dir, fs.constants.W_OK);
    return s.bavail * s.bsize >= RAM_DISK_MIN_FREE;
  } catch {
    return false;
  }
}

/**
 * Lays out a new world: the project at one commit on `main`, `dev` and `test`, with the workflows
 * prod renders under .github/workflows, and the stand-in GitHub API serving it.
 */
export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const projectRoot = options.projectRoot ?? findProjectRoot(__dirname);
  const root = options.root ?? fs.mkdtempSync(path.join(os.tmpdir(), "delivery-world-"));
  const remote = path.join(root, "remote.git");
  const clone = path.join(root, "clone");
  const sandboxDir = path.join(root, "sandbox");
  const artifacts = path.join(root, "artifacts");
  fs.mkdirSync(artifacts, { recursive: true });
  const disk = runnerDisk(root);

  // The project as a new repository: the files, then the workflows the prod stack commits.
  fs.mkdirSync(clone, { recursive: true });
  for (const file of projectFiles(projectRoot)) {
    const to = path.join(clone, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(projectRoot, file), to);
  }
  const cfg = parseStackConfig(readStackFile(clone, "prod").config, "prod");
  for (const wf of renderWorkflows(cfg)) {
    fs.mkdirSync(path.dirname(path.join(clone, wf.path)), { recursive: true });
    fs.writeFileSync(path.join(clone, wf.path), wf.content);
  }
  gitIn(clone, ["init", "--quiet", "--initial-branch=main"]);
  gitIn(clone, ["add", "-A"]);
  gitIn(clone, ["commit", "--quiet", "-m", "The delivery platform"]);
  execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=main", remote]);
  gitIn(clone, ["remote", "add", "origin", remote]);
  gitIn(clone, ["push", "--quiet", "origin", "main", "main:dev", "main:test"]);

  const github = new GitHubWorld(cfg.owner, cfg.repositoryName, "main");
  github.tokens[JOB_TOKEN] = ACTIONS_BOT;
  github.tokens[APP_PRIVATE_KEY] = APP_BOT;
  github.tokens[ADMIN_TOKEN] = "platform-admin";
  const api = await startGitHubApi(github, remote, { log: options.log });
  // The CLI and the stand-in plugins are the project sandbox's (installed once); the clouds and the
  // backend are this world's own.
  const shared = sandboxPaths(projectRoot);
  const sandbox: SandboxPaths = { ...shared, dir: sandboxDir, backend: path.join(root, "state") };
  fs.mkdirSync(sandboxDir, { recursive: true });

  const world: World = {
    root,
    remote,
    clone,
    api,
    github,
    sandbox,
    cfg,
    artifacts,
    runnerDisk: disk,
    git: (args, cwd = clone) => gitIn(cwd, args),
    remoteGit: (args) => execFileSync("git", ["--git-dir", remote, ...args], { encoding: "utf8" }).trim(),
    sha: (ref) => execFileSync("git", ["--git-dir", remote, "rev-parse", `${ref}^{commit}`], { encoding: "utf8" }).trim(),
    delivery: async (args, opts = {}) => {
      const env = { ...process.env, GITHUB_API_URL: api.url, GITHUB_REPOSITORY: github.fullName, GITHUB_TOKEN: opts.token ?? JOB_TOKEN };
      try {
        return (await execFileAsync(process.execPath, [path.join(projectRoot, "bin", "delivery.js"), ...args], { cwd: clone, env, encoding: "utf8", timeout: 120_000 })).stdout;
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        throw new Error(`delivery ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
      }
    },
    azCalls: () => {
      const file = path.join(sandboxDir, "az", "calls.jsonl");
      if (!fs.existsSync(file)) return [];
      return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as { command: string; args: string[] });
    },
    commit(branch, files, message, opts = {}) {
      const env = opts.author ? { GIT_AUTHOR_NAME: opts.author, GIT_AUTHOR_EMAIL: `${opts.author}@example.com`, GIT_COMMITTER_NAME: opts.author, GIT_COMMITTER_EMAIL: `${opts.author}@example.com` } : {};
      gitIn(clone, ["fetch", "--quiet", "origin"]);
      const exists = spawnSync("git", ["--git-dir", remote, "rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).status === 0;
      gitIn(clone, ["checkout", "--quiet", "-B", branch, exists ? `origin/${branch}` : `origin/${opts.from ?? "main"}`]);
      for (const [file, content] of Object.entries(files)) {
        const full = path.join(clone, file);
        if (content === null) fs.rmSync(full, { force: true });
        else {
          fs.mkdirSync(path.dirname(full), { recursive: true });
          fs.writeFileSync(full, content);
        }
      }
      gitIn(clone, ["add", "-A"]);
      gitIn(clone, ["commit", "--quiet", "--allow-empty", "-m", message], env);
      gitIn(clone, ["push", "--quiet", "--force", "origin", `${branch}:${branch}`]);
      return gitIn(clone, ["rev-parse", "HEAD"]);
    },
    publishPullRequestRefs(number, head, base) {
      // GitHub's test merge commit of the head into the base.
      gitIn(clone, ["fetch", "--quiet", "origin"]);
      gitIn(clone, ["checkout", "--quiet", "--detach", base]);
      gitIn(clone, ["merge", "--quiet", "--no-ff", "--no-edit", "-m", `Merge ${head} into ${base}`, head], { GIT_AUTHOR_NAME: "GitHub", GIT_COMMITTER_NAME: "GitHub" });
      const merge = gitIn(clone, ["rev-parse", "HEAD"]);
      gitIn(clone, ["push", "--quiet", "--force", "origin", `${head}:refs/pull/${number}/head`, `${merge}:refs/pull/${number}/merge`]);
      return { head, merge };
    },
    close: async () => {
      await api.close();
      // Workspaces outside the world are the runner's scratch (a RAM disk is memory): gone with it.
      if (path.relative(root, disk).startsWith("..")) fs.rmSync(disk, { recursive: true, force: true });
    },
  };
  return world;
}

/** The environment of the runner machine: the sandbox's Pulumi, stand-in plugins, fake az first on PATH. */
export function runnerMachineEnv(world: World): NodeJS.ProcessEnv {
  const env = sandboxEnv(world.sandbox, process.env);
  // The workflows set these themselves (from variables and secrets); the machine must not.
  delete env.PULUMI_BACKEND_URL;
  delete env.PULUMI_CONFIG_PASSPHRASE;
  delete env.DELIVERY_AUDIT_DIR;
  // A job that pushes names GitHub's URL (checkout persists no credentials; the step passes its
  // token as a header): the runner's git reaches it at the world's bare repository.
  env.GIT_CONFIG_COUNT = "1";
  env.GIT_CONFIG_KEY_0 = `url.${world.remote}.insteadOf`;
  env.GIT_CONFIG_VALUE_0 = `https://github.com/${world.github.fullName}`;
  return env;
}

/**
 * The one-time bootstrap, by a person, before any workflow can deploy: `pulumi stack init` of each
 * stack (committing the encryption salt it writes), then `pulumi up` of each with the person's own
 * credentials. Runs in a scratch checkout of `main` that uses this project's installed dependencies.
 */
export async function bootstrap(world: World, stacks: readonly string[], options: { log?: (line: string) => void } = {}): Promise<void> {
  const say = options.log ?? (() => undefined);
  await ensureSandbox(world.sandbox, say);
  const work = path.join(world.root, "bootstrap");
  fs.rmSync(work, { recursive: true, force: true });
  gitIn(world.root, ["clone", "--quiet", world.remote, work]);
  // The person's machine has run `npm ci` already: reuse this project's installation.
  const project = world.sandbox.root;
  fs.symlinkSync(path.join(project, "node_modules"), path.join(work, "node_modules"));
  fs.cpSync(path.join(project, "dist"), path.join(work, "dist"), { recursive: true });
  const env = { ...sandboxEnv(world.sandbox), PULUMI_CONFIG_PASSPHRASE: WORLD_PASSPHRASE, GITHUB_TOKEN: ADMIN_TOKEN, DELIVERY_AUDIT_DIR: path.join(world.root, "bootstrap-audit") };
  const pulumi = path.join(world.sandbox.cliBin, "pulumi");
  for (const stack of stacks) {
    const init = spawnSync(pulumi, ["stack", "init", stack], { cwd: work, env, encoding: "utf8" });
    if (init.status !== 0) throw new Error(`bootstrap: pulumi stack init ${stack} failed:\n${init.stderr}${init.stdout}`);
  }
  gitIn(work, ["add", ...stacks.map((s) => `Pulumi.${s}.yaml`)]);
  gitIn(work, ["commit", "--quiet", "-m", "Stacks: encryption salts"]);
  gitIn(work, ["push", "--quiet", "origin", "main", "main:dev", "main:test", "--force"]);
  for (const stack of stacks) {
    const started = Date.now();
    const up = spawnSync(pulumi, ["up", "--stack", stack, "--yes", "--non-interactive", "--skip-preview"], { cwd: work, env, encoding: "utf8" });
    if (up.status !== 0) throw new Error(`bootstrap: pulumi up --stack ${stack} failed:\n${up.stdout}\n${up.stderr}`);
    say(`bootstrap: pulumi up --stack ${stack} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
}

/** The prefix act.patch reads a deployment environment's secrets and variables under: `environments/<name>/<KEY>`. */
export function inEnvironment(environment: string, key: string): string {
  return `environments/${environment}/${key}`;
}

/**
 * The Actions variables as the platform created them in the stand-in GitHub: the repository's by
 * name, each deployment environment's under `inEnvironment` (the patched act gives a job its own
 * environment's over the repository's, as GitHub does). Every state backend URL is the world's.
 */
export function actionsVariables(world: World): Record<string, string> {
  const resources = githubResources(world);
  if (resources.length === 0) return {};
  const backend = `file://${world.sandbox.backend}`;
  const vars: Record<string, string> = { PULUMI_BACKEND_URL: backend };
  for (const r of resources) if (r.type === "github:index/actionsVariable:ActionsVariable") vars[r.inputs.variableName] = r.inputs.value;
  for (const r of resources) {
    if (r.type !== "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable") continue;
    vars[inEnvironment(r.inputs.environment, r.inputs.variableName)] = r.inputs.variableName === "PULUMI_BACKEND_URL" ? backend : r.inputs.value;
  }
  return vars;
}

interface GitHubResource {
  readonly type: string;
  readonly inputs: Record<string, string> & { deploymentBranchPolicy?: { protectedBranches?: boolean; customBranchPolicies?: boolean } };
}

/** What the platform created in the stand-in GitHub (the stand-in provider plugin's store). */
function githubResources(world: World): GitHubResource[] {
  const file = path.join(world.sandbox.dir, "cloud", "github.json");
  if (!fs.existsSync(file)) return [];
  return Object.values((JSON.parse(fs.readFileSync(file, "utf8")) as { resources: Record<string, GitHubResource> }).resources);
}

/**
 * The deployment-branch patterns of each environment that restricts its branches, as the platform
 * created them in the stand-in GitHub; the patched act refuses a job whose environment admits
 * none of them for the run's ref (an environment not listed admits every ref, as on GitHub).
 */
export function environmentBranchPolicies(world: World): Record<string, string[]> {
  const resources = githubResources(world);
  const policies: Record<string, string[]> = {};
  for (const r of resources) {
    if (r.type !== "github:index/repositoryEnvironment:RepositoryEnvironment" || !r.inputs.deploymentBranchPolicy) continue;
    if (r.inputs.deploymentBranchPolicy.protectedBranches) throw new Error(`environment ${r.inputs.environment}: the runner models custom branch policies only, not "protected branches"`);
    if (r.inputs.deploymentBranchPolicy.customBranchPolicies) policies[r.inputs.environment] ??= [];
  }
  for (const r of resources) {
    if (r.type === "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy" && r.inputs.branchPattern !== undefined) {
      (policies[r.inputs.environment] ??= []).push(r.inputs.branchPattern);
    }
  }
  return policies;
}

/** The world's value of each secret the workflows read (every stack shares the world's passphrase). */
const SECRET_VALUES: Record<string, string> = {
  [PASSPHRASE_SECRET]: WORLD_PASSPHRASE,
  [ADMIN_TOKEN_SECRET]: ADMIN_TOKEN,
  [PROMOTION_APP_KEY_SECRET]: APP_PRIVATE_KEY,
};

/**
 * The secrets of every GitHub environment (workflows/common.ts `environmentSecrets`) with the world's
 * values, each under `inEnvironment`; there are no repository secrets. The patched act hands a job
 * only its own environment's, as GitHub does. Optional secrets without a world value (the read
 * token) are left unset, so those jobs fall back to their own token as they would on GitHub.
 */
export function workflowSecrets(world: World): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [environment, specs] of Object.entries(environmentSecrets(world.cfg))) {
    for (const spec of specs) if (SECRET_VALUES[spec.name] !== undefined) secrets[inEnvironment(environment, spec.name)] = SECRET_VALUES[spec.name];
  }
  return secrets;
}
