import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../cli/main";
import { commentMarker } from "../../core/comment";
import { captureIo } from "../harness/cli";
import { standInGitHub } from "../harness/github";

const SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const BOT = "github-actions[bot]";
const R = "/repos/Codertocat/Hello-World";
const LIST = `GET ${R}/issues`;

describe("delivery drift-issue", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "drift-"));
    fs.writeFileSync(path.join(dir, "preview.log"), "Resources:\n    ~ 1 to update\n    30 unchanged\n\nerror: no changes were expected but changes were proposed\n");
    fs.mkdirSync(path.join(dir, "whatif"));
    fs.writeFileSync(
      path.join(dir, "whatif", "dev.json"),
      JSON.stringify({ status: "Succeeded", changes: [{ resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default", changeType: "Modify", delta: [{ path: "properties.deleteRetentionPolicy.days", propertyChangeType: "Modify", before: 14, after: 7 }] }] }),
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function cli(args: string[], gh = standInGitHub()) {
    const capture = captureIo({ cwd: dir, env: { GITHUB_REPOSITORY: "Codertocat/Hello-World", GITHUB_TOKEN: "t" } });
    const code = await run(args, capture.io, { github: async () => gh.client() });
    return { ...capture, gh, code };
  }
  const args = (exitCode: string) => ["drift-issue", "--stack", "dev", "--exit-code", exitCode, "--log", "preview.log", "--whatif-dir", "whatif", "--commit", SHA, "--run-url", "https://x/run"];

  it("opens an issue with the drift's what-if when the stack drifted", async () => {
    const gh = standInGitHub();
    gh.world.openIssue({ title: "Drift in dev: resources differ from the code", body: `${commentMarker("drift", "dev")}\nforged`, author: "mallory" });
    const r = await cli(args("255"), gh);
    expect(JSON.parse(r.stdout())).toEqual({ stack: "dev", outcome: "drifted", action: "opened", issue: 2 });
    const opened = gh.world.issues.find((i) => i.number === 2)!;
    expect([opened.user.login, opened.title]).toEqual([BOT, "Drift in dev: resources differ from the code"]);
    expect(opened.body).toContain("`properties.deleteRetentionPolicy.days: 14 => 7`");
    expect(gh.requests()[0]).toBe(`${LIST}?state=open&creator=github-actions%5Bbot%5D&per_page=100`);
  });

  it("closes its issue when the stack is clean again", async () => {
    const gh = standInGitHub();
    const drift = gh.world.openIssue({ title: "Drift in dev: resources differ from the code", body: `${commentMarker("drift", "dev")}\n…`, author: BOT });
    const r = await cli(args("0"), gh);
    expect(JSON.parse(r.stdout())).toEqual({ stack: "dev", outcome: "clean", action: "closed", issue: drift.number });
    expect(drift.state).toBe("closed");
    expect(gh.world.commentsOn(drift.number)).toHaveLength(1);
    expect(gh.calls.at(-1)!.body).toEqual({ state: "closed", state_reason: "completed" });
  });

  it("fails without touching issues when the preview failed for another reason", async () => {
    fs.writeFileSync(path.join(dir, "preview.log"), "error: Azure login failed\n");
    const r = await cli(args("1"));
    expect(r.stderr()).toBe("delivery: the drift preview of dev failed (exit code 1) for another reason than drift; see its log\n");
    expect(r.code).toBe(2);
    expect(r.gh.writes()).toEqual([]);
  });
});
