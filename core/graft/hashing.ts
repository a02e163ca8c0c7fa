/**
 * Content hashes of repository files, computed once per file per run.
 *
 * One read of a file yields every digest any check needs:
 * - `sha256`: what graft.lock.json records and what the Graft dynamic resources take as inputs;
 * - `md5`: DVC 3.x's file hash (`hash: md5` entries in dvc.lock) — the MD5 of the raw bytes;
 * - `md5Dos2unix`: DVC 2.x's file hash (dvc.lock entries without `hash:`), see {@link dvcMd5};
 * - `signatureLine`: for a file starting with a Graft signature, that first line.
 *
 * An optional on-disk cache (`.graft/cache/hashes.json`) remembers digests keyed by
 * (path, size, mtime). It only saves re-reading unchanged files: staleness is always decided by
 * comparing digests, never timestamps. The mtime is stat's `mtimeMs`, a double with
 * sub-microsecond resolution (finer than the file systems' own timestamp granularity; BigInt
 * nanosecond stats cost three times as much on 10,000 files). Entries whose mtime is not strictly
 * older than the cache file itself are not trusted (the "racy clean" rule git uses for its
 * index), so a file rewritten within the timestamp granularity after the cache was written is
 * hashed again.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { sha256Hex, SIGNATURE_PREFIX } from "./text";

export interface FileDigest {
  readonly size: number;
  /** Modification time (stat's mtimeMs), as a decimal string. */
  readonly mtime: string;
  readonly sha256: string;
  readonly md5: string;
  readonly md5Dos2unix: string;
  /** The first line (without its line break) when it starts with a Graft signature; otherwise null. */
  readonly signatureLine: string | null;
}

export type DvcHashName = "md5" | "md5-dos2unix";

/** DVC reads files in chunks of this size when hashing (dvc_data.hashfile.hash.fobj_md5). */
const DVC_CHUNK_SIZE = 2 ** 20;
/** DVC's text heuristic looks at the first 512 bytes of each chunk (dvc_data istextfile.DEFAULT_CHUNK_SIZE). */
const DVC_TEXT_BLOCK = 512;

/**
 * DVC's text heuristic (dvc_data `istextblock`): empty is text; a NUL byte means binary; otherwise
 * text when at most 30% of the bytes fall outside printable ASCII plus \n \r \t \f \b.
 */
export function isDvcTextBlock(block: Uint8Array): boolean {
  if (block.length === 0) return true;
  let nonText = 0;
  for (const b of block) {
    if (b === 0) return false;
    const text = (b >= 32 && b <= 126) || b === 0x0a || b === 0x0d || b === 0x09 || b === 0x0c || b === 0x08;
    if (!text) nonText++;
  }
  return nonText / block.length <= 0.3;
}

/**
 * A file's hash exactly as DVC computes it.
 *
 * - `md5` (DVC 3.x, lock entries with `hash: md5`): MD5 of the raw bytes.
 * - `md5-dos2unix` (DVC 2.x, lock entries without `hash:`): the file is read in 1 MiB chunks; a
 *   chunk whose first 512 bytes look like text has every CRLF replaced by LF before hashing (a CRLF
 *   split across two chunks is left alone, as in DVC).
 */
export function dvcMd5(content: Uint8Array, name: DvcHashName): string {
  const hash = createHash("md5");
  if (name === "md5") return hash.update(content).digest("hex");
  for (let start = 0; start < content.length; start += DVC_CHUNK_SIZE) {
    const chunk = content.subarray(start, Math.min(content.length, start + DVC_CHUNK_SIZE));
    hash.update(isDvcTextBlock(chunk.subarray(0, DVC_TEXT_BLOCK)) ? dos2unix(chunk) : chunk);
  }
  return hash.digest("hex");
}

function dos2unix(chunk: Uint8Array): Uint8Array {
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (buf.indexOf("\r\n") < 0) return chunk;
  const out = Buffer.allocUnsafe(buf.length);
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0d && buf[i + 1] === 0x0a) continue;
    out[n++] = buf[i];
  }
  return out.subarray(0, n);
}


/** Every digest of a file's content (size and mtime come from the caller's stat). */
export function digestContent(content: Buffer, size: number, mtime: string): FileDigest {
  const md5 = dvcMd5(content, "md5");
  // md5-dos2unix differs from md5 only for text chunks that contain CRLF.
  const md5Dos2unix = content.indexOf("\r\n") < 0 ? md5 : dvcMd5(content, "md5-dos2unix");
  let signatureLine: string | null = null;
  // The prefix is ASCII, so its bytes match exactly when they decode to it. (No module-level Buffer:
  // the Graft provider captures this module, and the serializer cannot carry a Buffer.)
  if (content.subarray(0, SIGNATURE_PREFIX.length).toString("utf8") === SIGNATURE_PREFIX) {
    const nl = content.indexOf(0x0a);
    signatureLine = content
      .subarray(0, nl < 0 ? content.length : nl)
      .toString("utf8")
      .replace(/\r$/, "");
  }
  return { size, mtime, sha256: sha256Hex(content), md5, md5Dos2unix, signatureLine };
}

/** Where the hash cache lives, relative to the repository root. */
const CACHE_FILE = ".graft/cache/hashes.json";
export const HASH_CACHE_FILE = CACHE_FILE;
const CACHE_VERSION = 3;

type CacheRow = [size: number, mtime: string, sha256: string, md5: string, md5Dos2unix: string | null, signatureLine: string | null];

export interface HasherStats {
  /** Files read and hashed this run. */
  hashed: number;
  /** Files whose digests came from the on-disk cache. */
  cached: number;
}

/**
 * Hashes repository files, each distinct path at most once per instance. Paths are
 * repository-relative with forward slashes.
 */
export class ContentHasher {
  readonly stats: HasherStats = { hashed: 0, cached: 0 };
  private readonly memo = new Map<string, FileDigest | null>();
  /** The cache file's rows as parsed (copying 10,000s of rows into a Map costs more than it saves). */
  private diskRows: Record<string, CacheRow | undefined> = {};
  private readonly derivedDisk = new Map<string, unknown>();
  private readonly derivedUsed = new Map<string, unknown>();
  private cacheMtime = 0;
  private dirty = false;
  private readonly cachePath: string | undefined;
  private readonly rootPrefix: string;

  constructor(
    readonly root: string,
    options: { readonly cache?: boolean } = {},
  ) {
    this.rootPrefix = root.endsWith(path.sep) ? root : root + path.sep;
    this.cachePath = options.cache === false ? undefined : path.join(root, CACHE_FILE);
    if (this.cachePath) this.loadCache(this.cachePath);
  }

  /** The file's digests, or undefined when it does not exist or is not a regular file. */
  digest(relPath: string): FileDigest | undefined {
    const known = this.memo.get(relPath);
    if (known !== undefined) return known ?? undefined;
    const result = this.compute(relPath);
    this.memo.set(relPath, result ?? null);
    return result;
  }

  exists(relPath: string): boolean {
    return this.digest(relPath) !== undefined;
  }

  /** Forgets what this run saw of a path (after the generator rewrote it). */
  forget(relPath: string): void {
    this.memo.delete(relPath);
  }

  /**
   * A value computed from content with the given SHA-256 (a parsed dvc.lock, say), cached on disk
   * with the digests: `compute` runs only for content not seen before. The value must be JSON
   * and must not be mutated.
   */
  derived<T>(kind: string, sha256: string, compute: () => T): T {
    const key = `${kind}@${sha256}`;
    if (this.derivedUsed.has(key)) return this.derivedUsed.get(key) as T;
    let value: unknown;
    if (this.derivedDisk.has(key)) value = this.derivedDisk.get(key);
    else {
      value = compute();
      this.dirty = true;
    }
    this.derivedUsed.set(key, value);
    return value as T;
  }

  /** Writes the on-disk cache when this run learnt something new. Never throws. */
  save(): void {
    if (!this.cachePath || !this.dirty) return;
    const entries: Record<string, CacheRow> = {};
    for (const [p, d] of this.memo) {
      if (d) entries[p] = [d.size, d.mtime, d.sha256, d.md5, d.md5Dos2unix === d.md5 ? null : d.md5Dos2unix, d.signatureLine];
    }
    try {
      mkdirSync(path.dirname(this.cachePath), { recursive: true });
      const tmp = `${this.cachePath}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: CACHE_VERSION, entries, derived: Object.fromEntries(this.derivedUsed) }));
      renameSync(tmp, this.cachePath);
      this.dirty = false;
    } catch {
      // The cache is an optimisation; a read-only checkout still gets correct answers.
    }
  }

  private compute(relPath: string): FileDigest | undefined {
    // Concatenation, not path.join: paths are already normal, and this runs once per file.
    const abs = this.rootPrefix + relPath;
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st?.isFile()) return undefined;
    const mtime = String(st.mtimeMs);
    const row = Object.hasOwn(this.diskRows, relPath) ? this.diskRows[relPath] : undefined;
    if (Array.isArray(row) && row.length === 6 && row[0] === st.size && row[1] === mtime && st.mtimeMs < this.cacheMtime) {
      this.stats.cached++;
      return { size: row[0], mtime, sha256: row[2], md5: row[3], md5Dos2unix: row[4] ?? row[3], signatureLine: row[5] };
    }
    let content: Buffer;
    try {
      content = readFileSync(abs);
    } catch {
      return undefined;
    }
    this.stats.hashed++;
    this.dirty = true;
    // If the file changed between the stat and the read, the recorded mtime is the older one, so
    // the next run sees a different mtime and hashes it again.
    return digestContent(content, content.length, mtime);
  }

  private loadCache(cachePath: string): void {
    try {
      const st = statSync(cachePath);
      const data = JSON.parse(readFileSync(cachePath, "utf8")) as { version?: number; entries?: Record<string, CacheRow>; derived?: Record<string, unknown> };
      if (data.version !== CACHE_VERSION || typeof data.entries !== "object" || data.entries === null) return;
      this.diskRows = data.entries;
      for (const [key, value] of Object.entries(data.derived ?? {})) this.derivedDisk.set(key, value);
      this.cacheMtime = st.mtimeMs;
    } catch {
      // No cache or an unreadable one: hash everything.
    }
  }
}

/** SHA-256 of a file, or undefined when it does not exist. */
export function sha256File(absPath: string): string | undefined {
  try {
    return sha256Hex(readFileSync(absPath));
  } catch {
    return undefined;
  }
}
