/**
 * Where the stand-in GitHub reads git objects and refs. The workflow scenarios use the bare
 * repository their stand-in `actions/checkout` clones (real SHAs, real trees); in-process tests use
 * `MemoryGit`, a commit graph held in memory, so a test can name the commits of a recorded history
 * (fixed SHAs) without building them with git. Both answer the same questions the same way.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";

export interface CommitObject {
  readonly sha: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly message: string;
  readonly author: { readonly name: string; readonly email: string; readonly date: string };
}

export interface GitData {
  /** The commit that a full or abbreviated SHA, a branch name or a full ref names; null when none does. */
  resolve(ref: string): string | null;
  commit(sha: string): CommitObject | null;
  /** How many commits `to` has that `from` does not (`git rev-list --count from..to`). */
  countAhead(from: string, to: string): number;
  mergeBase(a: string, b: string): string | null;
  /** The commit a full ref (`refs/heads/dev`) points at, or null when there is no such ref. */
  ref(fullRef: string): string | null;
  /** Creates `fullRef` at `sha`; false when the ref exists or the commit does not. */
  createRef(fullRef: string, sha: string): boolean;
}

/** The git data of a bare repository on disk, read with git itself. */
export function bareRepository(dir: string): GitData {
  const git = (args: string[]): string | null => {
    try {
      return execFileSync("git", ["--git-dir", dir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    } catch {
      return null; // git says the object or ref does not exist
    }
  };
  const verify = (name: string) => git(["rev-parse", "--verify", "--quiet", name]);
  return {
    resolve: (ref) => verify(`${ref}^{commit}`) ?? verify(`refs/heads/${ref}^{commit}`),
    commit: (sha) => {
      const raw = git(["cat-file", "commit", sha]);
      if (raw === null) return null;
      const author = /^author (.*) <(.*)> (\d+) ([+-]\d{4})$/m.exec(raw);
      return {
        sha,
        tree: /^tree ([0-9a-f]{40})$/m.exec(raw)?.[1] ?? "",
        parents: [...raw.matchAll(/^parent ([0-9a-f]{40})$/gm)].map((m) => m[1]),
        message: raw.slice(raw.indexOf("\n\n") + 2),
        author: { name: author?.[1] ?? "", email: author?.[2] ?? "", date: author ? new Date(Number(author[3]) * 1000).toISOString() : "" },
      };
    },
    countAhead: (from, to) => Number(git(["rev-list", "--count", `${from}..${to}`]) ?? 0),
    mergeBase: (a, b) => git(["merge-base", a, b]),
    ref: (fullRef) => verify(`${fullRef}^{commit}`),
    // update-ref alone would take an all-zero SHA as "delete the ref" and report success.
    createRef: (fullRef, sha) => verify(fullRef) === null && verify(`${sha}^{commit}`) !== null && git(["update-ref", fullRef, sha]) !== null,
  };
}

/** A commit graph in memory: commits are added with the SHAs a test names (or computed ones). */
export class MemoryGit implements GitData {
  readonly commits = new Map<string, CommitObject>();
  readonly refs = new Map<string, string>();
  private clock = Date.parse("2026-01-01T00:00:00Z");

  /** Adds a commit (its SHA given, or derived from its content) and returns its SHA. */
  addCommit(options: { sha?: string; parents?: string[]; tree?: string; message?: string; date?: string } = {}): string {
    // A parent may lie outside what the test holds (a recorded history's older commits): it is then
    // simply not reachable, as in a shallow clone.
    const parents = options.parents ?? [];
    const message = options.message ?? `commit ${this.commits.size + 1}\n`;
    const tree = options.tree ?? createHash("sha1").update(`tree ${message}`).digest("hex");
    const date = options.date ?? new Date((this.clock += 60_000)).toISOString();
    const sha = options.sha ?? createHash("sha1").update(`${tree}\n${parents.join("\n")}\n${date}\n${message}`).digest("hex");
    if (this.commits.has(sha)) return sha;
    this.commits.set(sha, { sha, tree, parents, message, author: { name: "Octocat", email: "octocat@github.com", date } });
    return sha;
  }

  /** Points `branch` at `sha` (creating or moving it). */
  setBranch(branch: string, sha: string): void {
    if (!this.commits.has(sha)) throw new Error(`${sha} is not a commit of this MemoryGit`);
    this.refs.set(`refs/heads/${branch}`, sha);
  }

  resolve(ref: string): string | null {
    if (this.commits.has(ref)) return ref;
    const named = this.refs.get(ref) ?? this.refs.get(`refs/heads/${ref}`);
    if (named) return named;
    if (!/^[0-9a-f]{4,39}$/.test(ref)) return null;
    const matches = [...this.commits.keys()].filter((sha) => sha.startsWith(ref));
    return matches.length === 1 ? matches[0] : null;
  }

  commit(sha: string): CommitObject | null {
    return this.commits.get(sha) ?? null;
  }

  countAhead(from: string, to: string): number {
    const reachable = this.ancestors(from);
    return [...this.ancestors(to)].filter((sha) => !reachable.has(sha)).length;
  }

  mergeBase(a: string, b: string): string | null {
    const ofA = this.ancestors(a);
    // The common ancestor no other common ancestor descends from.
    const common = [...this.ancestors(b)].filter((sha) => ofA.has(sha));
    return common.find((candidate) => !common.some((other) => other !== candidate && this.ancestors(other).has(candidate))) ?? null;
  }

  ref(fullRef: string): string | null {
    return this.refs.get(fullRef) ?? null;
  }

  createRef(fullRef: string, sha: string): boolean {
    if (this.refs.has(fullRef) || !this.commits.has(sha)) return false;
    this.refs.set(fullRef, sha);
    return true;
  }

  /** `sha` and every commit it descends from. */
  private ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const todo = [sha];
    while (todo.length) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...(this.commits.get(next)?.parents ?? []));
    }
    return seen;
  }
}
