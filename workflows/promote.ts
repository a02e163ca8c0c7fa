/**
 * The promote workflow: runs the promotion machine (`delivery promote`, core/promotion) whenever
 * something it reads may have changed, and does exactly what it says. The rules live in the
 * command; this file only triggers it and runs the validation jobs (docs/promotion.md, "Spec for
 * the workflows").
 *
 * Triggers: the deploy workflow finished (`workflow_run`, which fires even when the run used
 * GITHUB_TOKEN), deployment statuses and commit statuses posted by people or Apps (a reviewer's
 * manual-test sign-off), a promotion pull request closed, a failure issue closed (the freeze
 * lifted), a schedule (soak times end without an event), and manual dispatch.
 *
 * 1. `decide` reads the facts once and prints the decision (`promote next`) and the report with
 *    its Mermaid diagram (`promote status`) into the job summary.
 * 2. `validate (<env>)` runs the health check, smoke tests and production monitors the machine
 *    asks for: the deployed commit's own code, so the job holds no token that writes. It hands
 *    each outcome to `act` in a results file (an artifact). No `environment:`, so GitHub records
 *    no deployment of the default branch's commit.
 * 3. `act` reports those outcomes as commit statuses on the deployed SHA, reading the results as
 *    data (`promote report-validations`), then re-reads the facts and performs the decision
 *    (`promote act`): the failure issue (the freeze), the rollback dispatch, the manual-test
 *    request, the promotion PR.
 *
 * Every job checks out the default branch (trusted tooling) and never reads the triggering run's
 * head, branch or title; the only `workflow_run` data used is that it happened. One promotion at
 * a time: the whole workflow, and `/promote` in the deploy workflow, share one concurrency group.
 */
import { productionEnvironment, type StackConfig } from "../core/config";
import { DEPLOYMENT_FAILURE_LABEL } from "../core/labels";
import { healthCheckName, manualTestContext, monitorsCheckName, smokeCheckName } from "../core/promotion/facts";
import { RESULTS_FILE, VALIDATION_ARTIFACT_PREFIX } from "../core/promotion/validation-results";
import { ACTIONS } from "./actions";
import { azureLogin, checkout, DELIVERY, expr, type Jobs, nodeSetup, previewClientIdVariable, PROMOTION_CONCURRENCY, promotionToken, RUN_URL, RUNNER, script, TRUSTED_REF } from "./common";
import { DEPLOY_WORKFLOW_NAME } from "./deploy";
import type { Job, Permissions, Workflow } from "./model";

export const PROMOTE_WORKFLOW_FILE = "promote.yml";
export const DECIDE_JOB_ID = "decide";
export const VALIDATE_JOB_ID = "validate";
export const ACT_JOB_ID = "act";

/** Where the deployed commit is checked out for its validations. */
const TARGET_DIR = "target";
/** Where the validation job writes the deployment's record (`promote record export`) for the checks. */
const DEPLOYMENT_DIR = "${{ runner.temp }}/delivery-deployment";
/** The validation job's results file, and where `act` downloads every validation artifact. */
const VALIDATION_RESULTS = `\${{ runner.temp }}/delivery-validation/${RESULTS_FILE}`;
const VALIDATION_DOWNLOAD = "${{ runner.temp }}/delivery-validation-outcomes";
/** The facts `decide` reads once, so its decision and its summary agree. */
const FACTS_FILE = "promotion-facts.json";
/** Minutes a validation job may take beyond the longest soak time (production monitors watch the whole soak). */
const VALIDATION_MARGIN_MINUTES = 30;

/**
 * Commit-status contexts the workflow reacts to: the validations and the manual-test sign-off
 * (`health (`, `smoke (`, `monitors (`, `manual-test (`), from the names the machine reads.
 */
export function promotionStatusPrefixes(): string[] {
  return [healthCheckName, smokeCheckName, monitorsCheckName, manualTestContext].map((name) => name("").slice(0, -1));
}

/** Cheap filters (the command decides everything else): only validation statuses, only failure issues, only same-repository pull requests. */
export function decideCondition(): string {
  const statuses = promotionStatusPrefixes().map((p) => `startsWith(github.event.context, '${p}')`);
  return [
    `(github.event_name != 'status' || ${statuses.join(" || ")})`,
    `(github.event_name != 'issues' || contains(github.event.issue.labels.*.name, '${DEPLOYMENT_FAILURE_LABEL.name}'))`,
    "(github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository)",
  ].join(" && ");
}

const DECIDE_PERMISSIONS: Permissions = { contents: "read", deployments: "read", "pull-requests": "read", issues: "read", actions: "read", checks: "read", statuses: "read" };
const ACT_PERMISSIONS: Permissions = { contents: "write", "pull-requests": "write", issues: "write", actions: "write", statuses: "write", deployments: "read", checks: "read" };

function decideJob(): Job {
  const { steps: tokenSteps, token, environment } = promotionToken({ ...DECIDE_PERMISSIONS, members: "read" }, { notice: false });
  return {
    name: "decide",
    "runs-on": RUNNER,
    environment,
    if: decideCondition(),
    permissions: DECIDE_PERMISSIONS,
    permissionReasons: {
      contents: "reads commits and trees",
      deployments: "reads deployments (the promotion facts)",
      "pull-requests": "reads promotion pull requests",
      issues: "reads failure issues (the freeze)",
      actions: "reads deploy runs",
      checks: "reads check runs",
      statuses: "reads validation statuses",
    },
    outputs: {
      actions: expr("steps.next.outputs.actions"),
      has_actions: expr("steps.next.outputs.has_actions"),
      validate: expr("steps.next.outputs.validate"),
      frozen: expr("steps.next.outputs.frozen"),
    },
    "timeout-minutes": 15,
    steps: [
      checkout({ ref: TRUSTED_REF }),
      ...nodeSetup(),
      ...tokenSteps,
      {
        name: "Read the facts and decide",
        id: "next",
        env: { GITHUB_TOKEN: token },
        run: script([
          `${DELIVERY} promote facts > ${FACTS_FILE}`,
          `${DELIVERY} promote next --facts ${FACTS_FILE} --github-output "$GITHUB_OUTPUT"`,
          `${DELIVERY} promote status --facts ${FACTS_FILE} --summary "$GITHUB_STEP_SUMMARY"`,
        ]),
      },
    ],
  };
}

/**
 * One job per environment to validate. Each check `<kind> (<env>)` runs the deployed commit's
 * own `npm run <kind> -- --environment <env> --commit <sha>` and is reported as a commit status
 * on that commit (pending, then success or failure). A commit without the script reports
 * nothing (the check stays "not started" and the machine asks again) and fails the job, saying so.
 */
function validateJob(cfg: StackConfig): Job {
  const longestSoak = Math.max(0, ...cfg.environments.map((e) => e.soakMinutes));
  const production = productionEnvironment(cfg).name;
  return {
    name: "validate (${{ matrix.environment }})",
    "runs-on": RUNNER,
    needs: [DECIDE_JOB_ID],
    if: `needs.${DECIDE_JOB_ID}.outputs.validate != '[]'`,
    // The deployed commit's code runs here (its install scripts and its checks): nothing in this job
    // writes to GitHub. Its outcomes cross to `act` as a results file that trusted code reads as data.
    // id-token: the production monitors check reads Azure Monitor with the read-only identity;
    // deployments: read what the deploy job recorded (where the deployment answers).
    permissions: { contents: "read", deployments: "read", "id-token": "write" },
    permissionReasons: { deployments: "reads the deployment being validated", "id-token": "production's read-only identity for the monitors check (OIDC)" },
    strategy: { "fail-fast": false, matrix: { include: expr(`fromJSON(needs.${DECIDE_JOB_ID}.outputs.validate)`) } },
    env: { ENVIRONMENT: expr("matrix.environment"), SHA: expr("matrix.sha"), CHECKS: expr("toJSON(matrix.checks)") },
    "timeout-minutes": longestSoak + VALIDATION_MARGIN_MINUTES,
    steps: [
      checkout({ ref: TRUSTED_REF }),
      ...nodeSetup(),
      {
        // The audit records stayed on the deploy runner; what the checks need from them (the URL the
        // deployment's outputs name) is read from GitHub by trusted code, before any of the commit runs.
        name: "Read what the deploy job recorded",
        env: { GITHUB_TOKEN: expr("github.token"), DEPLOYMENT_ID: expr("matrix.deployment_id"), DEPLOYMENT_DIR },
        run: script([DELIVERY + ' promote record export --deployment-id "$DEPLOYMENT_ID" --environment "$ENVIRONMENT" --commit "$SHA" --dir "$DEPLOYMENT_DIR"']),
      },
      { name: "Check out the deployed commit", uses: ACTIONS.checkout, with: { ref: expr("matrix.sha"), path: TARGET_DIR, "persist-credentials": false } },
      // In full: the checks are the commit's own npm scripts, which may run its test tooling.
      { name: "Install the deployed commit's dependencies", "working-directory": TARGET_DIR, run: script(["npm ci"]) },
      // Production's read-only identity trusts this branch (repo:OWNER/REPO:ref:refs/heads/<prod branch>).
      azureLogin(expr(`vars.${previewClientIdVariable(production)}`), cfg.azure.tenantId, cfg.azure.subscriptionId, `matrix.environment == '${production}'`),
      {
        name: "Run the checks",
        // `delivery validate` reads the deployment's record from DELIVERY_AUDIT_DIR.
        env: { DELIVERY_AUDIT_DIR: DEPLOYMENT_DIR, RESULTS: VALIDATION_RESULTS },
        run: script([
          "failed=0",
          'mkdir -p "$(dirname "$RESULTS")"',
          `jq -n --arg sha "$SHA" '{sha: $sha, checks: {}}' > "$RESULTS"`,
          "while IFS= read -r name; do",
          '  kind="${name%% (*}"',
          `  if [ "$(cd ${TARGET_DIR} && npm pkg get "scripts.$kind")" = "{}" ]; then`,
          '    echo "::error::$name: the deployed commit ${SHA:0:12} has no npm script \\"$kind\\" (run as: npm run $kind -- --environment ENV --commit SHA). Nothing is reported; add the script and the machine asks again."',
          "    failed=1",
          "    continue",
          "  fi",
          "  # The check is the deployed commit's code: it gets no GitHub token.",
          `  if (cd ${TARGET_DIR} && env -u GITHUB_TOKEN npm run "$kind" -- --environment "$ENVIRONMENT" --commit "$SHA"); then state=success; else state=failure; failed=1; fi`,
          `  jq --arg name "$name" --arg state "$state" '.checks[$name] = $state' "$RESULTS" > "$RESULTS.next" && mv "$RESULTS.next" "$RESULTS"`,
          `done < <(jq -r '.[]' <<< "$CHECKS")`,
          'exit "$failed"',
        ]),
      },
      {
        name: "Hand the outcomes to the act job",
        if: "always()",
        uses: ACTIONS.uploadArtifact,
        with: { name: `${VALIDATION_ARTIFACT_PREFIX}\${{ matrix.environment }}`, path: VALIDATION_RESULTS, "retention-days": 1, "if-no-files-found": "warn" },
      },
    ],
  };
}

function actJob(): Job {
  const { steps: tokenSteps, token, environment } = promotionToken({ ...ACT_PERMISSIONS, members: "read" }, { notice: true });
  const decide = `needs.${DECIDE_JOB_ID}`;
  const validate = `needs.${VALIDATE_JOB_ID}`;
  return {
    name: "act",
    "runs-on": RUNNER,
    environment,
    needs: [DECIDE_JOB_ID, VALIDATE_JOB_ID],
    // After validation too: the state it leaves (passed, failed) usually has something to do, and
    // the statuses it posted with GITHUB_TOKEN trigger no new run.
    if: `always() && ${decide}.result == 'success' && (${decide}.outputs.has_actions == 'true' || ${validate}.result == 'success' || ${validate}.result == 'failure')`,
    permissions: ACT_PERMISSIONS,
    permissionReasons: {
      contents: "creates the promotion branch at the validated commit",
      "pull-requests": "opens promotion pull requests",
      issues: "opens and closes failure issues (the freeze)",
      actions: "dispatches the rollback",
      statuses: "reports the validation job's outcomes and asks for manual-test sign-off",
      deployments: "reads deployments (the promotion facts)",
      checks: "reads check runs",
    },
    "timeout-minutes": 15,
    steps: [
      checkout({ ref: TRUSTED_REF }),
      ...nodeSetup(),
      {
        name: "Download the validation outcomes",
        if: `${validate}.result == 'success' || ${validate}.result == 'failure'`,
        // Written by the validated commit's code: whatever it left, the decision below still acts.
        "continue-on-error": true,
        uses: ACTIONS.downloadArtifact,
        with: { pattern: `${VALIDATION_ARTIFACT_PREFIX}*`, path: VALIDATION_DOWNLOAD },
      },
      {
        // With the job's own token, as the validation job did before: statuses it posts start no new run.
        name: "Report the validations on the deployed commits",
        if: `${validate}.result == 'success' || ${validate}.result == 'failure'`,
        "continue-on-error": true,
        env: { GITHUB_TOKEN: expr("github.token"), VALIDATE: expr(`${decide}.outputs.validate`), RESULTS_DIR: VALIDATION_DOWNLOAD, RUN_URL },
        run: script([DELIVERY + ' promote report-validations --validate "$VALIDATE" --results "$RESULTS_DIR" --run-url "$RUN_URL"']),
      },
      ...tokenSteps,
      {
        name: "Act on the decision",
        env: { GITHUB_TOKEN: token, RUN_URL },
        // `act` re-reads the facts: it acts on the state after validation, never on a stale decision.
        run: script([DELIVERY + ' promote act --run-url "$RUN_URL"']),
      },
      {
        name: "Summarise the pipeline",
        if: "always()",
        env: { GITHUB_TOKEN: token },
        run: script([DELIVERY + ' promote status --summary "$GITHUB_STEP_SUMMARY"']),
      },
    ],
  };
}

export function promoteWorkflow(cfg: StackConfig): Workflow {
  const jobs: Jobs = { [DECIDE_JOB_ID]: decideJob(), [VALIDATE_JOB_ID]: validateJob(cfg), [ACT_JOB_ID]: actJob() };
  return {
    file: PROMOTE_WORKFLOW_FILE,
    name: "Promote",
    header: "Promotion dev -> staging -> prod: runs `delivery promote` on deploy runs, statuses, closed promotion PRs and failure issues, and a schedule.",
    on: {
      workflow_run: { workflows: [DEPLOY_WORKFLOW_NAME], types: ["completed"] },
      deployment_status: null,
      status: null,
      pull_request: { types: ["closed"], branches: cfg.environments.slice(1).map((e) => e.branch) },
      issues: { types: ["closed"] },
      schedule: [{ cron: "*/15 * * * *" }],
      workflow_dispatch: {},
    },
    permissions: {},
    concurrency: { ...PROMOTION_CONCURRENCY },
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}
