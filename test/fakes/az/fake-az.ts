/**
 * Puts the fake `az` (./az) first on PATH for the duration of a test and reads back the calls it
 * recorded. The scenario is chosen per test; see the header of ./az for the list.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const FAKE_AZ_DIR = __dirname;

export type FakeAzScenario =
  | "success"
  | "throttled-twice"
  | "throttled-always"
  | "deploy-throttled-always"
  | "template-error"
  | "authorization-error"
  | "malformed-json"
  | "hang"
  | "not-logged-in"
  | "wrong-subscription"
  | "lint-error"
  | "lint-warning"
  | "unhealthy"
  | "group-not-found";

export interface FakeAzCall {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
}

export interface FakeAz {
  /** Switches the scenario (and optionally the what-if fixture) for later calls. */
  use(scenario: FakeAzScenario, whatIfFixture?: string): void;
  /** Every call so far, in order. */
  calls(): FakeAzCall[];
  /** Forgets the recorded calls (attempt counting starts again). */
  reset(): void;
  /** Restores PATH and the environment. */
  restore(): void;
}

export function installFakeAz(scenario: FakeAzScenario = "success", whatIfFixture = "create-only"): FakeAz {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-az-"));
  const log = path.join(dir, "calls.jsonl");
  const saved = { PATH: process.env.PATH, FAKE_AZ_SCENARIO: process.env.FAKE_AZ_SCENARIO, FAKE_AZ_WHATIF: process.env.FAKE_AZ_WHATIF, FAKE_AZ_LOG: process.env.FAKE_AZ_LOG };
  process.env.PATH = `${FAKE_AZ_DIR}${path.delimiter}${process.env.PATH ?? ""}`;
  process.env.FAKE_AZ_LOG = log;
  const use = (s: FakeAzScenario, w?: string) => {
    process.env.FAKE_AZ_SCENARIO = s;
    process.env.FAKE_AZ_WHATIF = w ?? whatIfFixture;
  };
  use(scenario, whatIfFixture);
  return {
    use,
    calls: () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, "utf8")
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => JSON.parse(l) as FakeAzCall)
        : [],
    reset: () => fs.rmSync(log, { force: true }),
    restore: () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
