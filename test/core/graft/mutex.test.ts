import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import * as path from "node:path";
import { GENERATION_LOCK_FILE, withGenerationLock } from "../../../core/graft/mutex";
import { cleanupScratch, tempDir } from "./helpers";

afterAll(cleanupScratch);

function holdLock(root: string, pid: number): string {
  const file = path.join(root, GENERATION_LOCK_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ pid, host: hostname(), since: "2025-01-01T00:00:00.000Z" }));
  return file;
}

describe("withGenerationLock", () => {
  it("queues work within the process", async () => {
    const root = tempDir();
    const events: string[] = [];
    const job = (name: string, ms: number) =>
      withGenerationLock(root, async () => {
        events.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        events.push(`end ${name}`);
        return name;
      });
    expect(await Promise.all([job("a", 40), job("b", 5), job("c", 1)])).toEqual(["a", "b", "c"]);
    expect(events).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("keeps the queue going after a failure", async () => {
    const root = tempDir();
    const failed = withGenerationLock(root, async () => {
      throw new Error("boom");
    });
    await expect(failed).rejects.toThrow("boom");
    await expect(withGenerationLock(root, async () => "next")).resolves.toBe("next");
    expect(existsSync(path.join(root, GENERATION_LOCK_FILE))).toBe(false);
  });

  it("waits for a lock file held by another live process", async () => {
    const root = tempDir();
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 10000)"]);
    try {
      const file = holdLock(root, other.pid!);
      setTimeout(() => unlinkSync(file), 300);
      const started = Date.now();
      await withGenerationLock(root, async () => undefined, { pollMs: 20 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      other.kill();
    }
  });

  it("gives up after waitMs, naming the holder", async () => {
    const root = tempDir();
    holdLock(root, process.pid);
    await expect(withGenerationLock(root, async () => undefined, { waitMs: 50, pollMs: 10 })).rejects.toThrow(
      `another generation holds .graft/generate.lock (pid ${process.pid} on ${hostname()} since 2025-01-01T00:00:00.000Z); wait for it to finish, or delete the file if that process is gone`,
    );
    unlinkSync(path.join(root, GENERATION_LOCK_FILE));
  });

  it("takes over a lock left by a process that is gone", async () => {
    const root = tempDir();
    const gone = spawn(process.execPath, ["-e", "0"]);
    await new Promise((r) => gone.on("exit", r));
    holdLock(root, gone.pid!);
    await expect(withGenerationLock(root, async () => readFileSync(path.join(root, GENERATION_LOCK_FILE), "utf8"), { waitMs: 1000 })).resolves.toContain(`"pid":${process.pid}`);
  });
});
