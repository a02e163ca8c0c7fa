/**
 * The what-if model: parses a what-if result, counts changes per change type, lists the
 * destructive ones, and renders what a reviewer reads: log lines for `pulumi preview`, the
 * property deltas carried in the Bicep deployment's diff, and markdown for a PR comment.
 *
 * Two shapes of the same WhatIfOperationResult are read (https://learn.microsoft.com/rest/api/resources/deployments/what-if):
 *   az's flat shape (`az deployment group|sub what-if --no-pretty-print`):
 *     { status, error?, changes: [...], potentialChanges?, diagnostics? }
 *   the ARM REST shape (the REST API, `az rest`, SDK clients):
 *     { status, error?, properties: { changes: [...], potentialChanges?, diagnostics? } }
 * where each change is { resourceId, changeType, unsupportedReason?, before?, after?,
 * delta?: [{ path, propertyChangeType, before?, after?, children? }] }. Anything else is an error:
 * a document that cannot be read must never summarise as "no changes".
 */
import { z } from "zod";

/** Every change type Azure reports, in the order summaries show them. */
export const CHANGE_TYPES = ["Create", "Modify", "Delete", "Deploy", "NoChange", "Ignore", "Unsupported"] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** Change types that remove a resource. In Complete mode a resource missing from the template is deleted. */
export const DESTRUCTIVE_CHANGE_TYPES: readonly ChangeType[] = ["Delete"];

const propertyChangeSchema: z.ZodType<WhatIfPropertyChange> = z.lazy(() =>
  z.looseObject({
    path: z.string(),
    propertyChangeType: z.string(),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    children: z.array(propertyChangeSchema).nullish(),
  }),
) as z.ZodType<WhatIfPropertyChange>;

const errorSchema: z.ZodType<WhatIfError> = z.lazy(() =>
  z.looseObject({
    code: z.string().nullish(),
    message: z.string().nullish(),
    target: z.string().nullish(),
    details: z.array(errorSchema).nullish(),
  }),
) as z.ZodType<WhatIfError>;

const changeSchema = z.looseObject({
  resourceId: z.string(),
  changeType: z.enum(CHANGE_TYPES),
  unsupportedReason: z.string().nullish(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  delta: z.array(propertyChangeSchema).nullish(),
});

const changesFields = {
  changes: z.array(changeSchema).nullish(),
  potentialChanges: z.array(changeSchema).nullish(),
};

/** az's flat shape: `changes` at the top. */
const flatSchema = z.looseObject({ status: z.string().nullish(), error: errorSchema.nullish(), ...changesFields });

/** The REST shape: `changes` under `properties`. */
const restSchema = z.looseObject({
  status: z.string().nullish(),
  error: errorSchema.nullish(),
  properties: z.looseObject({ ...changesFields, error: errorSchema.nullish() }).nullish(),
});

export interface WhatIfPropertyChange {
  readonly path: string;
  /** Create | Delete | Modify | Array | NoEffect */
  readonly propertyChangeType: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly children?: readonly WhatIfPropertyChange[] | null;
}

export interface WhatIfError {
  readonly code?: string | null;
  readonly message?: string | null;
  readonly target?: string | null;
  readonly details?: readonly WhatIfError[] | null;
}

export interface WhatIfChange {
  readonly resourceId: string;
  readonly changeType: ChangeType;
  readonly unsupportedReason?: string | null;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly delta?: readonly WhatIfPropertyChange[] | null;
}

export interface WhatIfResult {
  readonly status?: string | null;
  readonly error?: WhatIfError | null;
  readonly changes?: readonly WhatIfChange[] | null;
  readonly potentialChanges?: readonly WhatIfChange[] | null;
}

/** What-if output that is not JSON, or not a WhatIfOperationResult. */
export class WhatIfParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WhatIfParseError";
  }
}

/** What a what-if document must look like, as error messages say it. */
export const EXPECTED_WHATIF_SHAPES =
  "a WhatIfOperationResult: either az's flat shape ({ status, changes: [...] }, from `az deployment group what-if --no-pretty-print`) or the ARM REST shape ({ status, properties: { changes: [...] } }); a failed what-if may carry `error` instead of changes";

function issuePath(issue: z.core.$ZodIssue, prefix: string): string {
  return prefix + issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("") || "(root)";
}

/**
 * Parses what-if JSON text in either shape into one form. The message says what was wrong, where,
 * and what was expected; a document with neither `changes` nor `properties.changes` (and no
 * error) is rejected rather than read as "no changes".
 */
export function parseWhatIf(text: string): WhatIfResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const start = text.trim().slice(0, 80).replace(/\s+/g, " ");
    throw new WhatIfParseError(
      `what-if output is not JSON (${(err as Error).message}); it starts with ${JSON.stringify(start)}. Run \`az deployment group what-if\` with --no-pretty-print (and --only-show-errors) so stdout is the bare JSON.`,
    );
  }
  return readWhatIf(data);
}

/** `readWhatIf` for a value already parsed from JSON. */
export function readWhatIf(data: unknown): WhatIfResult {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new WhatIfParseError(`what-if output is ${Array.isArray(data) ? "an array" : data === null ? "null" : `a ${typeof data}`}, expected ${EXPECTED_WHATIF_SHAPES}`);
  }
  const o = data as Record<string, unknown>;
  const rest = o.properties !== null && typeof o.properties === "object" && !Array.isArray(o.properties) && "changes" in (o.properties as object);
  if (rest) {
    const parsed = restSchema.safeParse(data);
    if (!parsed.success) throw new WhatIfParseError(`what-if output (REST shape) is not a WhatIfOperationResult: at ${issuePath(parsed.error.issues[0], "")}: ${parsed.error.issues[0].message}`);
    const p = parsed.data.properties ?? {};
    return checkedResult({ status: parsed.data.status, error: parsed.data.error ?? p.error, changes: p.changes, potentialChanges: p.potentialChanges } as WhatIfResult, "properties.changes", Object.keys(o));
  }
  const parsed = flatSchema.safeParse(data);
  if (!parsed.success) throw new WhatIfParseError(`what-if output is not a WhatIfOperationResult: at ${issuePath(parsed.error.issues[0], "")}: ${parsed.error.issues[0].message}`);
  return checkedResult(parsed.data as WhatIfResult, "changes", Object.keys(o));
}

function checkedResult(result: WhatIfResult, where: string, keys: readonly string[]): WhatIfResult {
  if (Array.isArray(result.changes) || result.error) return result;
  throw new WhatIfParseError(
    `what-if output has no \`${where}\` list and no \`error\` (status ${JSON.stringify(result.status ?? null)}; keys: ${keys.join(", ") || "none"}), so it cannot say what would change. Expected ${EXPECTED_WHATIF_SHAPES}.`,
  );
}

export interface ResourceIdParts {
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
  /** e.g. Microsoft.Storage/storageAccounts/blobServices */
  readonly type: string;
  /** e.g. stdelivery/default */
  readonly name: string;
}

/** Splits an ARM resource id into its type and name (nested types joined with `/`). */
export function parseResourceId(id: string): ResourceIdParts {
  const parts = id.split("/").filter((p) => p !== "");
  const lower = parts.map((p) => p.toLowerCase());
  const sub = lower.indexOf("subscriptions");
  const rg = lower.indexOf("resourcegroups");
  const prov = lower.lastIndexOf("providers");
  const subscriptionId = sub >= 0 ? parts[sub + 1] : undefined;
  const resourceGroup = rg >= 0 ? parts[rg + 1] : undefined;
  if (prov < 0 || prov + 2 >= parts.length) {
    // A resource group or subscription itself.
    if (rg >= 0 && rg + 1 < parts.length) return { subscriptionId, resourceGroup, type: "Microsoft.Resources/resourceGroups", name: parts[rg + 1] };
    return { subscriptionId, resourceGroup, type: "unknown", name: parts[parts.length - 1] ?? id };
  }
  const namespace = parts[prov + 1];
  const rest = parts.slice(prov + 2);
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    types.push(rest[i]);
    if (i + 1 < rest.length) names.push(rest[i + 1]);
  }
  return { subscriptionId, resourceGroup, type: `${namespace}/${types.join("/")}`, name: names.join("/") };
}

export interface ChangeSummary {
  readonly resourceId: string;
  readonly changeType: ChangeType;
  readonly resourceType: string;
  readonly name: string;
  /** Paths of changed properties (leaf paths, e.g. `properties.minimumTlsVersion`); at most 20. */
  readonly changedProperties: readonly string[];
  /** Every changed property with its values, as leaf paths (NoEffect entries left out). */
  readonly deltas: readonly PropertyDelta[];
  /** The resource as it will be (Create) or as it was (Delete): what az prints for those. */
  readonly payload?: unknown;
  readonly unsupportedReason?: string;
}

/** One changed property: its full path (`properties.deleteRetentionPolicy.days`, `properties.ipRules[0]`) and values. */
export interface PropertyDelta {
  readonly path: string;
  /** Create | Delete | Modify (Array changes are split into their elements). */
  readonly propertyChangeType: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface WhatIfSummary {
  readonly status: string;
  /** Every change type, zero when absent. */
  readonly counts: Readonly<Record<ChangeType, number>>;
  readonly total: number;
  /** Changes that delete a resource, with their ids. */
  readonly destructive: readonly ChangeSummary[];
  /** Every change, destructive first, then Create, Modify, Deploy, Unsupported, NoChange, Ignore. */
  readonly changes: readonly ChangeSummary[];
  /** Whether anything would be created, modified, deleted or (re)deployed. */
  readonly hasChanges: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

const ORDER: Record<ChangeType, number> = { Delete: 0, Create: 1, Modify: 2, Deploy: 3, Unsupported: 4, NoChange: 5, Ignore: 6 };
const MAX_PROPERTY_PATHS = 20;

/**
 * The leaves of a delta, each with its full path: Azure nests array element changes (and some
 * clients nest object properties) under `children`; a reviewer reads `path: before => after`.
 */
export function propertyDeltas(delta: readonly WhatIfPropertyChange[] | null | undefined, prefix = ""): PropertyDelta[] {
  const out: PropertyDelta[] = [];
  for (const d of delta ?? []) {
    if (d.propertyChangeType === "NoEffect") continue;
    const path = prefix ? (d.path.startsWith("[") || /^\d+$/.test(d.path) ? `${prefix}[${d.path.replace(/^\[|\]$/g, "")}]` : `${prefix}.${d.path}`) : d.path;
    if (d.children && d.children.length > 0) out.push(...propertyDeltas(d.children, path));
    else {
      out.push({
        path,
        propertyChangeType: d.propertyChangeType,
        ...(d.before !== undefined && d.before !== null ? { before: d.before } : {}),
        ...(d.after !== undefined && d.after !== null ? { after: d.after } : {}),
      });
    }
  }
  return out;
}

/** Counts, destructive changes and an ordered change list from a parsed what-if result. */
export function summarizeWhatIf(result: WhatIfResult): WhatIfSummary {
  const counts = Object.fromEntries(CHANGE_TYPES.map((t) => [t, 0])) as Record<ChangeType, number>;
  const changes: ChangeSummary[] = (result.changes ?? []).map((c) => {
    counts[c.changeType] += 1;
    const { type, name } = parseResourceId(c.resourceId);
    const deltas = propertyDeltas(c.delta);
    const payload = c.changeType === "Create" ? c.after : c.changeType === "Delete" ? c.before : undefined;
    return {
      resourceId: c.resourceId,
      changeType: c.changeType,
      resourceType: type,
      name,
      changedProperties: deltas.slice(0, MAX_PROPERTY_PATHS).map((d) => `${d.path} (${d.propertyChangeType})`),
      deltas,
      ...(payload !== undefined && payload !== null ? { payload } : {}),
      ...(c.unsupportedReason ? { unsupportedReason: c.unsupportedReason } : {}),
    };
  });
  changes.sort((a, b) => ORDER[a.changeType] - ORDER[b.changeType] || a.resourceId.localeCompare(b.resourceId));
  const destructive = changes.filter((c) => DESTRUCTIVE_CHANGE_TYPES.includes(c.changeType));
  const error = result.error ? { code: result.error.code ?? "Unknown", message: flattenError(result.error) } : undefined;
  return {
    status: result.status ?? (error ? "Failed" : "Succeeded"),
    counts,
    total: changes.length,
    destructive,
    changes,
    hasChanges: counts.Create + counts.Modify + counts.Delete + counts.Deploy > 0,
    ...(error ? { error } : {}),
  };
}

function flattenError(e: WhatIfError): string {
  const own = `${e.code ? `${e.code}: ` : ""}${e.message ?? ""}`.trim();
  const inner = (e.details ?? []).map(flattenError).filter((s) => s !== "");
  return [own, ...inner].join(" | ");
}

const LABELS: Record<ChangeType, string> = { Create: "create", Modify: "modify", Delete: "delete", Deploy: "deploy", NoChange: "no change", Ignore: "ignore", Unsupported: "unsupported" };

/** `3 to create, 1 to modify, 1 to delete, 0 to deploy, 5 no change, 0 ignore, 0 unsupported` */
export function countsLine(summary: Pick<WhatIfSummary, "counts">): string {
  const c = summary.counts;
  return `${c.Create} to create, ${c.Modify} to modify, ${c.Delete} to delete, ${c.Deploy} to deploy, ${c.NoChange} no change, ${c.Ignore} ignore, ${c.Unsupported} unsupported`;
}

/** A property value as a reviewer reads it: JSON, cut to `max` characters. */
export function formatValue(value: unknown, max = 80): string {
  const text = value === undefined ? "(none)" : typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `properties.deleteRetentionPolicy.days: 7 => 14`, `+ tags.owner: "team"`, `- properties.x: 1` */
export function deltaText(d: PropertyDelta, max = 80): string {
  if (d.propertyChangeType === "Create") return `+ ${d.path}: ${formatValue(d.after, max)}`;
  if (d.propertyChangeType === "Delete") return `- ${d.path}: ${formatValue(d.before, max)}`;
  return `${d.path}: ${formatValue(d.before, max)} => ${formatValue(d.after, max)}`;
}

const UNCHANGED: readonly ChangeType[] = ["NoChange", "Ignore"];

/**
 * The lines `pulumi preview` shows for a deployment: a counts line, then one line per destructive
 * change (as warnings), then the other changes with their first property deltas (at most `maxLines`).
 */
export function summaryLines(summary: WhatIfSummary, maxLines = 25): { info: string[]; warn: string[] } {
  const info = [`what-if ${summary.status}: ${countsLine(summary)}`];
  const warn = summary.destructive.map((c) => `DESTRUCTIVE ${c.changeType}: ${c.resourceId}`);
  if (summary.error) warn.push(`what-if error: ${summary.error.message}`);
  const others = summary.changes.filter((c) => !DESTRUCTIVE_CHANGE_TYPES.includes(c.changeType) && !UNCHANGED.includes(c.changeType));
  for (const c of others.slice(0, maxLines)) {
    const props = c.deltas.length > 0 ? ` [${c.deltas.slice(0, 5).map((d) => deltaText(d, 40)).join(", ")}${c.deltas.length > 5 ? ", …" : ""}]` : "";
    info.push(`  ${c.changeType.padEnd(11)} ${c.resourceType} ${c.name}${props}`);
  }
  if (others.length > maxLines) info.push(`  … and ${others.length - maxLines} more changes (see the what-if JSON)`);
  return { info, warn };
}

export interface MarkdownOptions {
  /** Heading text, e.g. the stack and environment. Defaults to "What-if". */
  readonly title?: string;
  /** GitHub rejects comments over 65536 characters; the rendering stays under this. Defaults to 60000. */
  readonly maxChars?: number;
  /** List NoChange and Ignore resources too (folded in a details block, when there is room). Defaults to true. */
  readonly includeUnchanged?: boolean;
  /** Where the full what-if is when rows are left out. Defaults to "the run's artifacts". */
  readonly fullWhatIfAt?: string;
  /** Property deltas shown per resource before "… n more". Defaults to 10. */
  readonly maxDeltasPerResource?: number;
}

/** Escapes text for a markdown table cell: pipes, backticks, newlines and HTML. */
export function mdCell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/`/g, "'").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r?\n/g, " ");
}

/**
 * Text as a code span in a table cell. GitHub shows a code span's characters literally (entity
 * references like `&gt;` would show as typed, so none are used; `<` cannot start HTML there); a
 * backtick would end it early and a pipe the cell, so those are replaced and escaped.
 */
export function mdCode(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, "\\|").replace(/\r?\n/g, " ")}\``;
}

const ICON: Record<ChangeType, string> = { Delete: "🔴", Create: "🟢", Modify: "🟡", Deploy: "🔵", Unsupported: "⚪", NoChange: "▫️", Ignore: "▫️" };

/** `1 to create, 2 to modify, **1 to delete**, 27 unchanged`: only what is there; "no changes" when nothing is. */
export function countsHeadline(counts: Readonly<Record<ChangeType, number>>): string {
  const parts: string[] = [];
  for (const t of ["Delete", "Create", "Modify", "Deploy", "Unsupported"] as const) {
    if (counts[t] === 0) continue;
    const text = t === "Unsupported" ? `${counts[t]} unsupported` : `${counts[t]} to ${LABELS[t]}`;
    parts.push(DESTRUCTIVE_CHANGE_TYPES.includes(t) ? `**${text}**` : text);
  }
  const unchanged = counts.NoChange + counts.Ignore;
  if (parts.length === 0) return unchanged > 0 ? `no changes (${unchanged} unchanged)` : "no changes";
  return unchanged > 0 ? `${parts.join(", ")}, ${unchanged} unchanged` : parts.join(", ");
}

/** Adds counts per change type. */
export function addCounts(...all: readonly Readonly<Record<ChangeType, number>>[]): Record<ChangeType, number> {
  const sum = Object.fromEntries(CHANGE_TYPES.map((t) => [t, 0])) as Record<ChangeType, number>;
  for (const c of all) for (const t of CHANGE_TYPES) sum[t] += c[t] ?? 0;
  return sum;
}

function propertyCell(c: ChangeSummary, maxDeltas: number): string {
  if (c.deltas.length > 0) {
    const shown = c.deltas.slice(0, maxDeltas).map((d) => mdCode(deltaText(d, 60)));
    if (c.deltas.length > maxDeltas) shown.push(`… ${c.deltas.length - maxDeltas} more`);
    return shown.join("<br>");
  }
  if (c.unsupportedReason) return mdCell(c.unsupportedReason);
  if (c.payload !== null && typeof c.payload === "object") {
    const n = Object.keys((c.payload as { properties?: object }).properties ?? {}).length;
    return n > 0 ? `${n} ${n === 1 ? "property" : "properties"} ${c.changeType === "Delete" ? "removed" : "set"}` : "";
  }
  return "";
}

/**
 * The PR-comment markdown of one deployment's what-if: a headline with the counts, a warning
 * when something is deleted, a table of the changes (destructive first) with each property's
 * before => after, then the unchanged resources folded in a details block. When the rows would
 * exceed `maxChars`, destructive rows keep most of the room and every other change type still
 * shows its first rows (`pickRows`); each cut type ends with a "… N more" row, and a line says how
 * many (and how many destructive) were left out and where the full what-if is.
 */
export function renderMarkdown(summary: WhatIfSummary, options: MarkdownOptions = {}): string {
  const maxChars = options.maxChars ?? 60_000;
  const includeUnchanged = options.includeUnchanged ?? true;
  const fullAt = options.fullWhatIfAt ?? "the run's artifacts";
  const maxDeltas = options.maxDeltasPerResource ?? 10;
  const head: string[] = [`##### ${mdCell(options.title ?? "What-if")}: ${summary.error ? "**what-if failed**" : countsHeadline(summary.counts)}`, ""];
  if (summary.error) head.push(`> [!CAUTION]`, `> What-if ${mdCell(summary.status)}: ${mdCell(summary.error.message)}`, "");
  if (summary.destructive.length > 0) {
    head.push(`> [!WARNING]`, `> **${summary.destructive.length} destructive change${summary.destructive.length === 1 ? "" : "s"}**: ${summary.destructive.length === 1 ? "this resource" : "these resources"} would be deleted (first rows below).`, "");
  }
  const changed = summary.changes.filter((c) => !UNCHANGED.includes(c.changeType));
  const unchanged = summary.changes.filter((c) => UNCHANGED.includes(c.changeType));
  const rows = changed.map((c) => `| ${ICON[c.changeType]} ${c.changeType} | ${mdCode(c.name)} | ${mdCell(c.resourceType)} | ${propertyCell(c, maxDeltas)} |`);
  const out = [...head];
  if (rows.length > 0) out.push("| change | resource | type | property changes (before => after) |", "|---|---|---|---|");
  else if (!summary.error) out.push("Nothing would be created, modified or deleted.");
  let used = out.join("\n").length;
  const reserve = 300; // room for the "left out" line and the details block's frame
  const groups = groupRows(changed, rows);
  const picked = pickRows(groups, maxChars - reserve - used);
  let shown = 0;
  let shownDestructive = 0;
  groups.forEach((g, i) => {
    const take = g.rows.slice(0, picked[i]);
    const more = g.rows.length - take.length;
    const lines = more > 0 ? [...take, `| … | ${more} more ${g.changeType} | | |`] : take;
    out.push(...lines);
    used += lines.reduce((n, l) => n + l.length + 1, 0);
    shown += take.length;
    if (DESTRUCTIVE_CHANGE_TYPES.includes(g.changeType)) shownDestructive += take.length;
  });
  if (shown < rows.length) {
    const left = rows.length - shown;
    const leftDestructive = Math.max(0, summary.destructive.length - shownDestructive);
    out.push("", `… ${left} more change${left === 1 ? "" : "s"} left out to fit a comment${leftDestructive > 0 ? ` (${leftDestructive} of them destructive)` : ""}; the full what-if is in ${fullAt}.`);
  }
  if (includeUnchanged && unchanged.length > 0) {
    const list = unchanged.map((c) => `\`${mdCell(c.name)}\` (${mdCell(c.resourceType)}${c.changeType === "Ignore" ? ", ignored" : ""})`);
    const open = `\n<details><summary>${unchanged.length} unchanged resource${unchanged.length === 1 ? "" : "s"}</summary>\n`;
    const room = maxChars - used - open.length - 40 - (shown < rows.length ? 300 : 0);
    const items: string[] = [];
    let size = 0;
    for (const item of list) {
      if (size + item.length + 2 > room) break;
      items.push(item);
      size += item.length + 2;
    }
    if (items.length > 0) {
      const more = list.length - items.length;
      out.push(open, items.join(", ") + (more > 0 ? `, … ${more} more (see ${fullAt})` : ""), "</details>");
    }
  }
  return `${out.join("\n")}\n`;
}

/** The table rows of each change type, in the order of the changes (destructive first). */
function groupRows(changes: readonly ChangeSummary[], rows: readonly string[]): { changeType: ChangeType; rows: string[] }[] {
  const groups: { changeType: ChangeType; rows: string[] }[] = [];
  changes.forEach((c, i) => {
    const last = groups[groups.length - 1];
    if (last?.changeType === c.changeType) last.rows.push(rows[i]);
    else groups.push({ changeType: c.changeType, rows: [rows[i]] });
  });
  return groups;
}

/**
 * How many rows of each group fit in `room` characters: all when they do; otherwise the
 * destructive ones first (up to 60% of the room), then the other change types in turns, one row
 * each per turn, so a reviewer of a huge what-if still sees examples of every kind of change (the
 * modifications with their before and after values, not only the first type in the list). Each
 * cut group keeps room for its "… N more" row.
 */
function pickRows(groups: readonly { changeType: ChangeType; rows: readonly string[] }[], room: number): number[] {
  const size = (row: string) => row.length + 1;
  const total = groups.reduce((n, g) => n + g.rows.reduce((m, r) => m + size(r), 0), 0);
  if (total <= room) return groups.map((g) => g.rows.length);
  const MORE_ROW = 60;
  let left = room - MORE_ROW * groups.length;
  const picked = groups.map(() => 0);
  const destructive = groups.findIndex((g) => DESTRUCTIVE_CHANGE_TYPES.includes(g.changeType));
  if (destructive >= 0) {
    const cap = groups.length > 1 ? Math.floor(left * 0.6) : left;
    let used = 0;
    for (const row of groups[destructive].rows) {
      if (used + size(row) > cap) break;
      used += size(row);
      picked[destructive]++;
    }
    left -= used;
  }
  for (let progress = true; progress; ) {
    progress = false;
    groups.forEach((g, i) => {
      if (i === destructive || picked[i] >= g.rows.length) return;
      const next = size(g.rows[picked[i]]);
      if (next > left) return;
      left -= next;
      picked[i]++;
      progress = true;
    });
  }
  return picked;
}

/** The JSON `delivery whatif` prints: counts per change type and the destructive changes. */
export function summaryJson(summary: WhatIfSummary): Record<string, unknown> {
  return {
    status: summary.status,
    counts: summary.counts,
    total: summary.total,
    hasChanges: summary.hasChanges,
    destructive: summary.destructive.map((c) => ({ resourceId: c.resourceId, changeType: c.changeType, resourceType: c.resourceType, name: c.name })),
    changes: summary.changes.map((c) => ({ resourceId: c.resourceId, changeType: c.changeType, changedProperties: c.changedProperties, ...(c.deltas.length > 0 ? { deltas: c.deltas } : {}) })),
    ...(summary.error ? { error: summary.error } : {}),
  };
}

/** One changed resource as a preview's diff carries it. */
export interface PreviewChange {
  readonly resourceId: string;
  readonly changeType: ChangeType;
  /** Set on changes that delete a resource. */
  readonly destructive?: true;
  /** Each changed property with its before and after value (Modify, Deploy). */
  readonly delta?: readonly PropertyDelta[];
  /** The resource as it will be (Create). */
  readonly after?: unknown;
  /** The resource as it is (Delete). */
  readonly before?: unknown;
  readonly unsupportedReason?: string;
}

/**
 * The what-if of one preview, as the Bicep deployment's checked inputs carry it, so
 * `pulumi preview --diff` prints it (and policies read `destructive`): per changed resource the
 * change type and each property's before and after value; unchanged resources are only counted.
 */
export interface WhatIfPreview {
  readonly status: string;
  /** `1 to modify, 27 unchanged` */
  readonly summary: string;
  /** Ids of the resources it deletes. */
  readonly destructive: readonly string[];
  /** Changed resources, destructive first. */
  readonly changes: readonly PreviewChange[];
  /** Changes left out (beyond `maxChanges`); the full what-if is the saved JSON. */
  readonly omitted?: number;
}

export interface PreviewLimits {
  /** Changed resources listed. Defaults to 200. */
  readonly maxChanges?: number;
  /** A Create/Delete payload longer than this (as JSON) is replaced by a note. Defaults to 4000. */
  readonly maxPayloadChars?: number;
}

/** Drops null and undefined members, so the engine prints no `<null>` noise. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, withoutNulls(v)]));
  }
  return value;
}

/** The preview form of a summary: see WhatIfPreview. Plain JSON (no undefined), as Pulumi serialises inputs. */
export function previewOf(summary: WhatIfSummary, limits: PreviewLimits = {}): WhatIfPreview {
  const maxChanges = limits.maxChanges ?? 200;
  const maxPayload = limits.maxPayloadChars ?? 4000;
  const changed = summary.changes.filter((c) => !UNCHANGED.includes(c.changeType));
  const payload = (p: unknown) => {
    const text = JSON.stringify(p) ?? "";
    return text.length <= maxPayload ? withoutNulls(p) : `(${text.length} characters; see the what-if JSON)`;
  };
  const changes = changed.slice(0, maxChanges).map((c): PreviewChange => ({
    resourceId: c.resourceId,
    changeType: c.changeType,
    ...(DESTRUCTIVE_CHANGE_TYPES.includes(c.changeType) ? { destructive: true as const } : {}),
    ...(c.deltas.length > 0 ? { delta: c.deltas.map((d) => withoutNulls(d) as PropertyDelta) } : {}),
    ...(c.payload !== undefined && c.changeType === "Create" ? { after: payload(c.payload) } : {}),
    ...(c.payload !== undefined && c.changeType === "Delete" ? { before: payload(c.payload) } : {}),
    ...(c.unsupportedReason ? { unsupportedReason: c.unsupportedReason } : {}),
  }));
  return {
    status: summary.status,
    summary: countsHeadline(summary.counts).replace(/\*\*/g, ""),
    destructive: summary.destructive.map((c) => c.resourceId),
    changes,
    ...(changed.length > maxChanges ? { omitted: changed.length - maxChanges } : {}),
  };
}

/** The compact form kept in provider outputs and audit records (no before/after payloads). */
export interface WhatIfDigest {
  readonly status: string;
  readonly counts: Readonly<Record<ChangeType, number>>;
  readonly destructive: readonly string[];
  readonly changed: readonly string[];
}

export function digest(summary: WhatIfSummary, maxChanged = 100): WhatIfDigest {
  return {
    status: summary.status,
    counts: summary.counts,
    destructive: summary.destructive.map((c) => c.resourceId),
    changed: summary.changes
      .filter((c) => c.changeType !== "NoChange" && c.changeType !== "Ignore")
      .slice(0, maxChanged)
      .map((c) => `${c.changeType} ${c.resourceId}`),
  };
}
