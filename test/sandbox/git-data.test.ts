/**
 * The stand-in GitHub reads git from a bare repository in the workflow scenarios and from a
 * `MemoryGit` in in-process tests. Built as the same history, both must answer every question the
 * same way, or the in-process tests would pass on answers the scenarios never see.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bareRepository, MemoryGit, type GitData } from "../../sandbox/github-api/git-data";

describe("MemoryGit answers as the bare repository does", () => {
  let dir: string;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // root -> a -> b (dev); root -> c (test); m = merge of b and c (main).
  const history = (): { disk: GitData; memory: GitData; sha: Record<string, string> } => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "git-data-"));
    const git = (args: string[], env: Record<string, string> = {}) =>
      execFileSync("git", ["-C", path.join(dir, "work"), ...args], { encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "o", GIT_AUTHOR_EMAIL: "o@x", GIT_COMMITTER_NAME: "o", GIT_COMMITTER_EMAIL: "o@x", ...env } }).trim();
    fs.mkdirSync(path.join(dir, "work"));
    git(["init", "--quiet", "--initial-branch=main"]);
    const commit = (message: string) => {
      git(["commit", "--quiet", "--allow-empty", "-m", message]);
      return git(["rev-parse", "HEAD"]);
    };
    const root = commit("root");
    const a = commit("a");
    const b = commit("b");
    git(["checkout", "--quiet", "-b", "test", root]);
    const c = commit("c");
    git(["checkout", "--quiet", "-B", "main", b]);
    git(["merge", "--quiet", "--no-ff", "-m", "m", "test"]);
    const m = git(["rev-parse", "HEAD"]);
    git(["branch", "--quiet", "dev", b]);
    execFileSync("git", ["clone", "--quiet", "--bare", path.join(dir, "work"), path.join(dir, "bare.git")]);

    const memory = new MemoryGit();
    for (const [sha, parents, message] of [[root, [], "root"], [a, [root], "a"], [b, [a], "b"], [c, [root], "c"], [m, [b, c], "m"]] as const) memory.addCommit({ sha, parents: [...parents], message });
    for (const [branch, sha] of [["main", m], ["dev", b], ["test", c]]) memory.setBranch(branch, sha);
    return { disk: bareRepository(path.join(dir, "bare.git")), memory, sha: { root, a, b, c, m } };
  };

  it("resolves, counts, finds merge bases, reads refs and creates them alike", () => {
    const { disk, memory, sha } = history();
    const ask = (g: GitData) => ({
      resolved: ["main", "dev", "test", "refs/heads/dev", sha.a.slice(0, 7), sha.b, "nope", "0".repeat(40)].map((r) => g.resolve(r)),
      parents: Object.values(sha).map((s) => g.commit(s)?.parents),
      ahead: [[sha.root, sha.m], [sha.m, sha.root], [sha.b, sha.c], [sha.c, sha.b], [sha.m, sha.m]].map(([x, y]) => g.countAhead(x, y)),
      mergeBases: [[sha.b, sha.c], [sha.a, sha.m], [sha.m, sha.c]].map(([x, y]) => g.mergeBase(x, y)),
      refs: ["refs/heads/main", "refs/heads/nope"].map((r) => g.ref(r)),
      created: [g.createRef("refs/heads/promote/x", sha.a), g.createRef("refs/heads/promote/x", sha.b), g.createRef("refs/heads/y", "0".repeat(40))],
      after: g.ref("refs/heads/promote/x"),
    });
    const fromDisk = ask(disk);
    expect(fromDisk.ahead).toEqual([4, 0, 1, 2, 0]); // the bare repository's own answers, for the record
    expect(ask(memory)).toEqual(fromDisk);
  });
});
