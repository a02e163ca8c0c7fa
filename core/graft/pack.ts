/**
 * The prompt pack: the one text the built-in generator sends to the model, assembled the way
 * Graft's `scripts/pack_prompt.py` does (danielnaab/graft, pull request 2), so a document written
 * here reads like one written by Graft's `render_llm.sh`:
 *
 *   SYSTEM: (Graft's system text)
 *   CHANGE ANALYSIS: which of sources / instructions changed, whether a previous draft exists,
 *     and the action (GENERATE, REFINE, UPDATE, REFRESH, MAINTAIN)
 *   USER: the previous draft, the source diff (secrets that look like AWS_X=... masked), and the
 *     instructions (or, when they changed, their unified diff and the current instructions)
 *
 * What changed comes from git, as in Graft: the previous draft is the document at HEAD; the source
 * diff is the deps' diff from HEAD~1 (Graft diffs HEAD~1..HEAD; here the working tree is the new
 * side, which is the same in CI and also sees uncommitted edits locally); when that diff is empty
 * the deps' current contents are shown, and without history their contents as new files. Outside
 * a git repository the previous draft is the document on disk. The document's signature line
 * carries the SHA-256 of the pack (Graft's `sig=`).
 *
 * Kept to node built-ins: the Graft dynamic provider captures this module.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** Graft's system text, verbatim. */
const SYSTEM = `You are maintaining a strategic Markdown document. You will receive a CHANGE ANALYSIS that tells you exactly what changed and what action to take.

Follow the action directive precisely:

- GENERATE: Create a new document from scratch using source content and instructions
- REFINE: Prompt instructions changed but sources haven't - review the PROMPT DIFF to understand what changed, then apply ONLY the necessary changes to align the document with updated instructions. Preserve all unchanged content exactly.
- UPDATE: Sources changed but prompt hasn't - apply ONLY the semantic changes from the SOURCE DIFF, keeping all other sections byte-identical
- REFRESH: Both sources and prompt changed - review BOTH diffs carefully and apply only the necessary changes from each, preserving unchanged content exactly
- MAINTAIN: Nothing changed - output should be identical to previous draft

For REFINE/REFRESH: The diff shows you exactly what changed in the instructions. Use semantic judgment to determine the scope of changes needed. A factual correction (e.g., license name) requires only a line change. A style directive (e.g., "rewrite in formal tone") requires broader changes. Let the diff guide your judgment.

CRITICAL: Output ONLY the final document content. Do not include any preamble, explanation, or meta-commentary about what you're doing. Start directly with the document content.`;

/** What the pack is assembled from. */
export interface PackSources {
  /** The prompt file as it is now. */
  readonly promptText: string;
  /** The prompt file one commit back, when there is one. */
  readonly previousPromptText: string | undefined;
  /** The document as last committed ("" when there is none). */
  readonly previousDraft: string;
  /** The deps' diff, in the form {@link depsDiff} produces. */
  readonly sourceDiff: string;
}

export interface PromptPack {
  readonly text: string;
  /** GENERATE, REFINE, UPDATE, REFRESH or MAINTAIN. */
  readonly action: string;
}

// Graft's front-matter split: `^---\n(.*?)\n---\n(.*)$` with DOTALL.
function promptBody(text: string): string {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  return m ? m[2] : text;
}

/** Graft's redaction of env-looking secrets: `AWS_X=value` -> `AWS_X=***`. */
export function redactSecrets(text: string): string {
  return text.replace(/(AWS_[A-Z_]+=)[^\s]+/g, "$1***");
}

/** Assembles the pack exactly as pack_prompt.py lays it out. */
export function buildPromptPack(s: PackSources): PromptPack {
  const body = promptBody(s.promptText);
  const sourcesChanged = s.sourceDiff.trim() !== "" && !s.sourceDiff.includes("@@ CURRENT CONTENT @@");
  const outputExists = s.previousDraft.trim() !== "";
  const previousBody = s.previousPromptText === undefined ? undefined : promptBody(s.previousPromptText);
  // Python truthiness: an empty previous prompt counts as none.
  const promptChanged = previousBody !== undefined && s.previousPromptText !== "" && previousBody.trim() !== body.trim();
  let action: string;
  if (!outputExists) action = "GENERATE (no previous draft exists)";
  else if (promptChanged && !sourcesChanged) action = "REFINE (prompt changed, sources unchanged - apply only necessary changes from prompt diff)";
  else if (sourcesChanged && !promptChanged) action = "UPDATE (sources changed - apply semantic changes only)";
  else if (sourcesChanged && promptChanged) action = "REFRESH (both changed - apply necessary changes from both diffs)";
  else action = "MAINTAIN (no changes detected - keep document unchanged)";
  const analysis = `CHANGE ANALYSIS:
- Source files: ${sourcesChanged ? "CHANGED" : "NO CHANGES"}
- Prompt instructions: ${promptChanged ? "CHANGED" : "NO CHANGES"}
- Previous draft: ${outputExists ? "EXISTS" : "NONE"}
- Action required: ${action}
`;
  const promptSection =
    promptChanged && previousBody
      ? `---BEGIN PROMPT DIFF---\n${unifiedDiff(previousBody, body, "previous instructions", "current instructions")}\n---END PROMPT DIFF---\n\n` +
        `---BEGIN CURRENT INSTRUCTIONS---\n${body}\n---END CURRENT INSTRUCTIONS---\n\n`
      : `---BEGIN INSTRUCTIONS---\n${body}\n---END INSTRUCTIONS---\n\n`;
  const text =
    `SYSTEM:\n${SYSTEM}\n\n` +
    `${analysis}\n` +
    `USER:\n---BEGIN PREVIOUS DRAFT---\n${s.previousDraft}\n---END PREVIOUS DRAFT---\n\n` +
    `---BEGIN SOURCE DIFF---\n${redactSecrets(s.sourceDiff)}\n---END SOURCE DIFF---\n\n` +
    promptSection;
  return { text, action: action.split(" ")[0] };
}

type Opcode = readonly ["equal" | "replace" | "delete" | "insert", number, number, number, number];

function splitLinesKeepEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Edit operations between two line lists from their longest common subsequence. */
function opcodes(a: readonly string[], b: readonly string[]): Opcode[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const codes: Opcode[] = [];
  let i = 0;
  let j = 0;
  let ei = 0;
  let ej = 0;
  const flush = (ti: number, tj: number): void => {
    if (ei < ti && ej < tj) codes.push(["replace", ei, ti, ej, tj]);
    else if (ei < ti) codes.push(["delete", ei, ti, ej, tj]);
    else if (ej < tj) codes.push(["insert", ei, ti, ej, tj]);
  };
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      flush(i, j);
      const si = i;
      const sj = j;
      while (i < n && j < m && a[i] === b[j]) {
        i++;
        j++;
      }
      codes.push(["equal", si, i, sj, j]);
      ei = i;
      ej = j;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) i++;
    else j++;
  }
  flush(n, m);
  return codes;
}

function formatRange(start: number, stop: number): string {
  let beginning = start + 1;
  const length = stop - start;
  if (length === 1) return String(beginning);
  if (length === 0) beginning -= 1;
  return `${beginning},${length}`;
}

/**
 * A unified diff with three lines of context, laid out as Python's
 * `"".join(difflib.unified_diff(a, b, fromfile, tofile, lineterm=""))` over lines that keep their
 * line breaks (so the header and hunk lines run on, as in Graft's packs). Empty when equal.
 */
export function unifiedDiff(oldText: string, newText: string, oldLabel: string, newLabel: string): string {
  const a = splitLinesKeepEnds(oldText);
  const b = splitLinesKeepEnds(newText);
  let codes = opcodes(a, b);
  if (codes.length === 0) codes = [["equal", 0, 1, 0, 1]];
  const context = 3;
  const first = codes[0];
  if (first[0] === "equal") codes[0] = ["equal", Math.max(first[1], first[2] - context), first[2], Math.max(first[3], first[4] - context), first[4]];
  const last = codes[codes.length - 1];
  if (last[0] === "equal") codes[codes.length - 1] = ["equal", last[1], Math.min(last[2], last[1] + context), last[3], Math.min(last[4], last[3] + context)];
  const groups: Opcode[][] = [];
  let group: Opcode[] = [];
  for (const code of codes) {
    let [tag, i1, i2, j1, j2] = code;
    if (tag === "equal" && i2 - i1 > 2 * context) {
      group.push([tag, i1, Math.min(i2, i1 + context), j1, Math.min(j2, j1 + context)]);
      groups.push(group);
      group = [];
      i1 = Math.max(i1, i2 - context);
      j1 = Math.max(j1, j2 - context);
    }
    group.push([tag, i1, i2, j1, j2]);
  }
  if (group.length > 0 && !(group.length === 1 && group[0][0] === "equal")) groups.push(group);
  if (groups.length === 0) return "";
  const out: string[] = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  for (const g of groups) {
    out.push(`@@ -${formatRange(g[0][1], g[g.length - 1][2])} +${formatRange(g[0][3], g[g.length - 1][4])} @@`);
    for (const [tag, i1, i2, j1, j2] of g) {
      if (tag === "equal") {
        for (const line of a.slice(i1, i2)) out.push(` ${line}`);
        continue;
      }
      if (tag === "replace" || tag === "delete") for (const line of a.slice(i1, i2)) out.push(`-${line}`);
      if (tag === "replace" || tag === "insert") for (const line of b.slice(j1, j2)) out.push(`+${line}`);
    }
  }
  return out.join("");
}

/** Runs git in the repository root; undefined when git fails (no repository, no such revision). */
function git(root: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync("git", [...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}

function readIfExists(root: string, rel: string): string | undefined {
  try {
    return readFileSync(path.join(root, rel), "utf8");
  } catch {
    return undefined;
  }
}

/** The deps' diff as pack_prompt.py's git_unified_diff builds it (HEAD~1 against the working tree). */
export function depsDiff(root: string, deps: readonly string[]): string {
  if (deps.length === 0) return "";
  const chunks = (label: string): string =>
    deps
      .map((p) => ({ p, text: readIfExists(root, p) }))
      .filter((c) => c.text !== undefined)
      .map((c) => `--- a/${c.p}\n+++ b/${c.p}\n@@ ${label} @@\n${c.text}`)
      .join("\n\n");
  const base = git(root, ["rev-parse", "--verify", "--quiet", "HEAD~1^{commit}"]);
  if (base === undefined) return chunks("NEW FILE");
  const diff = git(root, ["diff", "--unified=3", base.trim(), "--", ...deps]);
  if (diff === undefined) return chunks("NEW FILE");
  return diff.trim() === "" ? chunks("CURRENT CONTENT") : diff;
}

/** Everything the pack needs for one prompt, read from the repository and its git history. */
export function readPackSources(root: string, prompt: string, output: string, deps: readonly string[]): PackSources {
  const promptText = readFileSync(path.join(root, prompt), "utf8");
  const inRepository = git(root, ["rev-parse", "--is-inside-work-tree"])?.trim() === "true";
  const previousDraft = inRepository ? (git(root, ["show", `HEAD:./${output}`]) ?? "") : (readIfExists(root, output) ?? "");
  const previousPromptText = inRepository ? git(root, ["show", `HEAD~1:./${prompt}`]) : undefined;
  return { promptText, previousPromptText, previousDraft, sourceDiff: depsDiff(root, deps) };
}

/** The short commit the document is generated at (Graft's `rev=`), or "workspace" outside git. */
export function gitRevision(root: string): string {
  return git(root, ["rev-parse", "--short", "HEAD"])?.trim() || "workspace";
}
