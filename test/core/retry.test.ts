import fc from "fast-check";
import { classify } from "../../core/classify";
import { RETRY_DEFAULTS } from "../../core/defaults";
import { backoffDelay, resolveRetryPolicy, RetryError, retryPolicyProblems, validateRetryPolicy, withRetry, type RetryPolicy } from "../../core/retry";

const policy: RetryPolicy = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0.5 };

describe("backoffDelay", () => {
  it("grows exponentially and is capped", () => {
    const noJitter = { ...policy, jitter: 0 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(noJitter, n, () => 0.5))).toEqual([100, 200, 400, 800, 1000]);
  });

  it("randomises the jittered fraction only", () => {
    expect(backoffDelay(policy, 2, () => 0)).toBe(100);
    expect(backoffDelay(policy, 2, () => 0.999999)).toBe(200);
  });

  it("waits at least as long as Retry-After asks, within the cap", () => {
    expect(backoffDelay(policy, 1, () => 0, 0.5)).toBe(500);
    expect(backoffDelay(policy, 1, () => 0, 60)).toBe(1000);
  });

  it("stays within [base*(1-jitter), max] for any attempt and random value", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const d = backoffDelay(policy, attempt, () => r);
        const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * (1 - policy.jitter)));
        expect(d).toBeLessThanOrEqual(policy.maxDelayMs);
      }),
    );
  });
});

describe("withRetry", () => {
  const fixed = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5, now: () => 1_700_000_000_000 };
  let sleeps: number[];
  beforeEach(() => {
    sleeps = [];
  });

  it("retries a transient failure and records every attempt", async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls <= 2) throw new Error("ERROR: (TooManyRequests) The request is being throttled.");
        return "ok";
      },
      { policy, ...fixed },
    );
    expect(result.value).toBe("ok");
    expect(result.attempts.map((a) => [a.attempt, a.outcome, a.classification?.kind, a.delayMs])).toEqual([
      [1, "failed", "throttled", 75],
      [2, "failed", "throttled", 150],
      [3, "succeeded", undefined, undefined],
    ]);
    expect(sleeps).toEqual([75, 150]);
  });

  it("does not retry a logic error", async () => {
    const err = withRetry(
      async () => {
        throw new Error("ERROR: (InvalidTemplate) Deployment template validation failed.");
      },
      { policy, ...fixed },
    );
    await expect(err).rejects.toThrow(RetryError);
    await expect(err).rejects.toMatchObject({ attempts: [{ attempt: 1, outcome: "failed" }], classification: { category: "logic", kind: "invalid-template" } });
    expect(sleeps).toEqual([]);
  });

  it("stops after maxAttempts with a verdict that says the retries are spent, and is not retryable any more", async () => {
    let calls = 0;
    const err = (await withRetry(
      async () => {
        calls++;
        throw new Error("ServiceUnavailable");
      },
      { policy: { ...policy, maxAttempts: 2 }, ...fixed },
    ).catch((e: unknown) => e)) as RetryError;
    expect(calls).toBe(2);
    expect(err).toBeInstanceOf(RetryError);
    expect(err.message).toBe(
      "ServiceUnavailable\n[retries exhausted after 2 attempts; last failure environmental/service-unavailable] Retries exhausted: every attempt the retry policy allows (bicep.retry for this environment) failed with a transient fault, so the run stops here and is not retried again; running it again at once would repeat them. Read the last failure above, re-run the deployment once its cause has cleared (https://status.azure.com), and raise bicep.retry if such faults regularly outlast the policy.",
    );
    expect(err.classification).toMatchObject({ category: "environmental", retryable: false, kind: "retries-exhausted" });
    expect(err.lastClassification).toMatchObject({ retryable: true, kind: "service-unavailable" });
    // What a workflow reading the log would decide: do not run it again.
    expect(classify(err.message)).toMatchObject({ retryable: false, kind: "retries-exhausted" });
  });

  it("attempts exactly maxAttempts times for any policy, then stops", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10 }), async (maxAttempts) => {
        let calls = 0;
        const err = await withRetry(
          async () => {
            calls++;
            throw new Error("ERROR: (TooManyRequests) The request is being throttled.");
          },
          { policy: { ...policy, maxAttempts }, sleep: async () => undefined },
        ).then(
          () => undefined,
          (e: unknown) => e as RetryError,
        );
        if (!err) throw new Error("expected the operation to fail");
        expect(calls).toBe(maxAttempts);
        expect(err.attempts).toHaveLength(maxAttempts);
        expect(err.message).toContain(`[retries exhausted after ${maxAttempts} attempt${maxAttempts === 1 ? "" : "s"}; last failure environmental/throttled]`);
      }),
      { numRuns: 20 },
    );
  });
});

describe("retry policy validation", () => {
  it("accepts the defaults", () => {
    expect(validateRetryPolicy(RETRY_DEFAULTS)).toEqual([]);
  });

  it("names each bad field, the rule and the value", () => {
    expect(validateRetryPolicy(resolveRetryPolicy({ maxAttempts: 0, jitter: 2, initialDelayMs: 10, maxDelayMs: 5 }))).toEqual([
      "retry.maxAttempts must be an integer from 1 to 10 (received 0)",
      "retry.maxDelayMs must be at least initialDelayMs and at most 3600000 milliseconds (received 5)",
      "retry.jitter must be between 0 and 1 (received 2)",
    ]);
  });

  it("fills unset fields with the defaults", () => {
    expect(resolveRetryPolicy({ maxAttempts: 5, jitter: undefined })).toEqual({ ...RETRY_DEFAULTS, maxAttempts: 5 });
    expect(resolveRetryPolicy(undefined)).toEqual({ maxAttempts: 3, initialDelayMs: 30_000, maxDelayMs: 300_000, multiplier: 2, jitter: 0.2 });
  });

  it("gives the problems as data too, for the stack configuration's messages", () => {
    expect(retryPolicyProblems(resolveRetryPolicy({ multiplier: 0.5 }))).toEqual([{ field: "multiplier", rule: "between 1 and 10", received: 0.5 }]);
  });
});
