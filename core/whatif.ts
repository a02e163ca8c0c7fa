/**
 * The what-if model: parses `az deployment group what-if --no-pretty-print` output (the REST API's
 * WhatIfOperationResult), counts changes per change type, lists the destructive ones, and renders
 * the summary a reviewer reads, as log lines for `pulumi preview` and as markdown for a PR comment.
 *
 * Shape (https://learn.microsoft.com/rest/api/resources/deployments/what-if):
 *   { status, error?, changes: [{ resourceId, changeType, unsupportedReason?, before?, after?,
 *     delta?: [{ path, propertyChangeType, before?, after?, children? }] }], potentialChanges?, diagnostics? }
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

const resultSchema = z.looseObject({
  status: z.string().nullish(),
  error: errorSchema.nullish(),
  changes: z.array(changeSchema).nullish(),
  potentialChanges: z.array(changeSchema).nullish(),
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

/** Parses what-if JSON text; the message says what was wrong and shows the start of the text. */
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
  const parsed = resultSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("") || "(root)";
    throw new WhatIfParseError(`what-if output is not a WhatIfOperationResult: at ${where}: ${issue.message}`);
  }
  return parsed.data as WhatIfResult;
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
  readonly unsupportedReason?: string;
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

function leafPaths(delta: readonly WhatIfPropertyChange[] | null | undefined, prefix = ""): string[] {
  const out: string[] = [];
  for (const d of delta ?? []) {
    if (d.propertyChangeType === "NoEffect") continue;
    const path = prefix ? (d.path.startsWith("[") || /^\d+$/.test(d.path) ? `${prefix}[${d.path.replace(/^\[|\]$/g, "")}]` : `${prefix}.${d.path}`) : d.path;
    if (d.children && d.children.length > 0) out.push(...leafPaths(d.children, path));
    else out.push(`${path} (${d.propertyChangeType})`);
  }
  return out;
}

/** Counts, destructive changes and an ordered change list from a parsed what-if result. */
export function summarizeWhatIf(result: WhatIfResult): WhatIfSummary {
  const counts = Object.fromEntries(CHANGE_TYPES.map((t) => [t, 0])) as Record<ChangeType, number>;
  const changes: ChangeSummary[] = (result.changes ?? []).map((c) => {
    counts[c.changeType] += 1;
    const { type, name } = parseResourceId(c.resourceId);
    return {
      resourceId: c.resourceId,
      changeType: c.changeType,
      resourceType: type,
      name,
      changedProperties: leafPaths(c.delta).slice(0, MAX_PROPERTY_PATHS),
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

/**
 * The lines `pulumi preview` shows for a deployment: a counts line, then one line per destructive
 * change (as warnings), then the other changes (at most `maxLines`).
 */
export function summaryLines(summary: WhatIfSummary, maxLines = 25): { info: string[]; warn: string[] } {
  const info = [`what-if ${summary.status}: ${countsLine(summary)}`];
  const warn = summary.destructive.map((c) => `DESTRUCTIVE ${c.changeType}: ${c.resourceId}`);
  if (summary.error) warn.push(`what-if error: ${summary.error.message}`);
  const others = summary.changes.filter((c) => !DESTRUCTIVE_CHANGE_TYPES.includes(c.changeType) && c.changeType !== "NoChange" && c.changeType !== "Ignore");
  for (const c of others.slice(0, maxLines)) {
    const props = c.changedProperties.length > 0 ? ` [${c.changedProperties.slice(0, 5).join(", ")}${c.changedProperties.length > 5 ? ", …" : ""}]` : "";
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
  /** Show NoChange and Ignore rows too (folded). Defaults to true. */
  readonly includeUnchanged?: boolean;
}

/** Escapes text for a markdown table cell: pipes, backticks, newlines and HTML. */
export function mdCell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/`/g, "'").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r?\n/g, " ");
}

const ICON: Record<ChangeType, string> = { Delete: "🔴", Create: "🟢", Modify: "🟡", Deploy: "🔵", Unsupported: "⚪", NoChange: "▫️", Ignore: "▫️" };

/**
 * The PR-comment markdown: counts, a warning block listing destructive changes, then a table of
 * changes, destructive first. Rows are dropped from the end when the text would exceed
 * `maxChars`, and a line says how many were left out; destructive rows are the last to go.
 */
export function renderMarkdown(summary: WhatIfSummary, options: MarkdownOptions = {}): string {
  const maxChars = options.maxChars ?? 60_000;
  const includeUnchanged = options.includeUnchanged ?? true;
  const head: string[] = [];
  head.push(`### ${mdCell(options.title ?? "What-if")}: ${mdCell(summary.status)}`);
  head.push("");
  head.push(`| ${CHANGE_TYPES.map((t) => LABELS[t]).join(" | ")} |`);
  head.push(`|${CHANGE_TYPES.map(() => "---:").join("|")}|`);
  head.push(`| ${CHANGE_TYPES.map((t) => String(summary.counts[t])).join(" | ")} |`);
  head.push("");
  if (summary.error) head.push(`> [!CAUTION]`, `> What-if failed: ${mdCell(summary.error.message)}`, "");
  if (summary.destructive.length > 0) {
    head.push(`> [!WARNING]`, `> **${summary.destructive.length} destructive change${summary.destructive.length === 1 ? "" : "s"}**: these resources would be deleted.`, "");
  } else {
    head.push("No destructive changes.", "");
  }
  const visible = summary.changes.filter((c) => includeUnchanged || (c.changeType !== "NoChange" && c.changeType !== "Ignore"));
  const rows = visible.map((c) => {
    const props = c.changedProperties.length > 0 ? c.changedProperties.map((p) => `\`${mdCell(p)}\``).join("<br>") : c.unsupportedReason ? mdCell(c.unsupportedReason) : "";
    return `| ${ICON[c.changeType]} ${c.changeType} | ${mdCell(c.resourceType)} | ${mdCell(c.name)} | ${props} | \`${mdCell(c.resourceId)}\` |`;
  });
  const tableHead = rows.length > 0 ? ["| change | type | name | properties | resource id |", "|---|---|---|---|---|"] : ["No resources in the what-if result."];
  const out = [...head, ...tableHead];
  let used = out.join("\n").length;
  let shown = 0;
  const reserve = 200; // room for the "left out" line
  for (const row of rows) {
    if (used + row.length + 1 > maxChars - reserve) break;
    out.push(row);
    used += row.length + 1;
    shown++;
  }
  if (shown < rows.length) {
    const left = rows.length - shown;
    const leftDestructive = Math.max(0, summary.destructive.length - shown);
    out.push("", `… ${left} more change${left === 1 ? "" : "s"} left out to fit a comment${leftDestructive > 0 ? ` (${leftDestructive} of them destructive)` : ""}; the full what-if JSON is in the run's artifacts.`);
  }
  return `${out.join("\n")}\n`;
}

/** The JSON `delivery whatif` prints: counts per change type and the destructive changes. */
export function summaryJson(summary: WhatIfSummary): Record<string, unknown> {
  return {
    status: summary.status,
    counts: summary.counts,
    total: summary.total,
    hasChanges: summary.hasChanges,
    destructive: summary.destructive.map((c) => ({ resourceId: c.resourceId, changeType: c.changeType, resourceType: c.resourceType, name: c.name })),
    changes: summary.changes.map((c) => ({ resourceId: c.resourceId, changeType: c.changeType, changedProperties: c.changedProperties })),
    ...(summary.error ? { error: summary.error } : {}),
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
