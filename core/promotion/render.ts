/**
 * How a promotion report reads: one line per action, a Markdown table per environment and a
 * Mermaid flowchart of the pipeline (the promote workflow appends both to its job summary).
 */
import { failureClassLabel } from "./facts";
import type { EnvironmentReport, PromotionAction, PromotionReport, PromotionState } from "./machine";

const short = (sha: string | null) => (sha ? sha.slice(0, 12) : "—");

/** One sentence per action, for tables, logs and dry runs. */
export function describeAction(a: PromotionAction): string {
  switch (a.kind) {
    case "wait":
      return `wait: ${a.reason}`;
    case "done":
      return `done: ${a.reason}`;
    case "investigate":
      return `investigate: ${a.reason}`;
    case "validate":
      return `validate ${a.environment} at ${short(a.sha)}: run ${a.checks.join(", ")}`;
    case "request-manual-approval": {
      const who = [...a.reviewers.users.map((u) => `@${u}`), ...a.reviewers.teams.map((t) => `team ${t}`)].join(", ");
      return `ask ${who || "the reviewers"} to sign off manual testing of ${a.environment} at ${short(a.sha)} (${a.context})`;
    }
    case "open-pr":
      return `open a PR from ${a.head} into ${a.base} carrying exactly ${short(a.sha)} (${a.from} -> ${a.to})${a.fixes && a.fixes.length > 0 ? `, the fix for ${a.fixes.map((n) => `#${n}`).join(", ")}` : ""}`;
    case "open-failure-issue":
      return `open the ${a.priority}-priority failure issue for ${a.environment} at ${short(a.sha)} (${failureClassLabel(a.failure)})${a.assignee ? `, assigned to @${a.assignee}` : ""}; this freezes every deploy and promotion but the rollback and the fix`;
    case "rollback":
      return `roll ${a.environment} back from ${short(a.fromSha)} to ${short(a.sha)} through the deploy workflow`;
    case "close-failure-issue":
      return `close #${a.issue} with a comment: ${a.reason}; this lifts its freeze`;
  }
}

/** Markdown table cells must not break the row. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

const STYLE: Readonly<Record<PromotionState, string>> = {
  idle: "fill:#f6f8fa,stroke:#8c959f,color:#24292f",
  deploying: "fill:#ddf4ff,stroke:#0969da,color:#0a3069",
  deployed: "fill:#ddf4ff,stroke:#0969da,color:#0a3069",
  validating: "fill:#fff8c5,stroke:#9a6700,color:#4d2d00",
  failed: "fill:#ffebe9,stroke:#cf222e,color:#82071e",
  promoted: "fill:#dafbe1,stroke:#1a7f37,color:#044f1e",
  complete: "fill:#1a7f37,stroke:#044f1e,color:#ffffff",
  contradictory: "fill:#fbefff,stroke:#8250df,color:#3e1f79",
};

/** Mermaid node ids: letters, digits and underscores only. */
function nodeId(name: string): string {
  return `env_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
}

function nodeLabel(e: EnvironmentReport): string {
  const lines = [`<b>${e.name}</b> (${e.branch})`, e.state];
  if (e.deployedSha) lines.push(short(e.deployedSha));
  if (e.rolledBackFrom) lines.push(`rolled back from ${short(e.rolledBackFrom)}`);
  return lines.join("<br/>");
}

/** The pipeline as a Mermaid flowchart, each node showing its state; edges carry open promotion PRs. */
export function renderMermaid(report: PromotionReport): string {
  const lines = ["flowchart LR"];
  for (const e of report.environments) lines.push(`  ${nodeId(e.name)}["${nodeLabel(e)}"]`);
  report.environments.forEach((e, i) => {
    const next = report.environments[i + 1];
    if (!next) return;
    const prs = report.openPullRequests.filter((p) => p.baseRef === next.branch).map((p) => `PR #${p.number}`);
    lines.push(`  ${nodeId(e.name)} -->${prs.length > 0 ? `|"${prs.join(", ")}"|` : ""} ${nodeId(next.name)}`);
  });
  if (report.frozenBy.length > 0) {
    lines.push(`  freeze{{"promotion frozen by ${report.frozenBy.map((f) => `#${f.number}`).join(", ")}"}}`);
    lines.push("  style freeze fill:#ffebe9,stroke:#cf222e,color:#82071e");
  }
  const used = [...new Set(report.environments.map((e) => e.state))];
  for (const state of used) lines.push(`  classDef ${state} ${STYLE[state]}`);
  for (const state of used) lines.push(`  class ${report.environments.filter((e) => e.state === state).map((e) => nodeId(e.name)).join(",")} ${state}`);
  return lines.join("\n");
}

/** The Markdown the `status` command prints and the workflow appends to its job summary. */
export function renderMarkdown(report: PromotionReport): string {
  const out: string[] = [`## Promotion: ${report.repository}`, "", `Facts read at ${report.now}.`, ""];
  if (report.frozenBy.length > 0) {
    out.push(
      `> **Frozen** by ${report.frozenBy.map((f) => `[#${f.number}](${f.url}) ${cell(f.title)}`).join(", ")}: only the rollback and the fix (a pull request that says \`Fixes #N\`) are deployed or promoted, in every environment. The issue closes itself once the failed environment is healthy again.`,
      "",
    );
  }
  if (report.contradictions.length > 0) {
    out.push("> **Contradictory facts** (nothing is promoted until they are resolved):");
    for (const c of report.contradictions) out.push(`> - ${c.environment ? `${c.environment}: ` : ""}${cell(c.message)}`);
    out.push("");
  }
  out.push("| Environment | State | Deployed SHA | Last known-good SHA | Blocking | Next |", "|---|---|---|---|---|---|");
  for (const e of report.environments) {
    const blocking = e.blocking.length > 0 ? e.blocking.map(cell).join("<br/>") : "—";
    out.push(
      `| ${e.name} (\`${e.branch}\`) | ${e.state}${e.rolledBackFrom ? ` (rolled back from \`${short(e.rolledBackFrom)}\`)` : ""} | ${e.deployedSha ? `\`${short(e.deployedSha)}\`` : "—"} | ${e.lastKnownGoodSha ? `\`${short(e.lastKnownGoodSha)}\`` : "—"} | ${blocking} | ${e.actions.map((a) => cell(describeAction(a))).join("<br/>")} |`,
    );
  }
  out.push("", "```mermaid", renderMermaid(report), "```", "");
  return out.join("\n");
}
