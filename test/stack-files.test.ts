/**
 * The stack files repeat the pipeline definition (each must be complete on its own for
 * `pulumi preview --stack X`); this keeps the copies identical so the pipeline is defined once in effect.
 */
import { readStackFile } from "../core/stack-file";
import { REPO_ROOT } from "./harness/program";

const SHARED_KEYS = ["repository", "environments", "azure", "aws", "graft", "github"].map((k) => `delivery-platform:${k}`);

describe("committed stack files", () => {
  const files = Object.fromEntries(["dev", "staging", "prod"].map((s) => [s, readStackFile(REPO_ROOT, s)]));

  it.each(SHARED_KEYS)("agree on %s", (key) => {
    expect(files.staging.config[key]).toEqual(files.dev.config[key]);
    expect(files.prod.config[key]).toEqual(files.dev.config[key]);
  });

  it("each deploys the environment named like the stack", () => {
    for (const [stack, file] of Object.entries(files)) expect(file.config["delivery-platform:environment"]).toBe(stack);
  });

  it("let exactly one stack manage the repository-wide resources", () => {
    const owners = Object.entries(files).filter(([, f]) => f.config["delivery-platform:manageRepository"] === "true");
    expect(owners.map(([s]) => s)).toEqual(["prod"]);
  });

  it("hold no secret in clear text", () => {
    for (const file of Object.values(files)) expect(file.secretKeys).toEqual([]);
  });
});
