/**
 * The PR preview workflow: `pulumi preview` of every stack with the policy pack, one comment per
 * stack updated in place, failing when a mandatory policy is violated. It also runs on pushes to
 * the environment branches, so commits there carry the same checks a deployment requires.
 *
 * It runs pull-request code, so it gets nothing a pull request should not have: the stack's
 * preview environment `<stack>-preview` (never the deploy environment, whose branch policy refuses
 * PR refs anyway), whose secrets are the stack's passphrase with read-only state access and an
 * optional read token; the read-only Azure preview identity (Reader plus what-if on its resource
 * group), which trusts that environment's subject; and `pull-requests: write` only to post its comment.
 */
import type { StackConfig } from "../core/config";
import { AUDIT_DIR, AWS_PREVIEW_ROLE_VARIABLE, awsLogin, azureLogin, checkout, DELIVERY, expr, type Jobs, nodeSetup, previewClientIdVariable, previewJobEnvironment, pulumiEnv, readGithubToken, RUNNER, script, WHATIF_DIR } from "./common";
import { ACTIONS } from "./actions";
import { docsStack } from "./docs";
import type { Job, RunStep, Step, Workflow } from "./model";

export const PREVIEW_WORKFLOW_FILE = "preview.yml";

/** The check name of one stack's preview job; branch protection requires these. */
export function previewCheckName(stack: string): string {
  return `preview (${stack})`;
}

/** The required status checks the preview workflow reports, one per stack, in pipeline order. */
export function previewCheckNames(cfg: Pick<StackConfig, "environments">): string[] {
  return cfg.environments.map((e) => previewCheckName(e.name));
}

const isExpression = (value: string) => /^\$\{\{.+\}\}$/.test(value);

/** The expression inside `${{ ... }}`, or a literal quoted for an expression. */
function unwrap(value: string): string {
  const m = /^\$\{\{\s*(.+?)\s*\}\}$/.exec(value);
  return m ? m[1] : `'${value}'`;
}

/**
 * The steps that preview one stack and post its comment; shared with the deploy workflow's
 * `/preview` command, which hands the output to a comment job instead (`handOff`). `stack` and
 * `pr` are expressions or literals (never untrusted text); `clientId` is the expression (without
 * `${{ }}`) of the preview identity's client id.
 */
export function previewSteps(cfg: StackConfig, stack: string, pr: string, clientId: string, source: { ref?: string; commit: string }, options: { handOff?: boolean } = {}): Step[] {
  const env = { STACK: stack, PR_NUMBER: pr, RUN_URL: "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}" };
  const preview: RunStep = {
    name: "pulumi preview",
    id: "preview",
    env: { ...env, ...pulumiEnv(cfg, readGithubToken()), DELIVERY_WHATIF_DIR: WHATIF_DIR, DELIVERY_AUDIT_DIR: AUDIT_DIR },
    run: script([
      'mkdir -p "$DELIVERY_WHATIF_DIR"',
      "set +e",
      'npx pulumi preview --stack "$STACK" --non-interactive --diff --policy-pack policies --policy-pack-config "policies/config/$STACK.json" 2>&1 | tee preview.log',
      'code="${PIPESTATUS[0]}"',
      "set -e",
      'echo "exit-code=$code" >> "$GITHUB_OUTPUT"',
    ]),
  };
  const report: RunStep = {
    name: "Find stale documents",
    if: "always() && steps.preview.outcome != 'skipped'",
    run: script([DELIVERY + ' graft-status --stack "$STACK" --json > graft-status.json || true']),
    env: { STACK: stack },
  };
  const comment: RunStep = {
    name: "Comment on the pull request",
    if: `always() && steps.preview.outcome != 'skipped'`,
    env: { ...env, EXIT_CODE: "${{ steps.preview.outputs.exit-code }}", GITHUB_TOKEN: expr("github.token"), COMMIT: source.commit, DELIVERY_WHATIF_DIR: WHATIF_DIR, WHATIF_ARTIFACT: whatIfArtifact(stack) },
    run: previewCommentScript({ log: "preview.log", graft: "graft-status.json", whatIfDir: '"$DELIVERY_WHATIF_DIR"' }),
  };
  // `/preview` from a comment runs in the default branch's context: the pull request's code gets no
  // token that writes, and its output goes to a trusted job that comments (deploy.ts).
  const handOff: Step = {
    name: "Hand the preview to the comment job",
    if: "always() && steps.preview.outcome != 'skipped'",
    uses: ACTIONS.uploadArtifact,
    with: { name: previewOutcomeArtifact(stack), path: "preview.log\ngraft-status.json\n", "retention-days": 1, "if-no-files-found": "warn" },
  };
  const verdict: RunStep = {
    name: "Fail when the preview failed or a mandatory policy is violated",
    env: { EXIT_CODE: "${{ steps.preview.outputs.exit-code }}" },
    run: script(['if [ "$EXIT_CODE" != "0" ]; then echo "::error::pulumi preview exited with $EXIT_CODE (see the PR comment for the policy violations or errors)"; exit 1; fi']),
  };
  return [
    checkout(source.ref ? { ref: source.ref } : {}),
    ...nodeSetup({ program: true }),
    {
      // The jobs that hold tokens run the committed bundle without building it (bin/delivery.js
      // only detects a stale one); here, in a required check, it is rebuilt and compared, so a
      // hand-edited bundle cannot merge.
      name: "Check that the delivery bundle is the build of this commit",
      run: "node scripts/bundle-cli.js --check",
    },
    azureLogin(expr(clientId), cfg.azure.tenantId, cfg.azure.subscriptionId, `${clientId} != ''`),
    // The stack that manages the repository also holds AWS resources; the AWS provider does not
    // configure without credentials, so its preview reads them with the read-only preview role.
    ...(isExpression(stack)
      ? [awsLogin(cfg, { roleVariable: AWS_PREVIEW_ROLE_VARIABLE, condition: `${unwrap(stack)} == '${docsStack(cfg)}'` })]
      : stack === docsStack(cfg)
        ? [awsLogin(cfg, { roleVariable: AWS_PREVIEW_ROLE_VARIABLE })]
        : []),
    preview,
    report,
    options.handOff ? handOff : comment,
    {
      name: "Upload the what-ifs",
      if: "always() && steps.preview.outcome != 'skipped'",
      uses: ACTIONS.uploadArtifact,
      with: { name: whatIfArtifact(stack), path: WHATIF_DIR, "retention-days": 30, "if-no-files-found": "ignore" },
    },
    verdict,
  ];
}

/** One artifact of what-ifs per stack and attempt (artifact names are unique within a run). */
export function whatIfArtifact(stack: string): string {
  return `whatif-\${{ github.run_attempt }}-${stack}`;
}

/** What a `/preview` job hands its comment job: `preview.log` and `graft-status.json`. */
export function previewOutcomeArtifact(stack: string): string {
  return `preview-outcome-\${{ github.run_attempt }}-${stack}`;
}

/**
 * `delivery pr-comment preview` over a preview's output: the comment reads the raw what-ifs itself
 * (counts, property deltas, destructive changes first, under GitHub's size limit, pointing to the
 * artifact for anything left out). Takes STACK, EXIT_CODE, COMMIT, RUN_URL, PR_NUMBER and
 * WHATIF_ARTIFACT from the step's env; `whatIfDir` is a shell word.
 */
export function previewCommentScript(files: { log: string; graft: string; whatIfDir: string }): string {
  return script([
    `args=(--stack "$STACK" --exit-code "\${EXIT_CODE:-1}" --log "${files.log}" --whatif-dir ${files.whatIfDir} --whatif-artifact "$WHATIF_ARTIFACT" --graft "${files.graft}" --commit "$COMMIT" --run-url "$RUN_URL" --summary "$GITHUB_STEP_SUMMARY")`,
    'if [ -n "$PR_NUMBER" ]; then args+=(--pr "$PR_NUMBER"); fi',
    DELIVERY + ' pr-comment preview "${args[@]}"',
  ]);
}

/** The id of one stack's preview job. */
export function previewJobId(stack: string): string {
  return `preview-${stack}`;
}

/**
 * One job per stack, so each declares its preview environment literally: the stack's read-only
 * credentials are secrets of `<stack>-preview`, and its subject is what the stack's preview
 * identity trusts.
 */
export function previewJob(cfg: StackConfig, stack: string): Job {
  return {
    name: previewCheckName(stack),
    "runs-on": RUNNER,
    // Forks get a read-only token and no OIDC; their previews run in a maintainer's branch instead.
    if: "github.event_name == 'push' || github.event.pull_request.head.repo.full_name == github.repository",
    environment: previewJobEnvironment(stack),
    permissions: { contents: "read", "id-token": "write", "pull-requests": "write" },
    permissionReasons: { "id-token": "the stack's read-only preview identity (OIDC)", "pull-requests": "the preview comment" },
    concurrency: { group: `preview-${stack}-\${{ github.event.pull_request.number || github.ref }}`, "cancel-in-progress": true },
    "timeout-minutes": 30,
    steps: previewSteps(cfg, stack, "${{ github.event.pull_request.number || '' }}", `vars.${previewClientIdVariable(stack)}`, {
      commit: expr("github.event.pull_request.head.sha || github.sha"),
    }),
  };
}

export function previewWorkflow(cfg: StackConfig): Workflow {
  const jobs: Jobs = Object.fromEntries(cfg.environments.map((e) => [previewJobId(e.name), previewJob(cfg, e.name)]));
  return {
    file: PREVIEW_WORKFLOW_FILE,
    name: "Preview",
    header: "pulumi preview of every stack with the policy pack; one comment per stack on the pull request.",
    on: {
      pull_request: { types: ["opened", "synchronize", "reopened"] },
      push: { branches: cfg.environments.map((e) => e.branch) },
    },
    permissions: {},
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}
