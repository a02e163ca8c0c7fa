/**
 * The drift workflow: on a schedule (and on demand), `pulumi preview --refresh --expect-no-changes`
 * of every stack from its own environment branch, in the stack's preview environment with its
 * read-only preview identity (one job per stack, each declaring its environment). The Bicep
 * provider's `read` runs the what-if, so a change made outside Pulumi shows as a diff;
 * `delivery drift-issue` opens or updates one issue per stack with the drift table, and closes it
 * when the stack is clean again. A preview that fails for another reason changes no issue and fails
 * the job.
 */
import type { StackConfig } from "../core/config";
import { ACTIONS } from "./actions";
import { AWS_PREVIEW_ROLE_VARIABLE, awsLogin, azureLogin, checkout, DELIVERY, expr, nodeSetup, previewClientIdVariable, previewJobEnvironment, pulumiEnv, readGithubToken, RUN_URL, RUNNER, script, WHATIF_DIR, type Jobs } from "./common";
import { docsStack } from "./docs";
import type { Job, Workflow } from "./model";

export const DRIFT_WORKFLOW_FILE = "drift.yml";

/** The drift job of one stack: in the stack's preview environment, from the stack's own branch. */
function driftJob(cfg: StackConfig, stack: string, branch: string): Job {
  const artifact = `drift-${stack}-\${{ github.run_attempt }}`;
  return {
    name: `drift (${stack})`,
    "runs-on": RUNNER,
    // The stack's read-only credentials (passphrase, read token) are secrets of its preview environment.
    environment: previewJobEnvironment(stack),
    permissions: { contents: "read", "id-token": "write", issues: "write" },
    permissionReasons: { "id-token": "the stack's read-only preview identity (OIDC)", issues: "opens, updates and closes the stack's drift issue" },
    concurrency: { group: `drift-${stack}`, "cancel-in-progress": false },
    "timeout-minutes": 30,
    env: { STACK: stack, RUN_URL },
    steps: [
      checkout({ ref: branch }),
      ...nodeSetup({ program: true }),
      azureLogin(expr(`vars.${previewClientIdVariable(stack)}`), cfg.azure.tenantId, cfg.azure.subscriptionId),
      ...(stack === docsStack(cfg) ? [awsLogin(cfg, { roleVariable: AWS_PREVIEW_ROLE_VARIABLE })] : []),
      {
        name: "pulumi preview --refresh --expect-no-changes",
        id: "preview",
        env: { ...pulumiEnv(cfg, readGithubToken()), DELIVERY_WHATIF_DIR: WHATIF_DIR },
        run: script([
          'mkdir -p "$DELIVERY_WHATIF_DIR"',
          "set +e",
          'npx pulumi preview --stack "$STACK" --refresh --expect-no-changes --diff --non-interactive 2>&1 | tee drift.log',
          'code="${PIPESTATUS[0]}"',
          "set -e",
          'echo "exit-code=$code" >> "$GITHUB_OUTPUT"',
        ]),
      },
      {
        name: "Open, update or close the drift issue",
        if: "always() && steps.preview.outcome != 'skipped'",
        env: { GITHUB_TOKEN: expr("github.token"), EXIT_CODE: expr("steps.preview.outputs.exit-code"), DELIVERY_WHATIF_DIR: WHATIF_DIR, ARTIFACT: artifact },
        run: script([
          `${DELIVERY} drift-issue --stack "$STACK" --exit-code "\${EXIT_CODE:-1}" --log drift.log --whatif-dir "$DELIVERY_WHATIF_DIR" --whatif-artifact "$ARTIFACT" --commit "$(git rev-parse HEAD)" --run-url "$RUN_URL"`,
        ]),
      },
      {
        name: "Upload the what-ifs",
        if: "always() && steps.preview.outcome != 'skipped'",
        uses: ACTIONS.uploadArtifact,
        with: { name: artifact, path: `${WHATIF_DIR}\ndrift.log\n`, "retention-days": 30, "if-no-files-found": "ignore" },
      },
    ],
  };
}

export function driftWorkflow(cfg: StackConfig): Workflow {
  const jobs: Jobs = Object.fromEntries(cfg.environments.map((e) => [`drift-${e.name}`, driftJob(cfg, e.name, e.branch)]));
  return {
    file: DRIFT_WORKFLOW_FILE,
    name: "Drift",
    header: "pulumi preview --refresh --expect-no-changes of every stack, daily; one issue per stack that drifted, closed when it is clean again.",
    on: { schedule: [{ cron: "17 5 * * *" }], workflow_dispatch: {} },
    permissions: {},
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}
