/**
 * The team state backend for real: the Pulumi CLI's `azblob://` backend against Azurite, with the
 * per-stack layout of `core/state-backend.ts`. Two stacks in their own containers with their own
 * passphrases; a second concurrent `up` of one stack refused by the backend's lock; one stack's
 * credentials unable to read the other's state; a preview's read-only credential able to preview
 * but not to deploy.
 *
 * The program is a minimal one (an output, a secret output, and an optional pause that holds the
 * lock): what is under test is the backend, not the platform's resources.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { STATE_SAS_PERMISSIONS, stateBackendUrl, stateContainer } from "../../core/state-backend";
import { Azurite, AZURITE_ACCOUNT } from "./azurite";
import { describeEngine, findCli, REPO_ROOT, type RunResult } from "./harness";

jest.setTimeout(300_000);

const PROJECT = "backend-probe";
const PROGRAM = `const pulumi = require("@pulumi/pulumi");
module.exports = async () => {
  const hold = Number(process.env.PROBE_HOLD_MS || "0");
  if (hold > 0) await new Promise((resolve) => setTimeout(resolve, hold));
  return { stack: pulumi.getStack(), token: pulumi.secret("secret-of-" + pulumi.getStack()) };
};
`;
const PASSPHRASE = { dev: "passphrase-of-dev", prod: "passphrase-of-prod" } as const;
type Stack = keyof typeof PASSPHRASE;

describeEngine("engine: the team state backend (azblob on Azurite)", () => {
  let dir: string;
  let azurite: Azurite;
  let baseEnv: NodeJS.ProcessEnv;

  /** The credentials of one stack's deployments (`deploy`) or previews (`preview`). */
  const credentials = (stack: Stack, role: keyof typeof STATE_SAS_PERMISSIONS, passphrase: string = PASSPHRASE[stack]): NodeJS.ProcessEnv => ({
    AZURE_STORAGE_SAS_TOKEN: azurite.containerSas(stateContainer(stack), STATE_SAS_PERMISSIONS[role]),
    PULUMI_CONFIG_PASSPHRASE: passphrase,
  });
  /** The backend URL the workflows derive (`azblob://pulumi-state-<stack>`), pointed at the emulator. */
  const backendOf = (stack: Stack) => {
    expect(stateBackendUrl(stack)).toBe(`azblob://${stateContainer(stack)}`);
    return azurite.backendUrl(stateContainer(stack));
  };

  function pulumi(backendStack: Stack, args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(path.join(findCli()!, "bin", "pulumi"), [...args, "--non-interactive"], {
        cwd: path.join(dir, "project"),
        env: { ...baseEnv, PULUMI_BACKEND_URL: backendOf(backendStack), ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr, output: `${stdout}\n${stderr}`, seconds: (Date.now() - started) / 1000 }));
    });
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-backend-"));
    fs.mkdirSync(path.join(dir, "project"));
    fs.writeFileSync(path.join(dir, "project", "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
    fs.writeFileSync(path.join(dir, "project", "package.json"), JSON.stringify({ name: PROJECT, main: "index.js" }));
    fs.writeFileSync(path.join(dir, "project", "index.js"), PROGRAM);
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "project", "node_modules"));
    const home = path.join(dir, "pulumi-home");
    fs.mkdirSync(path.join(home, "versions"), { recursive: true });
    fs.symlinkSync(findCli()!, path.join(home, "versions", path.basename(findCli()!)));
    fs.mkdirSync(path.join(dir, "azurite"));
    azurite = await Azurite.start(REPO_ROOT, path.join(dir, "azurite"));
    const bin = path.join(findCli()!, "bin");
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PULUMI_|AZURE_)/.test(k)));
    baseEnv = { ...inherited, PATH: `${bin}${path.delimiter}${process.env.PATH}`, PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true", AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, NO_COLOR: "1" };
    // The bootstrap (the platform administrator, once): one container per stack.
    for (const stack of ["dev", "prod"] as const) await azurite.createContainer(stateContainer(stack));
    for (const stack of ["dev", "prod"] as const) {
      const init = await pulumi(stack, ["stack", "init", stack], credentials(stack, "deploy"));
      if (init.code !== 0) throw new Error(`pulumi stack init ${stack} failed:\n${init.output}`);
    }
  });

  afterAll(async () => {
    await azurite?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps two stacks under their own prefixes, each with its own passphrase", async () => {
    for (const stack of ["dev", "prod"] as const) {
      const up = await pulumi(stack, ["up", "--yes", "--stack", stack], credentials(stack, "deploy"));
      expect(up.output).toContain("+ 1 created");
      expect(up.code).toBe(0);
    }
    const devBlobs = await azurite.blobs(stateContainer("dev"));
    const prodBlobs = await azurite.blobs(stateContainer("prod"));
    expect(devBlobs).toContain(`.pulumi/stacks/${PROJECT}/dev.json`);
    expect(prodBlobs).toContain(`.pulumi/stacks/${PROJECT}/prod.json`);
    expect(devBlobs.filter((b) => b.includes("/prod"))).toEqual([]);
    expect(prodBlobs.filter((b) => b.includes("/dev"))).toEqual([]);
    const secret = await pulumi("prod", ["stack", "output", "token", "--show-secrets", "--stack", "prod"], credentials("prod", "deploy"));
    expect(secret.stdout.trim()).toBe("secret-of-prod");
  });

  it("refuses a second concurrent up of one stack with the backend's lock", async () => {
    const first = pulumi("prod", ["up", "--yes", "--stack", "prod"], { ...credentials("prod", "deploy"), PROBE_HOLD_MS: "20000" });
    // Wait until the first update holds the lock (a blob under .pulumi/locks/).
    const deadline = Date.now() + 60_000;
    while (!(await azurite.blobs(stateContainer("prod"))).some((b) => b.startsWith(".pulumi/locks/"))) {
      if (Date.now() > deadline) throw new Error(`the first up never took the lock:\n${(await first).output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const second = await pulumi("prod", ["up", "--yes", "--stack", "prod"], credentials("prod", "deploy"));
    expect(second.code).not.toBe(0);
    expect(second.output).toMatch(/the stack is currently locked by 1 lock\(s\)/);
    const done = await first;
    expect(done.code).toBe(0);
    expect((await azurite.blobs(stateContainer("prod"))).filter((b) => b.startsWith(".pulumi/locks/"))).toEqual([]);
  });

  it("does not let dev's credentials read prod's state, nor dev's passphrase open prod's secrets", async () => {
    const listed = await pulumi("prod", ["stack", "ls"], credentials("dev", "deploy"));
    expect(listed.code).not.toBe(0);
    expect(listed.output).toMatch(/AuthorizationFailure|403/);
    const exported = await pulumi("prod", ["stack", "export", "--stack", "prod"], credentials("dev", "deploy"));
    expect(exported.code).not.toBe(0);
    expect(exported.stdout).not.toContain("secret-of-prod");
    // Even with read access to prod's container, dev's passphrase does not decrypt prod's secrets.
    const wrongPassphrase = await pulumi("prod", ["stack", "output", "token", "--show-secrets", "--stack", "prod"], credentials("prod", "preview", PASSPHRASE.dev));
    expect(wrongPassphrase.code).not.toBe(0);
    expect(wrongPassphrase.output).toMatch(/incorrect passphrase/);
  });

  it("lets a preview's read-only credential preview prod but not deploy it, and leaves nothing behind", async () => {
    const before = await azurite.blobs(stateContainer("prod"));
    const preview = await pulumi("prod", ["preview", "--stack", "prod"], credentials("prod", "preview"));
    expect(preview.code).toBe(0);
    expect(preview.output).toContain("1 unchanged");
    const up = await pulumi("prod", ["up", "--yes", "--stack", "prod"], credentials("prod", "preview"));
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/AuthorizationPermissionMismatch|AuthorizationFailure|403/);
    expect(await azurite.blobs(stateContainer("prod"))).toEqual(before);
  });
});
