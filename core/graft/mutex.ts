/**
 * Generations run one at a time, as Graft runs DVC stages: within a process through one promise
 * chain kept on globalThis (the Pulumi dynamic-provider host may deserialise the provider more
 * than once, and module-level state would then not be shared), and across processes through an
 * exclusive lock file, `.graft/generate.lock`, holding the owner's pid and host.
 *
 * A lock file left by a process that no longer exists on this host is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import * as path from "node:path";

// Unexported names for use inside this module: Pulumi's closure serializer cannot follow a
// module's references to its own exports, nor capture a symbol (so it is looked up per call).
const LOCK_FILE = ".graft/generate.lock";
export const GENERATION_LOCK_FILE = LOCK_FILE;

export interface LockOptions {
  /** How long to wait for another process's lock before giving up. Defaults to 30 minutes. */
  readonly waitMs?: number;
  /** How often to look at the lock file while waiting. Defaults to 200 ms. */
  readonly pollMs?: number;
}

/** Runs `fn` after every generation queued before it in this process, holding the lock file. */
export function withGenerationLock<T>(root: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const store = globalThis as unknown as Record<symbol, Promise<void> | undefined>;
  const queueKey = Symbol.for("delivery-platform.graft.generation-queue");
  const previous = store[queueKey] ?? Promise.resolve();
  const run = previous.then(() => withLockFile(root, fn, options));
  store[queueKey] = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

async function withLockFile<T>(root: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
  const file = path.join(root, LOCK_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + (options.waitMs ?? 30 * 60_000);
  const me = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (;;) {
    try {
      const fd = openSync(file, "wx");
      try {
        writeSync(fd, me);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = readHolder(file);
    if (holder && holder.host === hostname() && !processAlive(holder.pid)) {
      try {
        unlinkSync(file);
      } catch {
        // someone else took it over first
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `another generation holds ${LOCK_FILE} (${holder ? `pid ${holder.pid} on ${holder.host} since ${holder.since}` : "unreadable"}); wait for it to finish, or delete the file if that process is gone`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
  }
  try {
    return await fn();
  } finally {
    try {
      if (readFileSync(file, "utf8") === me) unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

function readHolder(file: string): { pid: number; host: string; since: string } | undefined {
  try {
    const data = JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown; host?: unknown; since?: unknown };
    if (typeof data.pid === "number" && typeof data.host === "string") return { pid: data.pid, host: data.host, since: String(data.since) };
  } catch {
    // being written, or not ours
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
