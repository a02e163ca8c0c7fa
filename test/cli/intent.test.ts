import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { run } from "../../cli/main";
import { captureIo } from "../harness/cli";

const EVENTS = path.join(__dirname, "..", "fixtures", "events");

async function intent(file: string, eventName: string, extra: string[] = []) {
  const { io, stdout, stderr } = captureIo();
  const code = await run(["intent", "--event", path.join(EVENTS, file), "--event-name", eventName, ...extra], io);
  return { code, decision: stdout() ? JSON.parse(stdout()) : undefined, stderr: stderr() };
}

describe("delivery intent", () => {
  it("prints one decision for a PR comment, reading environments from the stack that manages the repository", async () => {
    const { code, decision } = await intent("issue_comment.deploy-staging.json", "issue_comment");
    expect(code).toBe(0);
    expect(decision).toEqual({ action: "deploy", environment: "staging", commit: null, ref: null, commentId: 492700400, source: "comment", requestedBy: "Codertocat", pullRequest: 1 });
  });

  it("refuses shell metacharacters with a reply that does not repeat them", async () => {
    const { decision } = await intent("issue_comment.shell-metacharacters.json", "issue_comment");
    expect(decision).toMatchObject({ action: "none", reason: "malformed-command" });
    expect(decision.reply).not.toMatch(/curl|\$\(|`whoami`/);
  });

  it("reads labels and dispatches", async () => {
    expect((await intent("pull_request.labeled-deploy-dev.json", "pull_request_target")).decision).toMatchObject({ action: "deploy", environment: "dev", commit: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", source: "label" });
    expect((await intent("workflow_dispatch.deploy-prod.json", "workflow_dispatch", ["--stack", "staging"])).decision).toMatchObject({ action: "deploy", environment: "prod", ref: "refs/heads/main", source: "dispatch" });
  });

  it("reads a push to an environment branch as a deployment of it", async () => {
    expect((await intent("push.test-branch.json", "push")).decision).toEqual({
      action: "deploy",
      environment: "staging",
      commit: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
      ref: "refs/heads/test",
      commentId: null,
      source: "push",
      requestedBy: "Codertocat",
      pullRequest: null,
    });
  });

  it("gives a decision for an event file that is not JSON", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intent-"));
    fs.writeFileSync(path.join(dir, "event.json"), "{not json");
    const { io, stdout } = captureIo();
    expect(await run(["intent", "--event", path.join(dir, "event.json"), "--event-name", "issue_comment"], io)).toBe(0);
    expect(JSON.parse(stdout())).toMatchObject({ action: "none", reason: "invalid-payload" });
    fs.rmSync(dir, { recursive: true });
  });

  it("fails clearly when the event file is missing", async () => {
    const { code, stderr } = await intent("missing.json", "issue_comment");
    expect(code).toBe(2);
    expect(stderr).toMatch(/^delivery: cannot read the event file .*missing\.json/);
  });

  it("works as the installed command a workflow runs (npx delivery)", () => {
    const dist = path.join(__dirname, "..", "..", "dist", "cli", "commands", "intent.js");
    if (!fs.existsSync(dist)) return; // dist/ is built by `npm ci` / `npm test`; the in-process tests above cover the logic
    const out = execFileSync(process.execPath, [path.join(__dirname, "..", "..", "bin", "delivery.js"), "intent", "--event", path.join(EVENTS, "pull_request.labeled-deploy-dev.json"), "--event-name", "pull_request_target"], {
      cwd: path.join(__dirname, "..", ".."),
      encoding: "utf8",
    });
    expect(JSON.parse(out)).toMatchObject({ action: "deploy", environment: "dev" });
  });
});
