/**
 * Graft documentation workflows.
 *
 * - `docs.yml` validates on every pull request (and push to an environment branch) that no
 *   generated document is stale, with no credentials at all. It is a separate file from the
 *   generator on purpose: a workflow that also ran on `labeled` would report a *skipped* run of
 *   the same check name whenever someone adds a label, and a skipped required check counts as
 *   passing, so a label could turn a red check green.
 * - `docs-generate.yml` regenerates stale documents inside the `docs` GitHub environment, the only
 *   subject the AWS docs role trusts, which admits runs of the production branch only. The
 *   `docs:generate` label on a pull request (`pull_request_target`: the default branch's workflow, no
 *   credentials) checks who applied it and dispatches this workflow on the default branch for the
 *   pull request (`delivery docs request`); that run checks out the trusted tooling from the default
 *   branch and the pull request's branch beside it as data, regenerates with the stack's Graft
 *   configuration (`delivery graft-generate`), and commits the result to the branch as
 *   github-actions[bot], rebasing once if someone pushed in the meantime and failing with a clear
 *   message if that rebase conflicts.
 * - A dispatch without `pr` regenerates the default branch: manually, or from the deploy job of the
 *   stack that owns the documents, whose `pulumi up` does not generate on its runner and hands the
 *   stale documents over (`delivery docs dispatch-stale`). The default branch takes pull requests
 *   only, so the bot force-pushes the result to its own branch (`DOCS_REGENERATE_BRANCH`, always
 *   rebuilt from the default branch) and opens a pull request from it, or updates the open one.
 */
import type { StackConfig } from "../core/config";
import { DOCS_GENERATE_LABEL } from "../core/labels";
import { DOCS_ENVIRONMENT } from "../core/oidc";
import { ACTIONS } from "./actions";
import { awsLogin, checkout, DELIVERY, expr, nodeSetup, promotionToken, RUN_URL, RUNNER, script, TRUSTED_REF } from "./common";
import type { Workflow } from "./model";

export const DOCS_WORKFLOW_FILE = "docs.yml";
export const DOCS_GENERATE_WORKFLOW_FILE = "docs-generate.yml";
/** The check name of the docs validation job (a required check). */
export const DOCS_CHECK_NAME = "docs (graft-status)";

export function docsWorkflow(cfg: StackConfig): Workflow {
  return {
    file: DOCS_WORKFLOW_FILE,
    name: "Docs",
    header: "Fails when a Graft-generated document is stale. Needs no credentials.",
    on: { pull_request: { types: ["opened", "synchronize", "reopened"] }, push: { branches: cfg.environments.map((e) => e.branch) } },
    permissions: {},
    // A newer push makes the running check moot.
    concurrency: { group: "docs-${{ github.event.pull_request.number || github.ref }}", "cancel-in-progress": true },
    defaults: { run: { shell: "bash" } },
    jobs: {
      "graft-status": {
        name: DOCS_CHECK_NAME,
        "runs-on": RUNNER,
        permissions: { contents: "read" },
        "timeout-minutes": 10,
        steps: [
          checkout(),
          ...nodeSetup(),
          {
            name: "Check that no generated document is stale",
            run: script([
              `if ! ${DELIVERY} graft-status --stack ${docsStack(cfg)} --check; then`,
              `  echo "::error::Generated documents are stale. Label the pull request '${DOCS_GENERATE_LABEL.name}' to regenerate them, or run the generator locally and commit."`,
              "  exit 1",
              "fi",
            ]),
          },
        ],
      },
    },
  };
}

/**
 * The stack whose Graft configuration the documents follow: the one that renders these workflows
 * (it manages the repository, and its `pulumi up` regenerates the documents). Stacks are named after
 * the environment they deploy, as everywhere in the workflows (`pulumi up --stack <environment>`).
 */
export function docsStack(cfg: Pick<StackConfig, "environment">): string {
  return cfg.environment.name;
}

/** Where the dispatched run checks out the branch whose documents it regenerates (data, never executed). */
const DOCS_TARGET_DIR = "target";

/** The bot's branch for documents regenerated on the default branch (which takes pull requests only). */
export const DOCS_REGENERATE_BRANCH = "docs/regenerate";

export function docsGenerateWorkflow(cfg: StackConfig): Workflow {
  const stack = docsStack(cfg);
  // Opens the pull request of a default-branch run; the App's token (when configured) makes its checks start.
  const { steps: tokenSteps, token } = promotionToken({ contents: "read", "pull-requests": "write" }, { notice: true });
  const proposed = "steps.commit.outputs.proposed == 'true'";
  return {
    file: DOCS_GENERATE_WORKFLOW_FILE,
    name: "Docs generate",
    header: `Regenerates stale Graft documents: the '${DOCS_GENERATE_LABEL.name}' label asks for it, a run of the default branch in the docs environment does it and commits to the pull request's branch.`,
    on: {
      // The default branch's workflow (see core/workflow-rules.ts): checks the labeller, dispatches.
      pull_request_target: { types: ["labeled"] },
      workflow_dispatch: { inputs: { pr: { description: "Pull request whose documents to regenerate (empty: the default branch)", required: false, type: "string", default: "" } } },
    },
    permissions: {},
    defaults: { run: { shell: "bash" } },
    jobs: {
      request: {
        name: "docs (request)",
        "runs-on": RUNNER,
        if: `github.event_name == 'pull_request_target' && github.event.label.name == '${DOCS_GENERATE_LABEL.name}'`,
        permissions: { contents: "read", actions: "write", "pull-requests": "write" },
        permissionReasons: { actions: "dispatches this workflow's generate job on the default branch", "pull-requests": "replies when it refuses the label" },
        // One request per pull request at a time; a second label waits rather than cancelling the first.
        concurrency: { group: "docs-request-${{ github.event.pull_request.number }}", "cancel-in-progress": false },
        "timeout-minutes": 10,
        env: { PR_NUMBER: expr("github.event.pull_request.number"), LABELLED_BY: expr("github.event.sender.login"), DEFAULT_BRANCH: TRUSTED_REF },
        steps: [
          checkout({ ref: TRUSTED_REF }),
          ...nodeSetup(),
          {
            name: "Check the request and dispatch the docs run",
            env: { GITHUB_TOKEN: expr("github.token") },
            run: script([`${DELIVERY} docs request --pr "$PR_NUMBER" --requested-by "$LABELLED_BY" --ref "$DEFAULT_BRANCH" --post`]),
          },
        ],
      },
      generate: {
        name: "docs (generate)",
        "runs-on": RUNNER,
        if: "github.event_name == 'workflow_dispatch'",
        environment: DOCS_ENVIRONMENT,
        permissions: { contents: "write", "id-token": "write", "pull-requests": "write" },
        permissionReasons: { contents: "commits the regenerated documents to the branch", "id-token": "the AWS docs role (OIDC), which trusts only the docs environment", "pull-requests": "reads the pull request's branch; for the default branch, opens the pull request of the regenerated documents" },
        concurrency: { group: "docs-generate-${{ inputs.pr || github.ref }}", "cancel-in-progress": false },
        "timeout-minutes": 60,
        env: { PR_NUMBER: expr("inputs.pr") },
        steps: [
          checkout({ ref: TRUSTED_REF }),
          ...nodeSetup(),
          {
            name: "Find the branch to regenerate",
            id: "branch",
            env: { GITHUB_TOKEN: expr("github.token") },
            run: script([
              'if [ -n "$PR_NUMBER" ]; then',
              `  ${DELIVERY} docs branch --pr "$PR_NUMBER" --github-output "$GITHUB_OUTPUT"`,
              "else",
              '  echo "branch=$GITHUB_REF_NAME" >> "$GITHUB_OUTPUT"',
              "fi",
            ]),
          },
          // The branch as data, with history for the rebase. No credentials are left in .git/config:
          // only the push step below holds the token, for its own git commands.
          {
            name: "Check out the branch to regenerate",
            uses: ACTIONS.checkout,
            with: { ref: expr("steps.branch.outputs.branch"), path: DOCS_TARGET_DIR, "persist-credentials": false, "fetch-depth": 0 },
          },
          awsLogin(cfg),
          {
            // The same command as `pulumi up` of the stack that owns the documents: the stack's Graft
            // configuration, classified retries, and graft.lock.json / dvc.lock / dvc.yaml kept in step.
            name: "Regenerate stale documents",
            run: script([`${DELIVERY} graft-generate --root ${DOCS_TARGET_DIR} --stack ${stack}`, `${DELIVERY} graft-status --root ${DOCS_TARGET_DIR} --stack ${stack} --check`]),
          },
          {
            name: "Commit and push (rebasing once on a concurrent push)",
            id: "commit",
            "working-directory": DOCS_TARGET_DIR,
            // Branch names are untrusted text: they reach the script only through this variable.
            env: { BRANCH: expr("steps.branch.outputs.branch"), GITHUB_TOKEN: expr("github.token"), REGENERATE_BRANCH: DOCS_REGENERATE_BRANCH },
            run: script([
              // The token as an HTTP header for this step's fetch and push only (what checkout would persist).
              'basic="$(printf \'x-access-token:%s\' "$GITHUB_TOKEN" | base64 -w0)"',
              'echo "::add-mask::$basic"',
              'remote="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY"',
              'authed() { git -c "http.extraheader=AUTHORIZATION: basic $basic" "$@"; }',
              'git config user.name "github-actions[bot]"',
              'git config user.email "41898282+github-actions[bot]@users.noreply.github.com"',
              // Everything the generator wrote: documents, graft.lock.json, dvc.yaml and dvc.lock.
              "git add -A",
              'if git diff --cached --quiet; then echo "No document changed."; exit 0; fi',
              'git commit -m "docs: regenerate stale Graft documents" -m "Generated by the docs-generate workflow, run $GITHUB_RUN_ID."',
              // The default branch takes pull requests only: propose the commit from the bot's branch,
              // rebuilt from the default branch every time (so the force push loses nothing).
              'if [ -z "$PR_NUMBER" ]; then',
              '  authed push --force "$remote" "HEAD:refs/heads/$REGENERATE_BRANCH"',
              '  echo "proposed=true" >> "$GITHUB_OUTPUT"',
              "  exit 0",
              "fi",
              'if authed push "$remote" "HEAD:refs/heads/$BRANCH"; then exit 0; fi',
              'echo "The branch moved while documents were generated; rebasing once."',
              'authed fetch "$remote" "refs/heads/$BRANCH"',
              "if ! git rebase FETCH_HEAD; then",
              "  git rebase --abort || true",
              '  echo "::error::Rebasing the generated documents onto the new head of $BRANCH conflicts. Pull the branch, regenerate locally (or label the PR again) and push."',
              "  exit 1",
              "fi",
              'if ! authed push "$remote" "HEAD:refs/heads/$BRANCH"; then',
              '  echo "::error::$BRANCH moved again during the rebase; label the PR again to retry."',
              "  exit 1",
              "fi",
            ]),
          },
          ...tokenSteps.map((step) => ({ ...step, if: step.if ? `${proposed} && ${step.if}` : proposed })),
          {
            name: "Open the pull request of the regenerated documents",
            if: proposed,
            env: { GITHUB_TOKEN: token, DEFAULT_BRANCH: expr("steps.branch.outputs.branch"), RUN_URL },
            run: script([`${DELIVERY} docs open-pr --head ${DOCS_REGENERATE_BRANCH} --base "$DEFAULT_BRANCH" --run-url "$RUN_URL"`]),
          },
        ],
      },
    },
  };
}
