/** Shared set-up for the Graft tests: a scratch copy of the fixture repository, and its mutations. */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DEFAULT_MODEL_TABLE } from "../../../core/graft/models";

export const FIXTURE_ROOT = path.join(__dirname, "..", "..", "fixtures", "graft");
export const FIXTURE_REPO = path.join(FIXTURE_ROOT, "repo");
export const FAKE_GENERATOR_DIR = path.join(__dirname, "..", "..", "fakes", "generator");

/** The defaults of the `graft` stack config (see core/config.ts). */
export const GRAFT_DEFAULTS = {
  promptGlobs: ["**/*.prompt.md"],
  // The fake generator on PATH (the configured default is the built-in Bedrock generator, []).
  generatorCommand: ["graft", "generate", "{prompt}"],
  models: DEFAULT_MODEL_TABLE,
  defaultModel: "anthropic.claude-sonnet-4-5-20250929-v1:0",
  timeoutSeconds: 600,
};

export type Mutation =
  | { op: "append"; path: string; content: string }
  | { op: "write"; path: string; content: string }
  | { op: "delete"; path: string }
  | { op: "replace"; path: string; from: string; to: string };

export interface Scenario {
  name: string;
  mutations: Mutation[];
}

export const SCENARIOS: Scenario[] = JSON.parse(readFileSync(path.join(FIXTURE_ROOT, "dvc-scenarios.json"), "utf8"));
export const DVC_EXPECTED: { dvcVersion: string; scenarios: Record<string, unknown> } = JSON.parse(readFileSync(path.join(FIXTURE_ROOT, "dvc-status-expected.json"), "utf8"));

const scratch: string[] = [];

export function tempDir(prefix = "graft-test-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/**
 * A fresh copy of the fixture repository, its files as old as the checkout's (as in a job's
 * checkout): a copy stamped "now" shares the clock tick of a hash cache written at once, which the
 * cache rightly distrusts (core/graft/hashing.ts, "racy clean"), so a warm run would hash it again.
 */
export function copyFixture(): string {
  const root = path.join(tempDir(), "repo");
  cpSync(FIXTURE_REPO, root, { recursive: true, preserveTimestamps: true });
  return root;
}

export function applyMutations(root: string, mutations: readonly Mutation[]): void {
  for (const m of mutations) {
    const target = path.join(root, m.path);
    if (m.op === "append") writeFileSync(target, Buffer.concat([readFileSync(target), Buffer.from(m.content)]));
    else if (m.op === "write") {
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, m.content);
    } else if (m.op === "delete") {
      chmodSync(target, 0o644);
      unlinkSync(target);
    } else {
      const text = readFileSync(target, "utf8");
      if (!text.includes(m.from)) throw new Error(`${m.path} does not contain ${m.from}`);
      writeFileSync(target, text.replace(m.from, m.to));
    }
  }
}

export function scenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}

/** Writes files (repository-relative path -> content) under root. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), content);
  }
}

export function cleanupScratch(): void {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** PATH with the fake generator first. */
export function pathWithFakeGenerator(): string {
  return `${FAKE_GENERATOR_DIR}${path.delimiter}${process.env.PATH ?? ""}`;
}
