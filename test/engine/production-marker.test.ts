/**
 * What production is, through the real engine: the policy pack reads it from the tags the program
 * sets on its resource groups (core/resource-tags.ts), not from names. A sandbox stack whose
 * production is renamed (`live`, on `release`) and lets its deployers approve themselves is blocked
 * by the mandatory production policies, with the renamed environment in the message. (Without any
 * reviewers the program itself refuses it: the environment holds the admin token.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { ensureStack } from "../../scripts/sandbox";
import { describeEngine, Workspace } from "./harness";

jest.setTimeout(300_000);

const STACK = "sandbox-live";

describeEngine("engine: the policy pack learns production from the program", () => {
  let ws: Workspace;

  beforeAll(() => {
    ws = Workspace.create("production-marker");
    const project = parse(ws.read("Pulumi.yaml")) as { config: Record<string, { default?: unknown }> };
    const environments = structuredClone(project.config["delivery-platform:environments"].default) as Record<string, unknown>[];
    const production = environments[environments.length - 1];
    Object.assign(production, { name: "live", branch: "release", preventSelfReview: false });
    const sandbox = parse(ws.read("Pulumi.sandbox.yaml")) as { config: Record<string, unknown>; encryptionsalt: string };
    const config = { ...sandbox.config, "delivery-platform:environment": "live", "delivery-platform:manageRepository": true, "delivery-platform:environments": environments };
    fs.writeFileSync(path.join(ws.dir, `Pulumi.${STACK}.yaml`), stringify({ config, encryptionsalt: sandbox.encryptionsalt }));
    ensureStack(ws.paths, STACK, ws.env, ws.dir);
  });
  afterAll(() => ws?.dispose());

  it("blocks a renamed production that allows self-review, naming it", async () => {
    const r = await ws.sandbox(["preview", "--stack", STACK, "--policy-pack-config", path.join("policies", "config", "prod.json")]);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("[mandatory]  github-prod-environment-reviewers");
    expect(r.output).toContain('GitHub environment "live" must prevent self-review; set environments[live].preventSelfReview to true.');
    expect(r.output).not.toContain("Cannot tell whether this stack deploys production");
  });
});
