/**
 * The stand-ins' view of a job's environment (sandbox/actions/lib/standin.js): GitHub evaluates
 * `environment: ${{ needs.intent.outputs.environment }}` before the job starts, and the OIDC subject
 * and branch policy follow the evaluated name. The stand-in reads it from the step outputs the
 * harness records; an expression it cannot evaluate, or an empty output, fails rather than being
 * taken for "no environment".
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const STANDINS = path.join(__dirname, "..", "..", "sandbox", "actions");
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "standin-env-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function subject(environment: string, intentOutput: string, stepOutputs: unknown): { status: number | null; out: string } {
  const workflow = [
    "on: issue_comment",
    "jobs:",
    "  intent:",
    "    runs-on: ubuntu-latest",
    "    outputs:",
    `      environment: ${JSON.stringify(intentOutput)}`,
    "    steps: []",
    "  unlock:",
    "    runs-on: ubuntu-latest",
    "    needs: [intent]",
    "    permissions: { id-token: write }",
    `    environment: { name: ${JSON.stringify(environment)}, deployment: false }`,
    "    steps: []",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "workflow.yml"), workflow);
  fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(stepOutputs));
  const r = spawnSync(process.execPath, ["-e", `process.stdout.write(require(${JSON.stringify(path.join(STANDINS, "lib", "standin.js"))}).oidcSubject())`], {
    env: {
      PATH: process.env.PATH,
      DELIVERY_RUNNER_WORKFLOW_FILE: path.join(dir, "workflow.yml"),
      DELIVERY_RUNNER_STEP_OUTPUTS: path.join(dir, "outputs.json"),
      GITHUB_JOB: "unlock",
      GITHUB_REPOSITORY: "contoso/payments-service",
      GITHUB_EVENT_NAME: "issue_comment",
      GITHUB_REF: "refs/heads/main",
    },
    encoding: "utf8",
    cwd: path.join(__dirname, "..", ".."),
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

it("evaluates needs.JOB.outputs.KEY through the job's outputs to the step output the run recorded", () => {
  expect(subject("${{ needs.intent.outputs.environment }}", "${{ steps.gate.outputs.environment }}", { intent: { gate: { environment: "dev" } } })).toEqual({
    status: 0,
    out: "repo:contoso/payments-service:environment:dev",
  });
  expect(subject("staging", "", {})).toEqual({ status: 0, out: "repo:contoso/payments-service:environment:staging" });
});

it("fails on an empty output or an expression it cannot evaluate, instead of assuming no environment", () => {
  const empty = subject("${{ needs.intent.outputs.environment }}", "${{ steps.gate.outputs.environment }}", { intent: { gate: {} } });
  expect(empty.status).toBe(1);
  expect(empty.out).toContain("is empty: step gate of job intent set no output environment");
  const other = subject("${{ github.event.inputs.environment }}", "", {});
  expect(other.status).toBe(1);
  expect(other.out).toContain("evaluates a job's environment only as ${{ needs.JOB.outputs.KEY }}");
});
