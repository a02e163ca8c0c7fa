/**
 * Which endpoints a deployment has, when the check runs on a runner that did not deploy it (the
 * promote workflow's validation job): the deploy job records the endpoint its outputs name as the
 * success status's `environment_url` (`promote record finish --stack-outputs`), the validation job's
 * trusted step writes it down (`promote record export`), and `delivery validate` checks it.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { run } from "../../../cli/main";
import { deploymentEnvironmentUrl, DEPLOYMENT_OUTPUTS_KEY, pickDeploymentRecord, resolveHealthTargets, type AuditRecordSummary } from "../../../core/validate";
import { captureIo } from "../../harness/cli";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const OTHER = "fedcba9876543210fedcba9876543210fedcba98";
const REPO = "/repos/contoso/payments-service";
const ENV = { GITHUB_REPOSITORY: "contoso/payments-service", GITHUB_TOKEN: "ghs_test" };

const none = { environment: "dev", configured: [], declaredNone: undefined } as const;

describe("resolveHealthTargets: the URL a GitHub deployment recorded", () => {
  it("checks the recorded https URL, naming the deployment", () => {
    expect(resolveHealthTargets({ ...none, deployment: { recordName: "GitHub deployment 7", environmentUrl: "https://func-payments-dev.azurewebsites.net/" } })).toEqual({
      kind: "targets",
      targets: [{ url: "https://func-payments-dev.azurewebsites.net/", source: "environment_url of GitHub deployment 7" }],
      notes: [],
    });
  });

  it("fails when the deployment recorded no URL, or one that is not https off loopback", () => {
    const missing = resolveHealthTargets({ ...none, deployment: { recordName: "GitHub deployment 7", environmentUrl: null } });
    expect(missing).toEqual({
      kind: "nothing-to-check",
      reason:
        "no endpoint to check: none configured (environments[dev].bicep.healthEndpoints) and GitHub deployment 7 records no environment_url (no output of the deployment names an endpoint); add an output ending in HostName or healthUrl, configure environments[dev].bicep.healthEndpoints, or say dev has none with environments[dev].bicep.noHealthEndpoints.reason",
    });
    const plain = resolveHealthTargets({ ...none, deployment: { recordName: "GitHub deployment 7", environmentUrl: "http://func-payments-dev.azurewebsites.net/" } });
    expect(plain.kind).toBe("nothing-to-check");
    expect(plain.kind === "nothing-to-check" && plain.reason).toContain('records environment_url "http://func-payments-dev.azurewebsites.net/", which is not an https URL');
  });

  it("still lets configured endpoints win", () => {
    const r = resolveHealthTargets({ ...none, configured: ["https://api.example.com/health"], deployment: { recordName: "GitHub deployment 7", environmentUrl: "https://x.example.com/" } });
    expect(r.kind === "targets" && r.targets.map((t) => t.url)).toEqual(["https://api.example.com/health"]);
  });
});

describe("deploymentEnvironmentUrl: what the deploy job records", () => {
  it("is the first endpoint the outputs name, by the checks' own rule, and says which were not recorded", () => {
    expect(
      deploymentEnvironmentUrl({ recordName: "r", outputs: { functionAppHostName: { type: "String", value: "func-dev.azurewebsites.net" }, zApiHostName: "api-dev.example.com", storageAccountName: "st" } }),
    ).toEqual({ url: "https://func-dev.azurewebsites.net/", source: "output functionAppHostName of r", notRecorded: ["https://api-dev.example.com/"] });
  });

  it("names why there is none", () => {
    expect(deploymentEnvironmentUrl({ recordName: "r", outputs: { storageAccountName: "st", functionAppHostName: "[app.properties.defaultHostName]" } })).toEqual({
      problem: 'no output of r names an endpoint (output functionAppHostName is "[app.properties.defaultHostName]", not a host name)',
    });
    expect(deploymentEnvironmentUrl({ problem: "no record" })).toEqual({ problem: "no record" });
  });
});

describe("pickDeploymentRecord: GitHub deployment records", () => {
  const record = (over: Partial<AuditRecordSummary>): AuditRecordSummary => ({
    file: "github-deployment-7.json",
    kind: "github-deployment",
    stack: "dev",
    result: "succeeded",
    gitSha: SHA,
    finishedAt: "2026-12-01T10:00:00Z",
    outputs: undefined,
    environmentUrl: "https://func-dev.azurewebsites.net/",
    deploymentId: 7,
    ...over,
  });

  it("is the deployment of the commit asked about", () => {
    expect(pickDeploymentRecord([record({})], "dev", SHA, "dir")).toEqual({ recordName: "GitHub deployment 7 (github-deployment-7.json)", environmentUrl: "https://func-dev.azurewebsites.net/" });
    expect(pickDeploymentRecord([record({ environmentUrl: null })], "dev", SHA, "dir")).toEqual({ recordName: "GitHub deployment 7 (github-deployment-7.json)", environmentUrl: null });
  });

  it("is not the record of another commit or stack", () => {
    expect(pickDeploymentRecord([record({ gitSha: OTHER })], "dev", SHA, "dir")).toEqual({ problem: `no successful deployment of ${SHA} is recorded for stack dev in dir (newest: ${OTHER})` });
    expect("problem" in pickDeploymentRecord([record({ stack: "prod" })], "dev", SHA, "dir")).toBe(true);
    expect("problem" in pickDeploymentRecord([record({ environmentUrl: 42 })], "dev", SHA, "dir")).toBe(true);
  });
});

/** A strict stand-in for `request`: answers only the routes given, records every call. */
function fakeGitHub(routes: Record<string, (params: Record<string, unknown>) => unknown>) {
  const calls: { route: string; params: Record<string, unknown> }[] = [];
  const client = {
    request: async (route: string, params: Record<string, unknown> = {}) => {
      calls.push({ route, params });
      const answer = routes[route];
      if (!answer) throw Object.assign(new Error(`Mock not implemented: ${route}`), { status: 501 });
      return { status: 200, data: answer(params) };
    },
  };
  return { calls, factory: async () => client as never };
}

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

describe("delivery promote record finish --stack-outputs", () => {
  function outputsFile(content: unknown): string {
    const file = path.join(tmp("stack-outputs-"), "stack-outputs.json");
    fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
    return file;
  }
  const statusRoute = `POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses`;

  it("records the endpoint the deployment's outputs name as the success status's environment_url", async () => {
    const gh = fakeGitHub({ [statusRoute]: () => ({ id: 1 }) });
    const file = outputsFile({ resourceGroupName: "rg", [DEPLOYMENT_OUTPUTS_KEY]: { functionAppHostName: "127.0.0.1:4312", storageAccountName: "st" } });
    const c = captureIo({ env: ENV });
    expect(await run(["promote", "record", "finish", "--deployment-id", "7", "--result", "success", "--stack-outputs", file], c.io, { github: gh.factory })).toBe(0);
    expect(gh.calls).toEqual([
      { route: statusRoute, params: { owner: "contoso", repo: "payments-service", deployment_id: 7, state: "success", description: "Deployed", auto_inactive: true, environment_url: "http://127.0.0.1:4312/" } },
    ]);
    expect(JSON.parse(c.stdout())).toEqual({
      deploymentId: 7,
      state: "success",
      description: "Deployed",
      environmentUrl: "http://127.0.0.1:4312/",
      notes: [`environment_url http://127.0.0.1:4312/ (from output functionAppHostName of the stack output ${DEPLOYMENT_OUTPUTS_KEY})`],
    });
  });

  it("records none, saying why, when the outputs name no endpoint or cannot be read; a failure records none", async () => {
    for (const [content, why] of [
      [{ [DEPLOYMENT_OUTPUTS_KEY]: { storageAccountName: "st" } }, `no output of the stack output ${DEPLOYMENT_OUTPUTS_KEY} names an endpoint`],
      [{ resourceGroupName: "rg" }, `has no object ${DEPLOYMENT_OUTPUTS_KEY}`],
      ["{ not json", "is not readable JSON"],
    ] as const) {
      const gh = fakeGitHub({ [statusRoute]: () => ({ id: 1 }) });
      const c = captureIo({ env: ENV });
      expect(await run(["promote", "record", "finish", "--deployment-id", "7", "--result", "success", "--stack-outputs", outputsFile(content)], c.io, { github: gh.factory })).toBe(0);
      expect(gh.calls[0].params).not.toHaveProperty("environment_url");
      const out = JSON.parse(c.stdout());
      expect(out.environmentUrl).toBeNull();
      expect(out.notes[0]).toContain(why);
    }
    const gh = fakeGitHub({ [statusRoute]: () => ({ id: 1 }) });
    const c = captureIo({ env: ENV });
    const file = outputsFile({ [DEPLOYMENT_OUTPUTS_KEY]: { functionAppHostName: "func.example.com" } });
    expect(await run(["promote", "record", "finish", "--deployment-id", "7", "--result", "failure", "--stack-outputs", file], c.io, { github: gh.factory })).toBe(0);
    expect(gh.calls[0].params).not.toHaveProperty("environment_url");
    expect(JSON.parse(c.stdout())).not.toHaveProperty("environmentUrl");
  });
});

describe("delivery promote record export, then delivery validate on a runner that did not deploy", () => {
  let server: http.Server;
  let port: number;
  let answer = 200;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.statusCode = answer;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const deployment = (over: Record<string, unknown> = {}) => ({
    id: 7,
    sha: SHA,
    environment: "dev",
    payload: { delivery: { action: "deploy", commit: SHA, runUrl: "https://github.com/contoso/payments-service/actions/runs/55", requestedBy: "alice" } },
    ...over,
  });
  const statuses = (last: Record<string, unknown>) => [
    // GitHub lists the newest first.
    { id: 2, state: "success", created_at: "2026-12-01T10:05:00Z", environment_url: `http://127.0.0.1:${port}/`, log_url: null, ...last },
    { id: 1, state: "in_progress", created_at: "2026-12-01T10:00:00Z", environment_url: null, log_url: null },
  ];
  function github(deployments: unknown[], current: Record<string, unknown> = {}) {
    return fakeGitHub({
      "GET /repos/{owner}/{repo}/deployments": () => deployments,
      "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses": () => statuses(current),
    });
  }
  const exportArgs = (dir: string) => ["promote", "record", "export", "--deployment-id", "7", "--environment", "dev", "--commit", SHA, "--dir", dir];

  it("writes the deployment's record, which `validate health` checks (and fails when the endpoint does)", async () => {
    const dir = tmp("deployment-");
    const gh = github([deployment()]);
    const c = captureIo({ env: ENV });
    expect(await run(exportArgs(dir), c.io, { github: gh.factory })).toBe(0);
    expect(gh.calls.map((x) => [x.route, x.params])).toEqual([
      ["GET /repos/{owner}/{repo}/deployments", { owner: "contoso", repo: "payments-service", environment: "dev", sha: SHA, per_page: 100 }],
      ["GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", { owner: "contoso", repo: "payments-service", deployment_id: 7, per_page: 100 }],
    ]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "github-deployment-7.json"), "utf8"))).toEqual({
      kind: "github-deployment",
      deploymentId: 7,
      stack: "dev",
      gitSha: SHA,
      result: "succeeded",
      finishedAt: "2026-12-01T10:05:00Z",
      environmentUrl: `http://127.0.0.1:${port}/`,
      runUrl: "https://github.com/contoso/payments-service/actions/runs/55",
    });

    // The check: the deployed commit's own `npm run health`, with no token, reading DELIVERY_AUDIT_DIR.
    answer = 200;
    const ok = captureIo({ env: { DELIVERY_AUDIT_DIR: dir } });
    expect(await run(["validate", "health", "--environment", "dev", "--commit", SHA, "--attempts", "1"], ok.io)).toBe(0);
    expect(ok.stdout()).toBe(
      `health (dev): http://127.0.0.1:${port}/ (from environment_url of GitHub deployment 7 (github-deployment-7.json))\nhealth (dev): passed, 1 check(s)\n  ok   http://127.0.0.1:${port}/: HTTP 200\n  commit ${SHA}\n`,
    );
    answer = 503;
    const bad = captureIo({ env: { DELIVERY_AUDIT_DIR: dir } });
    expect(await run(["validate", "health", "--environment", "dev", "--commit", SHA, "--attempts", "2", "--retry-delay", "0.01"], bad.io)).toBe(1);
    expect(bad.stdout()).toContain(`FAIL http://127.0.0.1:${port}/: HTTP 503 (after 2 attempts)`);
    // Another commit's check does not take this deployment's endpoint.
    const other = captureIo({ env: { DELIVERY_AUDIT_DIR: dir } });
    expect(await run(["validate", "health", "--environment", "dev", "--commit", OTHER, "--attempts", "1"], other.io)).toBe(1);
    expect(other.stdout()).toContain(`no successful deployment of ${OTHER} is recorded for stack dev`);
  });

  it("refuses a deployment the platform did not record, one that is not current success, or one GitHub does not list", async () => {
    const cases: [unknown[], Record<string, unknown>, string][] = [
      [[deployment({ payload: {} })], {}, "deployment 7 was not recorded by the platform (its payload has no `delivery`)"],
      [[deployment()], { state: "failure", created_at: "2026-12-01T10:06:00Z" }, "deployment 7's current status is failure, not success: there is nothing deployed to check"],
      [[deployment({ id: 8 })], {}, `GitHub lists no deployment 7 of ${SHA.slice(0, 12)} in dev`],
    ];
    for (const [deployments, current, message] of cases) {
      const dir = tmp("deployment-");
      const c = captureIo({ env: ENV });
      expect(await run(exportArgs(dir), c.io, { github: github(deployments, current).factory })).toBe(1);
      expect(c.stderr()).toBe(`delivery: cannot export deployment 7: ${message}\n`);
      expect(fs.readdirSync(dir)).toEqual([]);
    }
  });

  it("rejects malformed input before calling GitHub", async () => {
    const gh = github([deployment()]);
    const c = captureIo({ env: ENV });
    expect(await run(["promote", "record", "export", "--deployment-id", "x7", "--environment", "dev", "--commit", SHA, "--dir", tmp("d-")], c.io, { github: gh.factory })).toBe(2);
    expect(c.stderr()).toBe('delivery: --deployment-id must be a deployment id (a positive whole number), not "x7"\n');
    const d = captureIo({ env: ENV });
    expect(await run(["promote", "record", "export", "--deployment-id", "7", "--environment", "qa", "--commit", SHA, "--dir", tmp("d-")], d.io, { github: gh.factory })).toBe(2);
    expect(d.stderr()).toBe('delivery: --environment must be one of dev, staging, prod, not "qa"\n');
    expect(gh.calls).toEqual([]);
  });
});
