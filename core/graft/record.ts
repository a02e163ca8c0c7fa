/**
 * `graft.lock.json`: what each document was last generated from, committed beside the documents.
 *
 * It plays the role dvc.lock plays for DVC, with SHA-256 content hashes and the two things
 * dvc.lock cannot express: the model and the prompt's instructions apart from its front matter.
 * It is written only after a successful generation (by the Graft dynamic provider or
 * `delivery graft-generate`), under the generation lock, so concurrent writers cannot lose
 * entries. Keys are sorted so the file diffs cleanly.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { ContentHasher } from "./hashing";
import { sha256Hex } from "./text";

// Unexported names for use inside this module (Pulumi's closure serializer cannot follow a
// module's references to its own exports).
const FILE = "graft.lock.json";
const VERSION = 1;
export const RECORD_FILE = FILE;
export const RECORD_VERSION = VERSION;

export interface GenerationRecord {
  /** The prompt file, repository-relative. */
  readonly prompt: string;
  /** The model as the prompt (or graft.defaultModel) named it; staleness compares this. */
  readonly model: string;
  /** The model really called (Bedrock model or inference-profile id, or the command's signature model). */
  readonly modelCalled?: string;
  /** SHA-256 of the prompt's instructions (the body after the front matter). */
  readonly instructionsSha256: string;
  /** SHA-256 of every front-matter dep at generation time. */
  readonly deps: Readonly<Record<string, string>>;
  /** SHA-256 of the whole generated document (signature line included). */
  readonly outputSha256: string;
  /** The document's signature line as generated: a different one later means another generation, not a hand edit. */
  readonly signature?: string;
}

export interface RecordFile {
  readonly version: number;
  /** Keyed by the generated document's repository-relative path. */
  readonly documents: Readonly<Record<string, GenerationRecord>>;
}

export class RecordFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RecordFileError";
  }
}

/** The hash cache's name for a record file's problems; change it whenever recordProblems changes. */
const RECORD_PROBLEMS_KIND = "graft-lock-problems-v1";

/**
 * Reads graft.lock.json; an absent file is an empty record. Throws RecordFileError when it is
 * malformed. With a hasher, content validated before (the same SHA-256) is not validated again.
 */
export function readRecords(root: string, hasher?: ContentHasher): RecordFile {
  const file = path.join(root, FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { version: VERSION, documents: {} };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new RecordFileError(`${FILE} is not valid JSON (${(err as Error).message}); restore it from git or delete it to regenerate every document`);
  }
  const problems = hasher ? hasher.derived(RECORD_PROBLEMS_KIND, sha256Hex(text), () => recordProblems(data)) : recordProblems(data);
  if (problems.length > 0) {
    throw new RecordFileError(`${FILE} is malformed: ${problems.join("; ")}; restore it from git or delete it to regenerate every document`);
  }
  return data as RecordFile;
}

function recordProblems(data: unknown): string[] {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return ["expected an object with version and documents"];
  const obj = data as Record<string, unknown>;
  if (obj.version !== VERSION) return [`version must be ${VERSION}, got ${JSON.stringify(obj.version)}`];
  if (typeof obj.documents !== "object" || obj.documents === null || Array.isArray(obj.documents)) return ["documents must be an object"];
  const problems: string[] = [];
  const hex = /^[0-9a-f]{64}$/;
  for (const [output, rec] of Object.entries(obj.documents as Record<string, unknown>)) {
    const r = rec as Record<string, unknown>;
    const ok =
      typeof r === "object" &&
      r !== null &&
      typeof r.prompt === "string" &&
      typeof r.model === "string" &&
      typeof r.instructionsSha256 === "string" &&
      hex.test(r.instructionsSha256) &&
      typeof r.outputSha256 === "string" &&
      hex.test(r.outputSha256) &&
      typeof r.deps === "object" &&
      r.deps !== null &&
      Object.values(r.deps as Record<string, unknown>).every((v) => typeof v === "string" && hex.test(v)) &&
      (r.modelCalled === undefined || typeof r.modelCalled === "string") &&
      (r.signature === undefined || typeof r.signature === "string");
    if (!ok) problems.push(`documents["${output}"] needs prompt, model, instructionsSha256, deps and outputSha256 (SHA-256 hex)`);
  }
  return problems;
}

function sortedObject<T>(obj: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(obj).sort()) out[key] = obj[key];
  return out;
}

/** Renders the record file with sorted keys and a trailing newline. */
export function renderRecords(records: RecordFile): string {
  const documents: Record<string, GenerationRecord> = {};
  for (const output of Object.keys(records.documents).sort()) {
    const r = records.documents[output];
    documents[output] = {
      prompt: r.prompt,
      model: r.model,
      ...(r.modelCalled !== undefined ? { modelCalled: r.modelCalled } : {}),
      instructionsSha256: r.instructionsSha256,
      deps: sortedObject(r.deps),
      outputSha256: r.outputSha256,
      ...(r.signature !== undefined ? { signature: r.signature } : {}),
    };
  }
  return `${JSON.stringify({ version: VERSION, documents }, null, 2)}\n`;
}

/**
 * Stores one document's record (read-modify-write with an atomic rename). Callers hold the
 * generation lock, which serialises writers.
 */
export function writeRecord(root: string, output: string, record: GenerationRecord): void {
  const current = readRecords(root);
  const next: RecordFile = { version: VERSION, documents: { ...current.documents, [output]: record } };
  const file = path.join(root, FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, renderRecords(next));
  renameSync(tmp, file);
}
