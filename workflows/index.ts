/**
 * The Actions workflows as typed data, rendered to YAML. The stack that manages the repository
 * commits the rendered files with `github.RepositoryFile` (see `renderWorkflows`), and
 * `delivery render-workflows` writes the same files to a directory.
 */
import { Document, isPair, isScalar, visit } from "yaml";
import type { StackConfig } from "../core/config";
import { DOCS_GENERATE_LABEL, approvalLabel, deployLabel, type LabelSpec } from "../core/labels";
import { DOCS_ENVIRONMENT } from "../core/oidc";
import { ACTIONS, usesRef, type PinnedAction } from "./actions";
import { DOCS_VARIABLES, ENVIRONMENT_VARIABLES, REPOSITORY_VARIABLES, environmentSecrets, previewClientIdVariable } from "./common";
import { deployWorkflow } from "./deploy";
import { DOCS_CHECK_NAME, docsGenerateWorkflow, docsWorkflow } from "./docs";
import { driftWorkflow } from "./drift";
import { isUsesStep, type Job, type Step, type Workflow } from "./model";
import { previewCheckNames, previewWorkflow } from "./preview";
import { promoteWorkflow } from "./promote";

export { ACTIONS } from "./actions";
export { DEPLOY_WORKFLOW_FILE, DEPLOY_WORKFLOW_NAME, deployJobName } from "./deploy";
export { PROMOTE_WORKFLOW_FILE, promotionStatusPrefixes } from "./promote";
export { DOCS_CHECK_NAME } from "./docs";
export { previewCheckName, previewCheckNames } from "./preview";
export { AWS_PREVIEW_ROLE_VARIABLE, environmentSecrets, previewClientIdVariable, PROMOTION_ENVIRONMENT, type SecretSpec } from "./common";
export type { Workflow } from "./model";

/** Where workflow files live in the repository. */
export const WORKFLOWS_DIR = ".github/workflows";

/** Every workflow, as data. */
export function workflows(cfg: StackConfig): Workflow[] {
  return [previewWorkflow(cfg), deployWorkflow(cfg), docsWorkflow(cfg), docsGenerateWorkflow(cfg), promoteWorkflow(cfg), driftWorkflow(cfg)];
}

/**
 * The files the stack that manages the repository commits: repository-relative path and YAML
 * text. Pure; same input, same bytes.
 */
export function renderWorkflows(cfg: StackConfig): { path: string; content: string }[] {
  return workflows(cfg).map((w) => ({ path: `${WORKFLOWS_DIR}/${w.file}`, content: renderWorkflow(w) }));
}

/** Whether this stack commits the workflows (the one with `manageRepository: true`). */
export function commitsWorkflows(cfg: Pick<StackConfig, "manageRepository">): boolean {
  return cfg.manageRepository;
}

/** Status checks branch protection should require: each stack's preview and the docs check. */
export function requiredCheckNames(cfg: Pick<StackConfig, "environments">): string[] {
  return [...previewCheckNames(cfg), DOCS_CHECK_NAME];
}

/** Labels the workflows react to (the components create them). */
export function workflowLabels(cfg: Pick<StackConfig, "environments" | "github">): LabelSpec[] {
  return [...cfg.environments.map((e) => deployLabel(e.name)), approvalLabel(cfg.github.approvalLabel), DOCS_GENERATE_LABEL];
}

/** Every variable and secret the workflows read, and where GitHub must hold it. */
export function workflowInputs(cfg: Pick<StackConfig, "environments" | "environment" | "manageRepository">) {
  return {
    /** Per GitHub environment (each of `environments`). */
    environmentVariables: [...ENVIRONMENT_VARIABLES],
    /** In the `docs` environment, and in the environment of the stack that manages the repository. */
    docsVariables: { environments: [DOCS_ENVIRONMENT, ...(cfg.manageRepository ? [cfg.environment.name] : [])], names: [...DOCS_VARIABLES] },
    /** Repository-level variables. */
    repositoryVariables: [...REPOSITORY_VARIABLES, ...cfg.environments.map((e) => previewClientIdVariable(e.name))],
    /** Environment secrets, by GitHub environment (no workflow reads a repository secret; none is a cloud credential). */
    secrets: Object.fromEntries(Object.entries(environmentSecrets(cfg)).map(([environment, specs]) => [environment, specs.map((s) => s.name)])),
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderStep(step: Step): Record<string, unknown> {
  const o: Record<string, unknown> = { name: step.name };
  if (step.id) o.id = step.id;
  if (step.if) o.if = step.if;
  if (isUsesStep(step)) {
    o.uses = usesRef(step.uses);
    if (step.with) o.with = { ...step.with };
    if (step.env) o.env = { ...step.env };
    if (step["continue-on-error"] !== undefined) o["continue-on-error"] = step["continue-on-error"];
  } else {
    if (step.shell) o.shell = step.shell;
    if (step["working-directory"]) o["working-directory"] = step["working-directory"];
    if (step["timeout-minutes"] !== undefined) o["timeout-minutes"] = step["timeout-minutes"];
    if (step["continue-on-error"] !== undefined) o["continue-on-error"] = step["continue-on-error"];
    if (step.env) o.env = { ...step.env };
    o.run = step.run;
  }
  return o;
}

function renderJob(job: Job): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (job.name) o.name = job.name;
  o["runs-on"] = job["runs-on"];
  if (job.needs) o.needs = [...job.needs];
  if (job.if) o.if = job.if;
  if (job.environment) o.environment = job.environment;
  if (job.concurrency) o.concurrency = { ...job.concurrency };
  o.permissions = { ...job.permissions };
  if (job.strategy) o.strategy = job.strategy;
  if (job.outputs) o.outputs = { ...job.outputs };
  if (job.env) o.env = { ...job.env };
  o["timeout-minutes"] = job["timeout-minutes"];
  o.steps = job.steps.map(renderStep);
  return o;
}

/** The YAML of one workflow, with `# vX.Y.Z` after every pinned `uses:`. */
export function renderWorkflow(w: Workflow): string {
  const data: Record<string, unknown> = { name: w.name, on: w.on, permissions: { ...w.permissions } };
  if (w.concurrency) data.concurrency = w.concurrency;
  if (w.defaults) data.defaults = w.defaults;
  if (w.env) data.env = w.env;
  data.jobs = Object.fromEntries(Object.entries(w.jobs).map(([id, job]) => [id, renderJob(job)]));

  const doc = new Document(data);
  const versions = new Map<string, PinnedAction>(Object.values(ACTIONS).map((a) => [usesRef(a), a]));
  visit(doc, {
    Pair(_, pair) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === "uses" && isScalar(pair.value)) {
        const action = versions.get(String(pair.value.value));
        if (action) pair.value.comment = ` ${action.version}`;
      }
    },
  });
  // Each job's reason for each permission, beside it.
  for (const [id, job] of Object.entries(w.jobs)) {
    for (const [scope, reason] of Object.entries(job.permissionReasons ?? {})) {
      const value = doc.getIn(["jobs", id, "permissions", scope], true);
      if (isScalar(value)) value.comment = ` ${reason}`;
    }
  }
  const header = [
    ` ${w.header}`,
    "",
    " Generated by delivery-platform (workflows/) and committed by `pulumi up` of the stack that",
    " manages the repository. Do not edit here: change workflows/*.ts and run",
    " `npx delivery render-workflows --stack <stack> --out <dir>` to see the result.",
  ];
  doc.commentBefore = header.join("\n");
  return doc.toString({ lineWidth: 0, blockQuote: "literal", nullStr: "" });
}
