/**
 * The IssueOps deploy workflow: `/deploy`, `/preview`, `/rollback`, `/promote`, `/help` in PR
 * comments, `deploy:<env>` labels, manual dispatch, and pushes to the environment branches
 * (a merged pull request deploys its environment).
 *
 * 1. `intent` (trusted code from the default branch) turns the event into one decision
 *    (`delivery intent`) and runs the gates against the GitHub API (`delivery gate`): the
 *    requester's permission, the PR head captured now, required checks, the prod approval label
 *    applied by a second person, the prod branch policy, the promotion freeze; it resolves
 *    `/rollback <env>` to the environment's last known-good commit and checks `/promote` against
 *    the promotion machine. Refusals and help are replied to on the PR.
 *    After the gate it proves a promoted commit's tree (`delivery promote verify-tree`) and
 *    says on the PR that the deployment is starting.
 * 2. `deploy (<env>)`, one job per environment so each declares its `environment:` literally
 *    (GitHub's required reviewers and branch policy apply) and has its own `concurrency` group.
 *    It runs the commit being deployed, so its token writes nothing: it re-checks every gate,
 *    logs in to Azure (and AWS for the stack that owns the generated docs) through OIDC, runs
 *    `pulumi up` once (the Bicep provider owns the retries), and uploads its outcome and the
 *    audit records.
 * 3. `report (<env>)`, trusted code after the deploy job whatever happened: records the GitHub
 *    deployment of the commit deployed (`delivery promote record start|finish`, the facts the
 *    promotion machine reads), classifies a failure, posts the result (or why the re-check
 *    refused) and the job summary, and hands stale Graft documents to the docs workflow.
 * 4. `issueops preview`: the preview steps of the PR preview workflow, for `/preview <env>`.
 * 5. `issueops promote`: `/promote <from> <to>` opens the promotion pull request the machine
 *    asks for (`delivery promote act --only open-pr`), in the promotion concurrency group.
 * 6. `issueops unlock`: `/unlock <env>` clears the environment's Pulumi lock a dead run left
 *    (`delivery unlock --force`), in the environment's deploy concurrency group.
 */
import type { EnvironmentConfig, StackConfig } from "../core/config";
import { ACTIONS } from "./actions";
import { AUDIT_DIR, awsLogin, checkout, DELIVERY, deployGithubToken, deployIdentityLogin, expr, type Jobs, nodeSetup, previewClientIdVariable, PROGRAM_INSTALL, previewJobEnvironment, PROMOTION_CONCURRENCY, promotionToken, pulumiEnv, RUN_URL, RUNNER, script, stateBackendEnv, TRUSTED_REF } from "./common";
import type { Job, Permissions, RunStep, Step, Workflow } from "./model";
import { previewCommentScript, previewOutcomeArtifact, previewSteps, whatIfArtifact } from "./preview";

export const DEPLOY_WORKFLOW_FILE = "deploy.yml";
/** The workflow's name, which the promote workflow's `workflow_run` trigger names. */
export const DEPLOY_WORKFLOW_NAME = "Deploy";
export const INTENT_JOB_ID = "intent";
export const PROMOTE_JOB_ID = "issueops-promote";
export const UNLOCK_JOB_ID = "issueops-unlock";

/** The check name of the deploy job of one environment (not a required check). */
export function deployJobName(environment: string): string {
  return `deploy (${environment})`;
}

export function deployJobId(environment: string): string {
  return `deploy-${environment}`;
}

export function reportJobId(environment: string): string {
  return `report-${environment}`;
}

/** Where trusted tooling (the default branch) lives; the deployed commit is checked out under it. */
const TARGET_DIR = "target";
/** Where `/preview`'s comment job reads the preview job's output and what-ifs (their artifacts). */
const PREVIEW_OUTCOME_DIR = "${{ runner.temp }}/preview-outcome";
const PREVIEW_WHATIF_DIR = "${{ runner.temp }}/preview-whatifs";
/** Where the report job reads the deploy job's outcome (its artifact). */
const OUTCOME_DIR = "${{ runner.temp }}/deploy-outcome";

const out = (name: string) => expr(`needs.${INTENT_JOB_ID}.outputs.${name}`);

/** Read the promotion facts (deployments, runs, failure issues) for the freeze, rollbacks and `/promote`; write only replies. */
const INTENT_PERMISSIONS: Permissions = { contents: "read", "pull-requests": "write", issues: "read", checks: "read", statuses: "read", deployments: "read", actions: "read" };

/** The end-of-deployment comment, from the decision in STACK, COMMIT, ACTION, PR_NUMBER, REQUESTED_BY and RUN_URL. */
const DEPLOY_END = DELIVERY + ' pr-comment deploy-end --action "$ACTION" --stack "$STACK" --commit "$COMMIT" --requested-by "$REQUESTED_BY" --run-url "$RUN_URL" --pr "$PR_NUMBER"';

/** The gate's decision, for the intent job's steps after the gate: the same names the deploy and report jobs use. */
const GATE_DECISION_ENV = {
  STACK: expr("steps.gate.outputs.environment"),
  COMMIT: expr("steps.gate.outputs.commit"),
  ACTION: expr("steps.gate.outputs.action"),
  PR_NUMBER: expr("steps.gate.outputs.pr"),
  REQUESTED_BY: expr("steps.gate.outputs.requested_by"),
  RUN_URL,
};

function intentJob(cfg: StackConfig): Job {
  const { steps: tokenSteps, token, environment } = promotionToken({ ...INTENT_PERMISSIONS, members: "read" }, { notice: false });
  return {
    name: "read the command",
    "runs-on": RUNNER,
    environment,
    // Cheap filters first; `delivery intent` applies the full rules (first line, ASCII, grammar).
    if: [
      "(github.event_name == 'issue_comment' && github.event.issue.pull_request && startsWith(github.event.comment.body, '/'))",
      "(github.event_name == 'pull_request_target' && startsWith(github.event.label.name, 'deploy:'))",
      "github.event_name == 'workflow_dispatch'",
      "github.event_name == 'push'",
    ].join(" || "),
    permissions: INTENT_PERMISSIONS,
    permissionReasons: {
      contents: "reads commits and compares them for the gates",
      "pull-requests": "replies to the command; reads the pull request and its reviews",
      issues: "reads failure issues (the promotion freeze)",
      checks: "reads the required check runs",
      statuses: "reads validation statuses (the promotion machine)",
      deployments: "reads deployments (last known-good commit, promotion)",
      actions: "reads deploy runs (the promotion machine)",
    },
    outputs: {
      proceed: expr("steps.gate.outputs.proceed"),
      action: expr("steps.gate.outputs.action"),
      environment: expr("steps.gate.outputs.environment"),
      from: expr("steps.gate.outputs.from"),
      commit: expr("steps.gate.outputs.commit"),
      pr: expr("steps.gate.outputs.pr"),
      requested_by: expr("steps.gate.outputs.requested_by"),
      preview_client_id_variable: expr("steps.gate.outputs.preview_client_id_variable"),
      validated_commit: expr("steps.tree.outputs.validated_commit"),
    },
    "timeout-minutes": 10,
    steps: [
      checkout({ ref: TRUSTED_REF }),
      ...nodeSetup(),
      {
        name: "Decide what the event asks for",
        run: script([DELIVERY + ' intent --event "$GITHUB_EVENT_PATH" --event-name "$GITHUB_EVENT_NAME" | tee intent.json']),
      },
      ...tokenSteps,
      {
        name: "Check the gates and reply",
        id: "gate",
        env: { GITHUB_TOKEN: token, RUN_URL },
        run: script([DELIVERY + ' gate --intent intent.json --github-output "$GITHUB_OUTPUT" --summary "$GITHUB_STEP_SUMMARY" --run-url "$RUN_URL" --post']),
      },
      {
        // The promise of promotion: what reaches an environment is exactly the tree validated in the
        // one before (a squash or rebase merge makes a new commit; its tree must not change). Checked
        // here, before any deploy job starts, with the token that can read the sign-off reviewers' teams
        // (GITHUB_TOKEN cannot: organization membership is not among its scopes).
        name: "Verify the validated tree",
        id: "tree",
        if: `steps.gate.outputs.proceed == 'true' && steps.gate.outputs.action == 'deploy' && steps.gate.outputs.environment != '${cfg.environments[0].name}'`,
        env: { GITHUB_TOKEN: token, ...GATE_DECISION_ENV },
        run: script([DELIVERY + ' promote verify-tree --environment "$STACK" --commit "$COMMIT" --github-output "$GITHUB_OUTPUT" | tee tree.json']),
      },
      {
        // A refused tree ends the run here, before any deploy job: say why where the command came from.
        name: "Say why the commit was refused",
        if: "failure() && steps.tree.outcome == 'failure'",
        env: { GITHUB_TOKEN: token, ...GATE_DECISION_ENV },
        run: script([`${DEPLOY_END} \\`, '  --result failure --tree-verdict tree.json --summary "$GITHUB_STEP_SUMMARY"']),
      },
      {
        // Here, not in the deploy job: that job runs the commit being deployed and writes nothing.
        // For an environment with reviewers the deployment starts once they approve.
        name: "Say the deployment is starting",
        if: "steps.gate.outputs.proceed == 'true' && (steps.gate.outputs.action == 'deploy' || steps.gate.outputs.action == 'rollback')",
        env: { GITHUB_TOKEN: expr("github.token"), ...GATE_DECISION_ENV },
        run: script([DELIVERY + ' pr-comment deploy-start --action "$ACTION" --stack "$STACK" --commit "$COMMIT" --requested-by "$REQUESTED_BY" --run-url "$RUN_URL" --pr "$PR_NUMBER"']),
      },
    ],
  };
}

/** The environment whose deploy also manages the repository and its generated docs (AWS login, docs dispatch). */
function managesRepository(cfg: StackConfig, env: EnvironmentConfig): boolean {
  return cfg.manageRepository && env.name === cfg.environment.name;
}

/** Who asked for what: the same in a deploy job and its report job. */
function deploymentEnv(env: EnvironmentConfig): Record<string, string> {
  return {
    STACK: env.name,
    ACTION: out("action"),
    COMMIT: out("commit"),
    PR_NUMBER: out("pr"),
    REQUESTED_BY: out("requested_by"),
    RUN_URL,
  };
}

/** When a job of one environment runs: the gate let one of `actions` of exactly that environment through. */
function gateLetThrough(env: EnvironmentConfig, actions: readonly string[]): string {
  const action = actions.map((a) => `needs.${INTENT_JOB_ID}.outputs.action == '${a}'`).join(" || ");
  return `needs.${INTENT_JOB_ID}.outputs.proceed == 'true' && ${actions.length > 1 ? `(${action})` : action} && needs.${INTENT_JOB_ID}.outputs.environment == '${env.name}'`;
}

/** When an environment's deploy job (and its report job) run. */
function deploysTo(env: EnvironmentConfig): string {
  return gateLetThrough(env, ["deploy", "rollback"]);
}

/** The artifact that carries a deploy job's `pulumi up` output and stack outputs to its report job. */
function outcomeArtifact(env: EnvironmentConfig): string {
  return `deploy-outcome-${env.name}-\${{ github.run_id }}-\${{ github.run_attempt }}`;
}

/** The decision of the event again, for the re-check. */
const RECHECK_INTENT = DELIVERY + ' intent --event "$GITHUB_EVENT_PATH" --event-name "$GITHUB_EVENT_NAME" > intent.json';
/** Every gate of that decision, against the commit the deploy job was started for. */
const RECHECK_GATES = DELIVERY + ' gate --recheck --intent intent.json --commit "$COMMIT" --run-url "$RUN_URL"';

/** The reads `gate --recheck` makes, as the intent job's gate made them. */
const RECHECK_READS: Permissions = { "pull-requests": "read", checks: "read", statuses: "read", issues: "read", deployments: "read", actions: "read" };

/**
 * `deploy (<env>)` runs the commit being deployed (its install scripts, its Pulumi program): for
 * `/deploy dev` an unreviewed pull request head. So its token writes nothing to GitHub, and the
 * Pulumi GitHub provider of dev and staging gets that read-only token; everything that writes (the
 * deployment record, the comments, the docs dispatch) is the report job's, which reads this job's
 * outcome as data.
 */
function deployJob(cfg: StackConfig, env: EnvironmentConfig): Job {
  const steps: Step[] = [
    checkout({ ref: TRUSTED_REF }),
    ...nodeSetup(),
    {
      // Every gate again, right before deploying (the head, the approval on exactly this commit, the
      // freeze, the checks): time passed while the job waited for its environment's reviewers.
      // A refusal is posted by the report job, which has the token to post it.
      name: "Re-check the gates",
      id: "recheck",
      env: { GITHUB_TOKEN: expr("github.token") },
      run: script([RECHECK_INTENT, `${RECHECK_GATES} --summary "$GITHUB_STEP_SUMMARY"`, 'echo "passed=true" >> "$GITHUB_OUTPUT"']),
    },
    { name: "Check out the commit to deploy", uses: ACTIONS.checkout, with: { ref: out("commit"), path: TARGET_DIR, "persist-credentials": false } },
    { name: "Install the deployed commit's dependencies", "working-directory": TARGET_DIR, run: PROGRAM_INSTALL },
    deployIdentityLogin(),
    ...(managesRepository(cfg, env) ? [awsLogin(cfg)] : []),
    {
      // A runner that died mid-deploy leaves the stack locked; clear a lock no live run can hold
      // (the run recorded with it has ended), then record this run as the one about to take it.
      name: "Clear a stale lock and record this run",
      "working-directory": TARGET_DIR,
      env: { ...pulumiEnv(cfg, expr("github.token")), GITHUB_TOKEN: expr("github.token") },
      run: script([
        'case "$PULUMI_BACKEND_URL" in',
        "  file://*|azblob://*)",
        '    ' + DELIVERY + ' unlock --stack "$STACK" --pulumi "$PWD/node_modules/.bin/pulumi"',
        '    ' + DELIVERY + ' unlock --stack "$STACK" --record-run "$GITHUB_RUN_ID" --run-url "$RUN_URL" ;;',
        '  *) echo "::notice::Stale-lock recovery reads file:// and azblob:// backends; on this one, after a runner died mid-deploy, check the run and run pulumi cancel (docs/promotion.md)." ;;',
        "esac",
      ]),
    },
    {
      // The Bicep provider retries transient Azure faults itself (the stack's `bicep.retry`), so one
      // `pulumi up` makes every attempt the policy allows; nothing here retries on top of it.
      name: "pulumi up",
      id: "up",
      "working-directory": TARGET_DIR,
      // `runner` is not available in job-level env, so the audit directory is set per step.
      // Only production's environment holds a token with administration; dev and staging read.
      env: { ...pulumiEnv(cfg, deployGithubToken(cfg, env.name)), DELIVERY_AUDIT_DIR: AUDIT_DIR },
      run: script([
        'mkdir -p "$DELIVERY_AUDIT_DIR"',
        "start=$(date +%s)",
        "set +e",
        'npx pulumi up --stack "$STACK" --yes --non-interactive --diff --policy-pack policies --policy-pack-config "policies/config/$STACK.json" 2>&1 | tee "$DELIVERY_AUDIT_DIR/up.log"',
        'code="${PIPESTATUS[0]}"',
        "set -e",
        'if [ "$code" = 0 ]; then result=success; else result=failure; fi',
        // The deployment's outputs as the stack now holds them (also after an up that changed nothing in
        // Azure and wrote no audit record): where it answers, for the recorded deployment.
        'if [ "$result" = success ]; then npx pulumi stack output --json --stack "$STACK" > "$DELIVERY_AUDIT_DIR/stack-outputs.json" || echo "::warning::pulumi stack output failed; the deployment records no environment_url"; fi',
        '{ echo "result=$result"; echo "duration=$(( $(date +%s) - start ))"; } >> "$GITHUB_OUTPUT"',
        '[ "$result" = success ]',
      ]),
    },
    {
      name: "Hand the outcome to the report job",
      if: "always() && steps.up.outputs.result != ''",
      uses: ACTIONS.uploadArtifact,
      with: { name: outcomeArtifact(env), path: `${AUDIT_DIR}/up.log\n${AUDIT_DIR}/stack-outputs.json\n`, "retention-days": 1, "if-no-files-found": "warn" },
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
    if: deploysTo(env),
    environment: env.name,
    // One deployment per stack at a time; a second one waits instead of cancelling the first.
    concurrency: { group: `deploy-${env.name}`, "cancel-in-progress": false },
    permissions: { contents: "read", "id-token": "write", ...RECHECK_READS },
    permissionReasons: {
      "id-token": "the environment's deploy identity (OIDC)",
      "pull-requests": "re-checks the pull request and its reviews",
      checks: "re-checks the required check runs",
      statuses: "re-checks validation statuses (the promotion machine)",
      issues: "re-checks failure issues (the promotion freeze)",
      deployments: "re-checks deployments (last known-good, the freeze)",
      actions: "re-checks deploy runs; reads whether the run that holds a lock has ended",
    },
    outputs: { rechecked: expr("steps.recheck.outputs.passed"), result: expr("steps.up.outputs.result"), duration: expr("steps.up.outputs.duration") },
    env: deploymentEnv(env),
    "timeout-minutes": 120,
    steps,
  };
}

/** The check name of the report job of one environment. */
export function reportJobName(environment: string): string {
  return `report (${environment})`;
}

/**
 * `report (<env>)`: trusted code only (the default branch's `delivery`), after the deploy job
 * whatever happened to it. It records the GitHub deployment the promotion machine reads, posts the
 * result (or why the re-check refused), and hands stale documents to the docs workflow. What it
 * takes from the deploy job (the `pulumi up` result and output, the stack outputs) is data: read,
 * never run.
 */
function reportJob(cfg: StackConfig, env: EnvironmentConfig): Job {
  const ownsDocs = managesRepository(cfg, env);
  const deploy = `needs.${deployJobId(env.name)}`;
  // The re-check passed, so `pulumi up` may have run: whatever happened after, the deployment is
  // recorded (a job that ended before `up` reported a result is recorded as failed).
  const ran = "env.RECHECKED == 'true'";
  const steps: Step[] = [
    checkout({ ref: TRUSTED_REF }),
    ...nodeSetup(),
    {
      // The deploy job ended before its re-check passed: refused by it, rejected by a reviewer,
      // cancelled, or failed to start. Re-check here, with the token that can reply, and say which.
      name: "Say why nothing was deployed",
      if: `!(${ran})`,
      env: { GITHUB_TOKEN: expr("github.token") },
      run: script([RECHECK_INTENT, `if ${RECHECK_GATES} --post; then`, `  ${DEPLOY_END} --result "$DEPLOY_RESULT" --ended-before-recheck --summary "$GITHUB_STEP_SUMMARY"`, "fi"]),
    },
    {
      name: "Read the deploy job's outcome",
      if: `${ran} && env.UP_RESULT != ''`,
      "continue-on-error": true,
      uses: ACTIONS.downloadArtifact,
      with: { name: outcomeArtifact(env), path: OUTCOME_DIR },
    },
    {
      // The deployment the promotion machine trusts: of the commit really deployed (GitHub's own
      // deployment for `environment:` carries the run's GITHUB_SHA, the default branch's head).
      name: "Record the deployment",
      id: "record",
      if: ran,
      env: { GITHUB_TOKEN: expr("github.token"), VALIDATED_COMMIT: env === cfg.environments[0] ? "" : out("validated_commit") },
      run: script([
        'extra=(); if [ "$ACTION" = rollback ]; then extra=(--rollback); fi',
        'if [ -n "$VALIDATED_COMMIT" ] && [ "$VALIDATED_COMMIT" != "$COMMIT" ]; then extra+=(--validated-commit "$VALIDATED_COMMIT"); fi',
        DELIVERY + ' promote record start --environment "$STACK" --commit "$COMMIT" "${extra[@]}" --run-url "$RUN_URL" --requested-by "$REQUESTED_BY" --github-output "$GITHUB_OUTPUT"',
      ]),
    },
    {
      // The failure class for the comment and the deployment record (retries are already spent).
      name: "Classify a failure",
      if: `${ran} && env.UP_RESULT != 'success'`,
      env: { OUTCOME_DIR },
      run: script([
        'if [ -n "$UP_RESULT" ]; then ' + DELIVERY + ' classify "$OUTCOME_DIR/up.log" > classify.json || true',
        'else ' + DELIVERY + ' classify --deploy-job-ended "$DEPLOY_RESULT" > classify.json; fi',
      ]),
    },
    {
      name: "Record the deployment's result",
      if: "always() && steps.record.outputs.deployment_id != ''",
      env: { GITHUB_TOKEN: expr("github.token"), DEPLOYMENT_ID: expr("steps.record.outputs.deployment_id"), OUTCOME_DIR },
      run: script([
        DELIVERY + ' promote record finish --deployment-id "$DEPLOYMENT_ID" --result "$RESULT" --classify classify.json --run-url "$RUN_URL" --stack-outputs "$OUTCOME_DIR/stack-outputs.json"',
      ]),
    },
    {
      name: "Report the result",
      // A refused re-check has already said so on the PR; everything after it reports here, even
      // when recording the deployment failed.
      if: `always() && ${ran}`,
      env: { GITHUB_TOKEN: expr("github.token"), DURATION: `\${{ ${deploy}.outputs.duration || 0 }}`, OUTCOME_DIR },
      run: script([
        `${DEPLOY_END} \\`,
        '  --result "$RESULT" --duration "$DURATION" --log "$OUTCOME_DIR/up.log" --classify classify.json --summary "$GITHUB_STEP_SUMMARY"',
      ]),
    },
    ...(ownsDocs
      ? [
          { name: "Check out the deployed commit's documents", if: "env.UP_RESULT == 'success'", uses: ACTIONS.checkout, with: { ref: out("commit"), path: TARGET_DIR, "persist-credentials": false } },
          {
            // The Graft provider does not generate on the deploy runner (the checkout dies with it, and
            // that job does not write to the branch): stale documents go to the docs workflow, the only
            // writer. The deployed commit's files are read here, not run.
            name: "Hand stale Graft documents to the docs workflow",
            if: "env.UP_RESULT == 'success'",
            "continue-on-error": true,
            env: { GITHUB_TOKEN: expr("github.token"), DEFAULT_BRANCH: TRUSTED_REF },
            run: script([DELIVERY + ` docs dispatch-stale --root ${TARGET_DIR} --stack "$STACK" --ref "$DEFAULT_BRANCH"`]),
          },
        ]
      : []),
  ];
  return {
    name: reportJobName(env.name),
    "runs-on": RUNNER,
    needs: [INTENT_JOB_ID, deployJobId(env.name)],
    if: `always() && needs.${INTENT_JOB_ID}.result == 'success' && ${deploysTo(env)}`,
    permissions: { contents: "read", ...RECHECK_READS, "pull-requests": "write", deployments: "write", ...(ownsDocs ? { actions: "write" as const } : {}) },
    permissionReasons: {
      "pull-requests": "the result comment, or why the re-check refused",
      deployments: "records the deployment of the commit the deploy job deployed",
      checks: "re-checks the required check runs, to say why the re-check refused",
      statuses: "re-checks validation statuses",
      issues: "re-checks failure issues (the promotion freeze)",
      actions: ownsDocs ? "re-checks deploy runs; dispatches the docs workflow for stale Graft documents (delivery docs dispatch-stale)" : "re-checks deploy runs",
    },
    env: {
      ...deploymentEnv(env),
      RECHECKED: expr(`${deploy}.outputs.rechecked`),
      UP_RESULT: expr(`${deploy}.outputs.result`),
      // What is recorded and reported once the re-check passed: anything but a successful `up` is a failure.
      RESULT: expr(`${deploy}.outputs.result == 'success' && 'success' || 'failure'`),
      DEPLOY_RESULT: expr(`${deploy}.result`),
    },
    "timeout-minutes": 15,
    steps,
  };
}

/** `/preview <env>`: one job per environment, so each declares its preview environment literally. */
function commandPreviewJob(cfg: StackConfig, env: EnvironmentConfig): Job {
  return {
    name: `issueops preview (${env.name})`,
    "runs-on": RUNNER,
    needs: [INTENT_JOB_ID],
    if: previewsIn(env),
    environment: previewJobEnvironment(env.name),
    // The pull request's code runs here, in the default branch's context: no token that writes. Its
    // output goes to the comment job, which reads it as data.
    permissions: { contents: "read", "id-token": "write" },
    permissionReasons: { "id-token": "the stack's read-only preview identity (OIDC)" },
    concurrency: { group: `preview-${env.name}-${out("pr")}`, "cancel-in-progress": true },
    "timeout-minutes": 30,
    outputs: { exit_code: expr("steps.preview.outputs.exit-code") },
    steps: previewSteps(cfg, env.name, out("pr"), `vars.${previewClientIdVariable(env.name)}`, { ref: out("commit"), commit: out("commit") }, { handOff: true }),
  };
}

/** When an environment's `/preview` jobs run. */
function previewsIn(env: EnvironmentConfig): string {
  return gateLetThrough(env, ["preview"]);
}

/** `/preview <env>`'s comment: trusted code only, from what the preview job handed over. */
function commandPreviewCommentJob(env: EnvironmentConfig): Job {
  const preview = `needs.${commandPreviewJobId(env.name)}`;
  return {
    name: `issueops preview comment (${env.name})`,
    "runs-on": RUNNER,
    needs: [INTENT_JOB_ID, commandPreviewJobId(env.name)],
    if: `always() && needs.${INTENT_JOB_ID}.result == 'success' && ${previewsIn(env)} && ${preview}.outputs.exit_code != ''`,
    permissions: { contents: "read", "pull-requests": "write" },
    permissionReasons: { "pull-requests": "the preview comment" },
    "timeout-minutes": 10,
    env: { STACK: env.name, PR_NUMBER: out("pr"), COMMIT: out("commit"), RUN_URL, EXIT_CODE: expr(`${preview}.outputs.exit_code`), WHATIF_ARTIFACT: whatIfArtifact(env.name) },
    steps: [
      checkout({ ref: TRUSTED_REF }),
      ...nodeSetup(),
      { name: "Read the preview", uses: ACTIONS.downloadArtifact, with: { name: previewOutcomeArtifact(env.name), path: PREVIEW_OUTCOME_DIR } },
      // A preview that changed nothing in Azure leaves no what-ifs, and no artifact of them.
      { name: "Read the what-ifs", "continue-on-error": true, uses: ACTIONS.downloadArtifact, with: { name: whatIfArtifact(env.name), path: PREVIEW_WHATIF_DIR } },
      {
        name: "Comment on the pull request",
        env: { GITHUB_TOKEN: expr("github.token"), OUTCOME_DIR: PREVIEW_OUTCOME_DIR, WHATIF_DIR: PREVIEW_WHATIF_DIR },
        run: previewCommentScript({ log: "$OUTCOME_DIR/preview.log", graft: "$OUTCOME_DIR/graft-status.json", whatIfDir: '"$WHATIF_DIR"' }),
      },
    ],
  };
}

function commandPreviewJobId(environment: string): string {
  return `issueops-preview-${environment}`;
}

/**
 * Posts reply.md (written by the job's earlier steps) on the pull request the command came from,
 * or the `fallback` (a printf, so the command's values stay data) when a step failed before writing
 * it; `delivery pr-comment reply` adds the link to the run.
 */
function replyStep(token: string, fallback: string): RunStep {
  return {
    name: "Reply on the pull request",
    if: "always()",
    env: { GITHUB_TOKEN: token },
    run: script([
      MARKDOWN_TICKS,
      `fallback="$(${fallback})"`,
      DELIVERY + ' pr-comment reply --pr "$PR_NUMBER" --body-file reply.md --fallback "$fallback" --run-url "$RUN_URL"',
    ]),
  };
}

/** Reads the promotion facts; writes the promotion branch and pull request, and the reply. */
const PROMOTE_PERMISSIONS: Permissions = { contents: "write", "pull-requests": "write", deployments: "read", issues: "read", actions: "read", checks: "read", statuses: "read" };

/** Placed before a reply that quotes a command in Markdown backticks inside single quotes, which shellcheck (SC2016) takes for a forgotten command substitution. */
const MARKDOWN_TICKS = "# shellcheck disable=SC2016 # backticks in these replies are Markdown, not command substitution";

/**
 * `/promote <from> <to>`, once the gate found the machine asking for exactly that promotion:
 * reads the facts once, checks the decision still holds, opens the pull request from a branch at
 * the validated SHA, and replies on the PR either way.
 */
function commandPromoteJob(): Job {
  const { steps: tokenSteps, token, environment } = promotionToken({ ...PROMOTE_PERMISSIONS, members: "read" }, { notice: true });
  return {
    name: "issueops promote",
    "runs-on": RUNNER,
    environment,
    needs: [INTENT_JOB_ID],
    if: `needs.${INTENT_JOB_ID}.outputs.proceed == 'true' && needs.${INTENT_JOB_ID}.outputs.action == 'promote'`,
    // The promote workflow's group: one promotion at a time across the repository.
    concurrency: { ...PROMOTION_CONCURRENCY },
    permissions: PROMOTE_PERMISSIONS,
    permissionReasons: {
      contents: "creates the promotion branch at the validated commit",
      "pull-requests": "opens the promotion pull request and replies",
      deployments: "reads deployments (the promotion facts)",
      issues: "reads failure issues (the freeze)",
      actions: "reads deploy runs (the promotion facts)",
      checks: "reads check runs (the promotion facts)",
      statuses: "reads validation statuses (the promotion facts)",
    },
    env: { FROM: out("from"), TO: out("environment"), PR_NUMBER: out("pr"), RUN_URL },
    "timeout-minutes": 15,
    steps: [
      checkout({ ref: TRUSTED_REF }),
      ...nodeSetup(),
      ...tokenSteps,
      {
        name: "Open the promotion pull request",
        env: { GITHUB_TOKEN: token },
        run: script([
          DELIVERY + " promote facts > promotion-facts.json",
          DELIVERY + ' promote status --facts promotion-facts.json --summary "$GITHUB_STEP_SUMMARY" > /dev/null',
          DELIVERY + " promote next --facts promotion-facts.json > next.json",
          `if ! jq -e --arg from "$FROM" --arg to "$TO" 'any(.actions[]; .kind == "open-pr" and .from == $from and .to == $to)' next.json > /dev/null; then`,
          `  ${MARKDOWN_TICKS}`,
          "  printf '❌ `/promote %s %s`: %s is no longer ready to promote to %s (the facts changed since the command was read); `delivery promote status` says why.\\n' \"$FROM\" \"$TO\" \"$FROM\" \"$TO\" > reply.md",
          "  exit 1",
          "fi",
          DELIVERY + ' promote act --facts promotion-facts.json --only open-pr --run-url "$RUN_URL" | tee act.json',
          "jq -r '.results[] | select(.action.kind == \"open-pr\") | \"✅ `/promote \\(.action.from) \\(.action.to)`: \\(.detail), from `\\(.action.head)`, carrying exactly `\\(.action.sha)`.\"' act.json > reply.md",
        ]),
      },
      replyStep(token, "printf '❌ `/promote %s %s` failed; see the workflow run.' \"$FROM\" \"$TO\""),
    ],
  };
}

/**
 * `/unlock <env>`, once the gate found a person with write access asking: in the environment's
 * deploy concurrency group, so it waits for a running deploy instead of racing it, it clears the
 * stack's locks unless one may belong to a run that is still going (`delivery unlock --force`), and
 * replies either way. It runs in the environment itself (no deployment record): its backend
 * variables, and its deploy identity, the one identity that may write the stack's state (on
 * production, after the environment's reviewers approve). No passphrase: clearing a lock decrypts nothing.
 */
function commandUnlockJob(): Job {
  return {
    name: "issueops unlock",
    "runs-on": RUNNER,
    needs: [INTENT_JOB_ID],
    if: `needs.${INTENT_JOB_ID}.outputs.proceed == 'true' && needs.${INTENT_JOB_ID}.outputs.action == 'unlock'`,
    environment: { name: out("environment"), deployment: false },
    concurrency: { group: `deploy-${out("environment")}`, "cancel-in-progress": false },
    permissions: { contents: "read", actions: "read", "id-token": "write", "pull-requests": "write" },
    permissionReasons: {
      actions: "the recorded run's state (a lock of a run still going is never cleared)",
      "id-token": "Azure login as the environment's deploy identity, which reads and clears locks in an azblob:// backend",
      "pull-requests": "replies to the command",
    },
    env: { STACK: out("environment"), PR_NUMBER: out("pr"), RUN_URL },
    "timeout-minutes": 15,
    steps: [
      checkout({ ref: TRUSTED_REF }),
      ...nodeSetup({ pulumiCli: true }),
      deployIdentityLogin(),
      {
        name: "Clear a lock no live run can hold",
        env: {
          ...stateBackendEnv(),
          PULUMI_SKIP_UPDATE_CHECK: "true",
          GITHUB_TOKEN: expr("github.token"),
        },
        run: script([
          "set +e",
          DELIVERY + ' unlock --stack "$STACK" --force --pulumi "$PWD/node_modules/.bin/pulumi" > unlock.json 2> unlock.err',
          'code="$?"',
          "set -e",
          "cat unlock.json unlock.err",
          'if [ "$code" = 0 ]; then',
          '  jq -r \'"✅ `/unlock \\(.stack)`: " + (if .cleared then "cleared: \\(.reason). The next deploy finishes the interrupted update." else "\\(.reason); nothing to clear." end)\' unlock.json > reply.md',
          "else",
          `  ${MARKDOWN_TICKS}`,
          '  { printf \'❌ `/unlock %s` cleared nothing:\\n\\n```\\n\' "$STACK"; tail -c 3000 unlock.err; printf \'\\n```\\n\'; } > reply.md',
          "fi",
          'exit "$code"',
        ]),
      },
      replyStep(expr("github.token"), "printf '❌ `/unlock %s` failed; see the workflow run.' \"$STACK\""),
    ],
  };
}

export function deployWorkflow(cfg: StackConfig): Workflow {
  const jobs: Jobs = { [INTENT_JOB_ID]: intentJob(cfg) };
  for (const env of cfg.environments) {
    jobs[deployJobId(env.name)] = deployJob(cfg, env);
    jobs[reportJobId(env.name)] = reportJob(cfg, env);
  }
  for (const env of cfg.environments) {
    jobs[commandPreviewJobId(env.name)] = commandPreviewJob(cfg, env);
    jobs[`${commandPreviewJobId(env.name)}-comment`] = commandPreviewCommentJob(env);
  }
  jobs[PROMOTE_JOB_ID] = commandPromoteJob();
  jobs[UNLOCK_JOB_ID] = commandUnlockJob();
  return {
    file: DEPLOY_WORKFLOW_FILE,
    name: DEPLOY_WORKFLOW_NAME,
    header: "IssueOps: /deploy, /preview, /rollback, /promote, /unlock, /help on pull requests, deploy:<env> labels, manual dispatch, and deploy on merge.",
    on: {
      issue_comment: { types: ["created"] },
      // The default branch's workflow and ref (see core/intent/decide.ts); never PR content.
      pull_request_target: { types: ["labeled"] },
      // A merge into an environment branch deploys it (R1 of the promotion machine); the gates
      // take the required checks and the prod approval from the merged pull request.
      push: { branches: cfg.environments.map((e) => e.branch) },
      workflow_dispatch: {
        inputs: {
          action: { description: "What to do", required: true, type: "choice", options: ["deploy", "preview", "rollback"], default: "deploy" },
          environment: { description: "Environment (stack)", required: true, type: "choice", options: cfg.environments.map((e) => e.name) },
          sha: { description: "Commit to deploy or roll back to (must be on the dispatched branch); empty: the branch head (deploy) or the last known-good commit (rollback)", required: false, type: "string", default: "" },
          // The promotion machine's rollback dispatch runs as its bot; this names the person it acts for, whom the gate checks.
          requested_by: { description: "For a dispatch by an App: the person it acts for (checked by the gate); ignored for people", required: false, type: "string", default: "" },
        },
      },
    },
    permissions: {},
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}
