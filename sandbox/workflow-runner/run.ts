/**
 * Runs one of the platform's rendered workflow files, unmodified, on a real Actions runner
 * (nektos/act, built from Go modules by scripts/install-go-tool.sh) on this machine, with no Docker
 * (`-P ubuntu-latest=-self-hosted`): every pinned third-party action is mapped with act's
 * `--local-repository` to its stand-in under sandbox/actions, `GITHUB_API_URL` points at the
 * stand-in GitHub API, and the runner machine's environment carries the sandbox's Pulumi CLI,
 * stand-in provider plugins and fake `az`.
 *
 * act runs each event as GitHub would decide it (the workflow's `on:` filters, `if:` conditions,
 * `needs`, matrices, outputs, `GITHUB_OUTPUT`/`GITHUB_ENV`/step summaries), and, built with
 * act.patch, applies deployment environments: a job whose environment's branch policies do not
 * admit the run's ref fails without running, and a job sees the secrets and variables of its own
 * environment only. What act does not model, the harness supplies the way GitHub would: the ref and
 * SHA of the event, and (through the stand-in login actions) the OIDC subject of the job.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ACTIONS } from "../../workflows/actions";
import { environmentBranchPolicies, JOB_TOKEN, runnerMachineEnv, type World } from "./world";

/** Stand-in action directory per pinned action (sandbox/actions/<dir>). */
const STAND_INS: Record<keyof typeof ACTIONS, string> = {
  checkout: "checkout",
  setupNode: "setup-node",
  azureLogin: "azure-login",
  awsCredentials: "configure-aws-credentials",
  uploadArtifact: "upload-artifact",
  downloadArtifact: "download-artifact",
  createGithubAppToken: "create-github-app-token",
};

export const ACT_MODULE = "github.com/nektos/act@v0.2.89";

/**
 * The act binary, built once (cached by version and patch) with act.patch: deployment environments
 * as GitHub applies them (branch policies refuse a job, a job sees only its own environment's
 * secrets and variables, `environment.deployment` is accepted), so the workflow files run as committed.
 */
export function actBinary(projectRoot: string): string {
  const patch = path.join(projectRoot, "sandbox", "workflow-runner", "act.patch");
  const r = spawnSync("bash", [path.join(projectRoot, "scripts", "install-go-tool.sh"), "act", ACT_MODULE, patch], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`building act failed (scripts/install-go-tool.sh exited ${r.status})`);
  return r.stdout.trim();
}

export interface JobResult {
  readonly job: string;
  readonly jobId: string;
  readonly result: string;
}

export interface RunResult {
  readonly code: number;
  /** act's whole log, one line per entry, as `[job] message`. */
  readonly log: string;
  readonly jobs: JobResult[];
  readonly seconds: number;
  /** The jobs' step summaries, concatenated. */
  readonly summary: string;
  /** The run's GITHUB_RUN_ID, which the jobs saw (and wrote into, e.g., the record of who holds a stack's lock). */
  readonly runId: number;
  /** `result` of every job whose id or name starts with `prefix` (matrix jobs share one id). */
  results(prefix: string): string[];
}

export interface RunOptions {
  /** Workflow file name under .github/workflows of the branch it runs from (default: main). */
  readonly workflow: string;
  readonly eventName: string;
  readonly event: Record<string, unknown>;
  /** The ref the run is for and its SHA (GitHub: per event; e.g. refs/pull/N/merge for pull_request). */
  readonly ref: string;
  readonly sha: string;
  /** Which ref's copy of the workflow file runs (GitHub: the default branch for issue_comment and workflow_run, the event's ref otherwise). */
  readonly workflowFrom: string;
  readonly actor: string;
  /** The repository's variables by name, each environment's as `environments/<env>/<NAME>` (world.ts `actionsVariables`). */
  readonly vars?: Record<string, string>;
  /** Secrets, scoped as the variables are (world.ts `workflowSecrets`). */
  readonly secrets?: Record<string, string>;
  /** Only this job (and what it needs). */
  readonly job?: string;
  /** Only these matrix combinations (act's --matrix KEY:VALUE), e.g. { stack: "prod" }. */
  readonly matrix?: Record<string, string>;
  /** Extra environment of the runner machine (e.g. knobs of the fake az). */
  readonly machineEnv?: Record<string, string>;
  readonly timeoutSeconds?: number;
}

let runCounter = 0;

export async function runWorkflow(world: World, options: RunOptions): Promise<RunResult> {
  const projectRoot = world.sandbox.root;
  const act = actBinary(projectRoot);
  const run = ++runCounter;
  const runId = 1000 + run;
  const runDir = path.join(world.root, "runs", `${run}-${path.basename(options.workflow, ".yml")}-${options.eventName}`);
  const workspace = path.join(runDir, "workspace");
  fs.mkdirSync(workspace, { recursive: true });
  // The workflow file exactly as committed on the branch GitHub would read it from.
  const workflowFile = path.join(runDir, options.workflow);
  fs.writeFileSync(workflowFile, execFileSync("git", ["--git-dir", world.remote, "show", `${options.workflowFrom}:.github/workflows/${options.workflow}`], { encoding: "utf8" }));
  const eventFile = path.join(runDir, "event.json");
  fs.writeFileSync(eventFile, JSON.stringify(options.event, null, 2));
  // The environments' deployment-branch policies as the platform set them in GitHub (act.patch reads them).
  const branchPoliciesFile = path.join(runDir, "environment-branch-policies.json");
  fs.writeFileSync(branchPoliciesFile, JSON.stringify(environmentBranchPolicies(world), null, 2));
  const summaries = path.join(runDir, "summaries");
  fs.mkdirSync(summaries, { recursive: true });

  const args = [
    options.eventName,
    "-W",
    workflowFile,
    "-e",
    eventFile,
    "-C",
    workspace,
    "-P",
    "ubuntu-latest=-self-hosted",
    "--no-skip-checkout",
    // Jobs of one run share the host workspace, so they run one at a time (each checkout cleans it).
    "--concurrent-jobs",
    "1",
    "--no-cache-server",
    "--action-offline-mode",
    "--json",
    "--actor",
    options.actor,
    "--action-cache-path",
    world.runnerDisk,
    "--secret-file",
    path.join(runDir, "no-secrets"),
    "--var-file",
    path.join(runDir, "no-vars"),
    "--env-file",
    path.join(runDir, "no-env"),
    "--env",
    `GITHUB_API_URL=${world.api.url}`,
    "--env",
    `GITHUB_REPOSITORY=${world.github.fullName}`,
    "--env",
    `GITHUB_REF=${options.ref}`,
    "--env",
    `SHA_REF=${options.sha}`,
    "--env",
    `GITHUB_RUN_ID=${runId}`,
    "--defaultbranch",
    world.github.defaultBranch,
    "-s",
    `GITHUB_TOKEN=${JOB_TOKEN}`,
  ];
  for (const [key, a] of Object.entries(ACTIONS)) {
    args.push("--local-repository", `${a.name}@${a.sha}=${path.join(projectRoot, "sandbox", "actions", STAND_INS[key as keyof typeof ACTIONS])}`);
  }
  for (const [k, v] of Object.entries(options.secrets ?? {})) args.push("-s", `${k}=${v}`);
  for (const [k, v] of Object.entries(options.vars ?? {})) args.push("--var", `${k}=${v}`);
  if (options.job) args.push("-j", options.job);
  for (const [k, v] of Object.entries(options.matrix ?? {})) args.push("--matrix", `${k}:${v}`);

  const env: NodeJS.ProcessEnv = {
    ...runnerMachineEnv(world),
    ...options.machineEnv,
    // act copies each action into its cache; their shared code is loaded from here.
    DELIVERY_RUNNER_STANDINS: path.join(projectRoot, "sandbox", "actions"),
    DELIVERY_RUNNER_GIT_REMOTE: world.remote,
    DELIVERY_RUNNER_ARTIFACTS_DIR: path.join(world.artifacts, String(run)),
    ACT_ENVIRONMENT_BRANCH_POLICIES: branchPoliciesFile,
    // Each job's token carries its `permissions:`, which the stand-in GitHub enforces (act.patch).
    ACT_SCOPED_JOB_TOKENS: "1",
    // act's own home (its config and caches), never the user's.
    XDG_CACHE_HOME: path.join(world.root, "xdg-cache"),
    XDG_CONFIG_HOME: path.join(world.root, "xdg-config"),
  };
  const started = Date.now();
  const lines: string[] = [];
  const jobs: JobResult[] = [];
  let summary = "";
  // Written as it runs, so a run can be watched: tail -f <world>/runs/<n>-<workflow>-<event>/act.log
  // (each line prefixed with the seconds since the run started, to see where a run spends its time).
  const logFile = fs.openSync(path.join(runDir, "act.log"), "w");
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(act, args, { cwd: runDir, env, stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), (options.timeoutSeconds ?? 900) * 1000);
    let pending = "";
    const onData = (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const raw = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let line = raw;
        try {
          const entry = JSON.parse(raw) as { msg?: string; job?: string; jobID?: string; jobResult?: string };
          line = `[${entry.job ?? "act"}] ${(entry.msg ?? "").replace(/\n$/, "")}`;
          // act names a job "<workflow name>/<job name>".
          if (entry.jobResult && entry.job) jobs.push({ job: entry.job.slice(entry.job.indexOf("/") + 1).trim(), jobId: entry.jobID ?? "", result: entry.jobResult });
        } catch {
          // not JSON (act's own start-up output)
        }
        lines.push(line);
        fs.writeSync(logFile, `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} ${line}\n`);
        // DELIVERY_RUNNER_VERBOSE=1: every line on stdout as well, to follow a scenario from its test output.
        if (process.env.DELIVERY_RUNNER_VERBOSE) process.stdout.write(`${line}\n`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("exit", (c, signal) => {
      clearTimeout(timer);
      if (pending) lines.push(pending);
      resolve(c ?? (signal ? 128 : 1));
    });
  });
  const summaryFiles = fs.existsSync(world.runnerDisk) ? findFiles(world.runnerDisk, "step_summary") : [];
  for (const f of summaryFiles) summary += fs.readFileSync(f, "utf8");
  fs.closeSync(logFile);
  return {
    code,
    log: lines.join("\n"),
    jobs,
    seconds: (Date.now() - started) / 1000,
    summary,
    runId,
    results: (prefix) => jobs.filter((j) => j.jobId.startsWith(prefix) || j.job.startsWith(prefix)).map((j) => j.result),
  };
}

function findFiles(dir: string, marker: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.includes(marker)) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}
