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
 * 2. `deploy (<env>)`, one job per environment so each declares its `environment:` literally
 *    (GitHub's required reviewers and branch policy apply) and has its own `concurrency` group.
 *    It re-checks that the PR has not moved, logs in to Azure (and AWS for the stack that owns
 *    the generated docs) through OIDC, records the GitHub deployment of the commit it really
 *    deploys (`delivery promote record start|finish`, the facts the promotion machine reads),
 *    runs `pulumi up` with retries that `delivery classify` decides, comments at start and end,
 *    writes the job summary, and uploads the audit records.
 * 3. `issueops preview`: the preview steps of the PR preview workflow, for `/preview <env>`.
 * 4. `issueops promote`: `/promote <from> <to>` opens the promotion pull request the machine
 *    asks for (`delivery promote act --only open-pr`), in the promotion concurrency group.
 * 5. `issueops unlock`: `/unlock <env>` clears the environment's Pulumi lock a dead run left
 *    (`delivery unlock --force`), in the environment's deploy concurrency group.
 */
import type { EnvironmentConfig, StackConfig } from "../core/config";
import { ACTIONS } from "./actions";
import { AUDIT_DIR, awsLogin, checkout, DELIVERY, deployGithubToken, deployIdentityLogin, expr, type Jobs, nodeSetup, previewClientIdVariable, PROGRAM_INSTALL, previewJobEnvironment, PROMOTION_CONCURRENCY, promotionToken, pulumiEnv, RUN_URL, RUNNER, script, stateBackendEnv, TRUSTED_REF } from "./common";
import type { Job, Permissions, RunStep, Step, Workflow } from "./model";
import { previewSteps } from "./preview";

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

/** Where trusted tooling (the default branch) lives; the deployed commit is checked out under it. */
const TARGET_DIR = "target";

const out = (name: string) => expr(`needs.${INTENT_JOB_ID}.outputs.${name}`);

/** Read the promotion facts (deployments, runs, failure issues) for the freeze, rollbacks and `/promote`; write only replies. */
const INTENT_PERMISSIONS: Permissions = { contents: "read", "pull-requests": "write", issues: "read", checks: "read", statuses: "read", deployments: "read", actions: "read" };

function intentJob(): Job {
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
  const steps: Step[] = [
    checkout({ ref: TRUSTED_REF }),
    ...nodeSetup(),
    {
      // Every gate again, right before deploying (the head, the approval on exactly this commit, the
      // freeze, the checks): time passed while the job waited for its environment's reviewers.
      name: "Re-check the gates",
      id: "recheck",
      env: { GITHUB_TOKEN: expr("github.token") },
      run: script([
        DELIVERY + ' intent --event "$GITHUB_EVENT_PATH" --event-name "$GITHUB_EVENT_NAME" > intent.json',
        DELIVERY + ' gate --recheck --intent intent.json --commit "$COMMIT" --run-url "$RUN_URL" --post',
        DELIVERY + ' pr-comment deploy-start --action "$ACTION" --stack "$STACK" --commit "$COMMIT" --requested-by "$REQUESTED_BY" --run-url "$RUN_URL" --pr "$PR_NUMBER"',
      ]),
    },
    ...(env === cfg.environments[0]
      ? []
      : [
          {
            // The promise of promotion: what reaches this environment is exactly the tree validated in
            // the one before (a squash or rebase merge makes a new commit; its tree must not change).
            // Checked before anything of the commit is installed and before any cloud login.
            name: "Verify the validated tree",
            id: "tree",
            if: "env.ACTION == 'deploy'",
            env: { GITHUB_TOKEN: expr("github.token") },
            // The verdict is kept for the result comment, which says why when the commit is refused.
            run: script([DELIVERY + ' promote verify-tree --environment "$STACK" --commit "$COMMIT" --github-output "$GITHUB_OUTPUT" | tee tree.json']),
          },
        ]),
    { name: "Check out the commit to deploy", uses: ACTIONS.checkout, with: { ref: out("commit"), path: TARGET_DIR, "persist-credentials": false } },
    { name: "Install the deployed commit's dependencies", "working-directory": TARGET_DIR, run: script([PROGRAM_INSTALL, "npm ci --prefix policies --no-audit --no-fund"]) },
    deployIdentityLogin(),
    ...(managesRepository ? [awsLogin(cfg)] : []),
    {
      // The deployment the promotion machine trusts: of the commit really deployed (GitHub's own
      // deployment for `environment:` carries the run's GITHUB_SHA, the default branch's head).
      name: "Record the deployment",
      id: "record",
      env: { GITHUB_TOKEN: expr("github.token"), VALIDATED_COMMIT: env === cfg.environments[0] ? "" : expr("steps.tree.outputs.validated_commit") },
      run: script([
        'extra=(); if [ "$ACTION" = rollback ]; then extra=(--rollback); fi',
        'if [ -n "$VALIDATED_COMMIT" ] && [ "$VALIDATED_COMMIT" != "$COMMIT" ]; then extra+=(--validated-commit "$VALIDATED_COMMIT"); fi',
        DELIVERY + ' promote record start --environment "$STACK" --commit "$COMMIT" "${extra[@]}" --run-url "$RUN_URL" --requested-by "$REQUESTED_BY" --github-output "$GITHUB_OUTPUT"',
      ]),
    },
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
        'npx pulumi up --stack "$STACK" --yes --non-interactive --diff --policy-pack policies --policy-pack-config "policies/config/$STACK.json" 2>&1 | tee "$GITHUB_WORKSPACE/up.log"',
        'code="${PIPESTATUS[0]}"',
        "set -e",
        'if [ "$code" = 0 ]; then result=success; else result=failure; fi',
        // The failure class for the comment and the deployment record (retries are already spent).
        'if [ "$result" = failure ]; then (cd "$GITHUB_WORKSPACE" && ' + DELIVERY + ' classify up.log > classify.json) || true; fi',
        'cp "$GITHUB_WORKSPACE/up.log" "$DELIVERY_AUDIT_DIR/up.log"',
        // The deployment's outputs as the stack now holds them (also after an up that changed nothing in
        // Azure and wrote no audit record): where it answers, for the recorded deployment.
        'if [ "$result" = success ]; then npx pulumi stack output --json --stack "$STACK" > "$DELIVERY_AUDIT_DIR/stack-outputs.json" || echo "::warning::pulumi stack output failed; the deployment records no environment_url"; fi',
        '{ echo "result=$result"; echo "duration=$(( $(date +%s) - start ))"; } >> "$GITHUB_OUTPUT"',
        '[ "$result" = success ]',
      ]),
    },
    ...(managesRepository
      ? [
          {
            // The Graft provider does not generate on this runner (the checkout dies with it, and this job
            // does not write to the branch): stale documents go to the docs workflow, the only writer.
            name: "Hand stale Graft documents to the docs workflow",
            "continue-on-error": true,
            env: { GITHUB_TOKEN: expr("github.token"), DEFAULT_BRANCH: TRUSTED_REF },
            run: script([DELIVERY + ` docs dispatch-stale --root ${TARGET_DIR} --stack "$STACK" --ref "$DEFAULT_BRANCH"`]),
          },
        ]
      : []),
    {
      // Before the comment, so a deployment is never left in progress; a cancelled run is a failure.
      name: "Record the deployment's result",
      if: "always() && steps.record.outputs.deployment_id != ''",
      env: { GITHUB_TOKEN: expr("github.token"), DEPLOYMENT_ID: expr("steps.record.outputs.deployment_id"), RESULT: "${{ steps.up.outputs.result || job.status }}", DELIVERY_AUDIT_DIR: AUDIT_DIR },
      run: script([
        'if [ "$RESULT" = success ]; then result=success; else result=failure; fi',
        DELIVERY + ' promote record finish --deployment-id "$DEPLOYMENT_ID" --result "$result" --classify classify.json --run-url "$RUN_URL" --stack-outputs "$DELIVERY_AUDIT_DIR/stack-outputs.json"',
      ]),
    },
    {
      name: "Report the result",
      // A refused re-check has already said so on the PR; everything after it reports here.
      if: "always() && steps.recheck.outcome == 'success'",
      env: { GITHUB_TOKEN: expr("github.token"), RESULT: "${{ steps.up.outputs.result || job.status }}", DURATION: "${{ steps.up.outputs.duration || 0 }}" },
      run: script([
        DELIVERY + ' pr-comment deploy-end --action "$ACTION" --stack "$STACK" --commit "$COMMIT" --requested-by "$REQUESTED_BY" --run-url "$RUN_URL" --pr "$PR_NUMBER" \\',
        '  --result "$RESULT" --duration "$DURATION" --log up.log --classify classify.json --tree-verdict tree.json --summary "$GITHUB_STEP_SUMMARY"',
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
    permissions: { contents: "read", "id-token": "write", "pull-requests": "write", deployments: "write", ...(managesRepository ? { actions: "write" as const } : {}) },
    permissionReasons: {
      "id-token": "the environment's deploy identity (OIDC)",
      "pull-requests": "comments at start and end",
      deployments: "records the deployment of the commit it deploys",
      ...(managesRepository ? { actions: "dispatches the docs workflow for stale Graft documents (delivery docs dispatch-stale)" } : {}),
    },
    env: jobEnv,
    "timeout-minutes": 120,
    steps,
  };
}

/** `/preview <env>`: one job per environment, so each declares its preview environment literally. */
function commandPreviewJob(cfg: StackConfig, env: EnvironmentConfig): Job {
  return {
    name: `issueops preview (${env.name})`,
    "runs-on": RUNNER,
    needs: [INTENT_JOB_ID],
    if: `needs.${INTENT_JOB_ID}.outputs.proceed == 'true' && needs.${INTENT_JOB_ID}.outputs.action == 'preview' && needs.${INTENT_JOB_ID}.outputs.environment == '${env.name}'`,
    environment: previewJobEnvironment(env.name),
    permissions: { contents: "read", "id-token": "write", "pull-requests": "write" },
    permissionReasons: { "id-token": "the stack's read-only preview identity (OIDC)", "pull-requests": "the preview comment" },
    concurrency: { group: `preview-${env.name}-${out("pr")}`, "cancel-in-progress": true },
    "timeout-minutes": 30,
    steps: previewSteps(cfg, env.name, out("pr"), `vars.${previewClientIdVariable(env.name)}`, { ref: out("commit"), commit: out("commit") }),
  };
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
  const jobs: Jobs = { [INTENT_JOB_ID]: intentJob() };
  for (const env of cfg.environments) jobs[deployJobId(env.name)] = deployJob(cfg, env);
  for (const env of cfg.environments) jobs[`issueops-preview-${env.name}`] = commandPreviewJob(cfg, env);
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
