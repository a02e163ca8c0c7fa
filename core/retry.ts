/**
 * The retry policy: exponential backoff with jitter, and only for failures the classifier calls
 * retryable. Sleep, randomness and the clock are injected so tests run in microseconds and the
 * delays they assert are exact.
 */
import { classificationOfKind, classify, retriesExhaustedVerdict, type Classification } from "./classify";
import { RETRY_DEFAULTS } from "./defaults";

/** The retry policy; the defaults of every field are in core/defaults.ts (`RETRY_DEFAULTS`). */
export interface RetryPolicy {
  /** Total attempts including the first (1-10). Defaults to 3. */
  readonly maxAttempts: number;
  /** Delay before the second attempt, in milliseconds (0-600000). Defaults to 30000. */
  readonly initialDelayMs: number;
  /** Upper bound for any single delay, in milliseconds (initialDelayMs-3600000). Defaults to 300000. */
  readonly maxDelayMs: number;
  /** Growth factor between delays (1-10). Defaults to 2 (30 s, 60 s, 120 s ...). */
  readonly multiplier: number;
  /**
   * Fraction of each delay that is randomised (0-1): the delay is `base * (1 - jitter) +
   * base * jitter * random()`. 0 is no jitter, 1 is "full jitter". Defaults to 0.2, so concurrent
   * deployments that were throttled together do not all come back at the same instant.
   */
  readonly jitter: number;
}

/** Fills the fields a partial policy leaves out from the defaults table. The only place the retry defaults are applied. */
export function resolveRetryPolicy(partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  return { ...RETRY_DEFAULTS, ...Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) };
}

/** One field of a policy that breaks its rule. */
export interface RetryPolicyProblem {
  readonly field: keyof RetryPolicy;
  /** What the value must be, e.g. "an integer from 1 to 10". */
  readonly rule: string;
  readonly received: unknown;
}

/** The rules of a policy, once: every problem, each naming the field, the rule and the value received. */
export function retryPolicyProblems(policy: RetryPolicy): RetryPolicyProblem[] {
  const problems: RetryPolicyProblem[] = [];
  const check = (field: keyof RetryPolicy, ok: boolean, rule: string) => {
    if (!ok) problems.push({ field, rule, received: policy[field] });
  };
  const isInt = (v: number) => Number.isInteger(v);
  check("maxAttempts", isInt(policy.maxAttempts) && policy.maxAttempts >= 1 && policy.maxAttempts <= 10, "an integer from 1 to 10");
  check("initialDelayMs", Number.isFinite(policy.initialDelayMs) && policy.initialDelayMs >= 0 && policy.initialDelayMs <= 600_000, "between 0 and 600000 milliseconds");
  check("maxDelayMs", Number.isFinite(policy.maxDelayMs) && policy.maxDelayMs >= policy.initialDelayMs && policy.maxDelayMs <= 3_600_000, "at least initialDelayMs and at most 3600000 milliseconds");
  check("multiplier", Number.isFinite(policy.multiplier) && policy.multiplier >= 1 && policy.multiplier <= 10, "between 1 and 10");
  check("jitter", Number.isFinite(policy.jitter) && policy.jitter >= 0 && policy.jitter <= 1, "between 0 and 1");
  return problems;
}

/** The same problems as sentences: `retry.maxAttempts must be an integer from 1 to 10 (received 0)`. */
export function validateRetryPolicy(policy: RetryPolicy, prefix = "retry"): string[] {
  return retryPolicyProblems(policy).map((p) => `${prefix}.${p.field} must be ${p.rule} (received ${JSON.stringify(p.received)})`);
}

/**
 * The pause after failed attempt `attempt` (1-based): `initialDelayMs * multiplier^(attempt-1)`,
 * capped at `maxDelayMs`, with the jittered fraction drawn from `random()` in [0, 1). A
 * `Retry-After` from Azure raises the pause to at least that long (still capped).
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number, retryAfterSeconds?: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = base * (1 - policy.jitter) + base * policy.jitter * r;
  const floor = retryAfterSeconds !== undefined ? Math.min(policy.maxDelayMs, retryAfterSeconds * 1000) : 0;
  return Math.round(Math.max(jittered, floor));
}

/** One attempt, as the audit record shows it. */
export interface AttemptRecord {
  readonly attempt: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly outcome: "succeeded" | "failed";
  /** Present when the attempt failed. */
  readonly classification?: Classification;
  /** The first lines of the failure, without secrets (the runner redacts them). */
  readonly error?: string;
  /** Pause before the next attempt, when there is one. */
  readonly delayMs?: number;
}

export interface RetryOptions {
  readonly policy: RetryPolicy;
  /** Defaults to a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Defaults to Math.random. */
  readonly random?: () => number;
  /** Defaults to Date.now. */
  readonly now?: () => number;
  /** Turns a thrown error into a classification. Defaults to classifying its message. */
  readonly classifyError?: (err: unknown) => Classification;
  /** Called after every attempt (for logs and audit events). */
  readonly onAttempt?: (record: AttemptRecord) => void;
}

/**
 * The operation failed for good: after a failure that is not retryable (`classification` is that
 * failure's), or after the last attempt the policy allows. Then `classification` is the
 * `retries-exhausted` verdict (not retryable), the message carries the verdict line `classify`
 * recognises, and `lastClassification` is what the last attempt failed with.
 */
export class RetryError extends Error {
  readonly classification: Classification;

  constructor(
    readonly attempts: readonly AttemptRecord[],
    readonly lastClassification: Classification,
    readonly lastError: unknown,
  ) {
    const exhausted = lastClassification.retryable;
    const classification = exhausted ? classificationOfKind("retries-exhausted") : lastClassification;
    const why = exhausted ? retriesExhaustedVerdict(attempts.length, lastClassification) : `[not retried: ${lastClassification.category}/${lastClassification.kind}]`;
    super(`${errorText(lastError)}\n${why} ${classification.reason}`);
    this.name = "RetryError";
    this.classification = classification;
  }
}

export interface RetryResult<T> {
  readonly value: T;
  readonly attempts: readonly AttemptRecord[];
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `operation` until it succeeds, fails with a non-retryable error, or runs out of attempts. */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<RetryResult<T>> {
  const { policy } = options;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const classifyError = options.classifyError ?? ((err: unknown) => classify(errorText(err)));
  const attempts: AttemptRecord[] = [];
  for (let attempt = 1; ; attempt++) {
    const started = now();
    try {
      const value = await operation(attempt);
      const record: AttemptRecord = { attempt, startedAt: new Date(started).toISOString(), durationMs: now() - started, outcome: "succeeded" };
      attempts.push(record);
      options.onAttempt?.(record);
      return { value, attempts };
    } catch (err) {
      const classification = classifyError(err);
      const last = !classification.retryable || attempt >= policy.maxAttempts;
      const delayMs = last ? undefined : backoffDelay(policy, attempt, random, classification.retryAfterSeconds);
      const record: AttemptRecord = {
        attempt,
        startedAt: new Date(started).toISOString(),
        durationMs: now() - started,
        outcome: "failed",
        classification,
        error: firstLines(errorText(err), 6),
        ...(delayMs !== undefined ? { delayMs } : {}),
      };
      attempts.push(record);
      options.onAttempt?.(record);
      if (last) throw new RetryError(attempts, classification, err);
      await sleep(delayMs!);
    }
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === "string" ? err : JSON.stringify(err) ?? String(err);
}

function firstLines(text: string, n: number): string {
  const lines = text.split("\n");
  return lines.length <= n ? text : `${lines.slice(0, n).join("\n")}\n… (${lines.length - n} more lines)`;
}
