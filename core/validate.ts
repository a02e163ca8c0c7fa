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
