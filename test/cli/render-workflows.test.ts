import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../cli/main";
import { renderWorkflows } from "../../workflows";
import { captureIo } from "../harness/cli";
import { stackConfig } from "../workflows/helpers";

describe("delivery render-workflows", () => {
  let out: string;
  beforeEach(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
  });
  afterEach(() => fs.rmSync(out, { recursive: true, force: true }));

  it("writes exactly the files the prod stack commits", async () => {
    const { io, stdout } = captureIo();
    expect(await run(["render-workflows", "--stack", "prod", "--out", out], io)).toBe(0);
    const expected = renderWorkflows(stackConfig("prod"));
    for (const f of expected) expect(fs.readFileSync(path.join(out, f.path), "utf8")).toBe(f.content);
    expect(fs.readdirSync(path.join(out, ".github", "workflows")).sort()).toEqual(["deploy.yml", "docs-generate.yml", "docs.yml", "drift.yml", "preview.yml", "promote.yml"]);
    expect(stdout().trim().split("\n")).toHaveLength(6);
  });

  it.each(["dev", "staging"])("writes nothing for %s, which does not manage the repository, and says so", async (stack) => {
    const { io, stdout } = captureIo();
    expect(await run(["render-workflows", "--stack", stack, "--out", out], io)).toBe(0);
    expect(fs.readdirSync(out)).toEqual([]);
    expect(stdout()).toBe(`Stack "${stack}" does not commit workflows (manageRepository is false); the stack with manageRepository: true does. Nothing written.\n`);
  });

  it("fails clearly for an unknown stack", async () => {
    const { io, stderr } = captureIo();
    expect(await run(["render-workflows", "--stack", "qa", "--out", out], io)).toBe(2);
    expect(stderr()).toContain('No stack file');
  });
});
