/**
 * Post-deployment validation an environment runs before promotion (docs/promotion.md,
 * "Validations"): health checks and smoke tests everywhere, production monitors in prod. Each
 * check is a pure function of what it observed, so the promote workflow's verdict is explainable.
 */
import type { HealthCheck } from "./audit";

export type ValidationKind = "health" | "smoke" | "monitors";
export const VALIDATION_KINDS: readonly ValidationKind[] = ["health", "smoke", "monitors"];

/** GETs an https URL, resolving to the status code (rejects on network errors and timeouts). */
export type HttpGet = (url: string, timeoutMs: number) => Promise<number>;

/** A real GET with fetch: the status code, following redirects; the body is discarded. */
export async function fetchStatus(url: string, timeoutMs: number): Promise<number> {
  const res = await fetch(url, { method: "GET", redirect: "follow", signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  return res.status;
}

/** Each endpoint must answer 2xx within the timeout. */
export async function checkEndpoints(urls: readonly string[], httpGet: HttpGet, timeoutMs: number): Promise<HealthCheck[]> {
  return Promise.all(
    urls.map(async (url) => {
      try {
        const status = await httpGet(url, timeoutMs);
        return { target: url, healthy: status >= 200 && status < 300, observed: `HTTP ${status}` };
      } catch (err) {
        return { target: url, healthy: false, observed: `request failed: ${requestError(err)}` };
      }
    }),
  );
}

export interface RetryOptions {
  /** Requests per endpoint before it counts as failed (at least 1). */
  readonly attempts: number;
  /** Pause between attempts. */
  readonly delayMs: number;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Each endpoint must answer 2xx within the timeout, in at most `attempts` requests (an app that is
 * still starting gets its chance); the check names the attempts it took, or the last failure.
 */
export async function checkEndpointsWithRetries(urls: readonly string[], httpGet: HttpGet, options: RetryOptions): Promise<HealthCheck[]> {
  return Promise.all(
    urls.map(async (url) => {
      let last: HealthCheck = { target: url, healthy: false, observed: "not checked" };
      for (let attempt = 1; attempt <= Math.max(1, options.attempts); attempt++) {
        [last] = await checkEndpoints([url], httpGet, options.timeoutMs);
        if (last.healthy) return attempt === 1 ? last : { ...last, observed: `${last.observed} (attempt ${attempt} of ${options.attempts})` };
        if (attempt < options.attempts) await options.sleep(options.delayMs);
      }
      return options.attempts > 1 ? { ...last, observed: `${last.observed} (after ${options.attempts} attempts)` } : last;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Which endpoints: configured, else from the deployment itself, else none only when the stack says so

/** Loopback hosts: a local stand-in (the sandbox's app) answers plain http there; anything else must be https. */
const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/i;
const HOST = /^(?=.{1,253}(?::\d{1,5})?$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[::1\])(?::(\d{1,5}))?$/;

/** `https://<host>/` for a host name output (`func-payments-dev.azurewebsites.net`); plain http only on loopback. Null when it is not a host name. */
export function hostHealthUrl(host: string): string | null {
  if (!HOST.test(host)) return null;
  const name = host.replace(/:\d+$/, "");
  const url = `${LOOPBACK.test(name) ? "http" : "https"}://${host}/`;
  // The URL parser reads a name ending in a number as an IPv4 address ("a.0" is refused, "1.2.3"
  // becomes 1.2.0.3): such a name is no host name to check.
  try {
    return new URL(url).hostname === name.toLowerCase() ? url : null;
  } catch {
    return null;
  }
}

/** A full URL output (`healthUrl`): https, or http on loopback; null otherwise. */
function healthUrlOutput(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.test(url.hostname))) return url.toString();
  return null;
}

/** Output names that carry an endpoint: a host name (`functionAppHostName`, `defaultHostName`) or a full health URL (`healthUrl`, `healthEndpoint`). */
const HOST_OUTPUT = /hostname$/i;
const URL_OUTPUT = /health(?:url|endpoint)$/i;

export interface HealthTarget {
  readonly url: string;
  /** Where it came from: the config key, or the deployment output and its record. */
  readonly source: string;
}

/**
 * The endpoints a deployment's template outputs name (as the audit record keeps them:
 * name -> { type, value }, or plain values), with what was skipped and why.
 */
export function endpointsFromOutputs(outputs: Readonly<Record<string, unknown>>, recordName: string): { targets: HealthTarget[]; skipped: string[] } {
  const targets: HealthTarget[] = [];
  const skipped: string[] = [];
  for (const name of Object.keys(outputs).sort()) {
    const raw = outputs[name];
    const value = raw !== null && typeof raw === "object" && "value" in (raw as object) ? (raw as { value: unknown }).value : raw;
    if (!HOST_OUTPUT.test(name) && !URL_OUTPUT.test(name)) continue;
    const url = typeof value !== "string" ? null : URL_OUTPUT.test(name) ? healthUrlOutput(value) : hostHealthUrl(value);
    if (url) targets.push({ url, source: `output ${name} of ${recordName}` });
    else skipped.push(`output ${name} is ${JSON.stringify(value)?.slice(0, 80)}, not ${URL_OUTPUT.test(name) ? "an https URL" : "a host name"}`);
  }
  return { targets, skipped };
}

export interface HealthTargetInput {
  readonly environment: string;
  /** `environments[E].bicep.healthEndpoints`. */
  readonly configured: readonly string[];
  /** `environments[E].bicep.noHealthEndpoints`: the stack says explicitly it has none, and why. */
  readonly declaredNone: { readonly reason: string } | undefined;
  /** What the deployment says about itself (`pickDeploymentRecord`), or why nothing does. */
  readonly deployment: DeploymentEndpoints;
}

/**
 * Where a deployment's endpoints are read from: its template outputs (an audit record, on the
 * machine that deployed), or the URL the deploy job recorded on its GitHub deployment (the promote
 * workflow's validation job, on another runner: `deploymentEnvironmentUrl` chose it from the same
 * outputs, and `delivery promote record export` wrote it down), or why there is neither.
 */
export type DeploymentEndpoints =
  | { readonly recordName: string; readonly outputs: Readonly<Record<string, unknown>> }
  | { readonly recordName: string; readonly environmentUrl: string | null }
  | { readonly problem: string };

export type HealthTargets =
  | { readonly kind: "targets"; readonly targets: readonly HealthTarget[]; readonly notes: readonly string[] }
  | { readonly kind: "declared-none"; readonly reason: string }
  | { readonly kind: "nothing-to-check"; readonly reason: string };

/** Configured endpoints win; else the deployment's own outputs; else nothing, which fails unless the stack says it has none. */
export function resolveHealthTargets(input: HealthTargetInput): HealthTargets {
  const key = `environments[${input.environment}].bicep`;
  if (input.configured.length > 0 && input.declaredNone) {
    return { kind: "nothing-to-check", reason: `${key} sets both healthEndpoints and noHealthEndpoints; remove one of them` };
  }
  if (input.configured.length > 0) return { kind: "targets", targets: input.configured.map((url) => ({ url, source: `${key}.healthEndpoints` })), notes: [] };
  if (input.declaredNone) return { kind: "declared-none", reason: input.declaredNone.reason };
  if ("problem" in input.deployment) {
    return { kind: "nothing-to-check", reason: `no endpoint to check: none configured (${key}.healthEndpoints) and ${input.deployment.problem}; if ${input.environment} has no endpoint, say so with ${key}.noHealthEndpoints.reason` };
  }
  if ("environmentUrl" in input.deployment) {
    const { recordName, environmentUrl } = input.deployment;
    const url = environmentUrl === null ? null : healthUrlOutput(environmentUrl);
    if (url) return { kind: "targets", targets: [{ url, source: `environment_url of ${recordName}` }], notes: [] };
    return {
      kind: "nothing-to-check",
      reason: `no endpoint to check: none configured (${key}.healthEndpoints) and ${recordName} ${environmentUrl === null ? "records no environment_url (no output of the deployment names an endpoint)" : `records environment_url ${JSON.stringify(environmentUrl.slice(0, 120))}, which is not an https URL`}; add an output ending in HostName or healthUrl, configure ${key}.healthEndpoints, or say ${input.environment} has none with ${key}.noHealthEndpoints.reason`,
    };
  }
  const { targets, skipped } = endpointsFromOutputs(input.deployment.outputs, input.deployment.recordName);
  if (targets.length > 0) return { kind: "targets", targets, notes: skipped };
  const outputs = Object.keys(input.deployment.outputs);
  return {
    kind: "nothing-to-check",
    reason: `no endpoint to check: none configured (${key}.healthEndpoints) and no output of ${input.deployment.recordName} names one (outputs: ${outputs.join(", ") || "none"}${skipped.length > 0 ? `; ${skipped.join("; ")}` : ""}); add an output ending in HostName or healthUrl, configure ${key}.healthEndpoints, or say ${input.environment} has none with ${key}.noHealthEndpoints.reason`,
  };
}

/** What the audit directory holds, as far as choosing the deployment goes. */
export interface AuditRecordSummary {
  readonly file: string;
  readonly kind: unknown;
  readonly stack: unknown;
  readonly result: unknown;
  readonly gitSha: unknown;
  readonly finishedAt: unknown;
  readonly outputs: unknown;
  /** `github-deployment` records only: the deployment's recorded URL (null when it recorded none). */
  readonly environmentUrl?: unknown;
  readonly deploymentId?: unknown;
}

/**
 * The stack output holding the Bicep deployment's template outputs (index.ts exports it), which the
 * deploy job reads with `pulumi stack output --json` after every `pulumi up`, also one that changed
 * nothing in Azure (and so wrote no audit record).
 */
export const DEPLOYMENT_OUTPUTS_KEY = "bicepTemplateOutputs";

/** The kind of record `delivery promote record export` writes: a GitHub deployment as the deploy job recorded it. */
export const GITHUB_DEPLOYMENT_RECORD = "github-deployment";

/** What `delivery promote record export` writes for `delivery validate` (an AuditRecordSummary of kind `github-deployment`). */
export interface GitHubDeploymentRecord {
  readonly kind: typeof GITHUB_DEPLOYMENT_RECORD;
  readonly deploymentId: number;
  readonly stack: string;
  readonly gitSha: string;
  readonly result: "succeeded";
  readonly finishedAt: string;
  readonly environmentUrl: string | null;
  readonly runUrl: string | null;
}

export function githubDeploymentRecordFile(deploymentId: number): string {
  return `${GITHUB_DEPLOYMENT_RECORD}-${deploymentId}.json`;
}

/**
 * The URL the deploy job records on its GitHub deployment (the success status's `environment_url`):
 * the first endpoint the deployment's outputs name, by the same rule the checks use. GitHub keeps
 * one URL per status; the others are returned so the caller can say they were not recorded.
 */
export function deploymentEnvironmentUrl(deployment: DeploymentEndpoints): { url: string; source: string; notRecorded: string[] } | { problem: string } {
  if ("problem" in deployment) return { problem: deployment.problem };
  if (!("outputs" in deployment)) return { problem: `${deployment.recordName} is not an audit record with outputs` };
  const { targets, skipped } = endpointsFromOutputs(deployment.outputs, deployment.recordName);
  if (targets.length === 0) return { problem: `no output of ${deployment.recordName} names an endpoint${skipped.length > 0 ? ` (${skipped.join("; ")})` : ""}` };
  return { url: targets[0].url, source: targets[0].source, notRecorded: targets.slice(1).map((t) => t.url) };
}

const isSucceeded = (r: AuditRecordSummary) =>
  r.result === "succeeded" && (r.kind === GITHUB_DEPLOYMENT_RECORD ? r.environmentUrl === null || typeof r.environmentUrl === "string" : typeof r.outputs === "object" && r.outputs !== null);

/**
 * The newest successful deployment of `stack` (of `commit`, when given) in the directory: a Bicep
 * audit record (its outputs), or a GitHub deployment record (its recorded URL); else why there is none.
 */
export function pickDeploymentRecord(records: readonly AuditRecordSummary[], stack: string, commit: string | null, dir: string): DeploymentEndpoints {
  const ours = records.filter((r) => (r.kind === "bicep-deployment" || r.kind === GITHUB_DEPLOYMENT_RECORD) && r.stack === stack);
  const succeeded = ours.filter(isSucceeded);
  const matching = commit ? succeeded.filter((r) => typeof r.gitSha === "string" && (r.gitSha === commit || (r.gitSha.length >= 7 && commit.startsWith(r.gitSha)))) : succeeded;
  const newest = [...matching].sort((a, b) => String(b.finishedAt).localeCompare(String(a.finishedAt)) || b.file.localeCompare(a.file))[0];
  if (newest && newest.kind === GITHUB_DEPLOYMENT_RECORD) {
    return { recordName: `GitHub deployment ${String(newest.deploymentId)} (${newest.file})`, environmentUrl: (newest.environmentUrl as string | null) ?? null };
  }
  if (newest) return { recordName: newest.file, outputs: newest.outputs as Record<string, unknown> };
  if (ours.length === 0) return { problem: `${dir} holds no audit record of stack ${stack} (the deploy job's audit records, or the GitHub deployment record that delivery promote record export writes; the directory is --audit-dir, else DELIVERY_AUDIT_DIR)` };
  if (succeeded.length === 0) return { problem: `no audit record of stack ${stack} in ${dir} is of a successful deployment` };
  return { problem: `no successful deployment of ${commit} is recorded for stack ${stack} in ${dir} (newest: ${String([...succeeded].sort((a, b) => String(b.finishedAt).localeCompare(String(a.finishedAt)))[0].gitSha)})` };
}

// ---------------------------------------------------------------------------------------------
// The soak: monitors read at the start, at intervals, and at the end

/** Minutes after the start at which the monitors are read: 0, every `interval`, and the end. */
export function soakReadings(soakMinutes: number, intervalMinutes: number): number[] {
  if (soakMinutes <= 0) return [0];
  const step = Math.max(intervalMinutes, 0.001);
  const out: number[] = [];
  for (let m = 0; m < soakMinutes - 1e-9; m += step) out.push(Math.round(m * 1000) / 1000);
  out.push(soakMinutes);
  return out;
}

export interface SoakReading {
  readonly minute: number;
  readonly checks: readonly HealthCheck[];
}

/**
 * Reads the monitors at each point of the schedule; the first reading with a Sev0/Sev1 alert ends
 * the soak as failed (the machine rolls back without waiting for the rest).
 */
export async function runSoak(schedule: readonly number[], read: () => Promise<HealthCheck[]>, waitUntilMinute: (minute: number) => Promise<void>): Promise<{ passed: boolean; readings: SoakReading[] }> {
  const readings: SoakReading[] = [];
  for (const minute of schedule) {
    await waitUntilMinute(minute);
    const checks = await read();
    readings.push({ minute, checks });
    if (checks.some((c) => !c.healthy)) return { passed: false, readings };
  }
  return { passed: true, readings };
}

/** fetch rejects with "fetch failed" and the reason in `cause` (ECONNREFUSED, a TLS error, a timeout). */
function requestError(err: unknown): string {
  const e = err as { message?: string; name?: string; cause?: { code?: string; message?: string } };
  const message = e?.name === "TimeoutError" ? "timed out" : (e?.message ?? String(err));
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${message} (${cause})` : message;
}

/** An alert Azure Monitor reports as fired (Microsoft.AlertsManagement/alerts, the fields read). */
export interface FiredAlert {
  readonly name: string;
  readonly severity: string;
  readonly targetResource: string;
  readonly startDateTime: string;
}

/** Severities that fail production's monitor check (Sev0 critical, Sev1 error). */
export const BLOCKING_SEVERITIES = ["Sev0", "Sev1"] as const;

export function monitorChecks(alerts: readonly FiredAlert[]): HealthCheck[] {
  const blocking = alerts.filter((a) => (BLOCKING_SEVERITIES as readonly string[]).includes(a.severity));
  if (blocking.length === 0) {
    return [{ target: "azure-monitor", healthy: true, observed: `no Sev0/Sev1 alert fired (${alerts.length} lower-severity alert(s))` }];
  }
  return blocking.map((a) => ({ target: a.targetResource, healthy: false, observed: `${a.severity} alert "${a.name}" fired at ${a.startDateTime}` }));
}

/** Reads the `value` of an AlertsManagement list response into FiredAlert records. */
export function parseFiredAlerts(response: unknown): FiredAlert[] {
  const value = (response as { value?: unknown })?.value;
  if (!Array.isArray(value)) throw new Error("the alerts response has no `value` list (expected Microsoft.AlertsManagement/alerts list output)");
  return value.map((a: any) => {
    const essentials = a?.properties?.essentials ?? {};
    return {
      name: String(a?.name ?? "unnamed alert"),
      severity: String(essentials.severity ?? "unknown"),
      targetResource: String(essentials.targetResource ?? "unknown resource"),
      startDateTime: String(essentials.startDateTime ?? "unknown time"),
    };
  });
}

/** One line per check, then the verdict. */
export function formatChecks(kind: ValidationKind, environment: string, checks: readonly HealthCheck[]): string {
  const lines = checks.map((c) => `  ${c.healthy ? "ok  " : "FAIL"} ${c.target}: ${c.observed}`);
  const failed = checks.filter((c) => !c.healthy).length;
  const verdict = failed === 0 ? `${kind} (${environment}): passed, ${checks.length} check(s)` : `${kind} (${environment}): FAILED, ${failed} of ${checks.length} check(s)`;
  return [verdict, ...lines].join("\n");
}
