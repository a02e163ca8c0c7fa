import { parse } from "yaml";
import { parseStackConfig } from "../../core/config";
import { readStackFile } from "../../core/stack-file";
import { gateProblems, injectionProblems, permissionProblems, triggerProblems, unpinnedActions } from "../../core/workflow-rules";
import { renderWorkflows } from "../../workflows";
import { REPO_ROOT } from "../harness/program";

const rules = { unpinnedActions, permissionProblems, triggerProblems, injectionProblems, gateProblems };

describe("workflow rules", () => {
  it.each(renderWorkflows(parseStackConfig(readStackFile(REPO_ROOT, "prod").config, "prod")).map((f) => [f.path, f.content]))("%s satisfies every rule", (_path, content) => {
    const doc = parse(content);
    for (const [name, rule] of Object.entries(rules)) expect({ name, problems: rule(doc) }).toEqual({ name, problems: [] });
  });

  it("finds each problem in a deliberately bad workflow", () => {
    const doc = parse(`
on:
  pull_request_target:
  issue_comment:
permissions: write-all
jobs:
  deploy:
    environment: prod
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - run: echo "\${{ github.event.comment.body }}"
`);
    expect(unpinnedActions(doc)).toEqual(['job "deploy" uses "actions/checkout@v4", which is not pinned to a full 40-character commit SHA']);
    expect(permissionProblems(doc)).toEqual(['top-level permissions must be read-only or empty; found "write-all"', 'job "deploy" asks for id-token: write but logs in to no cloud']);
    expect(triggerProblems(doc)).toEqual(["triggers on pull_request_target for more than `types: [labeled]`; that runs on PR content with the base repository's secrets; use pull_request"]);
    expect(injectionProblems(doc)).toEqual(['job "deploy" step "(unnamed)" interpolates ${{ github.event.comment.body }} into its script; pass it through env instead']);
    expect(gateProblems(doc)).toEqual(["deploys on comments but no job runs the permission gate (`delivery gate`)"]);
  });

  it("admits pull_request_target only for labels, and never with a checkout of a ref from the event", () => {
    const labelled = (ref: string) =>
      parse(`
on:
  pull_request_target:
    types: [labeled]
jobs:
  intent:
    steps:
      - uses: actions/checkout@${"a".repeat(40)}
        with:
          ref: ${ref}
`);
    expect(triggerProblems(labelled("${{ github.event.pull_request.head.sha }}"))).toEqual([
      'job "intent" checks out ${{ github.event.pull_request.head.sha }} under pull_request_target; check out only the commit the deploy gate verified (a job output)',
    ]);
    expect(triggerProblems(labelled("${{ github.head_ref }}"))).toHaveLength(1);
    expect(triggerProblems(labelled("${{ github.event.repository.default_branch }}"))).toEqual([]);
    expect(triggerProblems(labelled("${{ needs.intent.outputs.commit }}"))).toEqual([]);
  });

  it("requires every environment job to need the gate job", () => {
    const doc = parse(`
on: issue_comment
jobs:
  gate:
    steps: [{ run: "npx delivery gate --intent i.json" }]
  ok:
    needs: gate
    environment: dev
  rogue:
    environment: prod
`);
    expect(gateProblems(doc)).toEqual(['job "rogue" deploys to an environment without depending on the permission gate']);
  });
});
