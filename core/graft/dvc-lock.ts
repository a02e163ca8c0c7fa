/**
 * Keeps dvc.lock in step with a generation, so `dvc status` is clean after a document is
 * regenerated however it was generated (the built-in generator, a command, or `dvc repro`).
 *
 * After a successful generation, the dvc.yaml stage that writes the document gets the lock entry
 * DVC itself would write after `dvc repro` / `dvc commit` (DVC 3.x, dvc/stage/serialize.py):
 *
 *   STAGE:
 *     cmd: <the stage's cmd, as in dvc.yaml>
 *     deps:                      # sorted by path
 *     - path: P
 *       hash: md5
 *       md5: <MD5 of the raw bytes>
 *       size: <bytes>
 *     outs:                      # sorted by path, same fields
 *
 * A cached out (`cache: true`, DVC's default) is also stored in the DVC cache
 * (`<cache>/files/md5/XX/REST`), as `dvc commit` does, so it is not "not in cache". Only that
 * stage's block of dvc.lock is rewritten; the rest of the file is left byte for byte. When the
 * lock already matches the workspace (a `dvc repro` generator wrote it) nothing is written.
 *
 * Stages this module's DVC reader cannot evaluate exactly (templating, params, directories) are
 * left alone and reported, never guessed.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { yamlString } from "./block-yaml";
import { readDvcPipeline, stageUnsupported, type DvcPipeline, type DvcStage } from "./dvc";
import { ContentHasher, type FileDigest } from "./hashing";

const LOCK_FILE = "dvc.lock";

/** One dep or out as DVC 3.x records it. */
export interface DvcLockFileEntry {
  readonly path: string;
  readonly md5: string;
  readonly size: number;
}

export interface DvcLockStageEntry {
  readonly cmd: unknown;
  readonly deps: readonly DvcLockFileEntry[];
  readonly outs: readonly DvcLockFileEntry[];
}

export type DvcLockUpdate =
  | { readonly kind: "no-pipeline" }
  | { readonly kind: "no-stage" }
  | { readonly kind: "up-to-date"; readonly stage: string }
  | { readonly kind: "written"; readonly stage: string }
  | { readonly kind: "skipped"; readonly stage: string; readonly reason: string };

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** The lock entry DVC would write for a stage, from the files as they are; undefined when a file is missing. */
export function lockEntryFor(stage: DvcStage, digest: (p: string) => FileDigest | undefined): DvcLockStageEntry | { readonly missing: string } {
  const entries = (paths: readonly string[]): DvcLockFileEntry[] | { missing: string } => {
    const out: DvcLockFileEntry[] = [];
    for (const p of paths) {
      const d = digest(p);
      if (!d) return { missing: p };
      out.push({ path: p, md5: d.md5, size: d.size });
    }
    return out.sort(byPath);
  };
  const deps = entries(stage.deps);
  if (!Array.isArray(deps)) return deps;
  const outs = entries(stage.outs.map((o) => o.path));
  if (!Array.isArray(outs)) return outs;
  return { cmd: stage.cmd, deps, outs };
}

function renderCmd(cmd: unknown, indent: string): string {
  if (typeof cmd === "string") return `${indent}cmd: ${yamlString(cmd)}\n`;
  if (Array.isArray(cmd)) return `${indent}cmd:\n${cmd.map((c) => `${indent}- ${yamlString(String(c))}\n`).join("")}`;
  return `${indent}cmd: ${yamlString(String(cmd))}\n`;
}

/** The stage's block of dvc.lock (two-space indented under `stages:`), with a trailing line break. */
export function renderLockStage(name: string, entry: DvcLockStageEntry): string {
  const files = (key: string, list: readonly DvcLockFileEntry[]): string =>
    list.length === 0 ? "" : `    ${key}:\n${list.map((e) => `    - path: ${yamlString(e.path)}\n      hash: md5\n      md5: ${yamlString(e.md5)}\n      size: ${e.size}\n`).join("")}`;
  return `  ${yamlString(name)}:\n${renderCmd(entry.cmd, "    ")}${files("deps", entry.deps)}${files("outs", entry.outs)}`;
}

/**
 * dvc.lock's text with one stage's block replaced (or appended under `stages:`; an empty block
 * removes the stage); undefined when
 * the file is not in the block layout DVC writes (schema 2.0, `stages:` at the top level).
 */
export function replaceLockStage(text: string | undefined, name: string, block: string): string | undefined {
  if (text === undefined || text.trim() === "") return `schema: '2.0'\nstages:\n${block}`;
  if (!text.split("\n").some((l) => /^schema: *['"]?2\.0['"]? *$/.test(l))) return undefined;
  return spliceStageBlock(text, name, block);
}

/**
 * A dvc.yaml or dvc.lock text with one stage's block (`  NAME:` and the lines indented under it)
 * replaced by `block`, appended to the `stages:` mapping when absent, removed when `block` is
 * empty; every other line is kept. Undefined when there is no top-level block `stages:` mapping.
 */
export function spliceStageBlock(text: string, name: string, block: string): string | undefined {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const stagesAt = lines.findIndex((l) => /^stages: *$/.test(l));
  if (stagesAt < 0) return undefined;
  let end = stagesAt + 1;
  while (end < lines.length && (lines[end].trim() === "" || lines[end].startsWith(" "))) end++;
  const key = `  ${yamlString(name)}:`;
  const start = lines.findIndex((l, i) => i > stagesAt && i < end && l === key);
  const blockLines = block === "" ? [] : block.replace(/\n$/, "").split("\n");
  if (start < 0) {
    lines.splice(end, 0, ...blockLines);
  } else {
    let stop = start + 1;
    while (stop < end && (lines[stop].trim() === "" || lines[stop].startsWith("   "))) stop++;
    lines.splice(start, stop - start, ...blockLines);
  }
  return `${lines.join("\n")}\n`;
}

function sameEntry(pipeline: DvcPipeline, name: string, entry: DvcLockStageEntry): boolean {
  const lock = pipeline.lock?.get(name);
  if (!lock || JSON.stringify(lock.cmd) !== JSON.stringify(entry.cmd)) return false;
  const same = (recorded: ReadonlyMap<string, { hashName: string; md5: string | undefined }>, wanted: readonly DvcLockFileEntry[]): boolean =>
    recorded.size === wanted.length && wanted.every((w) => recorded.get(w.path)?.hashName === "md5" && recorded.get(w.path)?.md5 === w.md5);
  return same(lock.deps, entry.deps) && same(lock.outs, entry.outs);
}

function storeInCache(root: string, cacheDir: string, file: string, md5: string): void {
  const base = path.isAbsolute(cacheDir) ? cacheDir : path.join(root, cacheDir);
  const target = path.join(base, "files", "md5", md5.slice(0, 2), md5.slice(2));
  if (existsSync(target)) return;
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  copyFileSync(path.join(root, file), tmp);
  // DVC keeps cache objects read-only.
  chmodSync(tmp, 0o444);
  renameSync(tmp, target);
}

/**
 * Records the stage writing `output` in dvc.lock as DVC would after regenerating it. Callers hold
 * the generation lock, which serialises writers.
 */
export function updateDvcLock(root: string, output: string): DvcLockUpdate {
  const pipeline = readDvcPipeline(root);
  if (!pipeline) return { kind: "no-pipeline" };
  const stage = pipeline.stages.find((s) => s.outs.some((o) => o.path === output));
  if (!stage) return { kind: "no-stage" };
  const hasher = new ContentHasher(root, { cache: false });
  const unsupported = stageUnsupported(pipeline, stage, hasher);
  if (unsupported) return { kind: "skipped", stage: stage.name, reason: `dvc.yaml stage ${stage.name} ${unsupported}; run \`dvc commit ${stage.name}\`` };
  const entry = lockEntryFor(stage, (p) => hasher.digest(p));
  if ("missing" in entry) return { kind: "skipped", stage: stage.name, reason: `${entry.missing} (a dep or out of dvc.yaml stage ${stage.name}) does not exist` };
  for (const out of stage.outs) {
    if (out.cache) storeInCache(root, pipeline.cacheDir, out.path, entry.outs.find((o) => o.path === out.path)!.md5);
  }
  if (sameEntry(pipeline, stage.name, entry)) return { kind: "up-to-date", stage: stage.name };
  const file = path.join(root, LOCK_FILE);
  let current: string | undefined;
  try {
    current = readFileSync(file, "utf8");
  } catch {
    current = undefined;
  }
  const next = replaceLockStage(current, stage.name, renderLockStage(stage.name, entry));
  if (next === undefined) return { kind: "skipped", stage: stage.name, reason: `dvc.lock is not in the schema 2.0 layout DVC 3 writes; run \`dvc commit ${stage.name}\`` };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, next);
  renameSync(tmp, file);
  return { kind: "written", stage: stage.name };
}
