import fc from "fast-check";
import { backoffDelay, DEFAULT_RETRY_POLICY, resolveRetryPolicy, RetryError, validateRetryPolicy, withRetry, type RetryPolicy } from "../../core/retry";

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

  it("gives up after maxAttempts with the classified reason", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error("ServiceUnavailable");
        },
        { policy: { ...policy, maxAttempts: 2 }, ...fixed },
      ),
    ).rejects.toThrow(
      "ServiceUnavailable\n[gave up after 2 attempts] An Azure service was temporarily unavailable. It is retried with backoff; if every attempt fails, check https://status.azure.com for the region.",
    );
    expect(calls).toBe(2);
  });
});

describe("retry policy validation", () => {
  it("accepts the defaults", () => {
    expect(validateRetryPolicy(DEFAULT_RETRY_POLICY)).toEqual([]);
  });

  it("names each bad field, the rule and the value", () => {
    expect(validateRetryPolicy(resolveRetryPolicy({ maxAttempts: 0, jitter: 2, initialDelayMs: 10, maxDelayMs: 5 }))).toEqual([
      "retry.maxAttempts must be an integer from 1 to 10 (received 0)",
      "retry.maxDelayMs must be at least initialDelayMs and at most 3600000 milliseconds (received 5)",
      "retry.jitter must be between 0 and 1 (received 2)",
    ]);
  });

  it("fills unset fields with the defaults", () => {
    expect(resolveRetryPolicy({ maxAttempts: 5, jitter: undefined })).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 5 });
  });
});
