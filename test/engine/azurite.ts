/**
 * Azurite (Microsoft's Azure Storage emulator, npm `azurite`) for the team-backend test: started
 * on a free port, in memory, without telemetry, plus the two Storage calls the test needs, signed
 * the way Azure Storage signs them (Shared Key for the administrator, container SAS tokens for the
 * per-stack credentials). Azurite enforces both, so a token for one container is refused on another.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import * as net from "node:net";
import * as path from "node:path";
import { sharedKeyAuthorization, STORAGE_API_VERSION } from "../../cli/azure-blob";

/** Azurite's well-known development account and key (public; the emulator accepts only these). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/** The SAS format without an encryption scope (2018-11-09 up to 2020-02-10). */
const SAS_VERSION = "2020-02-10";

function sign(text: string): string {
  return createHmac("sha256", Buffer.from(AZURITE_KEY, "base64")).update(text, "utf8").digest("base64");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The Azurite release the team-backend test runs. */
export const AZURITE_PACKAGE = "azurite@3.37.0";

export class Azurite {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /**
   * Starts azurite-blob and waits until it answers. Azurite is installed by
   * scripts/install-npm-tool.sh into a cache (it is no dependency of the project: no workflow job
   * should download its 500 MB).
   */
  static async start(repoRoot: string, workDir: string): Promise<Azurite> {
    const port = await freePort();
    const bin = execFileSync("bash", [path.join(repoRoot, "scripts", "install-npm-tool.sh"), AZURITE_PACKAGE, "azurite-blob"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    const child = spawn(bin, ["--blobHost", "127.0.0.1", "--blobPort", String(port), "--inMemoryPersistence", "--disableTelemetry", "--silent", "--skipApiVersionCheck"], {
      // In memory; the working directory only catches anything it writes anyway.
      cwd: workDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    const azurite = new Azurite(child, port);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await fetch(`http://127.0.0.1:${port}/${AZURITE_ACCOUNT}?comp=list`);
        return azurite;
      } catch {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`azurite-blob did not start on port ${port}:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** The Pulumi backend URL of a container on this emulator. */
  backendUrl(container: string): string {
    return `azblob://${container}?localemu=true&domain=127.0.0.1:${this.port}&protocol=http`;
  }

  /** A Shared Key request as the account administrator (the platform's bootstrap, not a stack), signed by the CLI's signer. */
  private async admin(method: string, resource: string, query: Record<string, string>): Promise<{ status: number; text: string }> {
    const url = new URL(`http://127.0.0.1:${this.port}/${AZURITE_ACCOUNT}${resource}?${new URLSearchParams(query)}`);
    const headers: Record<string, string> = { "x-ms-date": new Date().toUTCString(), "x-ms-version": STORAGE_API_VERSION };
    headers.authorization = sharedKeyAuthorization(AZURITE_ACCOUNT, AZURITE_KEY, method, url, headers);
    const res = await fetch(url, { method, headers });
    return { status: res.status, text: await res.text() };
  }

  async createContainer(name: string): Promise<void> {
    const r = await this.admin("PUT", `/${name}`, { restype: "container" });
    if (r.status !== 201) throw new Error(`creating container ${name} failed (${r.status}): ${r.text}`);
  }

  /** Every blob name in a container (as the administrator sees it). */
  async blobs(container: string): Promise<string[]> {
    const r = await this.admin("GET", `/${container}`, { restype: "container", comp: "list" });
    if (r.status !== 200) throw new Error(`listing ${container} failed (${r.status}): ${r.text}`);
    return [...r.text.matchAll(/<Name>([^<]+)<\/Name>/g)].map((m) => m[1]);
  }

  /**
   * A service SAS for one container: `racwdl` for a stack's deployments, `rl` for its read-only
   * previews. In Azure the same boundaries are role assignments at the container's scope
   * (Storage Blob Data Contributor / Reader) for the environment's deploy / preview identity.
   */
  containerSas(container: string, permissions: string, validMinutes = 60): string {
    const expiry = new Date(Date.now() + validMinutes * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const stringToSign = [permissions, "", expiry, `/blob/${AZURITE_ACCOUNT}/${container}`, "", "", "", SAS_VERSION, "c", "", "", "", "", "", ""].join("\n");
    return new URLSearchParams({ sv: SAS_VERSION, se: expiry, sr: "c", sp: permissions, sig: sign(stringToSign) }).toString();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once("exit", () => resolve());
      this.child.kill("SIGTERM");
    });
  }
}
