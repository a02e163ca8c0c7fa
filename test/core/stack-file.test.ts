/** Reading a stack's configuration without the engine, merged with Pulumi.yaml the way Pulumi merges it. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readProjectConfig, readStackFile } from "../../core/stack-file";

function project(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, name), text);
  return root;
}

const PROJECT = ["name: demo", "runtime: nodejs", ""].join("\n");

describe("readStackFile", () => {
  it("gives a stack the project's values for the keys it does not set, and its own for the rest", () => {
    const root = project({
      "Pulumi.yaml": `${PROJECT}config:\n  pulumi:tags:\n    value: { team: a }\n  region: westeurope\n  sizes: [1, 2]\n  demo:azure:\n    default: { location: westeurope, tags: { owner: a } }\n  flag:\n    value: true\n`,
      "Pulumi.dev.yaml": "config:\n  demo:azure:\n    location: northeurope\n  demo:extra: 5\n",
    });
    const r = readStackFile(root, "dev");
    expect(r.config).toEqual({
      "pulumi:tags": '{"team":"a"}',
      "demo:region": "westeurope",
      "demo:sizes": "[1,2]",
      // replaced whole, as Pulumi does: no deep merge of the project's tags
      "demo:azure": '{"location":"northeurope"}',
      "demo:flag": "true",
      "demo:extra": "5",
    });
    expect(r.projectKeys.sort()).toEqual(["demo:flag", "demo:region", "demo:sizes", "pulumi:tags"]);
    expect(r.stackKeys).toEqual(["demo:azure", "demo:extra"]);
  });

  it("reads a root without Pulumi.yaml as the stack file alone", () => {
    const root = project({ "Pulumi.dev.yaml": "config:\n  delivery-platform:environment: dev\n" });
    expect(readStackFile(root, "dev").config).toEqual({ "delivery-platform:environment": "dev" });
  });

  it("requires every stack to set a project key declared without a value", () => {
    const root = project({ "Pulumi.yaml": `${PROJECT}config:\n  token:\n    description: the API token\n    secret: true\n`, "Pulumi.dev.yaml": "config: {}\n" });
    expect(() => readStackFile(root, "dev")).toThrow("Stack 'dev' is missing configuration value 'demo:token', which Pulumi.yaml declares without a default; set it in Pulumi.dev.yaml.");
  });

  it("rejects what Pulumi rejects in Pulumi.yaml, naming the key", () => {
    const file = (config: string) => project({ "Pulumi.yaml": `${PROJECT}config:\n${config}` });
    expect(() => readProjectConfig(file("  aws:region: { default: us-east-1 }\n"))).toThrow("configuration key 'aws:region' is not namespaced by the project and must provide an attribute 'value'.");
    expect(() => readProjectConfig(file("  size: { default: 1, value: 2 }\n"))).toThrow("project config 'size' cannot have both a 'default' and 'value' attribute.");
    expect(() => readProjectConfig(file("  azure: { location: westeurope }\n"))).toThrow(
      "config key 'azure' has 'location', which a config declaration does not allow (type, description, items, default, value, secret). Put a structured value under `default:`.",
    );
  });

  it("names the known stacks when one is missing", () => {
    const root = project({ "Pulumi.yaml": PROJECT, "Pulumi.dev.yaml": "config: {}\n" });
    expect(() => readStackFile(root, "qa")).toThrow(`No stack file ${path.join(root, "Pulumi.qa.yaml")} for stack "qa". Known stacks: dev. Create one with \`pulumi stack init qa\`.`);
  });
});
