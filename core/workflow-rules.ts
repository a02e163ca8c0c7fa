/**
 * The security rules a GitHub Actions workflow of this platform must satisfy, as pure checks on
 * the parsed YAML. The policy pack applies them to the files the prod stack commits; the
 * workflow tests apply them to every rendered file.
 */

/** A parsed workflow document (the YAML's plain data). */
export type WorkflowDocument = Record<string, any>;

/** Contexts whose values an outsider (or any PR author) controls, or that carry such values along. */
export const UNTRUSTED_EXPRESSIONS: readonly RegExp[] = [
  /github\.event\.(comment|issue|pull_request|review|review_comment|discussion|discussion_comment|head_commit|commits|pages|label)\b/,
  /github\.event\.workflow_run\.(head_branch|head_commit|display_title|pull_requests)/,
  /github\.(head_ref|event\.ref)\b/,
  /\binputs\./,
  /github\.event\.inputs\./,
  /\bsteps\.[^.]+\.outputs\./,
  /\bneeds\.[^.]+\.outputs\./,
  /\bmatrix\./,
];

/** Every `${{ }}` in a run script that reads an untrusted (or indirectly untrusted) value. */
export function untrustedInterpolations(run: string): string[] {
  const found: string[] = [];
  for (const m of run.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) if (UNTRUSTED_EXPRESSIONS.some((re) => re.test(m[1]))) found.push(m[0]);
  return found;
}

/** Actions that exchange the job's OIDC token for cloud credentials. */
export const OIDC_LOGIN_ACTIONS = ["azure/login", "aws-actions/configure-aws-credentials"] as const;

const PINNED = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/;

function jobsOf(doc: WorkflowDocument): [string, Record<string, any>][] {
  return Object.entries((doc.jobs ?? {}) as Record<string, Record<string, any>>);
}

function stepsOf(job: Record<string, any>): Record<string, any>[] {
  return Array.isArray(job.steps) ? job.steps : [];
}

function triggersOf(doc: WorkflowDocument): string[] {
  const on = doc.on ?? doc.true; // YAML 1.1 parsers read a bare `on:` key as boolean true
  if (typeof on === "string") return [on];
  if (Array.isArray(on)) return on.map(String);
  return on && typeof on === "object" ? Object.keys(on) : [];
}

export function unpinnedActions(doc: WorkflowDocument): string[] {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(doc)) {
    const uses = [job.uses, ...stepsOf(job).map((s) => s.uses)].filter((u): u is string => typeof u === "string");
    for (const u of uses) {
      if (u.startsWith("./") || u.startsWith("docker://")) continue;
      if (!PINNED.test(u)) problems.push(`job "${id}" uses "${u}", which is not pinned to a full 40-character commit SHA`);
    }
  }
  return problems;
}

const READ_ONLY = new Set(["read", "none"]);

export function permissionProblems(doc: WorkflowDocument): string[] {
  const problems: string[] = [];
  const top = doc.permissions;
  const topReadOnly = top === "read-all" || (top && typeof top === "object" && Object.values(top).every((v) => READ_ONLY.has(String(v))));
  if (top === undefined) problems.push("top-level permissions are not set (the repository default may grant write); set `permissions: {}`");
  else if (!topReadOnly) problems.push(`top-level permissions must be read-only or empty; found ${JSON.stringify(top)}`);
  for (const [id, job] of jobsOf(doc)) {
    const perms = job.permissions;
    if (perms === undefined) {
      problems.push(`job "${id}" does not declare its permissions`);
      continue;
    }
    if (typeof perms === "string") {
      if (perms !== "read-all" && perms !== "{}") problems.push(`job "${id}" uses permissions "${perms}"; list only the scopes it needs`);
      continue;
    }
    const logsIn = stepsOf(job).some((s) => typeof s.uses === "string" && OIDC_LOGIN_ACTIONS.some((a) => s.uses.startsWith(`${a}@`)));
    if (perms["id-token"] === "write" && !logsIn) problems.push(`job "${id}" asks for id-token: write but logs in to no cloud`);
  }
  return problems;
}

/**
 * `pull_request_target` runs the default branch's workflow with the repository's token and secrets.
 * It is allowed for one purpose: reacting to a label (`types: [labeled]`), where a collaborator's
 * action, not PR content, triggers the run, and only when no step checks out the pull request's ref
 * (its code reaches a job only as a commit the deploy gate verified and passed on as a job output).
 * Anything else uses `pull_request`.
 */
export function triggerProblems(doc: WorkflowDocument): string[] {
  if (!triggersOf(doc).includes("pull_request_target")) return [];
  const on = (doc as { on?: Record<string, { types?: unknown } | null> }).on ?? {};
  const types = on.pull_request_target?.types;
  const problems: string[] = [];
  if (!Array.isArray(types) || types.length !== 1 || types[0] !== "labeled") {
    problems.push("triggers on pull_request_target for more than `types: [labeled]`; that runs on PR content with the base repository's secrets; use pull_request");
  }
  for (const [id, job] of jobsOf(doc)) {
    for (const step of stepsOf(job)) {
      const ref = (step as { with?: { ref?: unknown } }).with?.ref;
      if (typeof ref === "string" && /github\.event\.pull_request\.|github\.head_ref/.test(ref)) {
        problems.push(`job "${id}" checks out ${ref} under pull_request_target; check out only the commit the deploy gate verified (a job output)`);
      }
    }
  }
  return problems;
}

export function injectionProblems(doc: WorkflowDocument): string[] {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(doc)) {
    for (const step of stepsOf(job)) {
      if (typeof step.run !== "string") continue;
      for (const found of untrustedInterpolations(step.run)) problems.push(`job "${id}" step "${step.name ?? "(unnamed)"}" interpolates ${found} into its script; pass it through env instead`);
    }
  }
  return problems;
}

/**
 * In a workflow that deploys on comments, every job that declares an environment must depend on
 * a job that runs the permission gate (`delivery gate`).
 */
export function gateProblems(doc: WorkflowDocument): string[] {
  if (!triggersOf(doc).includes("issue_comment")) return [];
  const jobs = new Map(jobsOf(doc));
  const runsGate = (job: Record<string, any>) => stepsOf(job).some((s) => typeof s.run === "string" && /\bdelivery(?:\.js"?)? gate\b/.test(s.run));
  const gated = new Set([...jobs].filter(([, job]) => runsGate(job)).map(([id]) => id));
  if (gated.size === 0) return ["deploys on comments but no job runs the permission gate (`delivery gate`)"];
  const needsGate = (id: string, seen = new Set<string>()): boolean => {
    if (gated.has(id)) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    const needs = jobs.get(id)?.needs;
    return (Array.isArray(needs) ? needs : needs ? [needs] : []).some((n: string) => needsGate(n, seen));
  };
  return [...jobs]
    .filter(([id, job]) => job.environment !== undefined && !needsGate(id))
    .map(([id]) => `job "${id}" deploys to an environment without depending on the permission gate`);
}

/** The environment a job declares (`environment: NAME` or `environment: { name: NAME }`), if any. */
function environmentOf(job: Record<string, any>): string | undefined {
  const env = job.environment;
  if (typeof env === "string") return env;
  if (env && typeof env === "object" && typeof env.name === "string") return env.name;
  return undefined;
}

/**
 * Every secret is an environment secret, read only by jobs of an environment that holds it:
 * `secretsByEnvironment` maps each GitHub environment to the secret names it holds (workflows/common.ts
 * `environmentSecrets`). A `secrets.X` in a job without an environment, or whose environment does not
 * hold X, would fall back to a repository secret that any writer's branch can read, or to nothing.
 * `GITHUB_TOKEN` is the job's own token.
 */
export function secretScopeProblems(doc: WorkflowDocument, secretsByEnvironment: Readonly<Record<string, readonly string[]>>): string[] {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(doc)) {
    const environment = environmentOf(job);
    const held = new Set(environment === undefined ? [] : (secretsByEnvironment[environment] ?? []));
    const text = JSON.stringify(job);
    for (const m of text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) {
      if (/\bsecrets\s*\[/.test(m[1]) || /\btoJSON\(\s*secrets\s*\)/.test(m[1])) problems.push(`job "${id}" reads a secret by a computed name (${m[0]}); name each secret literally`);
      for (const s of m[1].matchAll(/\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
        const name = s[1];
        if (name === "GITHUB_TOKEN" || held.has(name)) continue;
        problems.push(
          environment === undefined
            ? `job "${id}" reads secrets.${name} without an environment; declare the environment that holds it (no workflow reads a repository secret)`
            : `job "${id}" reads secrets.${name}, which its environment "${environment}" does not hold; read it only where it lives (workflows/common.ts environmentSecrets)`,
        );
      }
    }
  }
  return [...new Set(problems)];
}
