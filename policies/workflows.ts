/** Workflows: the files the prod stack commits must keep the platform's security rules. */
import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { parse } from "yaml";
import { gateProblems, injectionProblems, permissionProblems, triggerProblems, unpinnedActions, type WorkflowDocument } from "../core/workflow-rules";
import { TYPES } from "./lib";

type Rule = (doc: WorkflowDocument) => string[];

/**
 * Each workflow file parsed once per content: every workflow policy reads the same files, and
 * parsing them was most of the pack's time. The rules only read the document, and a pack process
 * lives for one preview.
 */
const parsedWorkflows = new Map<string, { doc: WorkflowDocument } | { error: string }>();

function parseWorkflow(content: string): { doc: WorkflowDocument } | { error: string } {
  let parsed = parsedWorkflows.get(content);
  if (!parsed) {
    try {
      parsed = { doc: parse(content) ?? {} };
    } catch (err) {
      parsed = { error: (err as Error).message.split("\n")[0] };
    }
    parsedWorkflows.set(content, parsed);
  }
  return parsed;
}

/** A policy applying one rule to every committed workflow file. */
function workflowPolicy(name: string, description: string, rule: Rule, fix: string, enforcementLevel: EnforcementLevel): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      if (args.type !== TYPES.githubFile) return;
      const file = args.props.file;
      if (typeof file !== "string" || !/^\.github\/workflows\/[^/]+\.ya?ml$/.test(file) || typeof args.props.content !== "string") return;
      const parsed = parseWorkflow(args.props.content);
      if ("error" in parsed) {
        reportViolation(`Workflow ${file} must be valid YAML: ${parsed.error}`);
        return;
      }
      for (const problem of rule(parsed.doc)) reportViolation(`Workflow ${file}: ${problem}. ${fix}`);
    },
  };
}

export function workflowActionsPinned(enforcementLevel: EnforcementLevel = "advisory") {
  return workflowPolicy("workflow-actions-pinned", "Checks whether every action a committed workflow uses is pinned to a full commit SHA.", unpinnedActions, "Pin it in workflows/actions.ts.", enforcementLevel);
}

export function workflowLeastPrivilege(enforcementLevel: EnforcementLevel = "advisory") {
  return workflowPolicy(
    "workflow-least-privilege",
    "Checks whether committed workflows have read-only or empty top-level permissions and every job declares only what it needs.",
    permissionProblems,
    "Declare permissions per job in workflows/.",
    enforcementLevel,
  );
}

export function workflowNoPullRequestTarget(enforcementLevel: EnforcementLevel = "advisory") {
  return workflowPolicy(
    "workflow-no-pull-request-target",
    "Checks whether committed workflows trigger on pull_request_target only for labels, without checking out the pull request's ref.",
    triggerProblems,
    "Use the pull_request trigger, or react only to `labeled` and deploy the commit the gate verified.",
    enforcementLevel,
  );
}

export function workflowNoUntrustedInterpolation(enforcementLevel: EnforcementLevel = "advisory") {
  return workflowPolicy(
    "workflow-no-untrusted-interpolation",
    "Checks whether untrusted text (comments, titles, branch names, inputs) reaches scripts only through environment variables.",
    injectionProblems,
    "Move the value into the step's env and read the variable.",
    enforcementLevel,
  );
}

export function workflowDeployGate(enforcementLevel: EnforcementLevel = "advisory") {
  return workflowPolicy(
    "workflow-deploy-gate",
    "Checks whether a workflow that deploys on comments runs the permission gate before every deployment job.",
    gateProblems,
    "Make the deployment job need the job that runs `delivery gate`.",
    enforcementLevel,
  );
}
