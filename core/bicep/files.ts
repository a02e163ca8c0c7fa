/**
 * What a Bicep deployment depends on, read from disk without the Bicep compiler: the template,
 * every local file it references (modules, compile-time imports, `load*Content` files; followed
 * recursively), the `.bicepparam` file and its `using`, the parameters the template requires, and
 * one content hash over all of it plus the overrides. Equal hashes mean the deployment cannot
 * differ, which is what lets `pulumi preview` skip `az` entirely.
 */
import { createHash, type Hash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Removes `//` and `/* *\/` comments outside strings, keeping line structure (for line numbers). */
export function stripComments(source: string): string {
  let out = "";
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (source.startsWith("'''", i)) {
      const end = source.indexOf("'''", i + 3);
      const stop = end < 0 ? n : end + 3;
      out += source.slice(i, stop);
      i = stop;
    } else if (c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== "'") j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, Math.min(n, j + 1));
      i = j + 1;
    } else if (source.startsWith("//", i)) {
      while (i < n && source[i] !== "\n") i++;
    } else if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export interface FileReference {
  /** How the file refers to it: module, import, load, using. */
  readonly kind: "module" | "import" | "load" | "using";
  /** The path as written, e.g. `modules/storage.bicep` or `br/public:avm/res/...:0.1.0`. */
  readonly target: string;
  /** 1-based line in the referencing file. */
  readonly line: number;
  /** True for registry and template-spec references (`br:`, `br/alias:`, `ts:`), which are not local files. */
  readonly external: boolean;
}

const REFERENCE_PATTERNS: readonly { kind: FileReference["kind"]; re: RegExp }[] = [
  { kind: "module", re: /^\s*module\s+[A-Za-z_]\w*\s+'([^']+)'/gm },
  { kind: "import", re: /^\s*import\s+(?:[^'\n]*?\s+from\s+)?'([^']+)'/gm },
  { kind: "using", re: /^\s*using\s+'([^']+)'/gm },
  { kind: "load", re: /\bload(?:Text|Json|Yaml|FileAsBase64|Directory(?:FileInfo)?)Content\(\s*'([^']+)'/g },
  { kind: "load", re: /\bloadFileAsBase64\(\s*'([^']+)'/g },
];

/** The files a Bicep or .bicepparam source refers to, in order of appearance. */
export function findReferences(source: string): FileReference[] {
  const code = stripComments(source);
  const refs: FileReference[] = [];
  for (const { kind, re } of REFERENCE_PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(code); m; m = re.exec(code)) {
      const target = m[1];
      const line = code.slice(0, m.index + m[0].indexOf(target)).split("\n").length;
      refs.push({ kind, target, line, external: /^(?:br[:/]|ts[:/])/.test(target) });
    }
  }
  return refs.sort((a, b) => a.line - b.line);
}

/** A referenced file that is missing, with where it is referenced. */
export class MissingReferenceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly target: string,
    readonly resolved: string,
  ) {
    super(`${file}:${line} references '${target}', but ${resolved} does not exist; fix the path or add the file.`);
    this.name = "MissingReferenceError";
  }
}

/**
 * The template and every local file it references, recursively, as paths relative to `root`
 * (sorted, each once), plus the external references (registry modules) as written.
 */
export function collectTemplateFiles(root: string, template: string): { files: string[]; external: string[] } {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (rel: string) => {
    const norm = toPosix(path.normalize(rel));
    if (seen.has(norm)) return;
    seen.add(norm);
    if (!/\.bicep(?:param)?$/.test(norm)) return; // loaded text/json files have no references
    const abs = path.resolve(root, norm);
    const source = fs.readFileSync(abs, "utf8");
    for (const ref of findReferences(source)) {
      if (ref.kind === "using") continue;
      if (ref.external) {
        external.add(ref.target);
        continue;
      }
      const targetAbs = path.resolve(path.dirname(abs), ref.target);
      if (!fs.existsSync(targetAbs)) throw new MissingReferenceError(norm, ref.line, ref.target, toPosix(path.relative(root, targetAbs)));
      visit(toPosix(path.relative(root, targetAbs)));
    }
  };
  visit(template);
  return { files: [...seen].sort(), external: [...external].sort() };
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** The `using` target of a .bicepparam file, resolved relative to `root`; undefined when absent or external. */
export function parametersUsing(root: string, parametersFile: string): { target?: string; resolved?: string; line?: number } {
  const source = fs.readFileSync(path.resolve(root, parametersFile), "utf8");
  const ref = findReferences(source).find((r) => r.kind === "using");
  if (!ref) return {};
  if (ref.external || ref.target === "none") return { target: ref.target, line: ref.line };
  const resolved = toPosix(path.relative(root, path.resolve(root, path.dirname(parametersFile), ref.target)));
  return { target: ref.target, resolved, line: ref.line };
}

export interface TemplateParameter {
  readonly name: string;
  /** False when the declaration has a default value (`param x string = 'a'`). */
  readonly required: boolean;
  readonly line: number;
}

/** Top-level `param` declarations of a Bicep template. Object-typed parameters written over several lines count as optional. */
export function templateParameters(source: string): TemplateParameter[] {
  const code = stripComments(source);
  const params: TemplateParameter[] = [];
  const re = /^param\s+([A-Za-z_]\w*)\s+([^\n]*)$/gm;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const rest = m[2].trim();
    const multiLine = /[{(]\s*$/.test(rest) && !rest.includes("=");
    // `param x string?` is nullable: it may be omitted.
    const nullable = /\?\s*$/.test(rest);
    params.push({ name: m[1], required: !multiLine && !nullable && !/=/.test(rest), line: code.slice(0, m.index).split("\n").length });
  }
  return params;
}

/** Names assigned in a .bicepparam file (`param name = value`). */
export function assignedParameters(source: string): string[] {
  const code = stripComments(source);
  const names: string[] = [];
  const re = /^\s*param\s+([A-Za-z_]\w*)\s*=/gm;
  for (let m = re.exec(code); m; m = re.exec(code)) names.push(m[1]);
  return names;
}

/** JSON with object keys sorted, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface ContentHashInput {
  /** Repository root every path is relative to. */
  readonly root: string;
  readonly template: string;
  readonly parameters: string;
  /** Parameter overrides passed on the command line. */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** Anything else that changes what is deployed (mode, resource group, subscription). */
  readonly settings?: Readonly<Record<string, unknown>>;
}

export interface ContentHash {
  /** sha256 over every file's path and content, the overrides and the settings. */
  readonly hash: string;
  /** Each file (template, modules, loaded files, parameters) -> sha256 of its content, first 12 hex digits. */
  readonly files: Readonly<Record<string, string>>;
  /** Registry or template-spec modules, as written (their version is part of the reference). */
  readonly external: readonly string[];
}

/**
 * sha256 over a Bicep file and every local file it references (what `az bicep build` of it or
 * `az bicep build-params` of it reads): two calls answer the same when this is the same.
 */
export function referencedFilesDigest(root: string, file: string): string {
  const { files, external } = collectTemplateFiles(root, file);
  return hashFiles(root, files, external).hash.digest("hex");
}

/**
 * A running hash of the files (by path and content) and external references, and each file's own
 * digest: what the content hash and the build key share. Stored hashes depend on these exact lines.
 */
function hashFiles(root: string, files: readonly string[], external: readonly string[]): { hash: Hash; digests: Record<string, string> } {
  const hash = createHash("sha256");
  const digests: Record<string, string> = {};
  for (const rel of files) {
    digests[rel] = sha256(fs.readFileSync(path.resolve(root, rel)));
    hash.update(`file ${rel} ${digests[rel]}\n`);
  }
  for (const ext of external) hash.update(`external ${ext}\n`);
  return { hash, digests };
}

/** Hashes everything the deployment depends on. Throws MissingReferenceError for a missing module. */
export function contentHash(input: ContentHashInput): ContentHash {
  const t = collectTemplateFiles(input.root, input.template);
  // The parameters file can import types and variables from .bicep files too.
  const p = collectTemplateFiles(input.root, input.parameters);
  const all = [...new Set([...t.files, ...p.files])].sort();
  const external = [...new Set([...t.external, ...p.external])].sort();
  const { hash, digests } = hashFiles(input.root, all, external);
  hash.update(`overrides ${canonicalJson(input.overrides ?? {})}\n`);
  hash.update(`settings ${canonicalJson(input.settings ?? {})}\n`);
  const files = Object.fromEntries(Object.entries(digests).map(([rel, digest]) => [rel, digest.slice(0, 12)]));
  return { hash: hash.digest("hex"), files, external };
}
