"use strict";
/**
 * Shared by the stand-in actions (sandbox/actions/*): inputs, outputs and failure in the way the
 * Actions runner hands them to a JavaScript action, GitHub's OIDC subject for the running job, and
 * read access to the sandbox clouds.
 *
 * The OIDC subject is computed here the way GitHub's token service computes it, independently of
 * the platform's own spelling in core/oidc.ts: a stand-in that reused the platform's rule could not
 * catch a subject that no identity trusts.
 */
const fs = require("node:fs");
const path = require("node:path");

/** `with:` input NAME, as the runner passes it (INPUT_<NAME upper-cased, spaces to _>). */
function input(name, options = {}) {
  const value = (process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
  if (options.required && value === "") fail(`Input required and not supplied: ${name}`);
  return value;
}

function appendFile(variable, text) {
  const file = process.env[variable];
  if (!file) fail(`${variable} is not set: this stand-in must run inside an Actions runner`);
  fs.appendFileSync(file, text);
}

function setOutput(name, value) {
  appendFile("GITHUB_OUTPUT", `${name}<<__STANDIN__\n${value}\n__STANDIN__\n`);
}

function exportVariable(name, value) {
  appendFile("GITHUB_ENV", `${name}<<__STANDIN__\n${value}\n__STANDIN__\n`);
  process.env[name] = value;
}

function setSecret(value) {
  if (value) process.stdout.write(`::add-mask::${value}\n`);
}

function fail(message) {
  process.stdout.write(`::error::${message.replace(/\r?\n/g, "%0A")}\n`);
  process.exit(1);
}

function info(message) {
  process.stdout.write(`${message}\n`);
}

/** The running workflow's job as written in its file (the runner knows it; act is told the file by the harness). */
function currentJob() {
  const file = process.env.DELIVERY_RUNNER_WORKFLOW_FILE;
  if (!file) fail("DELIVERY_RUNNER_WORKFLOW_FILE is not set: run workflows through the project's runner (sandbox/workflow-runner)");
  const YAML = require("yaml");
  const workflow = YAML.parse(fs.readFileSync(file, "utf8"));
  const id = process.env.GITHUB_JOB;
  const job = workflow.jobs?.[id];
  if (!job) fail(`job ${id} is not in ${file}`);
  return { workflow, job, id };
}

/** The job's effective permission for a scope: the job's `permissions`, else the workflow's. */
function permission(scope) {
  const { workflow, job } = currentJob();
  const permissions = job.permissions ?? workflow.permissions;
  if (permissions === undefined) return "write"; // the repository default, which workflows here never rely on
  if (permissions === "write-all") return "write";
  if (permissions === "read-all") return "read";
  return permissions?.[scope] ?? "none";
}

/**
 * The name of the running job's environment, as GitHub evaluates `environment:` before it starts
 * the job. Besides a literal name, the one expression the workflows use is evaluated:
 * `${{ needs.JOB.outputs.KEY }}` where JOB's output KEY is `${{ steps.STEP.outputs.NAME }}`, read
 * from the step outputs the harness records as act reports them (DELIVERY_RUNNER_STEP_OUTPUTS).
 * Anything else fails loudly rather than being taken for "no environment".
 */
function jobEnvironment() {
  const { workflow, job } = currentJob();
  const raw = typeof job.environment === "object" && job.environment !== null ? job.environment.name : job.environment;
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  if (!text.includes("${{")) return text;
  const needs = /^\$\{\{\s*needs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$/.exec(text);
  if (!needs) fail(`the stand-in evaluates a job's environment only as \${{ needs.JOB.outputs.KEY }}, not ${text}`);
  const [, needed, key] = needs;
  const output = String(workflow.jobs?.[needed]?.outputs?.[key] ?? "");
  const step = /^\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$/.exec(output);
  if (!step) fail(`the stand-in evaluates job ${needed}'s output ${key} only as \${{ steps.STEP.outputs.NAME }}, not "${output}"`);
  const file = process.env.DELIVERY_RUNNER_STEP_OUTPUTS;
  if (!file) fail("DELIVERY_RUNNER_STEP_OUTPUTS is not set: run workflows through the project's runner (sandbox/workflow-runner)");
  const value = JSON.parse(fs.readFileSync(file, "utf8"))[needed]?.[step[1]]?.[step[2]];
  if (!value) fail(`the job's environment ${text} is empty: step ${step[1]} of job ${needed} set no output ${step[2]}`);
  return value;
}

/**
 * `sub` of the OIDC token GitHub would issue to this job (docs: "Example subject claims"):
 * `repo:OWNER/REPO:environment:NAME` for a job with an environment, `repo:OWNER/REPO:pull_request`
 * for pull_request events, otherwise `repo:OWNER/REPO:ref:<GITHUB_REF>`.
 */
function oidcSubject() {
  if (permission("id-token") !== "write") {
    fail("Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable: the job has no `id-token: write` permission, so GitHub issues it no OIDC token.");
  }
  const repository = process.env.GITHUB_REPOSITORY;
  const environment = jobEnvironment();
  if (environment !== undefined) return `repo:${repository}:environment:${environment}`;
  if (process.env.GITHUB_EVENT_NAME === "pull_request") return `repo:${repository}:pull_request`;
  return `repo:${repository}:ref:${process.env.GITHUB_REF}`;
}

/** What a stand-in cloud holds (.sandbox/cloud/<provider>.json, written by the stand-in provider plugins). */
function cloud(provider) {
  const dir = process.env.DELIVERY_SANDBOX_DIR;
  if (!dir) fail("DELIVERY_SANDBOX_DIR is not set: the stand-in clouds live there");
  const file = path.join(dir, "cloud", `${provider}.json`);
  if (!fs.existsSync(file)) return [];
  return Object.entries(JSON.parse(fs.readFileSync(file, "utf8")).resources ?? {}).map(([id, r]) => ({ id, ...r }));
}

/**
 * GitHub refuses to start a job whose `environment:` has deployment-branch policies none of which
 * matches the run's ref ("Branch X is not allowed to deploy to ENV due to environment protection
 * rules"). act knows no environments, so the stand-in checkout, every job's first step, applies the
 * policies the platform created in the stand-in GitHub.
 */
function enforceEnvironmentBranchPolicy() {
  const environment = jobEnvironment();
  if (environment === undefined) return;
  const policies = cloud("github").filter((r) => r.type === "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy" && r.inputs.environment === environment);
  const environments = cloud("github").filter((r) => r.type === "github:index/repositoryEnvironment:RepositoryEnvironment" && r.inputs.environment === environment);
  const custom = environments.some((e) => e.inputs.deploymentBranchPolicy?.customBranchPolicies === true);
  if (policies.length === 0 && !custom) return;
  const ref = process.env.GITHUB_REF ?? "";
  const branch = ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : null;
  const glob = (pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*/g, "\u0000").replace(/\*/g, "[^/]*").replace(/\u0000/g, ".*")}$`);
  const allowed = branch !== null && policies.some((p) => p.inputs.branchPattern !== undefined && glob(p.inputs.branchPattern).test(branch));
  if (!allowed) fail(`Branch "${branch ?? ref}" is not allowed to deploy to ${environment} due to environment protection rules.`);
}

module.exports = { enforceEnvironmentBranchPolicy, jobEnvironment, input, setOutput, exportVariable, setSecret, fail, info, oidcSubject, permission, currentJob, cloud };
