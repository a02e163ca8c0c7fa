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

/** A copy of the repository's stack files with the dev environment's health endpoints set. */
function repoWithEndpoints(endpoints: string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "validate-"));
  const text = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8");
  const doc = require("yaml").parseDocument(text);
  doc.setIn(["config", "delivery-platform:environments", 0, "bicep", "healthEndpoints"], endpoints);
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
    expect(await run(["validate", "health", "--environment", "dev", "--commit", "abc123"], c.io)).toBe(1);
    expect(c.stdout()).toBe(`health (dev): FAILED, 1 of 1 check(s)\n  FAIL https://127.0.0.1:${closed}/health: request failed: fetch failed (ECONNREFUSED)\n  commit abc123\n`);
  });

  it("runs smoke over the requested rounds", async () => {
    const closed = await closedPort();
    const c = captureIo({ cwd: repoWithEndpoints([`https://127.0.0.1:${closed}/health`]) });
    expect(await run(["validate", "smoke", "--environment", "dev", "--rounds", "2", "--interval", "0.01", "--timeout", "2"], c.io)).toBe(1);
    expect(c.stdout().split("\n").slice(0, 3)).toEqual([
      "smoke (dev): FAILED, 2 of 2 check(s)",
      `  FAIL https://127.0.0.1:${closed}/health (round 1): request failed: fetch failed (ECONNREFUSED)`,
      `  FAIL https://127.0.0.1:${closed}/health (round 2): request failed: fetch failed (ECONNREFUSED)`,
    ]);
  });

  it("says plainly when there is nothing to check", async () => {
    const c = captureIo();
    expect(readStackFile(REPO_ROOT, "dev").config["delivery-platform:environments"]).toContain('"healthEndpoints":[]');
    expect(await run(["validate", "health", "--environment", "dev"], c.io)).toBe(0);
    expect(c.stdout()).toMatch(/^health \(dev\): no health endpoints configured \(environments\[dev\]\.bicep\.healthEndpoints\)/);
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
