/**
 * The IssueOps labels, defined once: the components create them, the intent parser and the
 * workflows react to them.
 */
export interface LabelSpec {
  readonly name: string;
  /** Six hex digits, no `#`. */
  readonly color: string;
  readonly description: string;
}

/** Applying `deploy:<env>` to a pull request asks for a deployment of its head commit. */
export function deployLabel(environment: string): LabelSpec {
  return { name: `deploy:${environment}`, color: "1d76db", description: `Deploy this pull request's head commit to ${environment}` };
}

/** The second person's approval for environments that require it (prod). */
export function approvalLabel(name: string): LabelSpec {
  return { name, color: "b60205", description: "Second approval for a deployment; must be applied by someone other than the PR author and the requester" };
}

/** Asks the docs workflow to regenerate stale Graft documents on the pull request. */
export const DOCS_GENERATE_LABEL: LabelSpec = { name: "docs:generate", color: "0e8a16", description: "Regenerate stale Graft documents and commit them to this pull request" };

/** Opened by the promotion workflow when a deployment or validation fails. */
export const DEPLOYMENT_FAILURE_LABEL: LabelSpec = { name: "deployment-failure", color: "d93f0b", description: "A deployment or its validation failed; promotion is frozen until this is closed" };

/** The priority a failure issue is labelled with (core/promotion/freeze.ts): a production failure is critical, any other high. */
export const FAILURE_PRIORITY_LABELS = {
  critical: { name: "priority:critical", color: "b60205", description: "A production deployment or its validation failed; everything is frozen until it is fixed or rolled back" },
  high: { name: "priority:high", color: "d93f0b", description: "A deployment or its validation failed before production; everything is frozen until it is fixed or rolled back" },
} as const satisfies Record<string, LabelSpec>;
