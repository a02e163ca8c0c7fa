/**
 * A fast reader for the plain block-style YAML that DVC writes (dvc.lock, Graft's generated
 * dvc.yaml) and that prompt front matter is made of. The `yaml` package needs ~3 s for the
 * dvc.lock of a 1,000-document repository; this takes a few milliseconds.
 *
 * It accepts only a strict subset — block mappings and sequences, one-line plain or quoted
 * scalars, empty `[]` / `{}`, full-line comments — and returns undefined for anything else (flow collections, block
 * scalars, anchors, tags, multi-line scalars, trailing comments, duplicate keys, tabs, document
 * markers), in which case callers fall back to the `yaml` package. Within the subset the result
 * equals `yaml.parse` (YAML 1.2 core schema), which a property test checks.
 */

interface Line {
  readonly indent: number;
  readonly text: string;
}

class Unsupported extends Error {}

const PLAIN_KEY = /^[A-Za-z0-9_./][A-Za-z0-9_./@+-]*$/;
// A plain scalar we are sure the core schema reads as written: no indicator at the start, no
// ": " or " #" inside, no flow or quote characters anywhere.
const SAFE_PLAIN = /^(?![-?:](?:\s|$))[^\s#&*!|>'"%@`{}[\],](?:[^:#{}[\],]|:(?!\s|$)|#(?<!\s#))*$/;

/** Parses the YAML subset; undefined when the text is outside it. */
export function parseBlockYaml(text: string): unknown {
  const lines: Line[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const trimmed = line.trimStart();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    if (line.includes("\t") || line.startsWith("---") || line.startsWith("...") || line.startsWith("%")) return undefined;
    lines.push({ indent: line.length - trimmed.length, text: trimmed.trimEnd() });
  }
  if (lines.length === 0) return null;
  try {
    const [value, next] = parseBlock(lines, 0, lines[0].indent);
    if (next !== lines.length || lines[0].indent !== 0) return undefined;
    return value;
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

function isSeqItem(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

function parseBlock(lines: readonly Line[], i: number, indent: number): [unknown, number] {
  return isSeqItem(lines[i].text) ? parseSequence(lines, i, indent) : parseMapping(lines, i, indent, lines[i].text);
}

function parseMapping(lines: readonly Line[], start: number, indent: number, firstText: string): [Record<string, unknown>, number] {
  const map: Record<string, unknown> = {};
  let i = start;
  let text = firstText;
  for (;;) {
    const colon = splitKey(text);
    if (!colon) throw new Unsupported();
    const [key, rest] = colon;
    if (Object.prototype.hasOwnProperty.call(map, key) || key === "__proto__") throw new Unsupported();
    i++;
    if (rest !== "") {
      map[key] = scalar(rest);
    } else if (i < lines.length && lines[i].indent > indent) {
      const [value, next] = parseBlock(lines, i, lines[i].indent);
      map[key] = value;
      i = next;
    } else if (i < lines.length && lines[i].indent === indent && isSeqItem(lines[i].text)) {
      const [value, next] = parseSequence(lines, i, indent);
      map[key] = value;
      i = next;
    } else {
      map[key] = null;
    }
    if (i >= lines.length || lines[i].indent < indent) return [map, i];
    if (lines[i].indent > indent || isSeqItem(lines[i].text)) throw new Unsupported();
    text = lines[i].text;
  }
}

function parseSequence(lines: readonly Line[], start: number, indent: number): [unknown[], number] {
  const seq: unknown[] = [];
  let i = start;
  while (i < lines.length && lines[i].indent === indent && isSeqItem(lines[i].text)) {
    const text = lines[i].text;
    const rest = text === "-" ? "" : text.slice(2).trimStart();
    if (rest === "") {
      i++;
      if (i < lines.length && lines[i].indent > indent) {
        const [value, next] = parseBlock(lines, i, lines[i].indent);
        seq.push(value);
        i = next;
      } else seq.push(null);
    } else if (isSeqItem(rest)) {
      throw new Unsupported();
    } else if (splitKey(rest)) {
      // "- key: value" opens a mapping whose keys sit where `key` starts.
      const column = indent + (text.length - rest.length);
      const [value, next] = parseMapping(lines, i, column, rest);
      seq.push(value);
      i = next;
    } else {
      seq.push(scalar(rest));
      i++;
    }
  }
  if (i < lines.length && lines[i].indent > indent) throw new Unsupported();
  return [seq, i];
}

/** "key: value" -> [key, value]; "key:" -> [key, ""]; otherwise undefined. */
function splitKey(text: string): [string, string] | undefined {
  let key: string;
  let rest: string;
  if (text.startsWith("'") || text.startsWith('"')) {
    const close = text.indexOf(text[0], 1);
    if (close < 0 || text[close + 1] !== ":" || (text.length > close + 2 && text[close + 2] !== " ")) return undefined;
    key = quoted(text.slice(0, close + 1));
    rest = text.slice(close + 2).trim();
  } else {
    const m = /^([^:\s]+):(?: +(.*))?$/.exec(text);
    // Keys the core schema would read as numbers, booleans or null are left to the full parser.
    if (!m || !PLAIN_KEY.test(m[1]) || typeof coreSchema(m[1]) !== "string") return undefined;
    key = m[1];
    rest = (m[2] ?? "").trim();
  }
  return [key, rest];
}

function quoted(text: string): string {
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) throw new Unsupported();
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (!/^"[^"\\]*"$/.test(text)) throw new Unsupported();
  return text.slice(1, -1);
}

// Plain words and paths (the bulk of a dvc.lock) that the core schema can only read as strings.
const SIMPLE_STRING = /^[a-eg-mo-su-zA-EG-MO-SU-Z_/][A-Za-z0-9_./-]*$/;

function scalar(text: string): unknown {
  if (SIMPLE_STRING.test(text)) return text;
  if (text.startsWith("'") || text.startsWith('"')) return quoted(text);
  // Empty flow collections are the one flow form dumpers emit in block documents.
  if (text === "[]") return [];
  if (text === "{}") return {};
  if (!SAFE_PLAIN.test(text)) throw new Unsupported();
  return coreSchema(text);
}

/** How the YAML 1.2 core schema (the `yaml` package's default) reads a plain scalar. */
function coreSchema(text: string): unknown {
  if (/^(?:~|null|Null|NULL)$/.test(text)) return null;
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?[0-9]+$/.test(text)) return Number(text);
  if (/^0o[0-7]+$/.test(text)) return parseInt(text.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^\.(?:nan|NaN|NAN)$/.test(text)) return NaN;
  return text;
}

// Plain scalars YAML 1.1 readers (PyYAML, older ruamel) take as booleans or null; always quoted.
const YAML11_SPECIAL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

/**
 * A string as a YAML scalar that every reader reads back as the same string: plain when this
 * module's reader (and so the core schema) takes it as that string and no YAML 1.1 reader sees a
 * boolean, otherwise single-quoted, or double-quoted JSON when it holds line breaks or controls.
 */
export function yamlString(value: string): string {
  if (value !== "" && !YAML11_SPECIAL.test(value) && !/^\s|\s$/.test(value)) {
    const parsed = parseBlockYaml(`k: ${value}`) as { k?: unknown } | undefined;
    if (parsed?.k === value) return value;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) return JSON.stringify(value);
  return `'${value.replaceAll("'", "''")}'`;
}

function emitScalar(value: unknown): string {
  if (typeof value === "string") return yamlString(value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return yamlString(String(value));
}

function isEmptyCollection(value: unknown): string | undefined {
  if (Array.isArray(value) && value.length === 0) return "[]";
  if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) return "{}";
  return undefined;
}

function emitMapping(map: Record<string, unknown>, indent: number, out: string[], firstPrefix?: string): void {
  let first = true;
  for (const [key, value] of Object.entries(map)) {
    const lead = first && firstPrefix !== undefined ? firstPrefix : " ".repeat(indent);
    first = false;
    const head = `${lead}${yamlString(key)}:`;
    const empty = isEmptyCollection(value);
    if (empty !== undefined) out.push(`${head} ${empty}`);
    else if (Array.isArray(value)) {
      out.push(head);
      emitSequence(value, indent, out);
    } else if (typeof value === "object" && value !== null) {
      out.push(head);
      emitMapping(value as Record<string, unknown>, indent + 2, out);
    } else out.push(`${head} ${emitScalar(value)}`);
  }
}

function emitSequence(list: readonly unknown[], indent: number, out: string[]): void {
  const pad = " ".repeat(indent);
  for (const item of list) {
    const empty = isEmptyCollection(item);
    if (empty !== undefined) out.push(`${pad}- ${empty}`);
    else if (Array.isArray(item)) {
      out.push(`${pad}-`);
      emitSequence(item, indent + 2, out);
    } else if (typeof item === "object" && item !== null) emitMapping(item as Record<string, unknown>, indent + 2, out, `${pad}- `);
    else out.push(`${pad}- ${emitScalar(item)}`);
  }
}

/**
 * Block-style YAML for plain data (mappings, sequences, strings, numbers, booleans, null) in the
 * layout DVC and PyYAML write: sequence items at their key's indentation, two spaces per level.
 * This module's reader reads it back unchanged.
 */
export function emitBlockYaml(value: Record<string, unknown>): string {
  const out: string[] = [];
  emitMapping(value, 0, out);
  return out.length === 0 ? "{}\n" : `${out.join("\n")}\n`;
}
