/**
 * The stand-in login actions' view of a job's environment (sandbox/actions/lib/standin.js): the
 * patched runner evaluates `environment:` when the job starts and hands the name to the job's
 * actions as ACT_DEPLOYMENT_ENVIRONMENT (empty for a job without one); the OIDC subject follows it.
 * Run outside that runner (the variable missing), the stand-in fails rather than taking the job
 * for one without an environment. The job's permissions come from the runner too
 * (ACT_JOB_PERMISSIONS): without `id-token: write` GitHub issues the job no OIDC token.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const STANDINS = path.join(__dirname, "..", "..", "sandbox", "actions");
function subject(environment: string | undefined, event = "issue_comment", permissions: string | null = '{"id-token":"write"}'): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ["-e", `process.stdout.write(require(${JSON.stringify(path.join(STANDINS, "lib", "standin.js"))}).oidcSubject())`], {
    env: {
      PATH: process.env.PATH,
      GITHUB_JOB: "unlock",
      ...(permissions === null ? {} : { ACT_JOB_PERMISSIONS: permissions }),
      GITHUB_REPOSITORY: "contoso/payments-service",
      GITHUB_EVENT_NAME: event,
      GITHUB_REF: "refs/heads/main",
      ...(environment === undefined ? {} : { ACT_DEPLOYMENT_ENVIRONMENT: environment }),
    },
    encoding: "utf8",
    cwd: path.join(__dirname, "..", ".."),
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

it("takes the environment the runner evaluated for the job", () => {
  expect(subject("dev")).toEqual({ status: 0, out: "repo:contoso/payments-service:environment:dev" });
});

it("gives a job without an environment the subject of its event and ref", () => {
  expect(subject("")).toEqual({ status: 0, out: "repo:contoso/payments-service:ref:refs/heads/main" });
  expect(subject("", "pull_request")).toEqual({ status: 0, out: "repo:contoso/payments-service:pull_request" });
});

it("fails outside the patched runner instead of assuming no environment", () => {
  const r = subject(undefined);
  expect(r.status).toBe(1);
  expect(r.out).toContain("ACT_DEPLOYMENT_ENVIRONMENT is not set");
});

it("issues no subject to a job without `id-token: write`, as GitHub issues it no token", () => {
  for (const permissions of ['{"contents":"read"}', '{"id-token":"read"}', "{}", '{"*":"read"}']) {
    const r = subject("dev", "issue_comment", permissions);
    expect(r.status).toBe(1);
    expect(r.out).toContain("Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable");
  }
  expect(subject("dev", "issue_comment", '{"*":"write"}')).toEqual({ status: 0, out: "repo:contoso/payments-service:environment:dev" });
  const outside = subject("dev", "issue_comment", null);
  expect(outside.status).toBe(1);
  expect(outside.out).toContain("ACT_JOB_PERMISSIONS is not set");
});
