import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { run } from "../../cli/main";
import { captureIo } from "../harness/cli";
import { REPO_ROOT } from "../harness/program";

describe("delivery CLI", () => {
  it("lists its subcommands in --help", async () => {
    const c = captureIo();
    expect(await run(["--help"], c.io)).toBe(0);
    expect(c.stdout()).toContain("Usage: delivery [options] [command]");
    expect(c.stdout()).toContain("config [options]");
  });

  it("validates a committed stack file", async () => {
    const c = captureIo();
    expect(await run(["config", "--stack", "prod"], c.io)).toBe(0);
    expect(JSON.parse(c.stdout()).environment.name).toBe("prod");
  });

  it("prints the table of defaults, and asks for a stack or --defaults", async () => {
    const c = captureIo();
    expect(await run(["config", "--defaults"], c.io)).toBe(0);
    expect(c.stdout()).toContain("| `environments[].bicep.retry.maxAttempts` | `3` | Bicep provider (providers/bicep/impl.ts toSpec) |\n");
    const none = captureIo();
    expect(await run(["config"], none.io)).toBe(2);
    expect(none.stderr()).toBe("delivery: config needs --stack NAME (the stack whose configuration to print) or --defaults\n");
  });

  it("names the missing stack file and the known stacks", async () => {
    const c = captureIo();
    expect(await run(["config", "--stack", "qa"], c.io)).toBe(2);
    expect(c.stderr()).toBe(`delivery: No stack file ${path.join(REPO_ROOT, "Pulumi.qa.yaml")} for stack "qa". Known stacks: dev, prod, sandbox, staging. Create one with \`pulumi stack init qa\`.\n`);
  });

  it("rejects an unknown subcommand with usage", async () => {
    const c = captureIo();
    expect(await run(["deploy-everything"], c.io)).toBe(1);
    expect(c.stderr()).toContain("unknown command 'deploy-everything'");
  });

  it("runs as the installed `delivery` binary", () => {
    const out = execFileSync(process.execPath, [path.join(REPO_ROOT, "bin", "delivery.js"), "--help"], { encoding: "utf8" });
    expect(out).toContain("Usage: delivery");
  });
});
