/**
 * A recorded promotion history (test/fixtures/github/promotion/<stage>, GitHub's own response
 * bodies) loaded into the stand-in GitHub, so `delivery promote` reads it through the same route
 * table the workflow scenarios use and its writes change that state as GitHub would.
 * A stage's own file wins over `shared/`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CheckRun, CommitStatus, Deployment, DeploymentStatus, Issue, PullRequest, WorkflowRun } from "../../../sandbox/github-api/server";
import { standInGitHub, type StandInGitHub } from "../../harness/github";

export const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "github", "promotion");
export const OWNER = "contoso";
export const REPO = "payments-service";

export const SHA = {
  /** dev's known-good commit, promoted to staging by PR #40. */
  A: "3f2a9c1d5e7b8a0f4c6d2e1b9a8c7d6e5f4a3b2c",
  /** The commit whose dev deployment fails. */
  B: "b7e4d2c9a1f0e8d7c6b5a4f3e2d1c0b9a8f7e6d5",
  /** staging's deployed commit (merge of PR #40), promoted to prod by PR #41. */
  S: "5c9e1a7b3d2f4e6a8c0b9d7f5e3a1c2b4d6f8e0a",
  /** prod's deployed commit (merge of PR #41). */
  P: "9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d",
} as const;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The recorded body of `file` in `stage` (or shared), or undefined when the stage has none. */
export function recorded(stage: string, file: string): Json | Json[] | undefined {
  for (const dir of [stage, "shared"]) {
    const full = path.join(FIXTURES, dir, file);
    if (fs.existsSync(full)) return JSON.parse(fs.readFileSync(full, "utf8"));
  }
  return undefined;
}

/**
 * The stand-in GitHub holding the recorded stage: `1-failed` (dev's deployment of B failed),
 * `2-rollback-running` (the rollback run is in progress), `3-rolled-back` (dev runs A again), or
 * `shared` alone (staging and prod as promoted, dev with no deployments). Lists are recorded newest
 * first; the world keeps them oldest first.
 */
export function recordedGitHub(stage: string): StandInGitHub {
  if (!fs.existsSync(path.join(FIXTURES, stage))) throw new Error(`no recorded stage ${stage} in ${FIXTURES}`);
  const gh = standInGitHub({ owner: OWNER, repo: REPO });
  const { world, git } = gh;
  const list = (file: string) => ((recorded(stage, file) as Json[] | undefined) ?? []).slice().reverse();

  // The recorded branch heads carry no parents; the history they tell is this graph: B was committed
  // on dev after A, S merged A into test (PR #40), P merged S into main (PR #41). A branch head the
  // stage moved on (a push to test) descends from the head it replaced.
  const branchCommit = (branch: string) => (recorded(stage, `branch-${branch}.json`) as Json).commit;
  const story: Record<string, { sha: string; parents: string[] }> = { dev: { sha: SHA.B, parents: [SHA.A] }, test: { sha: SHA.S, parents: [SHA.A] }, main: { sha: SHA.P, parents: [SHA.S] } };
  git.addCommit({ sha: SHA.A, message: "commit 3f2a9c1\n", date: "2025-06-01T08:00:00Z" });
  for (const [branch, { sha, parents }] of Object.entries(story)) {
    const recordedHead = branchCommit(branch);
    const own = recordedHead.sha === sha ? recordedHead.commit : null;
    git.addCommit({ sha, parents, tree: own?.tree.sha, message: own?.message ?? `commit ${sha.slice(0, 7)}\n`, date: own?.author.date });
    if (recordedHead.sha !== sha) {
      const c = recordedHead.commit;
      git.addCommit({ sha: recordedHead.sha, parents: [sha], tree: c.tree.sha, message: c.message, date: c.author.date });
    }
    git.setBranch(branch, recordedHead.sha);
  }
  for (const env of ["dev", "staging", "prod"]) {
    for (const d of list(`deployments-${env}.json`)) {
      world.deployments.push(d as Deployment);
      for (const s of list(`statuses-${d.id}.json`)) world.deploymentStatuses.push({ ...s, deployment_id: d.id } as DeploymentStatus);
    }
  }
  for (const name of Object.keys(SHA)) world.checkRuns.push(...(((recorded(stage, `check-runs-${name}.json`) as Json | undefined)?.check_runs ?? []) as CheckRun[]));
  world.statuses.push(...(list("commit-statuses-S.json").map((s) => ({ ...s, sha: SHA.S })) as CommitStatus[]));
  for (const branch of ["dev", "test", "main"]) world.pulls.push(...(list(`pulls-${branch}.json`) as PullRequest[]));
  world.issues.push(...(list("issues-deployment-failure.json") as Issue[]));
  // Runs are listed by workflow file name, as the CLI asks for them.
  const runs = [...((recorded(stage, "runs-deploy-dev.json") as Json | undefined)?.workflow_runs ?? []), recorded(stage, "run-9002.json")].filter(Boolean) as Json[];
  for (const run of runs.reverse()) {
    const artifacts = (recorded(stage, `artifacts-${run.id}.json`) as Json | undefined)?.artifacts ?? [];
    world.workflowRuns.push({ ...run, workflow_id: path.basename(run.path), artifacts } as WorkflowRun);
  }
  if (recorded(stage, "membership-qa-leads-qa-bob.json")) world.teams["qa-leads"] = ["qa-bob"];
  world.numberFrom(Math.max(0, ...world.issues.map((i) => i.number), ...world.pulls.map((p) => p.number)) + 1);
  return gh;
}
