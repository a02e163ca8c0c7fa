/** The IssueOps intent: command parser, event decision and deploy gates (pure functions). */
export * from "./parse";
export * from "./decide";
export * from "./gates";

import type { StackConfig } from "../config";
import type { IntentConfig } from "./decide";

/** The slice of the stack configuration the parser and the help text need. */
export function intentConfig(cfg: Pick<StackConfig, "environments" | "github">): IntentConfig {
  return {
    environments: cfg.environments.map((e) => e.name),
    approvalLabel: cfg.github.approvalLabel,
    approvalEnvironments: cfg.environments.filter((e) => e.requireApprovalLabel).map((e) => e.name),
    branches: Object.fromEntries(cfg.environments.map((e) => [e.name, e.branch])),
  };
}
