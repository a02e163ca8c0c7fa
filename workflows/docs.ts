/**
 * Graft documentation workflows.
 *
 * - `docs.yml` validates on every pull request (and push to an environment branch) that no
 *   generated document is stale, with no credentials at all. It is a separate file from the
 *   generator on purpose: a workflow that also ran on `labeled` would report a *skipped* run of
 *   the same check name whenever someone adds a label, and a skipped required check counts as
 *   passing, so a label could turn a red check green.
 * - `docs-generate.yml` regenerates stale documents on the `docs:generate` label or a manual
 *   dispatch, inside the `docs` GitHub environment (the only subject the AWS docs role trusts),
 *   and commits them to the branch as github-actions[bot], rebasing once if someone pushed in the
 *   meantime and failing with a clear message if that rebase conflicts.
 */
import type { StackConfig } from "../core/config";
import { DOCS_GENERATE_LABEL } from "../core/labels";
import { DOCS_ENVIRONMENT } from "../core/oidc";
import { awsLogin, checkout, expr, nodeSetup, RUNNER, script } from "./common";
import type { Workflow } from "./model";

export const DOCS_WORKFLOW_FILE = "docs.yml";
export const DOCS_GENERATE_WORKFLOW_FILE = "docs-generate.yml";
/** The check name of the docs validation job (a required check). */
export const DOCS_CHECK_NAME = "docs (graft-status)";

/** Quotes one argv word for bash; `{prompt}` and friends become variable expansions. */
export function shellWord(word: string): string {
  const parts = word.split(/(\{prompt\}|\{output\}|\{stage\})/);
  return parts
    .filter((p) => p !== "")
    .map((p) => (p === "{prompt}" ? '"$prompt"' : p === "{output}" ? '"$output"' : p === "{stage}" ? '"$stage"' : `'${p.replace(/'/g, `'\\''`)}'`))
    .join("");
}

export function docsWorkflow(cfg: StackConfig): Workflow {
  return {
    file: DOCS_WORKFLOW_FILE,
    name: "Docs",
    header: "Fails when a Graft-generated document is stale. Needs no credentials.",
    on: { pull_request: { types: ["opened", "synchronize", "reopened"] }, push: { branches: cfg.environments.map((e) => e.branch) } },
    permissions: {},
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
              "if ! npx delivery graft-status --check; then",
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

export function docsGenerateWorkflow(cfg: StackConfig): Workflow {
  const generator = cfg.graft.generatorCommand.map(shellWord).join(" ");
  return {
    file: DOCS_GENERATE_WORKFLOW_FILE,
    name: "Docs generate",
    header: `Regenerates stale Graft documents on the '${DOCS_GENERATE_LABEL.name}' label or a manual dispatch, and commits them to the branch.`,
    on: { pull_request: { types: ["labeled"] }, workflow_dispatch: null },
    permissions: {},
    defaults: { run: { shell: "bash" } },
    jobs: {
      generate: {
        name: "docs (generate)",
        "runs-on": RUNNER,
        if: `github.event_name == 'workflow_dispatch' || (github.event.label.name == '${DOCS_GENERATE_LABEL.name}' && github.event.pull_request.head.repo.full_name == github.repository)`,
        environment: DOCS_ENVIRONMENT,
        permissions: { contents: "write", "id-token": "write" },
        concurrency: { group: "docs-generate-${{ github.event.pull_request.number || github.ref }}", "cancel-in-progress": false },
        "timeout-minutes": 60,
        env: {
          // Branch names are untrusted text: they reach the scripts only through this variable.
          BRANCH: expr("github.event.pull_request.head.ref || github.ref_name"),
        },
        steps: [
          // The branch itself, with history for the rebase; credentials kept because this job pushes.
          checkout({ ref: expr("github.event.pull_request.head.ref || github.ref"), persistCredentials: true, fetchDepth: 0 }),
          ...nodeSetup(),
          awsLogin(cfg),
          {
            name: "Regenerate stale documents",
            run: script([
              "npx delivery graft-status --json > \"$RUNNER_TEMP/stale.json\"",
              // Accept a list or {stale: [...]}; each entry names its prompt.
              "jq -r '(if type == \"array\" then . else (.stale // .documents // []) end)[] | select(.stale != false) | [.prompt, (.output // .path // \"\"), (.stage // \"\")] | @tsv' \"$RUNNER_TEMP/stale.json\" > \"$RUNNER_TEMP/stale.tsv\"",
              'if [ ! -s "$RUNNER_TEMP/stale.tsv" ]; then echo "Nothing is stale."; exit 0; fi',
              "while IFS=$'\\t' read -r prompt output stage; do",
              '  echo "::group::$prompt"',
              `  ${generator}`,
              '  echo "::endgroup::"',
              'done < "$RUNNER_TEMP/stale.tsv"',
            ]),
          },
          {
            name: "Commit and push (rebasing once on a concurrent push)",
            run: script([
              'git config user.name "github-actions[bot]"',
              'git config user.email "41898282+github-actions[bot]@users.noreply.github.com"',
              "git add -A -- ':(glob)**/*.md'",
              "if [ -f dvc.lock ]; then git add dvc.lock; fi",
              'if git diff --cached --quiet; then echo "No document changed."; exit 0; fi',
              'git commit -m "docs: regenerate stale Graft documents" -m "Generated by the docs-generate workflow, run $GITHUB_RUN_ID."',
              'if git push origin "HEAD:refs/heads/$BRANCH"; then exit 0; fi',
              'echo "The branch moved while documents were generated; rebasing once."',
              'git fetch origin "refs/heads/$BRANCH"',
              "if ! git rebase FETCH_HEAD; then",
              "  git rebase --abort || true",
              '  echo "::error::Rebasing the generated documents onto the new head of $BRANCH conflicts. Pull the branch, regenerate locally (or label the PR again) and push."',
              "  exit 1",
              "fi",
              'if ! git push origin "HEAD:refs/heads/$BRANCH"; then',
              '  echo "::error::$BRANCH moved again during the rebase; label the PR again to retry."',
              "  exit 1",
              "fi",
            ]),
          },
        ],
      },
    },
  };
}
