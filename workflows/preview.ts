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
import { AUDIT_DIR, WHATIF_DIR, azureLogin, checkout, expr, nodeSetup, previewClientIdVariable, pulumiEnv, RUNNER, script, type Jobs } from "./common";
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

/** The policy pack configuration of a stack (written by the policy-pack issue). */
export function policyConfigPath(stack: string): string {
  return `policies/config/${stack}.json`;
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
    name: "Summarise what-if and stale documents",
    if: "always() && steps.preview.outcome != 'skipped'",
    env: { DELIVERY_WHATIF_DIR: WHATIF_DIR },
    run: script([
      ": > whatif.md",
      'for f in "$DELIVERY_WHATIF_DIR"/*.json; do',
      '  [ -e "$f" ] || continue',
      '  npx delivery whatif "$f" --format markdown >> whatif.md || echo "_what-if summary of $(basename "$f") failed; see the log_" >> whatif.md',
      '  printf "\\n<!-- end -->\\n" >> whatif.md',
      "done",
      "npx delivery graft-status --json > graft-status.json || true",
    ]),
  };
  const comment: RunStep = {
    name: "Comment on the pull request",
    if: `always() && steps.preview.outcome != 'skipped'`,
    env: { ...env, EXIT_CODE: "${{ steps.preview.outputs.exit-code }}", GITHUB_TOKEN: expr("github.token"), COMMIT: source.commit },
    run: script([
      'args=(--stack "$STACK" --exit-code "${EXIT_CODE:-1}" --log preview.log --whatif whatif.md --graft graft-status.json --commit "$COMMIT" --run-url "$RUN_URL" --summary "$GITHUB_STEP_SUMMARY")',
      'if [ -n "$PR_NUMBER" ]; then args+=(--pr "$PR_NUMBER"); fi',
      'npx delivery pr-comment preview "${args[@]}"',
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
    preview,
    report,
    comment,
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
