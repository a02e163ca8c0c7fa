/**
 * The PR preview workflow: `pulumi preview` of every stack with the policy pack, one comment per
 * stack updated in place, failing when a mandatory policy is violated. It also runs on pushes to
 * the environment branches, so commits there carry the same checks a deployment requires.
 *
 * It runs pull-request code, so it gets nothing a pull request should not have: no GitHub
 * environment (the environments' branch policies refuse PR refs anyway), the read-only Azure
 * preview identity (Reader plus what-if on its resource group), the job's own read token for
 * the GitHub provider, and `pull-requests: write` only to post its comment.
 */
import type { StackConfig } from "../core/config";
import { AUDIT_DIR, AWS_PREVIEW_ROLE_VARIABLE, awsLogin, azureLogin, checkout, DELIVERY, expr, type Jobs, nodeSetup, previewClientIdVariable, pulumiEnv, RUNNER, script, WHATIF_DIR } from "./common";
import { ACTIONS } from "./actions";
import { docsStack } from "./docs";
import type { Job, RunStep, Step, Workflow } from "./model";

export const PREVIEW_WORKFLOW_FILE = "preview.yml";
export const PREVIEW_JOB_ID = "preview";

/** The check name of one stack's preview job; branch protection requires these. */
export function previewCheckName(stack: string): string {
  return `preview (${stack})`;
}

/** The required status checks the preview workflow reports, one per stack, in pipeline order. */
export function previewCheckNames(cfg: Pick<StackConfig, "environments">): string[] {
  return cfg.environments.map((e) => previewCheckName(e.name));
}

/** The expression inside `${{ ... }}`, or a literal quoted for an expression. */
function unwrap(value: string): string {
  const m = /^\$\{\{\s*(.+?)\s*\}\}$/.exec(value);
  return m ? m[1] : `'${value}'`;
}

/**
 * The steps that preview one stack and post its comment; shared with the deploy workflow's
 * `/preview` command. `stack` and `pr` are expressions or literals (never untrusted text).
 */
export function previewSteps(cfg: StackConfig, stack: string, pr: string, clientIdVariable: string, source: { ref?: string; commit: string }): Step[] {
  const env = { STACK: stack, PR_NUMBER: pr, RUN_URL: "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}" };
  const preview: RunStep = {
    name: "pulumi preview",
    id: "preview",
    env: { ...env, ...pulumiEnv(cfg, expr("secrets.DELIVERY_GITHUB_READ_TOKEN || github.token")), DELIVERY_WHATIF_DIR: WHATIF_DIR, DELIVERY_AUDIT_DIR: AUDIT_DIR },
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
  // One artifact per stack and attempt (artifact names are unique within a run).
  const artifact = `whatif-\${{ github.run_attempt }}-${stack}`;
  const comment: RunStep = {
    name: "Comment on the pull request",
    if: `always() && steps.preview.outcome != 'skipped'`,
    env: { ...env, EXIT_CODE: "${{ steps.preview.outputs.exit-code }}", GITHUB_TOKEN: expr("github.token"), COMMIT: source.commit, DELIVERY_WHATIF_DIR: WHATIF_DIR, WHATIF_ARTIFACT: artifact },
    run: script([
      // The comment reads the raw what-ifs itself: counts, property deltas, destructive changes first,
      // under GitHub's size limit, pointing to the artifact for anything left out.
      'args=(--stack "$STACK" --exit-code "${EXIT_CODE:-1}" --log preview.log --whatif-dir "$DELIVERY_WHATIF_DIR" --whatif-artifact "$WHATIF_ARTIFACT" --graft graft-status.json --commit "$COMMIT" --run-url "$RUN_URL" --summary "$GITHUB_STEP_SUMMARY")',
      'if [ -n "$PR_NUMBER" ]; then args+=(--pr "$PR_NUMBER"); fi',
      DELIVERY + ' pr-comment preview "${args[@]}"',
    ]),
  };
  const verdict: RunStep = {
    name: "Fail when the preview failed or a mandatory policy is violated",
    env: { EXIT_CODE: "${{ steps.preview.outputs.exit-code }}" },
    run: script(['if [ "$EXIT_CODE" != "0" ]; then echo "::error::pulumi preview exited with $EXIT_CODE (see the PR comment for the policy violations or errors)"; exit 1; fi']),
  };
  return [
    checkout(source.ref ? { ref: source.ref } : {}),
    ...nodeSetup({ policies: true }),
    azureLogin(expr(`vars[${clientIdVariable}]`), cfg.azure.tenantId, cfg.azure.subscriptionId, `vars[${clientIdVariable}] != ''`),
    // The stack that manages the repository also holds AWS resources; the AWS provider does not
    // configure without credentials, so its preview reads them with the read-only preview role.
    awsLogin(cfg, { roleVariable: AWS_PREVIEW_ROLE_VARIABLE, condition: `${unwrap(stack)} == '${docsStack(cfg)}'` }),
    preview,
    report,
    comment,
    {
      name: "Upload the what-ifs",
      if: "always() && steps.preview.outcome != 'skipped'",
      uses: ACTIONS.uploadArtifact,
      with: { name: artifact, path: WHATIF_DIR, "retention-days": 30, "if-no-files-found": "ignore" },
    },
    verdict,
  ];
}

export function previewJob(cfg: StackConfig): Job {
  const stacks = cfg.environments.map((e) => ({ stack: e.name, preview_client_id_variable: previewClientIdVariable(e.name) }));
  return {
    name: "preview (${{ matrix.stack }})",
    "runs-on": RUNNER,
    // Forks get a read-only token and no OIDC; their previews run in a maintainer's branch instead.
    if: "github.event_name == 'push' || github.event.pull_request.head.repo.full_name == github.repository",
    permissions: { contents: "read", "id-token": "write", "pull-requests": "write" },
    strategy: { "fail-fast": false, matrix: { include: stacks } },
    concurrency: { group: "preview-${{ matrix.stack }}-${{ github.event.pull_request.number || github.ref }}", "cancel-in-progress": true },
    "timeout-minutes": 30,
    steps: previewSteps(cfg, "${{ matrix.stack }}", "${{ github.event.pull_request.number || '' }}", "matrix.preview_client_id_variable", {
      commit: expr("github.event.pull_request.head.sha || github.sha"),
    }),
  };
}

export function previewWorkflow(cfg: StackConfig): Workflow {
  const jobs: Jobs = { [PREVIEW_JOB_ID]: previewJob(cfg) };
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
