/**
 * Pull-request comment bodies: one preview comment per stack, updated in place, and the deploy
 * start/end and gate replies. Pure text building; posting is `cli/commands/pr-comment.ts`.
 *
 * - Each updatable comment carries a hidden marker line, `<!-- delivery-platform:preview:dev -->`.
 *   The marker ends with ` -->`, so `preview:dev` can never match `preview:dev-eu`.
 * - GitHub refuses comment bodies over 65,536 characters. Long parts (the preview log) are put
 *   in collapsed `<details>` blocks and trimmed from the front (the end of a Pulumi log holds the
 *   summary and the errors), never mid-character, always with their code fence closed.
 */

import { addCounts, countsHeadline, parseWhatIf, renderMarkdown, summarizeWhatIf, WhatIfParseError, type WhatIfSummary } from "./whatif";

/** GitHub's limit on an issue or pull-request comment body. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/**
 * What the preview comment is built to, in UTF-16 units: GitHub's limit is counted in characters,
 * and a body of emoji and other non-ASCII text is longer in some counts (UTF-8 bytes) than in
 * others, so the margin keeps it under 65,536 however it is counted.
 */
export const PREVIEW_COMMENT_BUDGET = 60_000;

const MARKER_PREFIX = "<!-- delivery-platform:";

/** The hidden first line that identifies one updatable comment (`kind` and `key` are [a-z0-9._-]). */
export function commentMarker(kind: string, key: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");
  return `${MARKER_PREFIX}${safe(kind)}:${safe(key)} -->`;
}

export interface ExistingComment {
  readonly id: number;
  readonly body?: string | null;
  readonly user?: { readonly login: string; readonly type?: string } | null;
}

/**
 * The comment to update: the first one posted by `author` whose body contains exactly `marker`
 * on a line of its own. Comments by anyone else are never edited, even if they copy the marker.
 */
export function findMarkedComment<T extends ExistingComment>(comments: readonly T[], marker: string, author: string): T | undefined {
  return comments.find((c) => c.user?.login === author && (c.body ?? "").split(/\r?\n/).some((line) => line.trim() === marker));
}

/** A fence longer than any backtick run in `text`, so the text cannot close it. */
export function fenceFor(text: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return "`".repeat(Math.max(3, longest + 1));
}

/** The last `max` UTF-16 units of `text`, not starting inside a surrogate pair, with a note when cut. */
export function tail(text: string, max: number): { text: string; cut: number } {
  if (text.length <= max) return { text, cut: 0 };
  let start = text.length - Math.max(0, max);
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start += 1; // low surrogate: skip its orphaned half
  return { text: text.slice(start), cut: start };
}

/** A collapsed block with `content` in a code fence; content is trimmed from the front to `max`. */
export function collapsedLog(summary: string, content: string, max: number): string {
  const t = tail(content.replace(/\r\n/g, "\n"), max);
  const fence = fenceFor(t.text);
  const note = t.cut > 0 ? `(first ${t.cut.toLocaleString("en-US")} characters omitted; the full log is in the workflow run)\n` : "";
  return `<details><summary>${escapeHtml(summary)}</summary>\n\n${note}${fence}text\n${t.text}\n${fence}\n</details>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Assembles `head` + (a collapsed, trimmed `log`) + `foot` under `limit`. The fixed parts are
 * trimmed too, as a last resort, so the result always fits.
 */
export function fitComment(head: string, log: { summary: string; content: string } | null, foot: string, limit = GITHUB_COMMENT_LIMIT): string {
  const reserve = 400; // details/fence/note overhead plus a margin
  let fixedHead = head;
  let fixedFoot = foot;
  const budgetForFixed = limit - reserve - 2;
  if (fixedHead.length + fixedFoot.length > budgetForFixed) {
    fixedFoot = tail(fixedFoot, Math.min(fixedFoot.length, Math.floor(budgetForFixed / 4))).text;
    fixedHead = `${safeHead(fixedHead, budgetForFixed - fixedFoot.length - 60)}\n\n_(truncated to fit GitHub's comment limit)_`;
  }
  if (!log) return join(fixedHead, fixedFoot);
  const room = limit - fixedHead.length - fixedFoot.length - reserve - log.summary.length;
  if (room < 200) return join(fixedHead, fixedFoot);
  return join(fixedHead, collapsedLog(log.summary, log.content, room), fixedFoot);
}

function safeHead(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // do not end on a high surrogate
  return text.slice(0, end);
}

function join(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("\n\n");
}

/** Counts from the `Resources:` block Pulumi prints at the end of `up` and `preview`. */
export interface ResourceCounts {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
  readonly replace: number;
  readonly same: number;
}

const COUNT_WORDS: Record<string, keyof ResourceCounts> = {
  create: "create",
  created: "create",
  update: "update",
  updated: "update",
  delete: "delete",
  deleted: "delete",
  replace: "replace",
  replaced: "replace",
  unchanged: "same",
};

/** Parses Pulumi's resource summary (`+ 3 created`, `~ 1 to update`, `12 unchanged`); null when absent. */
export function parseResourceSummary(log: string): ResourceCounts | null {
  const at = log.lastIndexOf("Resources:");
  if (at < 0) return null;
  const counts = { create: 0, update: 0, delete: 0, replace: 0, same: 0 };
  const block = log.slice(at).split(/\r?\n/).slice(1, 12);
  let seen = false;
  for (const line of block) {
    const m = /^\s*(?:[-+~]|\+-)?\s*(\d+)\s+(?:to\s+)?(created|updated|deleted|replaced|unchanged|create|update|delete|replace)\b/.exec(line);
    if (m) {
      counts[COUNT_WORDS[m[2]]] += Number(m[1]);
      seen = true;
    }
  }
  return seen ? counts : null;
}

export function countsText(c: ResourceCounts): string {
  return `${c.create} created, ${c.update} updated, ${c.replace} replaced, ${c.delete} deleted, ${c.same} unchanged`;
}

/** What a preview's exit code and log say. */
export type PreviewOutcome = "passed" | "policy-violation" | "failed";

export function previewOutcome(exitCode: number, log: string): PreviewOutcome {
  if (exitCode === 0) return "passed";
  return /Policy Violations:|mandatory\]/.test(log) ? "policy-violation" : "failed";
}

export interface StaleDoc {
  readonly path: string;
  readonly reason: string;
}

/**
 * Reads `delivery graft-status --json` output leniently: a list, or an object with a list under
 * `stale` / `documents`, of entries naming the document (`output`, `path`, `document`) and the
 * reason(s) (`reason`, `reasons`). Unknown shapes give null so the comment can say so.
 */
export function readStaleDocs(json: unknown): StaleDoc[] | null {
  const o = json as Record<string, unknown> | null;
  const list = Array.isArray(json) ? json : Array.isArray(o?.stale) ? o!.stale : Array.isArray(o?.documents) ? o!.documents : null;
  if (!list) return null;
  const docs: StaleDoc[] = [];
  for (const entry of list as unknown[]) {
    const e = (entry ?? {}) as Record<string, unknown>;
    if (e.stale === false) continue;
    const path = [e.output, e.path, e.document, e.prompt].find((v): v is string => typeof v === "string");
    if (!path) continue;
    const reasons = Array.isArray(e.reasons) ? e.reasons.map(String) : typeof e.reason === "string" ? [e.reason] : [];
    docs.push({ path, reason: reasons.join("; ") || "stale" });
  }
  return docs;
}

export function mdCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, "\\|").replace(/\r?\n/g, " ").replace(/`/g, "'");
}

export interface PreviewCommentInput {
  readonly stack: string;
  readonly outcome: PreviewOutcome;
  readonly commit: string;
  readonly runUrl: string;
  /** Markdown from `delivery whatif FILE --format markdown` (or whatIfSection), one per Bicep deployment. */
  readonly whatif: readonly string[];
  /** The what-if counts over every deployment (whatIfSection's headline), shown beside the section's heading. */
  readonly whatifHeadline?: string;
  /** Stale documents, or null when graft-status gave nothing readable. */
  readonly staleDocs: readonly StaleDoc[] | null;
  readonly log: string;
  readonly counts: ResourceCounts | null;
}

const OUTCOME_LINE: Record<PreviewOutcome, string> = {
  passed: "passed",
  "policy-violation": "**blocked by policy**: a mandatory policy is violated; see the log below",
  failed: "**failed**: see the log below",
};

export function previewCommentBody(input: PreviewCommentInput, limit = PREVIEW_COMMENT_BUDGET): string {
  const icon = input.outcome === "passed" ? "✅" : "❌";
  const head = [
    commentMarker("preview", input.stack),
    `### ${icon} \`pulumi preview\` for \`${mdCell(input.stack)}\`: ${OUTCOME_LINE[input.outcome]}`,
    "",
    `Commit ${input.commit.slice(0, 12)} · [workflow run](${input.runUrl})${input.counts ? ` · ${countsText(input.counts)}` : ""}`,
  ];
  head.push("", `#### Azure what-if${input.whatifHeadline ? `: ${input.whatifHeadline}` : ""}`);
  head.push(input.whatif.length > 0 ? input.whatif.join("\n\n") : "_No Bicep deployment changed, so no what-if ran._");
  head.push("", "#### Stale documents");
  if (input.staleDocs === null) head.push("_`delivery graft-status --json` gave no readable list; see the log._");
  else if (input.staleDocs.length === 0) head.push("_None: every generated document is up to date._");
  else {
    head.push(`${input.staleDocs.length} document(s) would be regenerated (label the PR \`docs:generate\` to do it now):`, "", "| document | why |", "|---|---|");
    for (const d of input.staleDocs.slice(0, 200)) head.push(`| ${mdCell(d.path)} | ${mdCell(d.reason)} |`);
    if (input.staleDocs.length > 200) head.push(`| … | ${input.staleDocs.length - 200} more |`);
  }
  return fitComment(head.join("\n"), { summary: "Preview output", content: input.log }, "", limit);
}

/** One Bicep deployment's saved what-if (the provider writes one JSON file per deployment to DELIVERY_WHATIF_DIR). */
export interface SavedWhatIf {
  /** The deployment's name (the file name without .json). */
  readonly name: string;
  /** The file's text: a what-if in az's flat shape or the ARM REST shape. */
  readonly text: string;
}

export interface WhatIfSectionOptions {
  /** Characters the whole section may take. Defaults to 40,000, which leaves room in a comment for the stale documents and the log. */
  readonly maxChars?: number;
  /** Where the full what-if is, e.g. "the run's artifact `whatif-dev`". Defaults to "the run's artifacts". */
  readonly fullWhatIfAt?: string;
}

/**
 * The PR comment's what-if section: a headline with the counts over every deployment, then one
 * block per deployment (renderMarkdown: a table with each property's before => after, destructive
 * first, unchanged resources folded), deployments that delete something first, each within its
 * share of `maxChars`. A file that is not a readable what-if says so in its block and in the
 * headline; it never counts as "no changes".
 */
export function whatIfSection(saved: readonly SavedWhatIf[], options: WhatIfSectionOptions = {}): { headline: string; blocks: string[] } {
  const maxChars = options.maxChars ?? 40_000;
  const read = saved.map((s): { name: string; summary?: WhatIfSummary; problem?: string } => {
    try {
      return { name: s.name, summary: summarizeWhatIf(parseWhatIf(s.text)) };
    } catch (err) {
      if (err instanceof WhatIfParseError) return { name: s.name, problem: err.message };
      throw err;
    }
  });
  read.sort((a, b) => Number(!a.summary) - Number(!b.summary) || (b.summary?.destructive.length ?? 0) - (a.summary?.destructive.length ?? 0) || a.name.localeCompare(b.name));
  const share = Math.floor(maxChars / Math.max(1, read.length));
  const blocks = read.map((d) =>
    d.summary
      ? renderMarkdown(d.summary, { title: d.name, maxChars: share, fullWhatIfAt: options.fullWhatIfAt }).trimEnd()
      : `##### ${mdCell(d.name)}: **what-if unreadable**\n\n> [!CAUTION]\n> ${mdCell(d.problem ?? "").slice(0, Math.max(200, share - 200))}`,
  );
  const summaries = read.flatMap((d) => (d.summary ? [d.summary] : []));
  const unreadable = read.length - summaries.length;
  const failed = summaries.filter((s) => s.error).length;
  const parts = [summaries.length > 0 ? countsHeadline(addCounts(...summaries.map((s) => s.counts))) : ""];
  if (failed > 0) parts.push(`**${failed} what-if${failed === 1 ? "" : "s"} failed**`);
  if (unreadable > 0) parts.push(`**${unreadable} what-if${unreadable === 1 ? "" : "s"} unreadable**`);
  return { headline: parts.filter((p) => p !== "").join("; ") || "no deployments", blocks };
}

export interface DeployStartInput {
  readonly action: "deploy" | "rollback";
  readonly environment: string;
  readonly commit: string;
  readonly requestedBy: string;
  readonly runUrl: string;
}

export function deployStartBody(i: DeployStartInput): string {
  const verb = i.action === "rollback" ? "Rolling back" : "Deploying";
  return `🚀 ${verb} \`${mdCell(i.environment)}\` to ${i.commit.slice(0, 12)} for @${i.requestedBy}: [follow the run](${i.runUrl}).`;
}

export interface DeployEndInput extends DeployStartInput {
  readonly result: "success" | "failure" | "cancelled";
  readonly attempts: number;
  readonly durationSeconds: number;
  readonly counts: ResourceCounts | null;
  /** `delivery classify` output for the last failed attempt. */
  readonly classification: { readonly category?: string; readonly kind?: string; readonly retryable?: boolean; readonly reason?: string } | null;
  readonly log: string;
  /** Why the deployment stopped before `pulumi up` ran (the commit's tree was not the validated one), if it did. */
  readonly stoppedBefore?: string | null;
  /** The deploy job ended before it re-checked the gates (rejected by a reviewer, cancelled, failed to start), and the gates pass now. */
  readonly endedBeforeRecheck?: boolean;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function deployEndBody(i: DeployEndInput, limit = GITHUB_COMMENT_LIMIT): string {
  const retries = Math.max(0, i.attempts - 1);
  const retryText = retries === 0 ? "no retries" : `${retries} ${retries === 1 ? "retry" : "retries"}`;
  const lines: string[] = [];
  if (i.endedBeforeRecheck && i.result !== "success") {
    lines.push(
      `${i.result === "cancelled" ? "⚪" : "❌"} The ${i.action} of \`${mdCell(i.environment)}\` to ${i.commit.slice(0, 12)} ended before its gates were re-checked (deploy job: ${i.result}); no deployment was recorded.`,
      "",
      "A reviewer rejected it, it was cancelled, or its job failed before the re-check; the gates pass now. Read the run, then give the command again to retry.",
    );
  } else if (i.result === "success") {
    lines.push(
      `✅ ${i.action === "rollback" ? "Rolled back" : "Deployed"} \`${mdCell(i.environment)}\` to ${i.commit.slice(0, 12)} in ${formatDuration(i.durationSeconds)} (${retryText}${retries > 0 ? ", transient failures" : ""}).`,
    );
    if (i.counts) lines.push("", `Resources: ${countsText(i.counts)}.`);
  } else if (i.result === "cancelled") {
    lines.push(`⚪ The ${i.action} of \`${mdCell(i.environment)}\` to ${i.commit.slice(0, 12)} was cancelled after ${formatDuration(i.durationSeconds)}.`);
  } else if (i.stoppedBefore) {
    lines.push(`❌ The ${i.action} of \`${mdCell(i.environment)}\` to ${i.commit.slice(0, 12)} stopped before \`pulumi up\`; nothing was deployed.`, "", mdCell(i.stoppedBefore));
  } else {
    const c = i.classification;
    lines.push(`❌ The ${i.action} of \`${mdCell(i.environment)}\` to ${i.commit.slice(0, 12)} failed after ${i.attempts} attempt(s) in ${formatDuration(i.durationSeconds)}.`);
    if (c) {
      lines.push("", `Failure class: **${mdCell(c.category ?? "unknown")}**${c.kind ? ` (\`${mdCell(c.kind)}\`)` : ""}, ${c.retryable ? "retryable; the retries were used up" : "not retried"}.`);
      if (c.reason) lines.push("", `Next step: ${mdCell(c.reason)}`);
    } else {
      lines.push("", "The failure was not classified; read the log below.");
    }
  }
  lines.push("", `[Workflow run and audit records](${i.runUrl}) · requested by @${i.requestedBy}`);
  return fitComment(lines.join("\n"), i.log ? { summary: "pulumi up output (last attempt)", content: i.log } : null, "", limit);
}

/** A gate refusal or parser reply, quoting nothing the commenter wrote beyond the parser's message. */
export function gateReplyBody(message: string, runUrl: string): string {
  return fitComment(`${message}\n\n<sub>[workflow run](${runUrl})</sub>`, null, "");
}
