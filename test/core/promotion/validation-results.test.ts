/**
 * The validation job runs the deployed commit's code, so what it hands to `act` is read as data:
 * only the checks the machine asked for, only success or failure, only for the deployed commit.
 */
import fc from "fast-check";
import { RESULTS_MAX_BYTES, validationOutcomes, type ResultsFile, type ValidationRequest } from "../../../core/promotion/validation-results";

const DEV = "a".repeat(40);
const PROD = "b".repeat(40);
const dev: ValidationRequest = { environment: "dev", sha: DEV, deployment_id: 7, checks: ["health (dev)", "smoke (dev)"] };
const prod: ValidationRequest = { environment: "prod", sha: PROD, deployment_id: 9, checks: ["health (prod)", "smoke (prod)", "monitors (prod)"] };
const file = (sha: string, checks: Record<string, unknown>) => JSON.stringify({ sha, checks });

describe("validationOutcomes", () => {
  it("reports each asked-for check with the state the validation job wrote", () => {
    const files: Record<string, ResultsFile> = { dev: file(DEV, { "health (dev)": "success", "smoke (dev)": "failure" }) };
    expect(validationOutcomes([dev], (e) => files[e])).toEqual({
      report: [
        { environment: "dev", sha: DEV, name: "health (dev)", state: "success" },
        { environment: "dev", sha: DEV, name: "smoke (dev)", state: "failure" },
      ],
      unreported: [],
    });
  });

  it("ignores checks nobody asked for, other environments' names and other commits' results", () => {
    // The deployed commit tries to validate production, and another commit, from dev's file.
    const files: Record<string, ResultsFile> = {
      dev: file(DEV, { "health (dev)": "success", "smoke (dev)": "success", "health (prod)": "success", "monitors (prod)": "success" }),
      prod: file(DEV, { "health (prod)": "success", "smoke (prod)": "success", "monitors (prod)": "success" }),
    };
    const out = validationOutcomes([dev, prod], (e) => files[e]);
    expect(out.report.map((r) => `${r.environment}/${r.name}/${r.state}`)).toEqual(["dev/health (dev)/success", "dev/smoke (dev)/success"]);
    expect(out.unreported).toEqual([
      "health (prod) of bbbbbbbbbbbb: the results file is for commit aaaaaaaaaaaa, not the deployed one",
      "smoke (prod) of bbbbbbbbbbbb: the results file is for commit aaaaaaaaaaaa, not the deployed one",
      "monitors (prod) of bbbbbbbbbbbb: the results file is for commit aaaaaaaaaaaa, not the deployed one",
    ]);
  });

  it("reports nothing for a check without a success or failure, and says why (the machine asks again)", () => {
    const cases: Record<string, ResultsFile> = {
      missing: undefined,
      unreadable: { problem: "the results file is not a regular file" },
      "not json": "{sha:",
      "wrong shape": JSON.stringify({ sha: DEV, checks: ["health (dev)"] }),
      "too large": file(DEV, { "health (dev)": "success", pad: "x".repeat(RESULTS_MAX_BYTES) }),
      "other states": file(DEV, { "health (dev)": "pending", "smoke (dev)": { state: "success" } }),
    };
    const why = Object.fromEntries(Object.entries(cases).map(([name, f]) => [name, validationOutcomes([dev], () => f)]));
    for (const out of Object.values(why)) expect(out.report).toEqual([]);
    expect(why.missing.unreported[0]).toBe("health (dev) of aaaaaaaaaaaa: the validation job left no results file");
    expect(why.unreadable.unreported[0]).toBe("health (dev) of aaaaaaaaaaaa: the results file is not a regular file");
    expect(why["not json"].unreported[0]).toMatch(/^health \(dev\) of aaaaaaaaaaaa: the results file is not \{"sha": \.\.\., "checks": \{name: state\}\} \(/);
    expect(why["wrong shape"].unreported).toHaveLength(2);
    expect(why["too large"].unreported[0]).toBe(`health (dev) of aaaaaaaaaaaa: the results file is larger than ${RESULTS_MAX_BYTES} bytes`);
    expect(why["other states"].unreported).toEqual(['health (dev) of aaaaaaaaaaaa: result "pending" is neither success nor failure', 'smoke (dev) of aaaaaaaaaaaa: result {"state":"success"} is neither success nor failure']);
  });

  it("never reports more than was asked, whatever the file says (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(undefined), fc.string(), fc.dictionary(fc.string(), fc.jsonValue()).map((checks) => file(DEV, checks)), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
        const out = validationOutcomes([dev], () => text);
        for (const r of out.report) {
          expect(dev.checks).toContain(r.name);
          expect([r.environment, r.sha]).toEqual(["dev", DEV]);
          expect(["success", "failure"]).toContain(r.state);
        }
        expect(out.report.length + out.unreported.length).toBe(dev.checks.length);
      }),
    );
  });
});
