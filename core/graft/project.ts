/**
 * A repository's Graft documents: prompt discovery by glob, front matter, and the checks that
 * must pass before anything is generated. Every problem is collected and reported at once:
 * malformed front matter (file and line), missing deps (each with every prompt needing it),
 * cycles (a generated document that is, directly or not, a dep of its own prompt) and two prompts
 * writing one output.
 */
import { type Dirent, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import * as path from "node:path";
import picomatch from "picomatch";
import { type FrontMatter, parsePromptFile, type PromptProblem } from "./front-matter";
import { defaultOutputPath, graftStageName, sha256Hex } from "./text";

/** The parts of the `graft` stack config discovery needs. */
export interface DiscoveryConfig {
  readonly promptGlobs: readonly string[];
  readonly defaultModel: string;
}

export interface PromptDocument {
  /** The prompt file, repository-relative with forward slashes. */
  readonly prompt: string;
  /** The generated document. */
  readonly output: string;
  /** Graft's DVC stage name (stem with `-` as `_`); the dvc.yaml stage name when one writes this output. */
  readonly stage: string;
  /** Front-matter deps in the order written. */
  readonly deps: readonly string[];
  /** The effective model: front matter's `model:`, else the configured default. */
  readonly model: string;
  /** SHA-256 of the prompt's instructions (its text after the front matter). */
  readonly instructionsSha256: string;
  /** Outputs of other prompts that this prompt depends on. */
  readonly upstream: readonly string[];
}

export interface GraftProject {
  readonly root: string;
  /** Documents in generation order: every document after the documents it depends on. */
  readonly documents: readonly PromptDocument[];
}

export type GraftProblem =
  | ({ readonly kind: "front-matter" } & PromptProblem)
  | { readonly kind: "missing-dep"; readonly dep: string; readonly prompts: readonly string[] }
  | { readonly kind: "directory-dep"; readonly dep: string; readonly prompts: readonly string[] }
  | { readonly kind: "cycle"; readonly outputs: readonly string[]; readonly prompts: readonly string[] }
  | { readonly kind: "duplicate-output"; readonly output: string; readonly prompts: readonly string[] };

export function describeProblem(p: GraftProblem): string {
  switch (p.kind) {
    case "front-matter":
      return `${p.file}:${p.line}: ${p.message}`;
    case "missing-dep":
      return `missing dependency ${p.dep} (required by ${p.prompts.join(", ")})`;
    case "directory-dep":
      return `dependency ${p.dep} is a directory (required by ${p.prompts.join(", ")}); list the files it should track`;
    case "cycle":
      return `dependency cycle: ${p.outputs.join(" -> ")} (${p.prompts.map((pr, i) => `${pr} depends on ${p.outputs[i + 1]}`).join(", ")})`;
    case "duplicate-output":
      return `${p.output} is written by ${p.prompts.length} prompts: ${p.prompts.join(", ")}; give all but one a distinct output: in their front matter`;
  }
}

export class GraftValidationError extends Error {
  constructor(readonly problems: readonly GraftProblem[]) {
    super(
      [
        `Graft found ${problems.length} problem${problems.length === 1 ? "" : "s"} in the prompt files; nothing was generated:`,
        ...problems.map((p) => `  - ${describeProblem(p)}`),
        "Fix them and run again.",
      ].join("\n"),
    );
    this.name = "GraftValidationError";
  }
}

/** Directories never searched for prompts. */
const SKIPPED_DIRS = new Set(["node_modules", ".git", ".dvc", ".graft"]);

/**
 * Repository-relative prompt paths matched by the globs (picomatch, `dot: false`), sorted;
 * node_modules, .git, .dvc and .graft are skipped, and other dot-directories unless a glob names
 * one. A walk of its own rather than a glob library's: it starts at each glob's static base and
 * tests only names that can match (with `*.prompt.md` as every glob's last segment, names ending
 * `.prompt.md`), which makes it several times faster on a large tree (`graft-status` runs it on
 * every call). test/core/graft/project.test.ts checks it against tinyglobby.
 */
export function discoverPrompts(root: string, globs: readonly string[]): string[] {
  const matchers = globs.map((g) => picomatch(g, { dot: false }));
  const matches = (rel: string) => matchers.some((m) => m(rel));
  // A literal basename suffix every match must have, when each glob's last segment is `*<literal>`.
  const suffixes = globs.map((g) => /(?:^|\/)\*([^*?[\]{}()!+@\\/]+)$/.exec(g)?.[1]);
  const nameMayMatch = suffixes.every((s) => s !== undefined) ? (name: string) => suffixes.some((s) => name.endsWith(s!)) : () => true;
  const dotDirs = globs.some((g) => /(?:^|\/)\.[^./]/.test(g));
  // Start at each glob's static base (`docs/**/*.md` -> docs); a base inside another is walked once.
  const bases = [...new Set(globs.map((g) => picomatch.scan(g).base.replace(/\/+$/, "")))].sort();
  const roots = bases.filter((b, i) => !bases.slice(0, i).some((a) => a === "" || b.startsWith(`${a}/`)));
  const found = new Set<string>();
  const seenDirs = new Set<string>();
  const consider = (rel: string, name: string) => {
    if (nameMayMatch(name) && matches(rel)) found.add(rel);
  };
  const walk = (rel: string): void => {
    const abs = path.join(root, rel);
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return; // absent or unreadable: nothing to find there
    }
    for (const e of entries) {
      const child = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isFile()) consider(child, e.name);
      else if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && (dotDirs || !e.name.startsWith("."))) walk(child);
      } else if (e.isSymbolicLink()) {
        // Followed, as a glob library does; a directory is walked once by its real path (no loops).
        const st = statSync(path.join(root, child), { throwIfNoEntry: false });
        if (st?.isFile()) consider(child, e.name);
        else if (st?.isDirectory() && !SKIPPED_DIRS.has(e.name) && (dotDirs || !e.name.startsWith("."))) {
          const real = realpathSync(path.join(root, child));
          if (!seenDirs.has(real)) {
            seenDirs.add(real);
            walk(child);
          }
        }
      }
    }
  };
  for (const base of roots) {
    const st = statSync(path.join(root, base), { throwIfNoEntry: false });
    if (st?.isDirectory()) walk(base);
    else if (st?.isFile()) consider(base, path.basename(base));
  }
  return [...found].sort();
}

export interface LoadOptions {
  /** Tells whether a repository-relative path is an existing regular file. Defaults to a stat. */
  readonly isFile?: (relPath: string) => boolean;
  /** Tells whether a repository-relative path is a directory. Defaults to a stat. */
  readonly isDirectory?: (relPath: string) => boolean;
  /** Reads a prompt file. Defaults to the file system. */
  readonly readText?: (relPath: string) => string;
  /**
   * Reads and parses a prompt file; computeStatus hands in one that caches the result by the
   * file's content hash. Defaults to `summarisePrompt(relPath, readText(relPath))`.
   */
  readonly parsePrompt?: (relPath: string) => PromptSummary;
  /** Maps an output to the dvc.yaml stage writing it, when there is one. */
  readonly stageFor?: (output: string) => string | undefined;
  /** "fail": a dep that does not exist is a problem; "report": it is left for staleness to report as deleted. Defaults to "fail". */
  readonly missingDeps?: "fail" | "report";
}

/** What a prompt file contributes to the project: its front matter and the hash of its instructions, or its problems. Plain JSON. */
export type PromptSummary =
  | { readonly ok: true; readonly frontMatter: FrontMatter; readonly instructionsSha256: string }
  | { readonly ok: false; readonly problems: readonly PromptProblem[] };

export function summarisePrompt(file: string, text: string): PromptSummary {
  const result = parsePromptFile(file, text);
  return result.ok ? { ok: true, frontMatter: result.frontMatter, instructionsSha256: sha256Hex(result.body) } : result;
}

/**
 * Discovers and validates every prompt. Throws GraftValidationError listing every problem;
 * returns the documents in generation order otherwise.
 */
export function loadProject(root: string, config: DiscoveryConfig, options: LoadOptions = {}): GraftProject {
  const prompts = discoverPrompts(root, config.promptGlobs);
  return buildProject(root, prompts, config, options);
}

export function buildProject(root: string, prompts: readonly string[], config: DiscoveryConfig, options: LoadOptions = {}): GraftProject {
  const statKind = (rel: string): "file" | "dir" | undefined => {
    try {
      const st = statSync(path.join(root, rel));
      return st.isFile() ? "file" : st.isDirectory() ? "dir" : undefined;
    } catch {
      return undefined;
    }
  };
  const isFile = options.isFile ?? ((rel: string) => statKind(rel) === "file");
  const isDirectory = options.isDirectory ?? ((rel: string) => statKind(rel) === "dir");
  const readText = options.readText ?? ((rel: string) => readFileSync(path.join(root, rel), "utf8"));
  const parsePrompt = options.parsePrompt ?? ((rel: string) => summarisePrompt(rel, readText(rel)));

  const problems: GraftProblem[] = [];
  const parsed: Array<Omit<PromptDocument, "upstream" | "stage">> = [];
  for (const prompt of prompts) {
    const result = parsePrompt(prompt);
    if (!result.ok) {
      problems.push(...result.problems.map((p) => ({ kind: "front-matter" as const, ...p })));
      continue;
    }
    const fm = result.frontMatter;
    parsed.push({ prompt, output: fm.output ?? defaultOutputPath(prompt), deps: fm.deps, model: fm.model ?? config.defaultModel, instructionsSha256: result.instructionsSha256 });
  }

  // Two prompts, one output (compared case-insensitively: they collide on macOS and Windows).
  const byOutput = new Map<string, typeof parsed>();
  for (const doc of parsed) {
    const key = doc.output.toLowerCase();
    byOutput.set(key, [...(byOutput.get(key) ?? []), doc]);
  }
  const duplicated = new Set<string>();
  for (const docs of byOutput.values()) {
    if (docs.length > 1) {
      problems.push({ kind: "duplicate-output", output: docs[0].output, prompts: docs.map((d) => d.prompt) });
      docs.forEach((d) => duplicated.add(d.prompt));
    }
  }

  const outputs = new Map(parsed.map((d) => [d.output, d]));
  const missing = new Map<string, string[]>();
  const directories = new Map<string, string[]>();
  for (const doc of parsed) {
    for (const dep of doc.deps) {
      if (outputs.has(dep) || isFile(dep)) continue;
      const bucket = isDirectory(dep) ? directories : missing;
      bucket.set(dep, [...(bucket.get(dep) ?? []), doc.prompt]);
    }
  }
  if ((options.missingDeps ?? "fail") === "fail") {
    for (const [dep, needers] of [...missing].sort(([a], [b]) => a.localeCompare(b))) problems.push({ kind: "missing-dep", dep, prompts: needers });
  }
  for (const [dep, needers] of [...directories].sort(([a], [b]) => a.localeCompare(b))) problems.push({ kind: "directory-dep", dep, prompts: needers });

  // Generation order and cycles: an edge from each upstream output to the prompt that reads it.
  const docs = parsed
    .filter((d) => !duplicated.has(d.prompt))
    .map((d) => ({ ...d, stage: options.stageFor?.(d.output) ?? graftStageName(d.prompt), upstream: d.deps.filter((dep) => outputs.has(dep) && !duplicated.has(outputs.get(dep)!.prompt)) }));
  const byOut = new Map(docs.map((d) => [d.output, d]));
  const order: PromptDocument[] = [];
  const state = new Map<string, "visiting" | "done">();
  const reported = new Set<string>();
  const visit = (doc: (typeof docs)[number], trail: string[]): void => {
    const s = state.get(doc.output);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(doc.output)), doc.output];
      const key = [...new Set(cycle)].sort().join("|");
      if (!reported.has(key)) {
        reported.add(key);
        problems.push({ kind: "cycle", outputs: cycle, prompts: cycle.slice(0, -1).map((o) => byOut.get(o)!.prompt) });
      }
      return;
    }
    state.set(doc.output, "visiting");
    for (const up of doc.upstream) visit(byOut.get(up)!, [...trail, doc.output]);
    state.set(doc.output, "done");
    order.push(doc);
  };
  for (const doc of docs) visit(doc, []);

  if (problems.length > 0) throw new GraftValidationError(problems);
  return { root, documents: order };
}
