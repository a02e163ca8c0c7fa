/**
 * Crash recovery: a stale Pulumi lock no live run can hold, the rule as a pure function. The whole
 * path against a lock the real Pulumi CLI wrote (`pulumi up` killed while it holds the lock,
 * `delivery unlock`, `pulumi cancel`, the next `pulumi up`) runs with the engine tests:
 * test/engine/stale-lock.test.ts.
 */
import { judgeLock, lockPaths, lockVerdict, parseLock, type LockQuestion, type StackLock } from "../../../core/promotion/lock";

const lock = (over: Partial<StackLock> = {}): StackLock => ({ key: ".pulumi/locks/organization/p/dev/1.json", pid: 4242, username: "runner", hostname: "runner-vm-7", timestamp: "2026-12-02T08:00:30Z", ...over });
const base = (over: Partial<LockQuestion> = {}): LockQuestion => ({
  locks: [lock()],
  record: { runId: 900, runUrl: "https://github.com/contoso/payments-service/actions/runs/900", hostname: "runner-vm-7", startedAt: "2026-12-02T08:00:00Z" },
  currentRunId: 901,
  recordedRunState: "completed",
  localHostname: "runner-vm-9",
  pidAlive: () => false,
  force: false,
  ...over,
});

describe("which locks are stale", () => {
  it("clears a lock taken by a recorded run that has ended", () => {
    expect(lockVerdict(base())).toMatchObject({ action: "clear", reason: "1 stale lock(s): taken by run 900 (https://github.com/contoso/payments-service/actions/runs/900), which has ended" });
  });

  it("never clears a lock whose run is still going, or whose process is alive here, even when forced", () => {
    expect(lockVerdict(base({ recordedRunState: "in_progress", force: true })).action).toBe("refuse");
    expect(lockVerdict(base({ localHostname: "runner-vm-7", pidAlive: (pid) => pid === 4242, force: true })).locks[0].reason).toBe("process 4242 on this machine still runs");
  });

  it("clears this run's own lock once its pulumi process is gone", () => {
    expect(judgeLock(lock(), base({ currentRunId: 900, recordedRunState: "unknown" }))).toMatchObject({ stale: true, reason: "taken by this run, whose pulumi process is gone" });
  });

  it("refuses a lock no recorded run took unless a person asks (/unlock), and says how", () => {
    const other = base({ locks: [lock({ hostname: "laptop" })] });
    expect(lockVerdict(other).action).toBe("refuse");
    expect(lockVerdict(other).reason).toMatch(/no recorded run took it .*`\/unlock <env>`/);
    expect(lockVerdict({ ...other, force: true }).action).toBe("clear");
    // A lock older than the record is not the recorded run's.
    expect(judgeLock(lock({ timestamp: "2026-12-02T07:00:00Z" }), base()).stale).toBe(false);
  });

  it("reads Pulumi's lock files and knows where they are", () => {
    expect(parseLock("k", '{"pid":22465,"username":"root","hostname":"vm","timestamp":"2026-12-02T07:51:49.364199168Z"}')).toEqual({ key: "k", pid: 22465, username: "root", hostname: "vm", timestamp: "2026-12-02T07:51:49.364199168Z" });
    expect(parseLock("k", "{}")).toBeNull();
    expect(lockPaths("delivery-platform", "dev").lockDirs[0]).toBe(".pulumi/locks/organization/delivery-platform/dev");
  });
});
