/** `delivery pr-comment preview --whatif-dir`: the comment built from the raw what-ifs a preview saved. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run } from "../../cli/main";
import { captureIo } from "../harness/cli";
import { standInGitHub } from "../harness/github";
import { generatedWhatIf } from "../fixtures/whatif/generate";

const SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

describe("delivery pr-comment preview --whatif-dir", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "prc-whatif-"));
    fs.mkdirSync(path.join(dir, "whatif"));
    fs.writeFileSync(path.join(dir, "preview.log"), "Resources:\n    ~ 1 to update\n    40 unchanged\n");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function preview(extra: string[] = []) {
    const capture = captureIo({ cwd: dir, env: {} });
    const code = await run(["pr-comment", "preview", "--stack", "prod", "--exit-code", "0", "--commit", SHA, "--log", "preview.log", "--whatif-dir", "whatif", ...extra], capture.io, { github: async () => standInGitHub().client() });
    expect(capture.stderr()).toBe("");
    expect(code).toBe(0);
    return capture.stdout();
  }

  it("reads every saved what-if, in either shape, into a headline and a table per deployment", async () => {
    const change = { resourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default", changeType: "Modify", delta: [{ path: "properties.deleteRetentionPolicy.days", propertyChangeType: "Modify", before: 7, after: 14 }] };
    fs.writeFileSync(path.join(dir, "whatif", "app.json"), JSON.stringify({ status: "Succeeded", properties: { changes: [change] } }));
    fs.writeFileSync(path.join(dir, "whatif", "api.json"), JSON.stringify({ status: "Succeeded", changes: [] }));
    const body = await preview();
    expect(body).toContain("#### Azure what-if: 1 to modify\n");
    expect(body).toContain("##### app: 1 to modify");
    expect(body).toContain("`properties.deleteRetentionPolicy.days: 7 => 14`");
    expect(body).toContain("##### api: no changes");
  });

  it("stays under GitHub's limit on a 2,000-resource what-if and names the artifact", async () => {
    fs.writeFileSync(path.join(dir, "whatif", "prod.json"), generatedWhatIf(2000));
    const body = await preview(["--whatif-artifact", "whatif-prod"]);
    expect(body.length).toBeLessThan(65_536);
    expect(body).toContain("the full what-if is in the run's artifact `whatif-prod`.");
  });
});
