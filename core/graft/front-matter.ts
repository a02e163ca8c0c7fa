/**
 * Prompt front matter: the YAML between the `---` lines of a `NAME.prompt.md` file.
 *
 *     ---
 *     deps:                 # repository-relative source files (optional, default none)
 *       - src/api.ts
 *     model: anthropic.claude-sonnet-4-5-20250929-v1:0   # optional, default graft.defaultModel
 *     output: docs/api.md   # optional, default NAME.md beside the prompt
 *     ---
 *     Instructions...
 *
 * Parsing never throws: every problem comes back with its file and 1-based line.
 */
import type { Node as YamlNode } from "yaml";
import { parseBlockYaml } from "./block-yaml";
import { normaliseRepoPath, splitFrontMatter } from "./text";

export { normaliseRepoPath };

export interface FrontMatter {
  readonly deps: readonly string[];
  readonly model: string | undefined;
  readonly output: string | undefined;
}

export interface PromptProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export type ParsedPrompt =
  | { readonly ok: true; readonly frontMatter: FrontMatter; readonly body: string }
  | { readonly ok: false; readonly problems: readonly PromptProblem[] };

export const FRONT_MATTER_KEYS = ["deps", "model", "output"] as const;

/** config's did-you-mean, loaded only for a prompt with other keys (config loads zod, slow to start). */
function closestKey(unknown: string, known: readonly string[]): string | undefined {
  return (require("../config") as typeof import("../config")).closestKey(unknown, known);
}

/**
 * Parses a prompt file. `fast: false` skips the quick reader and always uses the full YAML parser
 * (the two agree; a property test checks it).
 */
export function parsePromptFile(file: string, text: string, options: { readonly fast?: boolean } = {}): ParsedPrompt {
  const split = splitFrontMatter(text);
  if (split.unclosed) {
    return { ok: false, problems: [{ file, line: 1, message: "front matter opened with --- is never closed; add a line with --- after it" }] };
  }
  if (split.frontMatter === undefined || split.frontMatter.trim() === "") {
    return { ok: true, frontMatter: { deps: [], model: undefined, output: undefined }, body: split.body };
  }
  // Most front matter is plain block YAML without mistakes: read it quickly, and take the full
  // parser (which knows every line number) only for anything else.
  const fast = options.fast === false ? undefined : quickFrontMatter(split.frontMatter);
  if (fast) return { ok: true, frontMatter: fast, body: split.body };
  const offset = split.frontMatterLine - 1;
  // Loaded only when needed: the full parser is slow to load.
  const { isMap, isScalar, isSeq, LineCounter, parseDocument } = require("yaml") as typeof import("yaml");
  const lineCounter = new LineCounter();
  const doc = parseDocument(split.frontMatter, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const lineOf = (node: YamlNode | null | undefined): number => offset + (node?.range ? lineCounter.linePos(node.range[0]).line : 1);
  if (doc.errors.length > 0) {
    // YAML notices some errors (an unclosed bracket) only at the end of its input; point at the
    // last front-matter line rather than at the closing ---.
    const lastLine = offset + split.frontMatter.replace(/\r?\n$/, "").split("\n").length;
    return {
      ok: false,
      problems: doc.errors.map((e) => ({ file, line: Math.min(lastLine, offset + (e.linePos?.[0]?.line ?? 1)), message: `front matter is not valid YAML: ${firstLine(e.message)}` })),
    };
  }
  const problems: PromptProblem[] = [];
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    return { ok: true, frontMatter: { deps: [], model: undefined, output: undefined }, body: split.body };
  }
  if (!isMap(contents)) {
    return { ok: false, problems: [{ file, line: lineOf(contents), message: "front matter must be a YAML mapping such as `deps: [src/a.ts]`" }] };
  }
  let deps: string[] = [];
  let model: string | undefined;
  let output: string | undefined;
  for (const pair of contents.items) {
    const keyNode = pair.key as YamlNode | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
    const valueNode = pair.value as YamlNode | null;
    const line = lineOf(keyNode);
    if (key === "deps") {
      if (valueNode === null || (isScalar(valueNode) && valueNode.value === null)) continue;
      if (!isSeq(valueNode)) {
        problems.push({ file, line, message: "deps must be a list of repository-relative file paths, e.g. `deps: [src/a.ts]`" });
        continue;
      }
      const seen = new Map<string, number>();
      valueNode.items.forEach((item, i) => {
        const itemNode = item as YamlNode | null;
        const itemLine = lineOf(itemNode) ;
        if (!isScalar(itemNode) || typeof itemNode.value !== "string") {
          problems.push({ file, line: itemLine, message: `deps[${i}] must be a file path string, got ${describe(isScalar(itemNode) ? itemNode.value : itemNode?.toJSON())}` });
          return;
        }
        const norm = normaliseRepoPath(itemNode.value);
        if (!norm.ok) {
          problems.push({ file, line: itemLine, message: `deps[${i}] "${itemNode.value}" ${norm.reason}` });
          return;
        }
        const earlier = seen.get(norm.path);
        if (earlier !== undefined) {
          problems.push({ file, line: itemLine, message: `deps[${i}] "${norm.path}" repeats deps[${earlier}]; list each file once` });
          return;
        }
        seen.set(norm.path, i);
        deps.push(norm.path);
      });
    } else if (key === "model" || key === "output") {
      const value = isScalar(valueNode) ? valueNode.value : valueNode?.toJSON();
      if (typeof value !== "string" || value.trim() === "") {
        problems.push({ file, line, message: `${key} must be a non-empty string, got ${describe(value)}` });
        continue;
      }
      if (key === "model") {
        if (/\s/.test(value.trim())) problems.push({ file, line, message: `model "${value}" must not contain spaces` });
        else model = value.trim();
      } else {
        const norm = normaliseRepoPath(value);
        if (!norm.ok) problems.push({ file, line, message: `output "${value}" ${norm.reason}` });
        else output = norm.path;
      }
    } else if (key !== undefined) {
      // Other keys are left to other tools (Graft ignores them too), but a near miss of a key
      // this parser reads would silently drop deps or the model, so it is an error.
      const hint = closestKey(key, FRONT_MATTER_KEYS);
      if (hint !== undefined) problems.push({ file, line, message: `unknown key "${key}"; did you mean "${hint}"?` });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  deps = [...deps];
  return { ok: true, frontMatter: { deps, model, output }, body: split.body };
}

/** The front matter when it is valid plain block YAML; undefined when the full parser must look. */
function quickFrontMatter(yamlText: string): FrontMatter | undefined {
  const data = parseBlockYaml(yamlText);
  if (data === null) return { deps: [], model: undefined, output: undefined };
  if (typeof data !== "object" || data === undefined || Array.isArray(data)) return undefined;
  const deps: string[] = [];
  let model: string | undefined;
  let output: string | undefined;
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (key === "deps") {
      if (value === null) continue;
      if (!Array.isArray(value)) return undefined;
      for (const item of value) {
        if (typeof item !== "string") return undefined;
        const norm = normaliseRepoPath(item);
        if (!norm.ok || deps.includes(norm.path)) return undefined;
        deps.push(norm.path);
      }
    } else if (key === "model") {
      if (typeof value !== "string" || value === "" || /\s/.test(value)) return undefined;
      model = value;
    } else if (key === "output") {
      const norm = typeof value === "string" ? normaliseRepoPath(value) : undefined;
      if (!norm?.ok) return undefined;
      output = norm.path;
    } else if (closestKey(key, FRONT_MATTER_KEYS) !== undefined) {
      return undefined;
    }
  }
  return { deps, model, output };
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
