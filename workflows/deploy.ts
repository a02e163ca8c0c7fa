/**
 * The IssueOps deploy workflow: `/deploy`, `/preview`, `/rollback`, `/promote`, `/help` in PR
 * comments, `deploy:<env>` labels, and manual dispatch.
 *
 * 1. `intent` (trusted code from the default branch) turns the event into one decision
 *    (`delivery intent`) and runs the gates against the GitHub API (`delivery gate`): the
 *    requester's permission, the PR head captured now, required checks, the prod approval label
 *    applied by a second person, the prod branch policy. Refusals and help are replied to on the PR.
 * 2. `deploy (<env>)`, one job per environment so each declares its `environment:` literally
 *    (GitHub's required reviewers and branch policy apply) and has its own `concurrency` group.
 *    It re-checks that the PR has not moved, logs in to Azure (and AWS for the stack that owns
 *    the generated docs) through OIDC, runs `pulumi up` with retries that `delivery classify`
 *    decides, comments at start and end, writes the job summary, and uploads the audit records.
 * 3. `issueops preview`: the preview steps of the PR preview workflow, for `/preview <env>`.
 *
 * Extension point for promotion (a later issue): `delivery gate` answers `/promote` with a reply
 * and `proceed=false` today. The promotion issue adds a `promote` job here, conditioned on
 * `needs.intent.outputs.action == 'promote'`, and a freeze fact to the gates.
 */
import type { EnvironmentConfig, StackConfig } from "../core/config";
import { backoffDelay, resolveRetryPolicy } from "../core/retry";
import { ACTIONS } from "./actions";
import { AUDIT_DIR, awsLogin, azureLogin, checkout, expr, nodeSetup, pulumiEnv, RUNNER, script, type Jobs } from "./common";
import type { Job, Step, Workflow } from "./model";
import { previewSteps } from "./preview";

export const DEPLOY_WORKFLOW_FILE = "deploy.yml";
export const INTENT_JOB_ID = "intent";

/** Attempts of `pulumi up` after the first one, and the pause before each (seconds). */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = (() => {
  // Same backoff function as the Bicep provider, without jitter: 60 s, 120 s, 240 s.
  const policy = resolveRetryPolicy({ maxAttempts: 4, initialDelayMs: 60_000, multiplier: 2, jitter: 0, maxDelayMs: 600_000 });
  return [1, 2, 3].map((attempt) => backoffDelay(policy, attempt, () => 0) / 1000);
})();

/** The check name of the deploy job of one environment (not a required check). */
export function deployJobName(environment: string): string {
  return `deploy (${environment})`;
}

export function deployJobId(environment: string): string {
  return `deploy-${environment}`;
}

/** Where trusted tooling (the default branch) lives; the deployed commit is checked out under it. */
const TARGET_DIR = "target";
const RUN_URL = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}";
const TRUSTED_REF = expr("github.event.repository.default_branch");

const out = (name: string) => expr(`needs.${INTENT_JOB_ID}.outputs.${name}`);

function intentJob(): Job {
  return {
    name: "read the command",
    "runs-on": RUNNER,
    // Cheap filters first; `delivery intent` applies the full rules (first line, ASCII, grammar).
    if: [
      "(github.event_name == 'issue_comment' && github.event.issue.pull_request && startsWith(github.event.comment.body, '/'))",
      "(github.event_name == 'pull_request' && startsWith(github.event.label.name, 'deploy:'))",
      "github.event_name == 'workflow_dispatch'",
    ].join(" || "),
    permissions: { contents: "read", "pull-requests": "write", issues: "read", checks: "read", statuses: "read" },
    outputs: {
      proceed: expr("steps.gate.outputs.proceed"),
      action: expr("steps.gate.outputs.action"),
      environment: expr("steps.gate.outputs.environment"),
      commit: expr("steps.gate.outputs.commit"),
      pr: expr("steps.gate.outputs.pr"),
      requested_by: expr("steps.gate.outputs.requested_by"),
      preview_client_id_variable: expr("steps.gate.outputs.preview_client_id_variable"),
    },
    "timeout-minutes": 10,
    steps: [
      checkout({ ref: TRUSTED_REF }),
      ...nodeSetup(),
      {
        name: "Decide what the event asks for",
        run: script(['npx delivery intent --event "$GITHUB_EVENT_PATH" --event-name "$GITHUB_EVENT_NAME" | tee intent.json']),
      },
      {
        name: "Check the gates and reply",
        id: "gate",
        env: { GITHUB_TOKEN: expr("github.token"), RUN_URL },
        run: script(['npx delivery gate --intent intent.json --github-output "$GITHUB_OUTPUT" --summary "$GITHUB_STEP_SUMMARY" --run-url "$RUN_URL" --post']),
      },
    ],
  };
}

function deployJob(cfg: StackConfig, env: EnvironmentConfig): Job {
  const managesRepository = cfg.manageRepository && env.name === cfg.environment.name;
  const jobEnv = {
    STACK: env.name,
    ACTION: out("action"),
    COMMIT: out("commit"),
    PR_NUMBER: out("pr"),
    REQUESTED_BY: out("requested_by"),
    RUN_URL,
  };
  const delays = DEFAULT_RETRY_SCHEDULE_SECONDS.join(" ");
  const steps: Step[] = [
    checkout({ ref: TRUSTED_REF }),
    ...nodeSetup(),
    {
      name: "Re-check that the pull request has not moved",
      id: "recheck",
      env: { GITHUB_TOKEN: expr("github.token") },
      run: script([
        'if [ "$ACTION" = deploy ] && [ -n "$PR_NUMBER" ]; then',
        '  npx delivery gate --recheck --pr "$PR_NUMBER" --commit "$COMMIT" --run-url "$RUN_URL" --post',
        "fi",
        'npx delivery pr-comment deploy-start --action "$ACTION" --stack "$STACK" --commit "$COMMIT" --requested-by "$REQUESTED_BY" --run-url "$RUN_URL" --pr "$PR_NUMBER"',
      ]),
    },
    { name: "Check out the commit to deploy", uses: ACTIONS.checkout, with: { ref: out("commit"), path: TARGET_DIR, "persist-credentials": false } },
    { name: "Install the deployed commit's dependencies", "working-directory": TARGET_DIR, run: script(["npm ci", "npm ci --prefix policies"]) },
    azureLogin(expr("vars.AZURE_CLIENT_ID"), expr("vars.AZURE_TENANT_ID"), expr("vars.AZURE_SUBSCRIPTION_ID")),
    ...(managesRepository ? [awsLogin(cfg)] : []),
    {
      name: "pulumi up (retrying transient failures)",
      id: "up",
      "working-directory": TARGET_DIR,
      // `runner` is not available in job-level env, so the audit directory is set per step.
      env: { ...pulumiEnv(cfg, expr("secrets.DELIVERY_GITHUB_TOKEN")), DELIVERY_AUDIT_DIR: AUDIT_DIR },
      run: script([
        `delays=(${delays})`,
        'logs="$DELIVERY_AUDIT_DIR/logs"',
        'mkdir -p "$logs"',
        "start=$(date +%s)",
        "attempt=0",
        "while true; do",
        "  attempt=$((attempt + 1))",
        '  echo "::group::pulumi up, attempt $attempt"',
        "  set +e",
        '  npx pulumi up --stack "$STACK" --yes --non-interactive --diff --policy-pack policies --policy-pack-config "policies/config/$STACK.json" 2>&1 | tee "$logs/up-$attempt.log"',
        '  code="${PIPESTATUS[0]}"',
        "  set -e",
        '  echo "::endgroup::"',
        '  cp "$logs/up-$attempt.log" "$GITHUB_WORKSPACE/up.log"',
        '  if [ "$code" = 0 ]; then result=success; break; fi',
        '  (cd "$GITHUB_WORKSPACE" && npx delivery classify up.log > classify.json) || true',
        '  retryable="$(jq -r \'.retryable // false\' "$GITHUB_WORKSPACE/classify.json" 2>/dev/null || echo false)"',
        '  if [ "$retryable" != true ] || [ "$attempt" -gt "${#delays[@]}" ]; then result=failure; break; fi',
        '  delay="${delays[$((attempt - 1))]}"',
        '  echo "::warning::attempt $attempt failed transiently; retrying in ${delay}s"',
        '  sleep "$delay"',
        "done",
        '{ echo "attempts=$attempt"; echo "result=$result"; echo "duration=$(( $(date +%s) - start ))"; } >> "$GITHUB_OUTPUT"',
        '[ "$result" = success ]',
      ]),
    },
    {
      name: "Report the result",
      // A refused re-check has already said so on the PR; everything after it reports here.
      if: "always() && steps.recheck.outcome == 'success'",
      env: { GITHUB_TOKEN: expr("github.token"), RESULT: "${{ steps.up.outputs.result || job.status }}", ATTEMPTS: "${{ steps.up.outputs.attempts || 0 }}", DURATION: "${{ steps.up.outputs.duration || 0 }}" },
      run: script([
        'npx delivery pr-comment deploy-end --action "$ACTION" --stack "$STACK" --commit "$COMMIT" --requested-by "$REQUESTED_BY" --run-url "$RUN_URL" --pr "$PR_NUMBER" \\',
        '  --result "$RESULT" --attempts "$ATTEMPTS" --duration "$DURATION" --log up.log --classify classify.json --summary "$GITHUB_STEP_SUMMARY"',
      ]),
    },
    {
      name: "Upload the audit records",
      if: "always()",
      uses: ACTIONS.uploadArtifact,
      with: {
        name: `audit-${env.name}-\${{ github.run_id }}-\${{ github.run_attempt }}`,
        path: `${AUDIT_DIR}\n${TARGET_DIR}/audit/\n`,
        "retention-days": 90,
        "if-no-files-found": "warn",
      },
    },
  ];
  return {
    name: deployJobName(env.name),
    "runs-on": RUNNER,
    needs: [INTENT_JOB_ID],
    if: `needs.${INTENT_JOB_ID}.outputs.proceed == 'true' && (needs.${INTENT_JOB_ID}.outputs.action == 'deploy' || needs.${INTENT_JOB_ID}.outputs.action == 'rollback') && needs.${INTENT_JOB_ID}.outputs.environment == '${env.name}'`,
    environment: env.name,
    // One deployment per stack at a time; a second one waits instead of cancelling the first.
    concurrency: { group: `deploy-${env.name}`, "cancel-in-progress": false },
    permissions: { contents: "read", "id-token": "write", "pull-requests": "write" },
    env: jobEnv,
    "timeout-minutes": 120,
    steps,
  };
}

function commandPreviewJob(cfg: StackConfig): Job {
  return {
    name: "issueops preview",
    "runs-on": RUNNER,
    needs: [INTENT_JOB_ID],
    if: `needs.${INTENT_JOB_ID}.outputs.proceed == 'true' && needs.${INTENT_JOB_ID}.outputs.action == 'preview'`,
    permissions: { contents: "read", "id-token": "write", "pull-requests": "write" },
    concurrency: { group: `preview-${out("environment")}-${out("pr")}`, "cancel-in-progress": true },
    "timeout-minutes": 30,
    steps: previewSteps(cfg, out("environment"), out("pr"), `needs.${INTENT_JOB_ID}.outputs.preview_client_id_variable`, { ref: out("commit"), commit: out("commit") }),
  };
}

export function deployWorkflow(cfg: StackConfig): Workflow {
  const jobs: Jobs = { [INTENT_JOB_ID]: intentJob() };
  for (const env of cfg.environments) jobs[deployJobId(env.name)] = deployJob(cfg, env);
  jobs["issueops-preview"] = commandPreviewJob(cfg);
  // Promotion (later issue): add the `promote` job here; see the module comment.
  return {
    file: DEPLOY_WORKFLOW_FILE,
    name: "Deploy",
    header: "IssueOps: /deploy, /preview, /rollback, /promote, /help on pull requests, deploy:<env> labels, manual dispatch.",
    on: {
      issue_comment: { types: ["created"] },
      pull_request: { types: ["labeled"] },
      workflow_dispatch: {
        inputs: {
          action: { description: "What to do", required: true, type: "choice", options: ["deploy", "preview", "rollback"], default: "deploy" },
          environment: { description: "Environment (stack)", required: true, type: "choice", options: cfg.environments.map((e) => e.name) },
          sha: { description: "Commit to deploy or roll back to (must be on the dispatched branch); empty for the branch head", required: false, type: "string", default: "" },
        },
      },
    },
    permissions: {},
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}
