/**
 * The audit record every Bicep deployment writes, successful or not: who deployed what (git SHA,
 * actor, stack, content hashes), what the what-if said, each phase's events with timestamps, every
 * attempt, the result, the resource ids and the duration. The workflow uploads the directory as an
 * artifact. Nothing secret goes in: parameter values are never recorded (only the overrides' names
 * and the hash), and text that looks like a credential is masked before writing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Classification } from "./classify";
import type { AttemptRecord } from "./retry";
import type { WhatIfDigest } from "./whatif";

/** The version of the audit record's shape; raise it when a field changes meaning or goes away. */
export const AUDIT_SCHEMA_VERSION = 1;

export type AuditPhase = "validate" | "preflight" | "lint" | "what-if" | "guard" | "deploy" | "health" | "audit";

export interface AuditEvent {
  readonly at: string;
  readonly phase: AuditPhase;
  readonly level: "info" | "warning" | "error";
  readonly message: string;
  readonly attempt?: number;
  readonly classification?: Pick<Classification, "category" | "retryable" | "kind">;
}

export interface AuditRecord {
  readonly schemaVersion: typeof AUDIT_SCHEMA_VERSION;
  readonly kind: "bicep-deployment";
  readonly deploymentName: string;
  readonly stack: string;
  readonly resourceGroup: string;
  readonly subscriptionId: string;
  readonly mode: string;
  readonly gitSha: string;
  readonly actor: string;
  /** GitHub run URL when run from Actions. */
  readonly runUrl?: string;
  readonly template: { readonly path: string; readonly hash: string };
  readonly parameters: { readonly path: string; readonly hash: string; readonly overrideNames: readonly string[] };
  /** Every file the deployment depends on -> short content hash. */
  readonly files: Readonly<Record<string, string>>;
  readonly contentHash: string;
  readonly whatIf?: WhatIfDigest;
  /** Recorded when destructive changes were allowed through. */
  readonly destructiveChangesAllowedBecause?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly result: "succeeded" | "failed";
  /** The phase that failed, when the result is failed. */
  readonly failedPhase?: AuditPhase;
  readonly failure?: { readonly message: string; readonly classification?: Classification };
  /** Every what-if and deploy attempt, with the phase it belongs to. */
  readonly attempts: readonly (AttemptRecord & { readonly phase?: string })[];
  readonly deploymentId?: string;
  readonly resourceIds: readonly string[];
  /** Template output names and types; values only for non-secret, non-sensitive-looking outputs. */
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly health?: { readonly healthy: boolean; readonly checks: readonly HealthCheck[] };
  readonly events: readonly AuditEvent[];
}

export interface HealthCheck {
  /** A resource id or an https URL. */
  readonly target: string;
  readonly healthy: boolean;
  /** provisioningState, or the HTTP status. */
  readonly observed: string;
}

const SECRET_KEY = /(password|passwd|secret|token|credential|connectionstring|accountkey|access_?key|sas|primarykey|secondarykey|apikey|privatekey|clientsecret)/i;

const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs (access tokens, OIDC tokens)
  /((?:AccountKey|SharedAccessKey|Password|pwd)=)[^;\s"']+/gi, // connection-string secrets
  /([?&]sig=)[^&\s"']+/gi, // SAS signatures
  /(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----)/g,
];

/** Masks credential-looking substrings in free text (error messages, az output). */
export function redactText(text: string): string {
  let out = text;
  for (const re of SECRET_VALUE_PATTERNS) {
    out = out.replace(re, (match, p1?: string, p2?: string) => {
      if (typeof p1 === "string" && typeof p2 === "string" && match.startsWith("-----")) return `${p1}***${p2}`;
      return typeof p1 === "string" && match.startsWith(p1) ? `${p1}***` : "***";
    });
  }
  return out;
}

/** Deep copy with values under secret-looking keys replaced by "***" and free text redacted. */
export function redactValue(value: unknown, key = ""): unknown {
  if (key !== "" && SECRET_KEY.test(key)) return "***";
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactValue(v, k)]));
  }
  return value;
}

/**
 * Template outputs as the record keeps them: `secureString`/`secureObject` outputs by type only
 * (ARM does not return their values anyway), others redacted.
 */
export function auditOutputs(outputs: Readonly<Record<string, { type?: string; value?: unknown }>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(outputs ?? {})) {
    const type = o?.type ?? "unknown";
    out[name] = /^secure/i.test(type) ? { type, value: "***" } : { type, value: redactValue(o?.value, name) };
  }
  return out;
}

/** `20260219T100530Z-dev-delivery-app-1a2b3c4d5e6f.json`: sortable by time, unique per deployment. */
export function auditFileName(record: Pick<AuditRecord, "startedAt" | "stack" | "deploymentName">): string {
  const stamp = record.startedAt.replace(/[-:]/g, "").replace(/\.\d+/, "");
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");
  return `${stamp}-${safe(record.stack)}-${safe(record.deploymentName)}.json`;
}

/** Writes the record (redacted once more, as a last line of defence) and returns its path. */
export function writeAuditRecord(dir: string, record: AuditRecord): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, auditFileName(record));
  const safe = redactValue(record) as AuditRecord;
  fs.writeFileSync(file, `${JSON.stringify(safe, null, 2)}\n`, { mode: 0o644 });
  return file;
}
