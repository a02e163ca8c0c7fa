/**
 * Crash recovery for a stack a dead run left locked. Pulumi's diy backends (file://, azblob://)
 * lock a stack by writing `.pulumi/locks/<org>/<project>/<stack>/<uuid>.json` holding the
 * locking process's `{pid, username, hostname, timestamp}` (pkg/backend/diy/lock.go); a runner
 * that is cancelled, runs out of memory or is lost never deletes it, and every later update fails
 * with "the stack is currently locked" until someone runs `pulumi cancel`.
 *
 * The deploy job records which run is about to take the lock (`delivery unlock record`: run id,
 * runner host name, time) beside the locks, outside the directory Pulumi counts, before
 * `pulumi up`. Later, a job holding the environment's concurrency group (`delivery unlock`)
 * reads the locks and that record and decides:
 * - a lock whose process is alive on this machine is live: never cleared;
 * - a lock taken on the recorded run's host after it started belongs to that run: stale when the
 *   run has ended (GitHub says `completed`) or is this very run (whose `pulumi` died), live while
 *   it is queued or in progress;
 * - any other lock has an unknown owner: cleared only when a person asked for it (`/unlock ENV`,
 *   `--force`, after the same permission checks as a deploy), and never when its run is live.
 * Clearing is `pulumi cancel`, after which the next `pulumi up` finishes the interrupted update.
 */

/** One lock file, as Pulumi writes it. */
export interface StackLock {
  /** The file's path relative to the backend root. */
  readonly key: string;
  readonly pid: number;
  readonly username: string;
  readonly hostname: string;
  readonly timestamp: string;
}

/** What the deploy job recorded before `pulumi up`. */
export interface RunRecord {
  readonly runId: number;
  readonly runUrl: string | null;
  readonly hostname: string;
  readonly startedAt: string;
}

export type RunState = "queued" | "in_progress" | "completed" | "unknown";

export interface LockQuestion {
  readonly locks: readonly StackLock[];
  readonly record: RunRecord | null;
  /** The run asking (GITHUB_RUN_ID), if any. */
  readonly currentRunId: number | null;
  /** GitHub's status of the recorded run (`unknown` when it could not be read or there is no record). */
  readonly recordedRunState: RunState;
  readonly localHostname: string;
  readonly pidAlive: (pid: number) => boolean;
  /** A person asked for it (`/unlock ENV`): unknown owners may be cleared too. */
  readonly force: boolean;
}

export interface LockJudgement {
  readonly key: string;
  readonly owner: string;
  readonly stale: boolean;
  readonly reason: string;
}

export interface LockVerdict {
  /** `none`: nothing is locked; `clear`: every lock is stale, run `pulumi cancel`; `refuse`: at least one may be live. */
  readonly action: "none" | "clear" | "refuse";
  readonly locks: readonly LockJudgement[];
  readonly reason: string;
}

/** A lock taken up to a minute before the record still belongs to it (the runner's clock and the record's). */
const CLOCK_SKEW_MS = 60_000;

export function judgeLock(lock: StackLock, q: LockQuestion): LockJudgement {
  const owner = `${lock.username}@${lock.hostname} (pid ${lock.pid}) at ${lock.timestamp}`;
  if (lock.hostname === q.localHostname && q.pidAlive(lock.pid)) {
    return { key: lock.key, owner, stale: false, reason: `process ${lock.pid} on this machine still runs` };
  }
  const r = q.record;
  const taken = Date.parse(lock.timestamp);
  const ours = r !== null && r.hostname === lock.hostname && Number.isFinite(taken) && taken >= Date.parse(r.startedAt) - CLOCK_SKEW_MS;
  if (ours) {
    const run = `run ${r.runId}${r.runUrl ? ` (${r.runUrl})` : ""}`;
    if (q.currentRunId !== null && r.runId === q.currentRunId) return { key: lock.key, owner, stale: true, reason: `taken by this run, whose pulumi process is gone` };
    if (q.recordedRunState === "completed") return { key: lock.key, owner, stale: true, reason: `taken by ${run}, which has ended` };
    if (q.recordedRunState === "queued" || q.recordedRunState === "in_progress") return { key: lock.key, owner, stale: false, reason: `taken by ${run}, which is still ${q.recordedRunState.replace("_", " ")}` };
    if (q.force) return { key: lock.key, owner, stale: true, reason: `taken by ${run}, whose state GitHub did not report; cleared on request` };
    return { key: lock.key, owner, stale: false, reason: `taken by ${run}, whose state GitHub did not report` };
  }
  if (q.force) return { key: lock.key, owner, stale: true, reason: "no recorded run took it; cleared on request" };
  return { key: lock.key, owner, stale: false, reason: `no recorded run took it${r ? ` (the record names run ${r.runId} on ${r.hostname} from ${r.startedAt})` : " (nothing was recorded)"}` };
}

/** Whether the stack's locks may be cleared, and why. */
export function lockVerdict(q: LockQuestion): LockVerdict {
  if (q.locks.length === 0) return { action: "none", locks: [], reason: "the stack is not locked" };
  const locks = q.locks.map((l) => judgeLock(l, q));
  const live = locks.filter((l) => !l.stale);
  if (live.length === 0) return { action: "clear", locks, reason: `${locks.length} stale lock(s): ${locks.map((l) => l.reason).join("; ")}` };
  const unknown = live.some((l) => l.reason.startsWith("no recorded run took it"));
  return {
    action: "refuse",
    locks,
    reason: `${live.length} lock(s) may be live: ${live.map((l) => `${l.owner}: ${l.reason}`).join("; ")}${unknown ? ". If no run can hold it, a person with write access clears it with `/unlock <env>` (or `delivery unlock --force`)" : ""}`,
  };
}

/** Where the diy backend keeps a stack's locks, and where the run record goes (outside that directory, which Pulumi counts). */
export function lockPaths(project: string, stack: string): { readonly lockDirs: readonly string[]; readonly record: string } {
  return {
    // Project-scoped layout (every backend since Pulumi 3.61), then the legacy one.
    lockDirs: [`.pulumi/locks/organization/${project}/${stack}`, `.pulumi/locks/${stack}`],
    record: `.pulumi/delivery/runs/organization/${project}/${stack}.json`,
  };
}

/** A lock file's content, or null when it is not one. */
export function parseLock(key: string, text: string): StackLock | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (typeof v.pid !== "number" || typeof v.hostname !== "string" || typeof v.timestamp !== "string") return null;
    return { key, pid: v.pid, username: typeof v.username === "string" ? v.username : "?", hostname: v.hostname, timestamp: v.timestamp };
  } catch {
    return null;
  }
}
