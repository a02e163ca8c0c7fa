import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { run } from "../../cli/main";
import { checkEndpoints, fetchStatus, monitorChecks, parseFiredAlerts } from "../../core/validate";
import { readStackFile } from "../../core/stack-file";
import { captureIo } from "../harness/cli";
import { REPO_ROOT } from "../harness/program";
import { serve, setMode, withRuntimeOutputs } from "../../sandbox/health-server";

/** A copy of the repository's stack files with the dev environment's health endpoints set. */
function repoWithEndpoints(endpoints: string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "validate-"));
  // The pipeline is Pulumi.yaml's; the dev stack overrides `environments` with the endpoints set.
  fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  const environments = JSON.parse(readStackFile(REPO_ROOT, "dev").config["delivery-platform:environments"]);
  environments[0].bicep.healthEndpoints = endpoints;
  const doc = require("yaml").parseDocument(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8"));
  doc.setIn(["config", "delivery-platform:environments"], environments);
  fs.writeFileSync(path.join(root, "Pulumi.dev.yaml"), doc.toString());
  return root;
}

let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.statusCode = req.url === "/ok" ? 200 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  process.exitCode = undefined;
});

describe("checkEndpoints with a real GET", () => {
  it("passes 2xx and fails anything else, naming endpoint and status", async () => {
    expect(await checkEndpoints([`${base}/ok`, `${base}/down`], fetchStatus, 2000)).toEqual([
      { target: `${base}/ok`, healthy: true, observed: "HTTP 200" },
      { target: `${base}/down`, healthy: false, observed: "HTTP 503" },
    ]);
  });
});

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = http.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe("delivery validate", () => {
  it("fails health when an endpoint cannot be reached, and says which", async () => {
    const closed = await closedPort();
    const c = captureIo({ cwd: repoWithEndpoints([`https://127.0.0.1:${closed}/health`]) });
    expect(await run(["validate", "health", "--environment", "dev", "--commit", "abc123", "--attempts", "1"], c.io)).toBe(1);
    expect(c.stdout()).toBe(
      `health (dev): https://127.0.0.1:${closed}/health (from environments[dev].bicep.healthEndpoints)\nhealth (dev): FAILED, 1 of 1 check(s)\n  FAIL https://127.0.0.1:${closed}/health: request failed: fetch failed (ECONNREFUSED)\n  commit abc123\n`,
    );
  });

  it("runs smoke over the requested rounds", async () => {
    const closed = await closedPort();
    const c = captureIo({ cwd: repoWithEndpoints([`https://127.0.0.1:${closed}/health`]) });
    expect(await run(["validate", "smoke", "--environment", "dev", "--rounds", "2", "--interval", "0.01", "--timeout", "2", "--attempts", "2", "--retry-delay", "0.01"], c.io)).toBe(1);
    expect(c.stdout().split("\n").slice(1, 4)).toEqual([
      "smoke (dev): FAILED, 2 of 2 check(s)",
      `  FAIL https://127.0.0.1:${closed}/health (round 1): request failed: fetch failed (ECONNREFUSED) (after 2 attempts)`,
      `  FAIL https://127.0.0.1:${closed}/health (round 2): request failed: fetch failed (ECONNREFUSED) (after 2 attempts)`,
    ]);
  });

  it("fails when there is nothing to check and the stack does not say it has no endpoint", async () => {
    const c = captureIo({ env: { DELIVERY_AUDIT_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "no-audit-")) } });
    expect(readStackFile(REPO_ROOT, "dev").config["delivery-platform:environments"]).toContain('"healthEndpoints":[]');
    expect(await run(["validate", "health", "--environment", "dev"], c.io)).toBe(1);
    expect(c.stdout()).toMatch(
      /^health \(dev\): FAILED, no endpoint to check: none configured \(environments\[dev\]\.bicep\.healthEndpoints\) and .* holds no audit record of stack dev .*; if dev has no endpoint, say so with environments\[dev\]\.bicep\.noHealthEndpoints\.reason\n$/,
    );
  });

  it("rejects an unknown check or environment", async () => {
    const c = captureIo();
    expect(await run(["validate", "vibes", "--environment", "dev"], c.io)).toBe(2);
    expect(c.stderr()).toBe('delivery: unknown check "vibes"; use one of health, smoke, monitors\n');
    const d = captureIo();
    expect(await run(["validate", "health", "--environment", "qa", "--stack", "dev"], d.io)).toBe(2);
    expect(d.stderr()).toBe('delivery: --environment "qa" is not one of the configured environments (dev, staging, prod)\n');
  });
});

describe("monitor checks", () => {
  const alert = (severity: string) => ({ name: `cpu-${severity}`, properties: { essentials: { severity, targetResource: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app", startDateTime: "2026-11-21T10:00:00Z" } } });
  it("passes when only low-severity alerts fired", () => {
    expect(monitorChecks(parseFiredAlerts({ value: [alert("Sev3")] }))).toEqual([{ target: "azure-monitor", healthy: true, observed: "no Sev0/Sev1 alert fired (1 lower-severity alert(s))" }]);
  });
  it("fails on Sev0 and Sev1 alerts, one check each", () => {
    expect(monitorChecks(parseFiredAlerts({ value: [alert("Sev1"), alert("Sev2"), alert("Sev0")] })).map((c) => c.observed)).toEqual([
      'Sev1 alert "cpu-Sev1" fired at 2026-11-21T10:00:00Z',
      'Sev0 alert "cpu-Sev0" fired at 2026-11-21T10:00:00Z',
    ]);
  });
  it("refuses a response that is not an alerts list", () => {
    expect(() => parseFiredAlerts({ error: "x" })).toThrow("the alerts response has no `value` list (expected Microsoft.AlertsManagement/alerts list output)");
  });
});

/** An audit directory holding one successful deployment of `stack` with these template outputs (as the Bicep provider writes it). */
function auditDirWith(stack: string, outputs: Record<string, unknown>, gitSha = "0123456789abcdef0123456789abcdef01234567"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "audit-"));
  const record = { schemaVersion: 1, kind: "bicep-deployment", deploymentName: `${stack}-app-1a2b3c4d5e6f`, stack, result: "succeeded", gitSha, finishedAt: "2026-12-01T10:00:00.000Z", outputs };
  fs.writeFileSync(path.join(dir, `20261201T100000Z-${stack}-${stack}-app-1a2b3c4d5e6f.json`), JSON.stringify(record));
  // An older failed deployment and a file that is not a record are ignored.
  fs.writeFileSync(path.join(dir, "20261130T100000Z-old.json"), JSON.stringify({ ...record, result: "failed", finishedAt: "2026-11-30T10:00:00.000Z" }));
  fs.writeFileSync(path.join(dir, "notes.json"), "{ not json");
  return dir;
}

describe("delivery validate health --stack: endpoints from the deployment itself (the sandbox's app)", () => {
  let sandboxDir: string;
  let app: http.Server;
  let host: string;
  beforeAll(async () => {
    sandboxDir = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-app-"));
    app = await serve(sandboxDir);
    host = `127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => app.close(() => resolve())));
  afterEach(() => setMode(sandboxDir, "ok"));

  it("GIVEN the deployment's output functionAppHostName names the running app THEN health checks it and names it", async () => {
    const dir = auditDirWith("sandbox", { functionAppHostName: { type: "String", value: host }, functionAppName: { type: "String", value: "func-payments-dev" } });
    const c = captureIo({ env: { DELIVERY_AUDIT_DIR: dir } });
    expect(await run(["validate", "health", "--stack", "sandbox"], c.io)).toBe(0);
    expect(c.stdout()).toBe(
      `health (dev): http://${host}/ (from output functionAppHostName of 20261201T100000Z-sandbox-sandbox-app-1a2b3c4d5e6f.json)\nhealth (dev): passed, 1 check(s)\n  ok   http://${host}/: HTTP 200\n`,
    );
  });

  it("GIVEN the sandbox makes the app fail THEN health fails after its retries, which is what drives the rollback", async () => {
    setMode(sandboxDir, "fail");
    const dir = auditDirWith("sandbox", { functionAppHostName: { type: "String", value: host } });
    const c = captureIo();
    expect(await run(["validate", "health", "--stack", "sandbox", "--audit-dir", dir, "--attempts", "3", "--retry-delay", "0.01", "--commit", "0123456789abcdef0123456789abcdef01234567"], c.io)).toBe(1);
    expect(c.stdout().split("\n").slice(1)).toEqual(["health (dev): FAILED, 1 of 1 check(s)", `  FAIL http://${host}/: HTTP 503 (after 3 attempts)`, "  commit 0123456789abcdef0123456789abcdef01234567", ""]);
  });

  it("retries an endpoint that is still starting", async () => {
    let calls = 0;
    const flaky = http.createServer((_req, res) => {
      res.statusCode = ++calls < 3 ? 503 : 200;
      res.end();
    });
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    try {
      const dir = auditDirWith("sandbox", { functionAppHostName: { type: "String", value: `127.0.0.1:${(flaky.address() as AddressInfo).port}` } });
      const c = captureIo();
      expect(await run(["validate", "health", "--stack", "sandbox", "--audit-dir", dir, "--attempts", "5", "--retry-delay", "0.01"], c.io)).toBe(0);
      expect(c.stdout()).toContain(": HTTP 200 (attempt 3 of 5)\n");
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });

  it("uses only the deployment of the commit it is told, and fails when there is none", async () => {
    const dir = auditDirWith("sandbox", { functionAppHostName: { type: "String", value: host } });
    const c = captureIo();
    expect(await run(["validate", "smoke", "--stack", "sandbox", "--audit-dir", dir, "--commit", "fedcba9876543210fedcba9876543210fedcba98"], c.io)).toBe(1);
    expect(c.stdout()).toMatch(/^smoke \(dev\): FAILED, no endpoint to check: none configured \(environments\[dev\]\.bicep\.healthEndpoints\) and no successful deployment of fedcba9876543210fedcba9876543210fedcba98 is recorded for stack sandbox in /);
  });

  it("fails when the outputs name no endpoint, listing what they hold (an unresolved host name is not one)", async () => {
    const dir = auditDirWith("sandbox", { functionAppHostName: { type: "String", value: "[app.properties.defaultHostName]" }, storageAccountName: { type: "String", value: "st1" } });
    const c = captureIo();
    expect(await run(["validate", "health", "--stack", "sandbox", "--audit-dir", dir], c.io)).toBe(1);
    expect(c.stdout()).toContain(
      'no output of 20261201T100000Z-sandbox-sandbox-app-1a2b3c4d5e6f.json names one (outputs: functionAppHostName, storageAccountName; output functionAppHostName is "[app.properties.defaultHostName]", not a host name)',
    );
  });

  it("passes with the reason when the stack says explicitly that it has no endpoint", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "validate-none-"));
    fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
    const environments = JSON.parse(readStackFile(REPO_ROOT, "dev").config["delivery-platform:environments"]);
    environments[0].bicep.noHealthEndpoints = { reason: "a queue worker with no HTTP surface" };
    const doc = require("yaml").parseDocument(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8"));
    doc.setIn(["config", "delivery-platform:environments"], environments);
    fs.writeFileSync(path.join(root, "Pulumi.dev.yaml"), doc.toString());
    const c = captureIo({ cwd: root });
    expect(await run(["validate", "health", "--stack", "dev"], c.io)).toBe(0);
    expect(c.stdout()).toBe('health (dev): nothing to check: environments[dev].bicep.noHealthEndpoints says "a queue worker with no HTTP surface"\n');
  });

  it("the sandbox's az answers the app's runtime host name with the running app", () => {
    const outputs = withRuntimeOutputs({ functionAppHostName: { type: "String", value: "[app.properties.defaultHostName]" }, keyVaultUri: { type: "String", value: "[vault.properties.vaultUri]" } }, sandboxDir);
    expect(outputs).toEqual({ functionAppHostName: { type: "String", value: host }, keyVaultUri: { type: "String", value: "[vault.properties.vaultUri]" } });
  });
});

describe("delivery validate monitors: the soak", () => {
  /** A fake `az` on PATH answering `az rest` with the alerts listed in `answers`, one per call (the last repeats). */
  function fakeAz(answers: unknown[]): Record<string, string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-az-"));
    answers.forEach((a, i) => fs.writeFileSync(path.join(dir, `answer-${i}.json`), JSON.stringify(a)));
    fs.writeFileSync(
      path.join(dir, "az"),
      `#!/bin/sh\nn=$(cat "${dir}/count" 2>/dev/null || echo 0)\necho $((n + 1)) > "${dir}/count"\nf="${dir}/answer-$n.json"\n[ -f "$f" ] || f="${dir}/answer-${answers.length - 1}.json"\ncat "$f"\n`,
      { mode: 0o755 },
    );
    return { PATH: `${dir}${path.delimiter}${process.env.PATH}`, COUNT: path.join(dir, "count") };
  }
  const alert = (severity: string) => ({ name: `errors-${severity}`, properties: { essentials: { severity, targetResource: "/subscriptions/s/resourceGroups/rg-payments-service-prod/providers/Microsoft.Web/sites/func", startDateTime: "2026-12-01T10:05:00Z" } } });

  it("reads the monitors at the start, at intervals and at the end of the soak, and passes when nothing severe fired", async () => {
    const env = fakeAz([{ value: [alert("Sev3")] }]);
    const c = captureIo({ env });
    expect(await run(["validate", "monitors", "--stack", "prod", "--soak-minutes", "0.004", "--soak-interval", "0.002"], c.io)).toBe(0);
    expect(c.stdout().split("\n")[0]).toBe("monitors (prod): alerts on resource group rg-payments-service-prod, read 3 of 3 time(s) at minute(s) 0, 0.002, 0.004 of the soak");
    expect(fs.readFileSync(env.COUNT, "utf8").trim()).toBe("3");
  });

  it("GIVEN a Sev1 alert fires during the soak THEN the check fails at that reading, without waiting for the end", async () => {
    const env = fakeAz([{ value: [] }, { value: [alert("Sev1")] }]);
    const c = captureIo({ env });
    expect(await run(["validate", "monitors", "--stack", "prod", "--soak-minutes", "0.01", "--soak-interval", "0.002"], c.io)).toBe(1);
    expect(c.stdout()).toBe(
      [
        "monitors (prod): alerts on resource group rg-payments-service-prod, read 2 of 6 time(s) at minute(s) 0, 0.002, 0.004, 0.006, 0.008, 0.01 of the soak",
        "monitors (prod): FAILED, 1 of 2 check(s)",
        "  ok   azure-monitor (minute 0 of 0.01): no Sev0/Sev1 alert fired (0 lower-severity alert(s))",
        '  FAIL /subscriptions/s/resourceGroups/rg-payments-service-prod/providers/Microsoft.Web/sites/func (minute 0.002 of 0.01): Sev1 alert "errors-Sev1" fired at 2026-12-01T10:05:00Z',
        "",
      ].join("\n"),
    );
  });
});
