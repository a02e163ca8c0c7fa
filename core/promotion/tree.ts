/**
 * The validated tree is what ships. Rulesets require linear history, so a promotion pull request
 * is merged by squash or rebase and the next environment deploys a new commit; what must hold is
 * that the new commit's tree is exactly the tree validated in the environment before. The deploy
 * job proves it before `pulumi up` (`delivery promote verify-tree`), and records both commits
 * with the deployment (`promote record start --validated-commit`).
 *
 * A commit passes when it is
 * - in the first environment: nothing to verify (pull requests bring reviewed changes there);
 * - itself a commit validated in the previous environment (a fast-forward);
 * - the merge commit of a merged pull request into the environment's branch whose head is a commit
 *   validated in the previous environment, and the two trees are the same (`commit.tree.sha`).
 * Anything else stops the promotion with the reason.
 */
import type { PipelineEnvironment, PromotionFacts } from "./facts";
import { validatedShas } from "./machine";

export type TreeMethod = "first-environment" | "fast-forward" | "equal-tree";

export interface TreeVerdict {
  readonly ok: boolean;
  readonly environment: string;
  /** The commit about to be deployed. */
  readonly commit: string;
  /** The environment before, where the tree was validated (null for the first environment). */
  readonly validatedIn: string | null;
  /** The validated commit whose tree `commit` carries (null when none was found). */
  readonly validatedCommit: string | null;
  readonly pullRequest: { readonly number: number; readonly url: string } | null;
  readonly method: TreeMethod | null;
  /** The trees compared (git tree SHAs), when they were read. */
  readonly trees: { readonly commit: string; readonly validated: string } | null;
  readonly reason: string;
}

/** A commit's git tree SHA (`GET /repos/{o}/{r}/commits/{sha}` -> `commit.tree.sha`). */
export type TreeOf = (sha: string) => Promise<string>;

const short = (sha: string) => sha.slice(0, 12);

/** What must be compared, or the verdict when nothing must: pure, from the promotion facts. */
export function treeCheckPlan(
  pipeline: readonly PipelineEnvironment[],
  facts: PromotionFacts,
  environment: string,
  commit: string,
): { readonly verdict: TreeVerdict } | { readonly compare: { readonly validatedCommit: string; readonly pullRequest: { number: number; url: string } }; readonly base: Omit<TreeVerdict, "ok" | "trees" | "reason" | "method"> } {
  const index = pipeline.findIndex((e) => e.name === environment);
  if (index < 0) throw new Error(`environment "${environment}" is not in the pipeline (${pipeline.map((e) => e.name).join(", ")})`);
  const base = { environment, commit, validatedIn: null, validatedCommit: null, pullRequest: null };
  if (index === 0) {
    return { verdict: { ...base, ok: true, method: "first-environment", trees: null, reason: `${environment} is the first environment: it deploys reviewed pull requests, there is no promotion to verify` } };
  }
  const env = pipeline[index];
  const previous = pipeline[index - 1];
  const validated = validatedShas(pipeline, previous.name, facts);
  const from = { ...base, validatedIn: previous.name };
  if (validated.includes(commit)) {
    return { verdict: { ...from, ok: true, validatedCommit: commit, method: "fast-forward", trees: null, reason: `${short(commit)} is itself a commit validated in ${previous.name}` } };
  }
  const merged = facts.pullRequests.filter((p) => p.state === "merged" && p.baseRef === env.branch && p.mergeCommitSha === commit).sort((a, b) => b.number - a.number);
  const pr = merged[0];
  if (!pr) {
    return {
      verdict: {
        ...from,
        ok: false,
        method: null,
        trees: null,
        reason: `${short(commit)} is not a commit validated in ${previous.name}, and no merged pull request into ${env.branch} has it as its merge commit: only a tree validated in ${previous.name} may be deployed to ${environment}. Promote through the promotion pull request (\`delivery promote status\`).`,
      },
    };
  }
  const pullRequest = { number: pr.number, url: pr.url };
  if (!validated.includes(pr.headSha)) {
    return {
      verdict: {
        ...from,
        ok: false,
        pullRequest,
        validatedCommit: null,
        method: null,
        trees: null,
        reason: `PR #${pr.number} merged ${short(pr.headSha)} into ${env.branch} as ${short(commit)}, but ${short(pr.headSha)} never passed validation in ${previous.name}; nothing is deployed to ${environment}.`,
      },
    };
  }
  return { compare: { validatedCommit: pr.headSha, pullRequest }, base: { ...from, validatedCommit: pr.headSha, pullRequest } };
}

/** The verdict once both trees are known. */
export function judgeTrees(base: Omit<TreeVerdict, "ok" | "trees" | "reason" | "method">, trees: { commit: string; validated: string }): TreeVerdict {
  const v = base.validatedCommit!;
  const pr = base.pullRequest ? `PR #${base.pullRequest.number}` : "the promotion";
  if (trees.commit === trees.validated) {
    return { ...base, ok: true, method: "equal-tree", trees, reason: `${short(base.commit)} (merged by ${pr}) has tree ${short(trees.commit)}, exactly the tree of ${short(v)} validated in ${base.validatedIn}` };
  }
  return {
    ...base,
    ok: false,
    method: null,
    trees,
    reason: `${short(base.commit)} (merged by ${pr}) has tree ${short(trees.commit)}, but ${short(v)} validated in ${base.validatedIn} has tree ${short(trees.validated)}: the merge changed what was validated (a conflict resolution, or other commits on ${base.environment}'s branch). Nothing is deployed; revert the branch to the validated tree or promote again from ${base.validatedIn}.`,
  };
}

/** Plans, reads the two trees through `treeOf` when needed, and judges. */
export async function verifyPromotedTree(pipeline: readonly PipelineEnvironment[], facts: PromotionFacts, environment: string, commit: string, treeOf: TreeOf): Promise<TreeVerdict> {
  const plan = treeCheckPlan(pipeline, facts, environment, commit);
  if ("verdict" in plan) return plan.verdict;
  const [a, b] = await Promise.all([treeOf(commit), treeOf(plan.compare.validatedCommit)]);
  return judgeTrees(plan.base, { commit: a, validated: b });
}
