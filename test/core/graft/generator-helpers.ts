/** Scripting the fake generator (test/fakes/generator/graft) for one scenario. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { GenerationError } from "../../../core/graft/generate";
import { pathWithFakeGenerator, tempDir, writeTree } from "./helpers";

export type FakeStep = "success" | "throttle" | "read-timeout" | "model-not-found" | "no-credentials" | "access-denied" | "require-credentials" | "hang" | "unsigned";

export interface FakeRun {
  readonly env: Record<string, string>;
  /** What the fake logged: one entry per start and end of an attempt. */
  readonly log: () => Array<{ event: "start" | "end"; output: string; stage?: string; attempt: number; step: string; t: number; model: string; exit?: number; credentials?: string; region?: string }>;
}

/** An environment that puts the fake on PATH and scripts its attempts; no AWS variables unless given. */
export function fakeGenerator(steps: FakeStep[], options: { delayMs?: number; env?: Record<string, string> } = {}): FakeRun {
  const dir = tempDir("graft-fake-");
  const script = path.join(dir, "script.json");
  const logFile = path.join(dir, "log.jsonl");
  writeFileSync(script, JSON.stringify({ steps, delayMs: options.delayMs ?? 0, log: logFile }));
  return {
    env: { PATH: pathWithFakeGenerator(), GRAFT_FAKE_SCRIPT: script, ...options.env },
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l)) : []),
  };
}

/** A small repository without DVC: docs/a (reads src/a.txt) and docs/b (reads docs/a.md). */
export function smallRepo(): string {
  const root = tempDir("graft-repo-");
  writeTree(root, {
    "src/a.txt": "alpha\n",
    "docs/a.prompt.md": "---\ndeps:\n  - src/a.txt\n---\nDescribe alpha.\n",
    "docs/b.prompt.md": "---\ndeps:\n  - docs/a.md\n---\nSummarise the alpha document.\n",
    "docs/c.prompt.md": "---\ndeps:\n  - src/a.txt\n---\nList alpha's uses.\n",
    "docs/d.prompt.md": "---\ndeps:\n  - src/a.txt\n---\nAlpha's history.\n",
  });
  return root;
}

/** The GenerationError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<GenerationError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GenerationError) return err;
    throw err;
  }
  throw new Error("expected a GenerationError");
}
