import { parse } from "yaml";
import { ACTIONS } from "../../workflows/actions";
import { renderWorkflows, requiredCheckNames, previewCheckNames, promotionStatusPrefixes, workflowInputs, workflowLabels, workflows } from "../../workflows";
import { lint, lintTools, stackConfig, untrustedInterpolations } from "./helpers";

const cfg = stackConfig("prod");
const files = renderWorkflows(cfg);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const docs = Object.fromEntries(files.map((f) => [f.path, parse(f.content) as Any]));
const allJobs = files.flatMap((f) => Object.entries(docs[f.path].jobs as Record<string, Any>).map(([id, job]) => ({ file: f.path, id, job })));
/** `file#job` ids of a per-stack job, one per stack (e.g. preview.yml#preview-dev). */
const perStack = (id: string) => ["dev", "staging", "prod"].map((stack) => `${id}-${stack}`);
const allSteps = allJobs.flatMap(({ file, id, job }) => (job.steps as Any[]).map((step) => ({ file, job: id, jobDef: job, step })));

describe("rendered workflows", () => {
  // Builds actionlint and unpacks shellcheck on a machine that has neither yet (.ci/run does it first).
  beforeAll(() => void lintTools(), 600_000);

  it("renders the six workflow files", () => {
    expect(files.map((f) => f.path)).toEqual([".github/workflows/preview.yml", ".github/workflows/deploy.yml", ".github/workflows/docs.yml", ".github/workflows/docs-generate.yml", ".github/workflows/promote.yml", ".github/workflows/drift.yml"]);
  });

  it("is deterministic", () => {
    expect(renderWorkflows(stackConfig("prod"))).toEqual(files);
  });

  it.each(files.map((f) => [f.path, f.content]))("%s matches the reviewed snapshot", (_path, content) => {
    expect(content).toMatchSnapshot();
  });

  it.each(files.map((f) => [f.path, f.content]))("%s passes actionlint with no findings", async (path, content) => {
    expect(await lint(content, path)).toEqual([]);
  });

  it("the actionlint check does find real problems (it is not a no-op)", async () => {
    const bad = files[1].content.replace('delivery.js" intent --event', 'delivery.js" intent --event "${{ github.event.comment.body }}"');
    expect((await lint(bad, "bad.yml")).map((r) => r.message)).toEqual([expect.stringContaining('"github.event.comment.body" is potentially untrusted')]);
  });

  it("runs shellcheck on every run: script (it is not a no-op either)", async () => {
    const workflow = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: rm -rf $TARGET/build\n";
    expect((await lint(workflow, "unquoted.yml")).map((r) => `${r.kind}: ${r.message}`)).toEqual([expect.stringMatching(/^shellcheck: shellcheck reported issue in this script: SC2086:info:1:8: Double quote to prevent globbing/)]);
  });
});

describe("security rules", () => {
  it("pins every action to a full commit SHA with its version in a comment", () => {
    const usesLines = files.flatMap((f) => f.content.split("\n").filter((l) => /^\s*(- )?uses:/.test(l)));
    expect(usesLines.length).toBeGreaterThan(10);
    for (const line of usesLines) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    for (const a of Object.values(ACTIONS)) expect(a.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it("has empty top-level permissions", () => {
    for (const f of files) expect(docs[f.path].permissions).toEqual({});
  });

  it("shares no npm cache between jobs: /preview installs pull request code in the default branch's context", () => {
    const setups = allJobs.flatMap(({ job }) => (job.steps as Any[]).filter((step) => typeof step.uses === "string" && step.uses.startsWith("actions/setup-node@")));
    expect(setups.length).toBeGreaterThan(10);
    for (const step of setups) expect(step.with?.cache).toBeUndefined();
  });

  it("gives every job explicit permissions, write only where needed", () => {
    const allowedWrites: Record<string, string[]> = {
      "id-token": [...perStack("preview.yml#preview"), "deploy.yml#deploy-dev", "deploy.yml#deploy-staging", "deploy.yml#deploy-prod", ...perStack("deploy.yml#issueops-preview"), "deploy.yml#issueops-unlock", "docs-generate.yml#generate", "promote.yml#validate", ...perStack("drift.yml#drift")],
      // docs (request) replies when it refuses a label; docs (generate) opens the pull request of a default-branch run.
      // The deploy jobs and `/preview`'s preview jobs run the pull request's code and write nothing;
      // their report and comment jobs comment.
      "pull-requests": [...perStack("preview.yml#preview"), "docs-generate.yml#request", "docs-generate.yml#generate", "deploy.yml#intent", ...perStack("deploy.yml#report"), ...["dev", "staging", "prod"].map((e) => `deploy.yml#issueops-preview-${e}-comment`), "deploy.yml#issueops-promote", "deploy.yml#issueops-unlock", "promote.yml#act"],
      // docs (generate) pushes the documents; the promotion jobs create the promotion branch at the validated SHA.
      contents: ["docs-generate.yml#generate", "deploy.yml#issueops-promote", "promote.yml#act"],
      // The report jobs record the deployment of the commit their deploy job really deployed.
      deployments: perStack("deploy.yml#report"),
      // act reports the validations as commit statuses on the deployed SHA and asks for manual-test sign-off.
      statuses: ["promote.yml#act"],
      // drift opens, updates and closes one issue per stack.
      issues: ["promote.yml#act", ...perStack("drift.yml#drift")],
      // act dispatches the rollback through the deploy workflow.
      // docs (request) dispatches the docs run on the default branch; so does the report job of the
      // stack that owns the Graft documents, when its `pulumi up` left them stale (it does not generate).
      actions: ["promote.yml#act", "docs-generate.yml#request", "deploy.yml#report-prod"],
    };
    for (const { file, id, job } of allJobs) {
      expect(job.permissions).toBeDefined();
      for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
        if (level === "write") expect(allowedWrites[scope] ?? []).toContain(`${file.split("/").pop()}#${id}`);
      }
    }
  });

  it("asks for id-token: write exactly in the jobs that log in to a cloud", () => {
    const logins = new Set([ACTIONS.azureLogin.sha, ACTIONS.awsCredentials.sha]);
    for (const { job } of allJobs) {
      const usesOidc = (job.steps as Any[]).some((s) => typeof s.uses === "string" && logins.has(s.uses.split("@")[1]));
      expect(job.permissions["id-token"] === "write").toBe(usesOidc);
    }
  });

  it("triggers on pull_request_target only for deploy labels, and on workflow_run only where nothing of the triggering run is read", () => {
    const onTarget = files.filter((f) => "pull_request_target" in docs[f.path].on).map((f) => f.path);
    expect(onTarget).toEqual([".github/workflows/deploy.yml", ".github/workflows/docs-generate.yml"]);
    for (const f of onTarget) {
      expect(docs[f].on.pull_request_target).toEqual({ types: ["labeled"] });
      expect(files.find((x) => x.path === f)!.content).not.toMatch(/github\.event\.pull_request\.head|github\.head_ref/);
    }
    const onWorkflowRun = files.filter((f) => "workflow_run" in docs[f.path].on).map((f) => f.path);
    expect(onWorkflowRun).toEqual([".github/workflows/promote.yml"]);
    // workflow_run runs with the default branch's token: its head branch, commit and title are someone else's text.
    expect(docs[".github/workflows/promote.yml"]).toBeDefined();
    expect(files.find((f) => f.path === ".github/workflows/promote.yml")!.content).not.toMatch(/github\.event\.workflow_run|github\.head_ref|github\.event\.(deployment|deployment_status|issue|pull_request)\.(title|body|head_branch|description)/);
  });

  it("puts no ${{ }} expression inside any run script: values reach scripts through env", () => {
    const runs = allSteps.filter(({ step }) => typeof step.run === "string");
    expect(runs.length).toBeGreaterThan(15);
    for (const { file, job, step } of runs) {
      expect({ where: `${file}#${job}: ${step.name}`, found: untrustedInterpolations(step.run), any: /\$\{\{/.test(step.run) }).toEqual({ where: `${file}#${job}: ${step.name}`, found: [], any: false });
    }
  });

  it("the untrusted-interpolation scanner catches the classic injections", () => {
    expect(untrustedInterpolations('echo "${{ github.event.comment.body }}"')).toEqual(["${{ github.event.comment.body }}"]);
    expect(untrustedInterpolations("git push origin ${{ github.head_ref }}")).toHaveLength(1);
    expect(untrustedInterpolations("echo ${{ github.event.pull_request.title }} ${{ github.event.label.name }}")).toHaveLength(2);
    expect(untrustedInterpolations("deploy ${{ inputs.sha }} ${{ github.event.inputs.sha }}")).toHaveLength(2);
    expect(untrustedInterpolations("echo ${{ github.run_id }}")).toEqual([]);
  });

  it("keeps credentials out of .git/config, even in the one job that pushes", () => {
    const checkouts = allSteps.filter(({ step }) => typeof step.uses === "string" && step.uses.startsWith(`${ACTIONS.checkout.name}@`));
    expect(checkouts.length).toBeGreaterThan(10);
    for (const { step } of checkouts) expect(step.with["persist-credentials"]).toBe(false);
    // The docs run hands its token to the push step's own git commands, as a header.
    const push = (docs[".github/workflows/docs-generate.yml"].jobs.generate.steps as Any[]).find((s) => s.name.startsWith("Commit and push"));
    expect(push.env.GITHUB_TOKEN).toBe("${{ github.token }}");
    expect(push.run).toContain('authed push "$remote" "HEAD:refs/heads/$BRANCH"');
  });

  it("stores no cloud credentials: Azure and AWS come from OIDC and variables", () => {
    const text = files.map((f) => f.content).join("\n");
    expect(text).not.toMatch(/client-secret|aws-access-key-id|aws-secret-access-key|AZURE_CREDENTIALS|ARM_CLIENT_SECRET/);
    const secrets = [...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]);
    expect([...new Set(secrets)].sort()).toEqual([...new Set(Object.values(workflowInputs(cfg).secrets).flat())].sort());
  });

  it("reads only the variables it documents", () => {
    const text = files.map((f) => f.content).join("\n");
    const read = new Set([...text.matchAll(/vars\.([A-Z_]+)/g)].map((m) => m[1]));
    const inputs = workflowInputs(cfg);
    const documented = new Set([...inputs.environmentVariables, ...inputs.docsVariables.names, ...inputs.repositoryVariables]);
    for (const name of read) expect(documented).toContain(name);
    // Each stack's preview job names its preview identity's client id literally (no computed index).
    const previewJobs = docs[".github/workflows/preview.yml"].jobs as Record<string, Any>;
    const clientIds = Object.values(previewJobs).map((job) => (job.steps as Any[]).find((s) => s.name === "Log in to Azure (OIDC)").with["client-id"]);
    expect(clientIds).toEqual(["${{ vars.AZURE_PREVIEW_CLIENT_ID_DEV }}", "${{ vars.AZURE_PREVIEW_CLIENT_ID_STAGING }}", "${{ vars.AZURE_PREVIEW_CLIENT_ID_PROD }}"]);
  });
});

describe("the deploy workflow", () => {
  const deploy = docs[".github/workflows/deploy.yml"];

  it("triggers on new PR comments, labels, pushes to the environment branches and manual dispatch", () => {
    expect(deploy.on).toEqual({
      issue_comment: { types: ["created"] },
      pull_request_target: { types: ["labeled"] },
      push: { branches: ["dev", "test", "main"] },
      workflow_dispatch: expect.objectContaining({ inputs: expect.objectContaining({ environment: expect.objectContaining({ options: ["dev", "staging", "prod"] }) }) }),
    });
  });

  it.each(["dev", "staging", "prod"])("declares environment %s and a per-stack concurrency group", (env) => {
    const job = deploy.jobs[`deploy-${env}`];
    expect(job.environment).toBe(env);
    expect(job.concurrency).toEqual({ group: `deploy-${env}`, "cancel-in-progress": false });
    expect(job.needs).toEqual(["intent"]);
    expect(job.if).toContain("needs.intent.outputs.proceed == 'true'");
    expect(job.if).toContain(`needs.intent.outputs.environment == '${env}'`);
  });

  it("logs in to Azure with the environment's variables, and to AWS only where docs are regenerated", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const steps = deploy.jobs[`deploy-${env}`].steps as Any[];
      const azure = steps.find((s) => s.name === "Log in to Azure (OIDC)");
      expect(azure.with).toEqual({ "client-id": "${{ vars.AZURE_CLIENT_ID }}", "tenant-id": "${{ vars.AZURE_TENANT_ID }}", "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}" });
      const aws = steps.find((s) => s.name === "Log in to AWS (OIDC)");
      expect(Boolean(aws)).toBe(env === "prod");
    }
    const aws = (deploy.jobs["deploy-prod"].steps as Any[]).find((s) => s.name === "Log in to AWS (OIDC)");
    expect(aws.with["role-to-assume"]).toBe("${{ vars.AWS_DOCS_ROLE_ARN }}");
  });

  it("runs the permission gate before any deployment and re-checks the head right before it", () => {
    const intent = deploy.jobs.intent.steps as Any[];
    expect(intent.map((s) => s.run ?? "").join("\n")).toMatch(/delivery\.js" intent[\s\S]*delivery\.js" gate --intent intent\.json/);
    const prod = (deploy.jobs["deploy-prod"].steps as Any[]).map((s) => s.run ?? s.uses ?? "");
    const recheck = prod.findIndex((r) => r.includes('delivery.js" gate --recheck'));
    const up = prod.findIndex((r) => r.includes("npx pulumi up"));
    expect(recheck).toBeGreaterThan(-1);
    expect(up).toBeGreaterThan(recheck);
  });

  it("runs pulumi up once: the Bicep provider owns the retries, the workflow only classifies a failure", () => {
    const up = (deploy.jobs["deploy-dev"].steps as Any[]).find((s) => s.id === "up");
    expect(up.run.match(/npx pulumi up/g)).toHaveLength(1);
    expect(up.run).not.toMatch(/while|sleep|attempt/);
    expect(up.run).toContain('npx pulumi up --stack "$STACK" --yes');
    // The report job classifies a failure, from the log the deploy job hands over as data.
    const classify = (deploy.jobs["report-dev"].steps as Any[]).find((s) => s.name === "Classify a failure");
    expect(classify.run.split("\n")[0]).toBe('if [ -n "$UP_RESULT" ]; then node "$GITHUB_WORKSPACE/bin/delivery.js" classify "$OUTCOME_DIR/up.log" > classify.json || true');
  });

  it("uploads the audit records for 90 days, whatever happened", () => {
    const upload = (deploy.jobs["deploy-prod"].steps as Any[]).find((s) => s.name === "Upload the audit records");
    expect(upload.if).toBe("always()");
    expect(upload.with["retention-days"]).toBe(90);
  });

  it("checks out trusted tooling from the default branch in the gate", () => {
    const checkout = (deploy.jobs.intent.steps as Any[])[0];
    expect(checkout.with.ref).toBe("${{ github.event.repository.default_branch }}");
  });

  it.each(["dev", "staging", "prod"])("runs the commit deployed to %s in a job that writes nothing, and records and reports it in a trusted job after it", (env) => {
    const job = deploy.jobs[`deploy-${env}`];
    // Reads only: what `gate --recheck` reads, as the intent job's gate did (the runner's stand-in GitHub refuses anything less).
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "read", checks: "read", statuses: "read", issues: "read", deployments: "read", actions: "read" });
    const steps = job.steps as Any[];
    const names = steps.map((s) => s.name);
    expect(names.indexOf("Re-check the gates")).toBeLessThan(names.indexOf("Install the deployed commit's dependencies"));
    expect(steps.find((s) => s.id === "recheck").run).not.toContain("--post");
    expect(steps.some((s) => /promote record|pr-comment|dispatch-stale/.test(s.run ?? ""))).toBe(false);
    expect(job.outputs).toEqual({ rechecked: "${{ steps.recheck.outputs.passed }}", result: "${{ steps.up.outputs.result }}", duration: "${{ steps.up.outputs.duration }}" });
    // dev's and staging's Pulumi GitHub provider gets the read token or this job's token, which reads only.
    expect(steps.find((s) => s.id === "up").env.GITHUB_TOKEN).toBe(env === "prod" ? "${{ secrets.DELIVERY_GITHUB_ADMIN_TOKEN }}" : "${{ secrets.DELIVERY_GITHUB_READ_TOKEN || github.token }}");

    const report = deploy.jobs[`report-${env}`];
    expect(report.needs).toEqual(["intent", `deploy-${env}`]);
    expect(report.if).toMatch(/^always\(\) && needs\.intent\.result == 'success' && needs\.intent\.outputs\.proceed == 'true'/);
    expect(report.environment).toBeUndefined();
    expect(report.permissions).toEqual({ contents: "read", "pull-requests": "write", checks: "read", statuses: "read", issues: "read", deployments: "write", actions: env === "prod" ? "write" : "read" });
    expect(report.env).toMatchObject({ RECHECKED: `\${{ needs.deploy-${env}.outputs.rechecked }}`, UP_RESULT: `\${{ needs.deploy-${env}.outputs.result }}`, COMMIT: "${{ needs.intent.outputs.commit }}" });
    const rsteps = report.steps as Any[];
    // Trusted tooling only: the deployed commit is never installed or run here.
    expect(rsteps.some((s) => /npm ci|npm run|npx pulumi/.test(s.run ?? ""))).toBe(false);
    const record = rsteps.findIndex((s) => s.id === "record");
    const finish = rsteps.findIndex((s) => s.name === "Record the deployment's result");
    expect(record > -1 && finish > record).toBe(true);
    // Once the re-check passed, `pulumi up` may have run: the deployment is recorded whatever followed.
    expect(rsteps[record].if).toBe("env.RECHECKED == 'true'");
    expect(report.env.DEPLOY_RESULT).toBe(`\${{ needs.deploy-${env}.result }}`);
    // A job that ended before `up` reported anything is a failure of a known class, not a silence.
    const classifyStep = rsteps.find((s) => s.name === "Classify a failure");
    expect(classifyStep.if).toBe("env.RECHECKED == 'true' && env.UP_RESULT != 'success'");
    expect(classifyStep.run).toContain('classify --deploy-job-ended "$DEPLOY_RESULT" > classify.json');
    expect(rsteps[record].run).toContain('node "$GITHUB_WORKSPACE/bin/delivery.js" promote record start --environment "$STACK" --commit "$COMMIT" "${extra[@]}" --run-url "$RUN_URL" --requested-by "$REQUESTED_BY" --github-output "$GITHUB_OUTPUT"');
    expect(rsteps[record].run).toContain('if [ "$ACTION" = rollback ]; then extra=(--rollback); fi');
    // After the first environment, the deployment records the commit validated before it, as the intent job proved it.
    expect(rsteps[record].env.VALIDATED_COMMIT).toBe(env === "dev" ? "" : "${{ needs.intent.outputs.validated_commit }}");
    expect(rsteps[finish].if).toBe("always() && steps.record.outputs.deployment_id != ''");
    expect(rsteps[finish].run).toContain('node "$GITHUB_WORKSPACE/bin/delivery.js" promote record finish --deployment-id "$DEPLOYMENT_ID" --result "$RESULT" --classify classify.json --run-url "$RUN_URL" --stack-outputs "$OUTCOME_DIR/stack-outputs.json"');
    // Recorded and reported alike: anything but a successful `up` is a failure.
    expect(report.env.RESULT).toBe(`\${{ needs.deploy-${env}.outputs.result == 'success' && 'success' || 'failure' }}`);
    expect(rsteps.find((s) => s.name === "Report the result").run).toContain('--result "$RESULT"');
    const nothing = rsteps.find((s) => s.name === "Say why nothing was deployed");
    expect(nothing.if).toBe("!(env.RECHECKED == 'true')");
    expect(nothing.run).toContain("--post; then");
    expect(nothing.run).toContain('--result "$DEPLOY_RESULT" --ended-before-recheck');
    // The outcome crosses as an artifact: the deploy job's `pulumi up` log and stack outputs.
    const handed = steps.find((s) => s.name === "Hand the outcome to the report job");
    const read = rsteps.find((s) => s.name === "Read the deploy job's outcome");
    expect(read.with.name).toBe(handed.with.name);
    expect(handed.with.name).toBe(`deploy-outcome-${env}-\${{ github.run_id }}-\${{ github.run_attempt }}`);
    // The deployed commit is the gate's, a full SHA; the deploy jobs run for deploys and rollbacks alike.
    expect(job.env.COMMIT).toBe("${{ needs.intent.outputs.commit }}");
  });

  it("runs /preview's pull request code with no token that writes, and comments from a trusted job that reads its output as data", () => {
    for (const env of ["dev", "staging", "prod"]) {
      const preview = deploy.jobs[`issueops-preview-${env}`];
      expect(preview.permissions).toEqual({ contents: "read", "id-token": "write" });
      const steps = preview.steps as Any[];
      expect(steps.some((s) => /pr-comment/.test(s.run ?? ""))).toBe(false);
      expect(steps.find((s) => s.name === "Hand the preview to the comment job").with).toMatchObject({ name: `preview-outcome-\${{ github.run_attempt }}-${env}`, path: "preview.log\ngraft-status.json\n" });
      const comment = deploy.jobs[`issueops-preview-${env}-comment`];
      expect(comment.needs).toEqual(["intent", `issueops-preview-${env}`]);
      expect(comment.permissions).toEqual({ contents: "read", "pull-requests": "write" });
      const csteps = comment.steps as Any[];
      expect(csteps[0].with.ref).toBe("${{ github.event.repository.default_branch }}");
      expect(csteps.some((s) => /npm ci|npm run|npx pulumi/.test(s.run ?? ""))).toBe(false);
      expect(csteps.at(-1).run).toContain('--log "$OUTCOME_DIR/preview.log"');
      // A preview that changed nothing leaves no what-ifs: the comment is posted without them.
      expect(csteps.find((s) => s.name === "Read the what-ifs")["continue-on-error"]).toBe(true);
    }
  });

  it("proves the validated tree in the intent job, before any deploy job, and says why when it refuses", () => {
    const steps = deploy.jobs.intent.steps as Any[];
    const names = steps.map((s) => s.name);
    const tree = steps.find((s) => s.id === "tree");
    expect(names.indexOf("Verify the validated tree")).toBeGreaterThan(names.indexOf("Check the gates and reply"));
    expect(tree.if).toBe("steps.gate.outputs.proceed == 'true' && steps.gate.outputs.action == 'deploy' && steps.gate.outputs.environment != 'dev'");
    // The App's token where there is one: the sign-off reviewers' teams are not readable with GITHUB_TOKEN.
    expect(tree.env.GITHUB_TOKEN).toBe("${{ steps.app-token.outputs.token || github.token }}");
    expect(tree.run).toBe('node "$GITHUB_WORKSPACE/bin/delivery.js" promote verify-tree --environment "$STACK" --commit "$COMMIT" --github-output "$GITHUB_OUTPUT" | tee tree.json\n');
    expect(deploy.jobs.intent.outputs.validated_commit).toBe("${{ steps.tree.outputs.validated_commit }}");
    const why = steps.find((s) => s.name === "Say why the commit was refused");
    expect(why.if).toBe("failure() && steps.tree.outcome == 'failure'");
    expect(why.run).toContain("--result failure --tree-verdict tree.json");
    for (const env of ["dev", "staging", "prod"]) expect((deploy.jobs[`deploy-${env}`].steps as Any[]).some((s) => s.id === "tree")).toBe(false);
  });

  it("reads the promotion facts in the gate (freeze, last known-good, /promote) with read-only scopes", () => {
    expect(deploy.jobs.intent.permissions).toEqual({ contents: "read", "pull-requests": "write", issues: "read", checks: "read", statuses: "read", deployments: "read", actions: "read" });
    expect(deploy.jobs.intent.if).toContain("github.event_name == 'push'");
    expect(deploy.jobs.intent.outputs.from).toBe("${{ steps.gate.outputs.from }}");
  });

  it("handles /promote after the gate, in the repository-wide promotion group, opening only the PR the machine asks for", () => {
    const job = deploy.jobs["issueops-promote"];
    expect(job.needs).toEqual(["intent"]);
    expect(job.if).toBe("needs.intent.outputs.proceed == 'true' && needs.intent.outputs.action == 'promote'");
    // The promotion App's key is a secret of the promotion environment only; no deployment is recorded.
    expect(job.environment).toEqual({ name: "promotion", deployment: false });
    expect(job.concurrency).toEqual({ group: "promote", "cancel-in-progress": false });
    expect(job.permissions).toEqual({ contents: "write", "pull-requests": "write", deployments: "read", issues: "read", actions: "read", checks: "read", statuses: "read" });
    const run = (job.steps as Any[]).map((s) => s.run ?? "").join("\n");
    const next = run.indexOf('node "$GITHUB_WORKSPACE/bin/delivery.js" promote next --facts promotion-facts.json');
    const act = run.indexOf('node "$GITHUB_WORKSPACE/bin/delivery.js" promote act --facts promotion-facts.json --only open-pr --run-url "$RUN_URL"');
    expect([next > -1, act > next]).toEqual([true, true]);
    expect(run).toContain(`jq -e --arg from "$FROM" --arg to "$TO" 'any(.actions[]; .kind == "open-pr" and .from == $from and .to == $to)' next.json`);
    expect(job.env).toMatchObject({ FROM: "${{ needs.intent.outputs.from }}", TO: "${{ needs.intent.outputs.environment }}" });
  });
});

describe("the promote workflow", () => {
  const promote = docs[".github/workflows/promote.yml"];

  it("triggers on deploy runs, deployment and commit statuses, closed promotion PRs and failure issues, a schedule and dispatch", () => {
    expect(promote.on).toEqual({
      workflow_run: { workflows: ["Deploy"], types: ["completed"] },
      deployment_status: null,
      status: null,
      pull_request: { types: ["closed"], branches: ["test", "main"] },
      issues: { types: ["closed"] },
      schedule: [{ cron: "*/15 * * * *" }],
      workflow_dispatch: {},
    });
    expect(docs[".github/workflows/deploy.yml"].name).toBe("Deploy");
  });

  it("runs one promotion at a time across the repository, with empty top-level permissions", () => {
    expect(promote.concurrency).toEqual({ group: "promote", "cancel-in-progress": false });
    expect(promote.permissions).toEqual({});
  });

  it("gives each job only what it needs", () => {
    expect(Object.fromEntries(Object.entries(promote.jobs as Record<string, Any>).map(([id, job]) => [id, job.permissions]))).toEqual({
      decide: { contents: "read", deployments: "read", "pull-requests": "read", issues: "read", actions: "read", checks: "read", statuses: "read" },
      validate: { contents: "read", deployments: "read", "id-token": "write" },
      act: { contents: "write", "pull-requests": "write", issues: "write", actions: "write", statuses: "write", deployments: "read", checks: "read" },
    });
    // decide and act read the promotion App's key, a secret of the `promotion` environment only
    // (no deployment recorded); validate runs the deployed commit's checks with no secret at all.
    expect(Object.fromEntries(Object.entries(promote.jobs as Record<string, Any>).map(([id, job]) => [id, job.environment]))).toEqual({
      decide: { name: "promotion", deployment: false },
      validate: undefined,
      act: { name: "promotion", deployment: false },
    });
  });

  it("logs in to Azure read-only, for production's monitors only", () => {
    const login = (promote.jobs.validate.steps as Any[]).find((s) => typeof s.uses === "string" && s.uses.startsWith("azure/login@"));
    expect(login.if).toBe("matrix.environment == 'prod'");
    expect(login.with).toEqual({ "client-id": "${{ vars.AZURE_PREVIEW_CLIENT_ID_PROD }}", "tenant-id": "00000000-0000-0000-0000-000000000000", "subscription-id": "00000000-0000-0000-0000-000000000000" });
  });

  it("filters cheaply: only validation and sign-off statuses, only failure issues, only same-repository pull requests", () => {
    expect(promotionStatusPrefixes()).toEqual(["health (", "smoke (", "monitors (", "manual-test ("]);
    const cond = promote.jobs.decide.if as string;
    for (const p of promotionStatusPrefixes()) expect(cond).toContain(`startsWith(github.event.context, '${p}')`);
    expect(cond).toContain("(github.event_name != 'issues' || contains(github.event.issue.labels.*.name, 'deployment-failure'))");
    expect(cond).toContain("github.event.pull_request.head.repo.full_name == github.repository");
  });

  it("decides from facts read once, and puts the status with its Mermaid diagram in the job summary", () => {
    const step = (promote.jobs.decide.steps as Any[]).find((s) => s.id === "next");
    expect(step.run).toBe(
      [
        'node "$GITHUB_WORKSPACE/bin/delivery.js" promote facts > promotion-facts.json',
        'node "$GITHUB_WORKSPACE/bin/delivery.js" promote next --facts promotion-facts.json --github-output "$GITHUB_OUTPUT"',
        'node "$GITHUB_WORKSPACE/bin/delivery.js" promote status --facts promotion-facts.json --summary "$GITHUB_STEP_SUMMARY"',
        "",
      ].join("\n"),
    );
    expect(promote.jobs.decide.outputs).toEqual({
      actions: "${{ steps.next.outputs.actions }}",
      has_actions: "${{ steps.next.outputs.has_actions }}",
      validate: "${{ steps.next.outputs.validate }}",
      frozen: "${{ steps.next.outputs.frozen }}",
    });
  });

  it("validates what the machine asks for with no token that writes, reads the record before any of the commit runs, and hands the outcomes over as an artifact", () => {
    const job = promote.jobs.validate;
    expect(job.needs).toEqual(["decide"]);
    expect(job.if).toBe("needs.decide.outputs.validate != '[]'");
    expect(job.strategy.matrix).toEqual({ include: "${{ fromJSON(needs.decide.outputs.validate) }}" });
    expect(job["timeout-minutes"]).toBe(150); // prod soaks 120 minutes and its monitors watch the soak
    const steps = job.steps as Any[];
    const names = steps.map((s) => s.name);
    expect(names.indexOf("Read what the deploy job recorded")).toBeLessThan(names.indexOf("Check out the deployed commit"));
    const run = steps.map((s) => s.run ?? "").join("\n");
    expect(run).not.toContain("promote check");
    expect(run).toContain('env -u GITHUB_TOKEN npm run "$kind" -- --environment "$ENVIRONMENT" --commit "$SHA"');
    expect(steps.at(-1)).toMatchObject({ if: "always()", uses: expect.stringMatching(/^actions\/upload-artifact@[0-9a-f]{40}$/), with: { name: "validation-${{ matrix.environment }}", path: "${{ runner.temp }}/delivery-validation/results.json" } });
  });

  it("reports the validation outcomes from act, with the job's token, for what decide asked", () => {
    const steps = promote.jobs.act.steps as Any[];
    const names = steps.map((s) => s.name);
    const ran = "needs.validate.result == 'success' || needs.validate.result == 'failure'";
    expect(steps.find((s) => s.name === "Download the validation outcomes")).toMatchObject({ if: ran, uses: expect.stringMatching(/^actions\/download-artifact@[0-9a-f]{40}$/), with: { pattern: "validation-*", path: "${{ runner.temp }}/delivery-validation-outcomes" } });
    const report = steps.find((s) => s.name === "Report the validations on the deployed commits");
    expect(report).toMatchObject({ if: ran, env: { GITHUB_TOKEN: "${{ github.token }}", VALIDATE: "${{ needs.decide.outputs.validate }}", RESULTS_DIR: "${{ runner.temp }}/delivery-validation-outcomes" } });
    expect(report.run).toBe('node "$GITHUB_WORKSPACE/bin/delivery.js" promote report-validations --validate "$VALIDATE" --results "$RESULTS_DIR" --run-url "$RUN_URL"\n');
    expect(names.indexOf("Report the validations on the deployed commits")).toBeLessThan(names.indexOf("Act on the decision"));
  });

  it("acts after validation (when there is something to do), then summarises the pipeline", () => {
    const job = promote.jobs.act;
    expect(job.needs).toEqual(["decide", "validate"]);
    expect(job.if).toBe("always() && needs.decide.result == 'success' && (needs.decide.outputs.has_actions == 'true' || needs.validate.result == 'success' || needs.validate.result == 'failure')");
    const steps = job.steps as Any[];
    expect(steps.find((s) => s.name === "Act on the decision").run).toBe('node "$GITHUB_WORKSPACE/bin/delivery.js" promote act --run-url "$RUN_URL"\n');
    expect(steps.find((s) => s.name === "Summarise the pipeline")).toMatchObject({ if: "always()", run: 'node "$GITHUB_WORKSPACE/bin/delivery.js" promote status --summary "$GITHUB_STEP_SUMMARY"\n' });
  });

  it("acts as the promotion App when one is configured, narrowed to the job's scopes, else with the job's token", () => {
    const steps = promote.jobs.act.steps as Any[];
    const app = steps.find((s) => s.id === "app-token");
    expect(app.if).toBe("vars.PROMOTION_APP_ID != ''");
    expect(app.uses).toBe(`${ACTIONS.createGithubAppToken.name}@${ACTIONS.createGithubAppToken.sha}`);
    expect(app.with).toEqual({
      "app-id": "${{ vars.PROMOTION_APP_ID }}",
      "private-key": "${{ secrets.PROMOTION_APP_PRIVATE_KEY }}",
      "permission-contents": "write",
      "permission-pull-requests": "write",
      "permission-issues": "write",
      "permission-actions": "write",
      "permission-statuses": "write",
      "permission-deployments": "read",
      "permission-checks": "read",
      "permission-members": "read",
    });
    expect(steps.find((s) => s.name === "Act on the decision").env.GITHUB_TOKEN).toBe("${{ steps.app-token.outputs.token || github.token }}");
  });

  it("checks out only the default branch's tooling (and the deployed commit, for its own checks)", () => {
    for (const job of Object.values(promote.jobs as Record<string, Any>)) {
      const checkouts = (job.steps as Any[]).filter((s) => typeof s.uses === "string" && s.uses.startsWith(`${ACTIONS.checkout.name}@`));
      expect(checkouts[0].with.ref).toBe("${{ github.event.repository.default_branch }}");
      for (const c of checkouts.slice(1)) expect(c.with).toEqual({ ref: "${{ matrix.sha }}", path: "target", "persist-credentials": false });
    }
  });
});

describe("the preview workflow", () => {
  const preview = docs[".github/workflows/preview.yml"];
  it("names its checks as previewCheckNames says, one per stack", () => {
    expect(previewCheckNames(cfg)).toEqual(["preview (dev)", "preview (staging)", "preview (prod)"]);
    const names = Object.values(preview.jobs as Record<string, Any>).map((job) => job.name);
    expect(names).toEqual(previewCheckNames(cfg));
    expect(requiredCheckNames(cfg)).toEqual([...previewCheckNames(cfg), docs[".github/workflows/docs.yml"].jobs["graft-status"].name]);
  });

  it("runs pulumi preview with the stack's policy config", () => {
    const step = (preview.jobs["preview-dev"].steps as Any[]).find((s) => s.id === "preview");
    expect(step.run).toContain('npx pulumi preview --stack "$STACK" --non-interactive --diff --policy-pack policies --policy-pack-config "policies/config/$STACK.json"');
  });

  it("does not run on labels, so a label cannot turn a required check green", () => {
    expect(preview.on.pull_request.types).not.toContain("labeled");
    expect(docs[".github/workflows/docs.yml"].on.pull_request.types).not.toContain("labeled");
  });
});

describe("the docs workflows", () => {
  it("validates without credentials", () => {
    const job = docs[".github/workflows/docs.yml"].jobs["graft-status"];
    expect(job.permissions).toEqual({ contents: "read" });
    expect(job.environment).toBeUndefined();
    expect((job.steps as Any[]).map((s) => s.run ?? "").join("")).toContain('node "$GITHUB_WORKSPACE/bin/delivery.js" graft-status --stack prod --check');
  });

  it("asks from the label without credentials, and generates in the docs environment on the default branch, as the bot, rebasing once", () => {
    const request = docs[".github/workflows/docs-generate.yml"].jobs.request;
    expect(request.if).toContain("github.event.label.name == 'docs:generate'");
    expect(request.environment).toBeUndefined();
    expect(request.permissions["id-token"]).toBeUndefined();
    const job = docs[".github/workflows/docs-generate.yml"].jobs.generate;
    expect(job.environment).toBe("docs");
    expect(job.if).toBe("github.event_name == 'workflow_dispatch'");
    const step = (job.steps as Any[]).find((s) => s.name.startsWith("Commit and push"));
    expect(step.env.BRANCH).toBe("${{ steps.branch.outputs.branch }}");
    const push = step.run as string;
    expect(push).toContain('git config user.name "github-actions[bot]"');
    expect(push.match(/git rebase FETCH_HEAD/g)).toHaveLength(1);
    expect(push).toContain("::error::Rebasing the generated documents onto the new head of $BRANCH conflicts.");
  });

  it("regenerates through delivery graft-generate with the stack's config, then proves nothing is stale", () => {
    const regenerate = (docs[".github/workflows/docs-generate.yml"].jobs.generate.steps as Any[]).find((s) => s.name === "Regenerate stale documents").run as string;
    expect(regenerate).toBe('node "$GITHUB_WORKSPACE/bin/delivery.js" graft-generate --root target --stack prod\nnode "$GITHUB_WORKSPACE/bin/delivery.js" graft-status --root target --stack prod --check\n');
  });
});

describe("what the components need", () => {
  it("lists the labels the workflows react to", () => {
    expect(workflowLabels(cfg).map((l) => l.name)).toEqual(["deploy:dev", "deploy:staging", "deploy:prod", "approved:prod", "docs:generate"]);
  });
  it("lists the variables and secrets the workflows read", () => {
    expect(workflowInputs(cfg)).toEqual({
      environmentVariables: ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"],
      docsVariables: { environments: ["docs", "prod"], names: ["AWS_DOCS_ROLE_ARN"] },
      repositoryVariables: ["PULUMI_BACKEND_URL", "AZURE_STORAGE_ACCOUNT", "PROMOTION_APP_ID", "AWS_PREVIEW_ROLE_ARN", "AZURE_PREVIEW_CLIENT_ID_DEV", "AZURE_PREVIEW_CLIENT_ID_STAGING", "AZURE_PREVIEW_CLIENT_ID_PROD"],
      // Environment secrets only: administration in production alone, read-only credentials in the preview environments.
      secrets: {
        dev: ["PULUMI_CONFIG_PASSPHRASE", "DELIVERY_GITHUB_READ_TOKEN"],
        "dev-preview": ["PULUMI_CONFIG_PASSPHRASE", "DELIVERY_GITHUB_READ_TOKEN"],
        docs: ["PROMOTION_APP_PRIVATE_KEY"],
        staging: ["PULUMI_CONFIG_PASSPHRASE", "DELIVERY_GITHUB_READ_TOKEN"],
        "staging-preview": ["PULUMI_CONFIG_PASSPHRASE", "DELIVERY_GITHUB_READ_TOKEN"],
        prod: ["PULUMI_CONFIG_PASSPHRASE", "DELIVERY_GITHUB_ADMIN_TOKEN"],
        "prod-preview": ["PULUMI_CONFIG_PASSPHRASE", "DELIVERY_GITHUB_READ_TOKEN"],
        promotion: ["PROMOTION_APP_PRIVATE_KEY"],
      },
    });
  });
  it("keeps workflows as data", () => {
    expect(workflows(cfg).map((w) => w.file)).toEqual(["preview.yml", "deploy.yml", "docs.yml", "docs-generate.yml", "promote.yml", "drift.yml"]);
  });
});
