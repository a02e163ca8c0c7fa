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

/**
 * The job's effective permission for a scope, as the patched runner computed it when the job started
 * (the job's `permissions:`, else the workflow's) and hands it to every action as
 * ACT_JOB_PERMISSIONS: the same value its token carries to the stand-in GitHub API.
 */
function permission(scope) {
  const text = process.env.ACT_JOB_PERMISSIONS;
  if (text === undefined) fail("ACT_JOB_PERMISSIONS is not set: run workflows through the project's patched runner (sandbox/workflow-runner)");
  const permissions = JSON.parse(text);
  return permissions[scope] ?? permissions["*"] ?? "none";
}

/**
 * The name of the running job's environment as GitHub evaluated it when the job started, or
 * undefined for a job without one. The patched runner (sandbox/workflow-runner/act.patch) sets
 * ACT_DEPLOYMENT_ENVIRONMENT for every action after the step's own `env:`, so a workflow cannot
 * change it, as it cannot change what GitHub's token service knows of the job.
 */
function jobEnvironment() {
  const name = process.env.ACT_DEPLOYMENT_ENVIRONMENT;
  if (name === undefined) fail("ACT_DEPLOYMENT_ENVIRONMENT is not set: run workflows through the project's patched runner (sandbox/workflow-runner)");
  return name === "" ? undefined : name;
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

module.exports = { jobEnvironment, input, setOutput, exportVariable, setSecret, fail, info, oidcSubject, permission, cloud };
