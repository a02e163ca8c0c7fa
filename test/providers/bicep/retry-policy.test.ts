/**
 * Retries have one owner. `environments[].bicep.retry` in a committed stack file goes through the
 * schema and the BicepDeployment component (under Pulumi mocks, which record the dynamic
 * resource's inputs) into the real provider, which deploys against the fake `az` on PATH: a
 * deployment throttled on every attempt is attempted exactly as many times as the policy says,
 * then fails with the verdict that `classify` (what the workflows read) reports as not retryable.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { AuditRecord } from "../../../core/audit";
import { classify } from "../../../core/classify";
import { parseStackConfig } from "../../../core/config";
import { readStackFile } from "../../../core/stack-file";
import { createBicepProvider, type BicepDeploymentOutputs, type BicepDeploymentProps } from "../../../providers/bicep/impl";
import { installFakeAz, type FakeAz } from "../../fakes/az/fake-az";
import { setRecordingMocks, type Registered } from "../../harness/mocks";
import { REPO_ROOT } from "../../harness/program";
import { makeRepo, SUBSCRIPTION } from "./fixture";

// Each case runs the fake az (bash) a few times and compiles nothing, but shares two cores with the other suites.
jest.setTimeout(30_000);

type Provider = Required<pulumi.dynamic.ResourceProvider<BicepDeploymentProps, BicepDeploymentOutputs>>;

const registered: Registered[] = [];

beforeAll(() => setRecordingMocks(pulumi, (r) => registered.push(r)));

// Imported after the mocks, as the program would be.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BicepDeployment } = require("../../../components/azure/bicep-deployment") as typeof import("../../../components/azure/bicep-deployment");

let az: FakeAz;
beforeEach(() => {
  az = installFakeAz("deploy-throttled-always");
});
afterEach(() => az.restore());

/** The dev stack's configuration with `bicep.retry` of the dev environment replaced. */
function devConfigWithRetry(retry: Record<string, number>) {
  const raw = readStackFile(REPO_ROOT, "dev").config;
  const environments = JSON.parse(raw["delivery-platform:environments"]) as { name: string; bicep: Record<string, unknown> }[];
  environments.find((e) => e.name === "dev")!.bicep.retry = retry;
  return parseStackConfig({ ...raw, "delivery-platform:environments": JSON.stringify(environments) }, "dev");
}

/** The inputs the component gives its dynamic resource, as the engine would receive them. */
async function componentInputs(name: string, cfg: ReturnType<typeof devConfigWithRetry>, root: string): Promise<BicepDeploymentProps> {
  const d = new BicepDeployment(name, { resourceGroupName: "rg-payments-dev", subscriptionId: SUBSCRIPTION, bicep: cfg.environment.bicep, root, stack: "dev", provider: { create: async () => ({ id: "x" }) } });
  await new Promise((resolve) => d.deploymentName.apply(resolve));
  return registered.find((r) => r.type === "pulumi-nodejs:dynamic/azure:BicepDeployment" && r.name === `${name}-deployment`)!.inputs as BicepDeploymentProps;
}

describe("bicep.retry from the stack configuration", () => {
  it.each([1, 2, 4])("attempts a deployment throttled every time exactly as often as maxAttempts says (%i)", async (maxAttempts) => {
    const cfg = devConfigWithRetry({ maxAttempts, initialDelayMs: 10, maxDelayMs: 40 });
    const root = makeRepo();
    const inputs = await componentInputs(`app${maxAttempts}`, cfg, root);
    // Only the fields the stack file set travel; the provider fills the rest (multiplier 2, jitter 0.2) from the defaults table.
    expect(inputs.retry).toEqual({ maxAttempts, initialDelayMs: 10, maxDelayMs: 40 });

    const sleeps: number[] = [];
    const warnings: string[] = [];
    const provider = createBicepProvider({
      log: { info: () => undefined, warn: (m) => void warnings.push(m) },
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0,
      now: () => Date.UTC(2026, 1, 19, 10, 5, 30),
      env: {},
      httpGet: async () => 200,
    }) as Provider;
    const { inputs: checked } = await provider.check({}, inputs);
    const err = (await provider.create(checked!).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error | undefined;

    const creates = az.calls().filter((c) => c.command === "deployment group create");
    expect(creates).toHaveLength(maxAttempts);
    // jitter 0.2 with random() = 0: 80% of 10, 20, 40 (capped at maxDelayMs) ms between attempts.
    expect(sleeps).toEqual([8, 16, 32].slice(0, maxAttempts - 1));
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain(`[retries exhausted after ${maxAttempts} attempt${maxAttempts === 1 ? "" : "s"}; last failure environmental/throttled]`);
    // The workflow's question, asked of this failure: not retryable, because the retries are spent.
    expect(classify(err!.message)).toMatchObject({ category: "environmental", retryable: false, kind: "retries-exhausted" });

    const auditDir = path.join(root, "audit");
    const record = JSON.parse(fs.readFileSync(path.join(auditDir, fs.readdirSync(auditDir)[0]), "utf8")) as AuditRecord;
    expect(record.attempts.filter((a) => a.phase === "deploy").map((a) => a.outcome)).toEqual(Array(maxAttempts).fill("failed"));
    expect(record.failure?.classification).toMatchObject({ retryable: false, kind: "retries-exhausted" });
    // The log says which attempt was the last: no "retrying" after it.
    expect(warnings.filter((m) => m.startsWith(`[bicep app${maxAttempts}] deploy: attempt`)).map((m) => m.replace(/\): .*$/, ")"))).toEqual(
      Array.from({ length: maxAttempts }, (_, i) =>
        i + 1 < maxAttempts ? `[bicep app${maxAttempts}] deploy: attempt ${i + 1} failed (environmental/throttled, retrying in ${[8, 16, 32][i]} ms)` : `[bicep app${maxAttempts}] deploy: attempt ${i + 1} failed (environmental/throttled, retries exhausted)`,
      ),
    );
  });

  it("takes the defaults table's policy when the stack file sets none", async () => {
    const raw = readStackFile(REPO_ROOT, "dev").config;
    const cfg = parseStackConfig(raw, "dev");
    expect(cfg.environment.bicep.retry).toBeUndefined();
    const inputs = await componentInputs("defaults", cfg, makeRepo());
    expect(inputs.retry).toEqual({});
  });
});
