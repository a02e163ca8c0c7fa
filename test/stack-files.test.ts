/**
 * The pipeline is defined once, in Pulumi.yaml's project config; each committed stack file holds
 * only what differs for its stack. Pulumi replaces a key a stack sets whole, so a stack that sets
 * a pipeline key must give it a different value (no copies to keep in step).
 */
import { readProjectConfig, readStackFile, readStackFileOnly } from "../core/stack-file";
import { REPO_ROOT } from "./harness/program";

const STACKS = ["dev", "staging", "prod", "sandbox"];
const key = (k: string) => `delivery-platform:${k}`;

describe("committed stack files", () => {
  const project = readProjectConfig(REPO_ROOT);
  const files = Object.fromEntries(STACKS.map((s) => [s, readStackFileOnly(REPO_ROOT, s)]));

  it("define the pipeline once, in Pulumi.yaml", () => {
    for (const k of ["repository", "environments", "azure", "aws", "graft", "github"]) expect(Object.keys(project.values)).toContain(key(k));
    expect(project.required).toEqual([]);
  });

  it("hold only their own keys", () => {
    expect(Object.fromEntries(STACKS.map((s) => [s, Object.keys(files[s].config)]))).toEqual({
      dev: [key("environment")],
      staging: [key("environment")],
      prod: [key("environment"), key("manageRepository")],
      // The stand-ins answer for invented Azure and AWS ids, so the sandbox restates those two keys;
      // it generates documents with its stand-in generator instead of Bedrock.
      sandbox: [key("environment"), key("graft"), key("azure"), key("aws")],
    });
  });

  it("never repeat a value Pulumi.yaml already gives", () => {
    for (const s of STACKS) {
      for (const [k, text] of Object.entries(files[s].config)) {
        if (k in project.values) expect({ stack: s, key: k, sameAsProject: JSON.stringify(JSON.parse(text)) === JSON.stringify(JSON.parse(project.values[k])) }).toEqual({ stack: s, key: k, sameAsProject: false });
      }
    }
  });

  it("each deploy the environment named like the stack (the sandbox: dev)", () => {
    const environments = Object.fromEntries(STACKS.map((s) => [s, readStackFile(REPO_ROOT, s).config[key("environment")]]));
    expect(environments).toEqual({ dev: "dev", staging: "staging", prod: "prod", sandbox: "dev" });
  });

  it("let exactly one stack manage the repository-wide resources", () => {
    const owners = STACKS.filter((s) => readStackFile(REPO_ROOT, s).config[key("manageRepository")] === "true");
    expect(owners).toEqual(["prod"]);
  });

  it("hold no secret in clear text", () => {
    for (const file of Object.values(files)) expect(file.secretKeys).toEqual([]);
  });
});
