/**
 * The drift workflow: on a schedule (and on demand), `pulumi preview --refresh --expect-no-changes`
 * of every stack from its own environment branch, with the read-only preview identities. The Bicep
 * provider's `read` runs the what-if, so a change made outside Pulumi shows as a diff;
 * `delivery drift-issue` opens or updates one issue per stack with the drift table, and closes it
 * when the stack is clean again. A preview that fails for another reason changes no issue and fails
 * the job.
 */
import type { StackConfig } from "../core/config";
import { ACTIONS } from "./actions";
import { AWS_PREVIEW_ROLE_VARIABLE, awsLogin, azureLogin, checkout, DELIVERY, expr, nodeSetup, previewClientIdVariable, pulumiEnv, RUN_URL, RUNNER, script, WHATIF_DIR, type Jobs } from "./common";
import { docsStack } from "./docs";
import type { Workflow } from "./model";

export const DRIFT_WORKFLOW_FILE = "drift.yml";

export function driftWorkflow(cfg: StackConfig): Workflow {
  const stacks = cfg.environments.map((e) => ({ stack: e.name, branch: e.branch, preview_client_id_variable: previewClientIdVariable(e.name) }));
  const jobs: Jobs = {
    drift: {
      name: "drift (${{ matrix.stack }})",
      "runs-on": RUNNER,
      // issues: the drift issue; id-token: the read-only preview identities (they trust the default
      // branch's subject, which a scheduled run presents).
      permissions: { contents: "read", "id-token": "write", issues: "write" },
      strategy: { "fail-fast": false, matrix: { include: stacks } },
      concurrency: { group: "drift-${{ matrix.stack }}", "cancel-in-progress": false },
      "timeout-minutes": 30,
      env: { STACK: expr("matrix.stack"), RUN_URL },
      steps: [
        checkout({ ref: expr("matrix.branch") }),
        ...nodeSetup({ policies: false }),
        azureLogin(expr("vars[matrix.preview_client_id_variable]"), cfg.azure.tenantId, cfg.azure.subscriptionId),
        awsLogin(cfg, { roleVariable: AWS_PREVIEW_ROLE_VARIABLE, condition: `matrix.stack == '${docsStack(cfg)}'` }),
        {
          name: "pulumi preview --refresh --expect-no-changes",
          id: "preview",
          env: { ...pulumiEnv(cfg, expr("github.token")), DELIVERY_WHATIF_DIR: WHATIF_DIR },
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
          env: { GITHUB_TOKEN: expr("github.token"), EXIT_CODE: expr("steps.preview.outputs.exit-code"), DELIVERY_WHATIF_DIR: WHATIF_DIR, ARTIFACT: "drift-${{ matrix.stack }}-${{ github.run_attempt }}" },
          run: script([
            `${DELIVERY} drift-issue --stack "$STACK" --exit-code "\${EXIT_CODE:-1}" --log drift.log --whatif-dir "$DELIVERY_WHATIF_DIR" --whatif-artifact "$ARTIFACT" --commit "$(git rev-parse HEAD)" --run-url "$RUN_URL"`,
          ]),
        },
        {
          name: "Upload the what-ifs",
          if: "always() && steps.preview.outcome != 'skipped'",
          uses: ACTIONS.uploadArtifact,
          with: { name: "drift-${{ matrix.stack }}-${{ github.run_attempt }}", path: `${WHATIF_DIR}\ndrift.log\n`, "retention-days": 30, "if-no-files-found": "ignore" },
        },
      ],
    },
  };
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
