/** The pure rules of post-deployment validation: which endpoints, how they are retried, when the monitors are read. */
import * as fc from "fast-check";
import { checkEndpointsWithRetries, endpointsFromOutputs, hostHealthUrl, pickDeploymentRecord, resolveHealthTargets, runSoak, soakReadings } from "../../core/validate";

describe("which endpoints a health check checks", () => {
  const deployment = { recordName: "r.json", outputs: { functionAppHostName: { type: "String", value: "func-payments-dev.azurewebsites.net" } } };

  it("takes the configured endpoints first, then the deployment's outputs, else nothing (a failure) unless the stack says it has none", () => {
    expect(resolveHealthTargets({ environment: "dev", configured: ["https://a.example/health"], declaredNone: undefined, deployment })).toEqual({
      kind: "targets",
      targets: [{ url: "https://a.example/health", source: "environments[dev].bicep.healthEndpoints" }],
      notes: [],
    });
    expect(resolveHealthTargets({ environment: "dev", configured: [], declaredNone: undefined, deployment })).toEqual({
      kind: "targets",
      targets: [{ url: "https://func-payments-dev.azurewebsites.net/", source: "output functionAppHostName of r.json" }],
      notes: [],
    });
    expect(resolveHealthTargets({ environment: "dev", configured: [], declaredNone: { reason: "no HTTP surface at all" }, deployment })).toEqual({ kind: "declared-none", reason: "no HTTP surface at all" });
    expect(resolveHealthTargets({ environment: "dev", configured: [], declaredNone: undefined, deployment: { problem: "x holds no audit record" } }).kind).toBe("nothing-to-check");
    expect(resolveHealthTargets({ environment: "dev", configured: ["https://a.example/"], declaredNone: { reason: "no HTTP surface at all" }, deployment })).toEqual({
      kind: "nothing-to-check",
      reason: "environments[dev].bicep sets both healthEndpoints and noHealthEndpoints; remove one of them",
    });
  });

  it("reads host names and health URLs from outputs: https everywhere, plain http only on loopback", () => {
    expect(hostHealthUrl("func-payments-dev.azurewebsites.net")).toBe("https://func-payments-dev.azurewebsites.net/");
    expect(hostHealthUrl("127.0.0.1:8123")).toBe("http://127.0.0.1:8123/");
    expect(hostHealthUrl("localhost:80")).toBe("http://localhost:80/");
    expect(hostHealthUrl("[app.properties.defaultHostName]")).toBeNull();
    expect(hostHealthUrl("evil.example/x?y")).toBeNull();
    // Names the URL parser reads as IPv4 addresses: refused ("A.0"), or another host ("1.2.3" is 1.2.0.3).
    expect([hostHealthUrl("A.0"), hostHealthUrl("1.2.3"), hostHealthUrl("app.example:8443")]).toEqual([null, null, "https://app.example:8443/"]);
    const found = endpointsFromOutputs({ apiHealthUrl: "http://api.example/health", appHealthUrl: { value: "https://app.example/healthz" }, webHostName: "127.0.0.1:1" }, "r.json");
    expect(found.targets.map((t) => t.url)).toEqual(["https://app.example/healthz", "http://127.0.0.1:1/"]);
    expect(found.skipped).toEqual(['output apiHealthUrl is "http://api.example/health", not an https URL']);
  });

  it("never derives a URL that leaves the host it was given (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.domain(), fc.constantFrom("A.0", "1.2.3", "x.1")), (host) => {
        const url = hostHealthUrl(host);
        if (url !== null) expect(new URL(url).host).toBe(new URL(`http://${host}`).host);
      }),
    );
  });

  it("picks the newest successful deployment of the stack, of the commit when one is named", () => {
    const rec = (file: string, gitSha: string, finishedAt: string, result = "succeeded", stack = "sandbox") => ({ file, kind: "bicep-deployment", stack, result, gitSha, finishedAt, outputs: { n: file } });
    const records = [rec("a.json", "aaaaaaa1", "2026-12-01T09:00:00Z"), rec("b.json", "bbbbbbb2", "2026-12-01T10:00:00Z"), rec("c.json", "ccccccc3", "2026-12-01T11:00:00Z", "failed"), rec("d.json", "ddddddd4", "2026-12-01T12:00:00Z", "succeeded", "dev")];
    expect(pickDeploymentRecord(records, "sandbox", null, "audit")).toEqual({ recordName: "b.json", outputs: { n: "b.json" } });
    expect(pickDeploymentRecord(records, "sandbox", "aaaaaaa1ffff", "audit")).toEqual({ recordName: "a.json", outputs: { n: "a.json" } });
    expect(pickDeploymentRecord(records, "prod", null, "audit")).toEqual({ problem: "audit holds no audit record of stack prod (the deploy job's audit records, or the GitHub deployment record that delivery promote record export writes; the directory is --audit-dir, else DELIVERY_AUDIT_DIR)" });
  });
});

describe("retries", () => {
  it("asks up to `attempts` times, pausing between, and stops at the first 2xx", async () => {
    const answers = [503, 502, 200];
    const slept: number[] = [];
    const checks = await checkEndpointsWithRetries(["https://a.example/"], async () => answers.shift()!, { attempts: 5, delayMs: 7, timeoutMs: 1000, sleep: async (ms) => void slept.push(ms) });
    expect(checks).toEqual([{ target: "https://a.example/", healthy: true, observed: "HTTP 200 (attempt 3 of 5)" }]);
    expect(slept).toEqual([7, 7]);
  });
});

describe("the soak schedule", () => {
  it("reads at the start, every interval, and at the end", () => {
    expect(soakReadings(120, 30)).toEqual([0, 30, 60, 90, 120]);
    expect(soakReadings(60, 25)).toEqual([0, 25, 50, 60]);
    expect(soakReadings(0, 5)).toEqual([0]);
  });

  it("always starts at 0, ends at the soak, and never leaves a gap longer than the interval (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 1, max: 600 }), (soak, interval) => {
        const r = soakReadings(soak, interval);
        expect(r[0]).toBe(0);
        expect(r[r.length - 1]).toBe(soak);
        for (let i = 1; i < r.length; i++) expect(r[i] - r[i - 1]).toBeLessThanOrEqual(interval + 1e-6);
      }),
    );
  });

  it("stops at the first reading with a severe alert", async () => {
    const readings = [[{ target: "azure-monitor", healthy: true, observed: "none" }], [{ target: "app", healthy: false, observed: "Sev0" }], [{ target: "azure-monitor", healthy: true, observed: "none" }]];
    const waited: number[] = [];
    const result = await runSoak([0, 5, 10], async () => readings.shift()!, async (m) => void waited.push(m));
    expect(result.passed).toBe(false);
    expect(result.readings.map((r) => r.minute)).toEqual([0, 5]);
    expect(waited).toEqual([0, 5]);
  });
});
