/**
 * DVC interop: reads `dvc.yaml` and `dvc.lock` and computes what `dvc status --json` reports for
 * every pipeline stage, with DVC 3.x's rules (checked against dvc 3.67 and dvc-data's sources):
 *
 * - a dep or out is `deleted` when the file is missing, `modified` when its hash differs from
 *   dvc.lock (or dvc.lock has no entry for it, or no entry for the stage at all);
 * - the hash is `md5` of the raw bytes for entries marked `hash: md5`, and DVC 2.x's
 *   `md5-dos2unix` (CRLF -> LF in text chunks) for entries without `hash:`;
 * - a cached out (the default, `cache: true`) whose dvc.lock hash is not in the DVC cache
 *   (`.dvc/cache/files/md5/XX/...`, or `.dvc/cache/XX/...` for 2.x hashes) is `not in cache`,
 *   which takes precedence over `modified`;
 * - `changed command` when dvc.lock's cmd differs from dvc.yaml's (only when the stage has a lock
 *   entry); `always changed` for `always_changed: true`; a frozen stage's deps are not checked.
 *
 * Stages this module cannot evaluate exactly (foreach/matrix templating, `${...}` interpolation,
 * params, directory deps, non-md5 hashes) are reported as unsupported rather than guessed.
 */
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseBlockYaml } from "./block-yaml";
import type { ContentHasher, FileDigest } from "./hashing";
import { normaliseRepoPath } from "./text";

export interface DvcOut {
  readonly path: string;
  readonly cache: boolean;
}

export interface DvcStage {
  readonly name: string;
  readonly cmd: unknown;
  readonly deps: readonly string[];
  readonly outs: readonly DvcOut[];
  readonly frozen: boolean;
  readonly alwaysChanged: boolean;
  /** Why this stage cannot be evaluated here, if it cannot. */
  readonly unsupported: string | undefined;
}

export interface DvcLockEntry {
  readonly hashName: "md5" | "md5-dos2unix" | string;
  readonly md5: string | undefined;
}

export interface DvcLockStage {
  readonly cmd: unknown;
  readonly deps: ReadonlyMap<string, DvcLockEntry>;
  readonly outs: ReadonlyMap<string, DvcLockEntry>;
}

export interface DvcPipeline {
  readonly stages: readonly DvcStage[];
  /** dvc.lock's stages, or undefined when there is no dvc.lock. */
  readonly lock: ReadonlyMap<string, DvcLockStage> | undefined;
  /** The DVC cache directory, repository-relative or absolute. */
  readonly cacheDir: string;
}

/** One stage's `dvc status --json` entries, in DVC's order. */
export type DvcStageStatus = Array<{ "changed deps": Record<string, string> } | { "changed outs": Record<string, string> } | "changed command" | "always changed">;

export class DvcFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DvcFileError";
  }
}

const TEMPLATE_KEYS = ["foreach", "matrix", "do"];

/** The hash cache's name for a compiled pipeline; change it whenever compilePipeline's result for the same files changes. */
const PIPELINE_KIND = "dvc-pipeline-v1";

/** One dvc.lock stage as plain JSON: its name, cmd, and deps and outs as [path, entry] pairs. */
type CompiledLockStage = readonly [name: string, cmd: unknown, deps: Array<[string, DvcLockEntry]>, outs: Array<[string, DvcLockEntry]>];

/** A pipeline's stages and lock entries as plain JSON, for the hash cache. */
interface CompiledPipeline {
  readonly stages: readonly DvcStage[];
  readonly lock: readonly CompiledLockStage[] | undefined;
}

/**
 * Reads dvc.yaml (and dvc.lock) at the repository root; undefined when there is no dvc.yaml.
 * With a hasher, the stages and lock entries are cached by the two files' content hashes, so an
 * unchanged pipeline is neither read nor parsed again.
 */
export function readDvcPipeline(root: string, hasher?: ContentHasher): DvcPipeline | undefined {
  const read = (name: string): string | undefined => {
    try {
      return readFileSync(path.join(root, name), "utf8");
    } catch {
      return undefined;
    }
  };
  const compile = (): CompiledPipeline | undefined => {
    const yamlText = read("dvc.yaml");
    if (yamlText === undefined) return undefined;
    const lockText = read("dvc.lock");
    return compilePipeline(parseYamlFile("dvc.yaml", yamlText), lockText === undefined ? undefined : parseYamlFile("dvc.lock", lockText));
  };
  const yamlDigest = hasher?.digest("dvc.yaml");
  const compiled = hasher && yamlDigest ? hasher.derived(PIPELINE_KIND, `${yamlDigest.sha256}:${hasher.digest("dvc.lock")?.sha256 ?? "none"}`, compile) : compile();
  if (compiled === undefined) return undefined;
  const lock = compiled.lock && new Map(compiled.lock.map(([name, cmd, deps, outs]) => [name, { cmd, deps: new Map(deps), outs: new Map(outs) }] as const));
  return { stages: compiled.stages, lock, cacheDir: readCacheDir(root) };
}

function compilePipeline(yamlData: unknown, lockData: unknown): CompiledPipeline {
  const data = yamlData as { stages?: unknown; vars?: unknown } | null;
  const rawStages = data && typeof data === "object" ? data.stages : undefined;
  if (rawStages !== undefined && (typeof rawStages !== "object" || rawStages === null || Array.isArray(rawStages))) {
    throw new DvcFileError("dvc.yaml: stages must be a mapping of stage name to stage");
  }
  const stages: DvcStage[] = [];
  for (const [name, raw] of Object.entries((rawStages ?? {}) as Record<string, unknown>)) {
    stages.push(readStage(name, raw, data?.vars !== undefined));
  }
  const lock = lockData === undefined ? undefined : [...readLock(lockData)].map(([name, s]): CompiledLockStage => [name, s.cmd, [...s.deps], [...s.outs]]);
  return { stages, lock };
}

/** Parses dvc.yaml or dvc.lock text (fast block reader, the `yaml` package for anything else); throws DvcFileError. */
export function parseDvcFile(name: string, text: string): unknown {
  return parseYamlFile(name, text);
}

function parseYamlFile(name: string, text: string): unknown {
  // DVC writes plain block YAML, which the fast reader handles; anything else takes the full parser.
  const fast = parseBlockYaml(text);
  if (fast !== undefined) return fast;
  try {
    // Loaded only when needed: the full parser is slow to load and to run.
    return (require("yaml") as typeof import("yaml")).parse(text);
  } catch (err) {
    throw new DvcFileError(`${name} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
}

function readStage(name: string, raw: unknown, hasVars: boolean): DvcStage {
  const stage = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  let unsupported: string | undefined;
  if (TEMPLATE_KEYS.some((k) => k in stage)) unsupported = "uses foreach/matrix templating";
  else if (stage.params !== undefined) unsupported = "has params dependencies";
  else if (stage.wdir !== undefined && stage.wdir !== ".") unsupported = "sets wdir";
  else if (hasVars || JSON.stringify(stage).includes("${")) unsupported = "uses vars or ${...} interpolation";
  const deps: string[] = [];
  for (const d of asList(stage.deps)) {
    if (typeof d === "string") deps.push(repoPath(d));
    else unsupported ??= "has a dependency that is not a plain path";
  }
  const outs: DvcOut[] = [];
  for (const key of ["outs", "metrics", "plots"]) {
    for (const o of asList(stage[key])) {
      if (typeof o === "string") outs.push({ path: repoPath(o), cache: true });
      else if (typeof o === "object" && o !== null && Object.keys(o).length === 1) {
        const [p, opts] = Object.entries(o as Record<string, unknown>)[0];
        const cache = typeof opts === "object" && opts !== null && (opts as Record<string, unknown>).cache === false ? false : true;
        outs.push({ path: repoPath(p), cache });
      } else unsupported ??= `has an ${key} entry that is not a path`;
    }
  }
  return { name, cmd: stage.cmd, deps, outs, frozen: stage.frozen === true, alwaysChanged: stage.always_changed === true, unsupported };
}

function repoPath(p: string): string {
  const norm = normaliseRepoPath(p);
  return norm.ok ? norm.path : p;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function readLock(data: unknown): Map<string, DvcLockStage> {
  if (typeof data !== "object" || data === null) return new Map();
  const obj = data as Record<string, unknown>;
  // dvc.lock schema 2.0 nests stages under `stages:`; the 1.x format had them at the top level.
  const stages = (obj.schema !== undefined ? obj.stages : obj) as Record<string, unknown> | undefined;
  const lock = new Map<string, DvcLockStage>();
  for (const [name, raw] of Object.entries(stages ?? {})) {
    if (typeof raw !== "object" || raw === null) continue;
    const s = raw as Record<string, unknown>;
    lock.set(name, { cmd: s.cmd, deps: lockEntries(s.deps), outs: lockEntries(s.outs) });
  }
  return lock;
}

function lockEntries(value: unknown): Map<string, DvcLockEntry> {
  const entries = new Map<string, DvcLockEntry>();
  for (const item of asList(value)) {
    if (typeof item !== "object" || item === null) continue;
    const e = item as Record<string, unknown>;
    if (typeof e.path !== "string") continue;
    const hashName = typeof e.hash === "string" ? e.hash : "md5-dos2unix";
    entries.set(repoPath(e.path), { hashName, md5: typeof e.md5 === "string" ? e.md5 : undefined });
  }
  return entries;
}

/** `[cache] dir = ...` from .dvc/config.local or .dvc/config (relative to .dvc/), else .dvc/cache. */
function readCacheDir(root: string): string {
  for (const name of ["config.local", "config"]) {
    let text: string;
    try {
      text = readFileSync(path.join(root, ".dvc", name), "utf8");
    } catch {
      continue;
    }
    let section = "";
    for (const line of text.split(/\r?\n/)) {
      const header = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(line);
      if (header) {
        section = header[1].replace(/["']/g, "");
        continue;
      }
      const kv = /^\s*dir\s*=\s*(.+?)\s*$/.exec(line);
      if (section === "cache" && kv) return path.isAbsolute(kv[1]) ? kv[1] : path.join(".dvc", kv[1]);
    }
  }
  return ".dvc/cache";
}

/**
 * Whether dvc.lock's entry for one of a stage's outs matches the file as it is now (false when
 * the file is missing, undefined when dvc.lock has no entry for it).
 */
export function lockedOutMatches(pipeline: DvcPipeline, stage: string, out: string, digest: FileDigest | undefined): boolean | undefined {
  const entry = pipeline.lock?.get(stage)?.outs.get(out);
  if (!entry?.md5) return undefined;
  return digest !== undefined && hashFor(digest, entry.hashName) === entry.md5;
}

function hashFor(digest: FileDigest, hashName: string): string | undefined {
  if (hashName === "md5") return digest.md5;
  if (hashName === "md5-dos2unix") return digest.md5Dos2unix;
  return undefined;
}

function inCache(root: string, cacheDir: string, entry: DvcLockEntry): boolean {
  if (!entry.md5) return false;
  const rel = entry.hashName === "md5" ? path.join(cacheDir, "files", "md5", entry.md5.slice(0, 2), entry.md5.slice(2)) : path.join(cacheDir, entry.md5.slice(0, 2), entry.md5.slice(2));
  const abs = path.isAbsolute(rel) ? rel : path.join(root, rel);
  try {
    return statSync(abs).isFile();
  } catch {
    return false;
  }
}

function isDirectory(root: string, p: string): boolean {
  try {
    return statSync(path.join(root, p)).isDirectory();
  } catch {
    return false;
  }
}

function workspaceStatus(hasher: ContentHasher, p: string, entry: DvcLockEntry | undefined): string | undefined {
  const digest = hasher.digest(p);
  if (!digest) return "deleted";
  const hashName = entry?.hashName ?? "md5";
  const actual = hashFor(digest, hashName);
  if (actual === undefined || entry?.md5 !== actual) return "modified";
  return undefined;
}

/** Why a stage cannot be evaluated exactly here, or undefined when it can. */
export function stageUnsupported(pipeline: DvcPipeline, stage: DvcStage, hasher: ContentHasher): string | undefined {
  if (stage.unsupported) return stage.unsupported;
  const lock = pipeline.lock?.get(stage.name);
  for (const p of [...stage.deps, ...stage.outs.map((o) => o.path)]) {
    if (!hasher.exists(p) && isDirectory(hasher.root, p)) return `tracks the directory ${p}`;
  }
  for (const entry of [...(lock?.deps.values() ?? []), ...(lock?.outs.values() ?? [])]) {
    if (entry.hashName !== "md5" && entry.hashName !== "md5-dos2unix") return `uses the ${entry.hashName} hash`;
  }
  return undefined;
}

function computeStageStatus(pipeline: DvcPipeline, stage: DvcStage, hasher: ContentHasher): DvcStageStatus {
  const lock = pipeline.lock?.get(stage.name);
  const result: DvcStageStatus = [];
  if (!stage.frozen) {
    const deps: Record<string, string> = {};
    for (const dep of stage.deps) {
      const status = workspaceStatus(hasher, dep, lock?.deps.get(dep));
      if (status) deps[dep] = status;
    }
    if (Object.keys(deps).length > 0) result.push({ "changed deps": deps });
  }
  const outs: Record<string, string> = {};
  for (const out of stage.outs) {
    const entry = lock?.outs.get(out.path);
    if (entry?.md5 && out.cache && !inCache(hasher.root, pipeline.cacheDir, entry)) {
      outs[out.path] = "not in cache";
      continue;
    }
    const status = workspaceStatus(hasher, out.path, entry);
    if (status) outs[out.path] = status;
  }
  if (Object.keys(outs).length > 0) result.push({ "changed outs": outs });
  if (stage.alwaysChanged) result.push("always changed");
  if (lock && !sameCommand(lock.cmd, stage.cmd)) result.push("changed command");
  return result;
}

function sameCommand(a: unknown, b: unknown): boolean {
  return a === b || (typeof a !== "string" && typeof b !== "string" && JSON.stringify(a) === JSON.stringify(b));
}

export interface DvcStatusReport {
  /** Exactly what `dvc status --json` prints for the supported stages (stages that are up to date are absent). */
  readonly status: Record<string, DvcStageStatus>;
  /** Stages this module did not evaluate, with the reason. */
  readonly unsupported: Readonly<Record<string, string>>;
}

export function dvcStatus(pipeline: DvcPipeline, hasher: ContentHasher): DvcStatusReport {
  const status: Record<string, DvcStageStatus> = {};
  const unsupported: Record<string, string> = {};
  for (const stage of pipeline.stages) {
    const why = stageUnsupported(pipeline, stage, hasher);
    if (why !== undefined) {
      unsupported[stage.name] = why;
      continue;
    }
    const s = computeStageStatus(pipeline, stage, hasher);
    if (s.length > 0) status[stage.name] = s;
  }
  return { status, unsupported };
}

/** True when a stage status says the stage's content changed ("not in cache" alone is not a content change). */
export function dvcContentChanged(status: DvcStageStatus): boolean {
  return status.some((entry) => {
    if (typeof entry === "string") return true;
    const changes = "changed deps" in entry ? entry["changed deps"] : entry["changed outs"];
    return Object.values(changes).some((s) => s !== "not in cache");
  });
}

/** One line per stage entry, e.g. `changed deps: src/a.ts (modified)`. */
export function describeDvcStageStatus(status: DvcStageStatus): string {
  return status
    .map((entry) => {
      if (typeof entry === "string") return entry;
      const [label, changes] = "changed deps" in entry ? ["changed deps", entry["changed deps"]] : ["changed outs", entry["changed outs"]];
      return `${label}: ${Object.entries(changes)
        .map(([p, s]) => `${p} (${s})`)
        .join(", ")}`;
    })
    .join("; ");
}
