/**
 * A typed subset of the GitHub Actions workflow syntax: just what these workflows use, so a
 * typo in a key is a compile error rather than a workflow GitHub silently ignores.
 */
import type { PinnedAction } from "./actions";

export type PermissionLevel = "read" | "write" | "none";
export type PermissionScope =
  | "actions"
  | "checks"
  | "contents"
  | "deployments"
  | "id-token"
  | "issues"
  | "pull-requests"
  | "statuses";
export type Permissions = Partial<Record<PermissionScope, PermissionLevel>>;

export interface RunStep {
  readonly name: string;
  readonly id?: string;
  readonly if?: string;
  readonly shell?: "bash";
  readonly env?: Readonly<Record<string, string>>;
  readonly "working-directory"?: string;
  readonly "timeout-minutes"?: number;
  readonly "continue-on-error"?: boolean;
  readonly run: string;
}

export interface UsesStep {
  readonly name: string;
  readonly id?: string;
  readonly if?: string;
  readonly uses: PinnedAction;
  readonly with?: Readonly<Record<string, string | number | boolean>>;
  readonly env?: Readonly<Record<string, string>>;
  /** An optional step: its failure does not fail the job (e.g. reading an artifact that may not exist). */
  readonly "continue-on-error"?: boolean;
}

export type Step = RunStep | UsesStep;

export interface Job {
  readonly name?: string;
  readonly "runs-on": string;
  readonly if?: string;
  readonly needs?: readonly string[];
  readonly permissions: Permissions;
  /**
   * Why the job needs each scope, rendered as a comment beside it (zizmor's
   * undocumented-permissions); `contents: read` alone needs none.
   */
  readonly permissionReasons?: Partial<Record<PermissionScope, string>>;
  /**
   * `deployment: false` uses the environment for its secrets, variables, branch policy and OIDC
   * subject without recording a GitHub deployment (read-only and promotion jobs: a deployment
   * would show in the promotion machine's facts and fire `deployment_status`).
   */
  readonly environment?: string | { readonly name: string; readonly url?: string; readonly deployment?: false };
  readonly concurrency?: { readonly group: string; readonly "cancel-in-progress": boolean };
  readonly strategy?: { readonly "fail-fast"?: boolean; readonly "max-parallel"?: number; readonly matrix: Readonly<Record<string, unknown>> };
  readonly outputs?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly "timeout-minutes": number;
  readonly steps: readonly Step[];
}

export interface DispatchInput {
  readonly description: string;
  readonly required: boolean;
  readonly type: "string" | "choice" | "boolean";
  readonly default?: string;
  readonly options?: readonly string[];
}

export interface Triggers {
  readonly pull_request?: { readonly types?: readonly string[]; readonly branches?: readonly string[] } | null;
  /** Only `types: [labeled]` (core/workflow-rules.ts `triggerProblems`). */
  readonly pull_request_target?: { readonly types: readonly ["labeled"] };
  readonly push?: { readonly branches: readonly string[] };
  readonly issue_comment?: { readonly types: readonly string[] };
  readonly issues?: { readonly types: readonly string[] };
  /** Runs in the default branch's context after another workflow; never read the triggering run's head. */
  readonly workflow_run?: { readonly workflows: readonly string[]; readonly types: readonly ("completed" | "requested" | "in_progress")[] };
  /** `null` renders as a bare `deployment_status:` (every status). */
  readonly deployment_status?: null;
  /** `null` renders as a bare `status:` (every commit status). */
  readonly status?: null;
  readonly schedule?: readonly { readonly cron: string }[];
  readonly workflow_dispatch?: { readonly inputs?: Readonly<Record<string, DispatchInput>> } | null;
}

export interface Workflow {
  /** File name under `.github/workflows/`. */
  readonly file: string;
  readonly name: string;
  /** A comment block rendered at the top of the file. */
  readonly header: string;
  readonly on: Triggers;
  readonly permissions: Permissions;
  readonly concurrency?: { readonly group: string; readonly "cancel-in-progress": boolean };
  readonly env?: Readonly<Record<string, string>>;
  readonly defaults?: { readonly run: { readonly shell: "bash" } };
  readonly jobs: Readonly<Record<string, Job>>;
}

export function isUsesStep(step: Step): step is UsesStep {
  return "uses" in step;
}
