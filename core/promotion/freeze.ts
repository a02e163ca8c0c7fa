/**
 * The freeze, once: while a deployment-failure issue is open, nothing is deployed or promoted in
 * any environment except the rollback and the fix. The fix is the change a pull request declares
 * it fixes an open failure issue with (`Fixes #57`, GitHub's closing keywords, or `fix for #57`,
 * which the promotion pull requests carry forward without closing the issue on merge).
 *
 * The deploy gates (`core/intent/gates.ts`) and the promotion machine (`machine.ts`) both ask
 * `exemptFromFreeze`; the failure issue's priority and its closing comment are written here too.
 */
import { FAILURE_PRIORITY_LABELS } from "../labels";

/**
 * `Fixes #12`, `closes: #3`, `Resolved #9` (GitHub's closing keywords) and `fix for #12`, in a pull
 * request's title or body. References to other repositories (`owner/repo#12`) are not fixes here.
 */
const FIX_REFERENCE = /(?<![\w/.-])(?:(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+|fix\s+for\s+)#(\d{1,9})\b/gi;

/** The issue numbers a pull request's text says it fixes, in order, without repeats. */
export function fixedIssues(...texts: readonly (string | null | undefined)[]): number[] {
  const out: number[] = [];
  for (const text of texts) {
    if (!text) continue;
    for (const m of text.matchAll(FIX_REFERENCE)) {
      const n = Number(m[1]);
      if (!out.includes(n)) out.push(n);
    }
  }
  return out;
}

/** The line a promotion pull request carries so the next environment knows it is the fix (and GitHub does not close the issue on merge). */
export function fixForLine(issues: readonly number[]): string {
  return `This change is the ${issues.map((n) => `fix for #${n}`).join(" and the ")}: it may be deployed and promoted while the freeze holds.`;
}

export interface FreezeQuestion {
  /** Open deployment-failure issue numbers. */
  readonly frozenBy: readonly number[];
  /** `rollback` is never frozen; everything else is, unless it is the fix. */
  readonly kind: "deploy" | "promote" | "rollback";
  /** The failure issues the deployed or promoted change declares it fixes. */
  readonly fixes: readonly number[];
}

export type FreezeAnswer = { readonly allowed: true; readonly because: "not-frozen" | "rollback" | "fix"; readonly issues: readonly number[] } | { readonly allowed: false; readonly issues: readonly number[] };

/** Whether a deploy, promotion or rollback may run while the freeze holds. */
export function exemptFromFreeze(q: FreezeQuestion): FreezeAnswer {
  if (q.frozenBy.length === 0) return { allowed: true, because: "not-frozen", issues: [] };
  if (q.kind === "rollback") return { allowed: true, because: "rollback", issues: [...q.frozenBy] };
  const fixed = q.fixes.filter((n) => q.frozenBy.includes(n));
  if (fixed.length > 0) return { allowed: true, because: "fix", issues: fixed };
  return { allowed: false, issues: [...q.frozenBy] };
}

/** Priority labels on failure issues (the program creates them, core/labels.ts): production is critical, every other environment high. */
export const FAILURE_PRIORITY = { critical: FAILURE_PRIORITY_LABELS.critical.name, high: FAILURE_PRIORITY_LABELS.high.name } as const;
export type FailurePriority = keyof typeof FAILURE_PRIORITY;

export function failurePriority(production: boolean): FailurePriority {
  return production ? "critical" : "high";
}

/** Bots (the workflow's own token, Apps) are never assigned an issue: the promoter is a person. */
export function assignablePromoter(login: string | null | undefined): string | null {
  if (!login || login.endsWith("[bot]") || !/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/.test(login)) return null;
  return login;
}
