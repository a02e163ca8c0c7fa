/**
 * `delivery unlock` on an `azblob://` backend, the way a deploy job runs it after azure/login: the
 * container is found as Pulumi's azblob backend finds it, and requests carry the Azure CLI's
 * Entra token (a fake `az` on PATH that answers `az account get-access-token` as the real one
 * does). The Blob service is a stand-in on 127.0.0.1 that speaks the REST calls unlock makes and
 * refuses any request without that token. Against Azurite and the real Pulumi CLI, with
 * `pulumi cancel`: test/engine/stale-lock.test.ts.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { azblobLocation, openBlobContainer, sharedKeyAuthorization } from "../../cli/azure-blob";
import { run } from "../../cli/main";
import { lockPaths } from "../../core/promotion/lock";
import { captureIo } from "../harness/cli";

describe("azblobLocation: the container as Pulumi's azblob backend finds it", () => {
  it("takes the account from AZURE_STORAGE_ACCOUNT and the public domain by default", () => {
    expect(azblobLocation("azblob://pulumi-state-dev", { AZURE_STORAGE_ACCOUNT: "stdelivery" })).toEqual({ container: "pulumi-state-dev", account: "stdelivery", serviceUrl: "https://stdelivery.blob.core.windows.net" });
  });

  it("lets the URL's parameters override the environment, path-style for the emulator", () => {
    expect(azblobLocation("azblob://pulumi-state-dev?localemu=true&domain=127.0.0.1:10000&protocol=http&storage_account=devstoreaccount1", { AZURE_STORAGE_ACCOUNT: "other" })).toEqual({
      container: "pulumi-state-dev",
      account: "devstoreaccount1",
      serviceUrl: "http://127.0.0.1:10000/devstoreaccount1",
    });
    expect(azblobLocation("azblob://c1c?domain=blob.core.usgovcloudapi.net", { AZURE_STORAGE_ACCOUNT: "st" }).serviceUrl).toBe("https://st.blob.core.usgovcloudapi.net");
  });

  it("names what is missing or wrong before any request", () => {
    expect(() => azblobLocation("azblob://pulumi-state-dev", {})).toThrow(/no storage account for the azblob:\/\/ backend: set AZURE_STORAGE_ACCOUNT .* or add \?storage_account=NAME/);
    expect(() => azblobLocation("azblob://pulumi-state-dev?region=x", { AZURE_STORAGE_ACCOUNT: "st" })).toThrow(/the parameter "region", which Pulumi's azblob backend does not know/);
    expect(() => azblobLocation("azblob://pulumi-state-dev/prefix", { AZURE_STORAGE_ACCOUNT: "st" })).toThrow(/has a path below the container/);
    expect(() => azblobLocation("azblob://Bad_Name", { AZURE_STORAGE_ACCOUNT: "st" })).toThrow(/names no valid container/);
    expect(() => azblobLocation("azblob://c1c?protocol=ftp", { AZURE_STORAGE_ACCOUNT: "st" })).toThrow(/protocol must be http or https, not "ftp"/);
  });
});

describe("sharedKeyAuthorization", () => {
  it("signs the canonical request: verb, length and type, x-ms- headers, /account/path and sorted query", () => {
    const key = Buffer.from("0123456789abcdef").toString("base64");
    const url = new URL("https://st.blob.core.windows.net/c1c?restype=container&comp=list&prefix=.pulumi%2Flocks%2F");
    const auth = sharedKeyAuthorization("st", key, "GET", url, { "x-ms-version": "2021-08-06", "x-ms-date": "Wed, 02 Dec 2026 19:00:00 GMT" });
    const expected = ["GET", "", "", "", "", "", "", "", "", "", "", "", "x-ms-date:Wed, 02 Dec 2026 19:00:00 GMT\nx-ms-version:2021-08-06\n/st/c1c\ncomp:list\nprefix:.pulumi/locks/\nrestype:container"].join("\n");
    const { createHmac } = jest.requireActual<typeof import("node:crypto")>("node:crypto");
    expect(auth).toBe(`SharedKey st:${createHmac("sha256", Buffer.from(key, "base64")).update(expected).digest("base64")}`);
    // The body's length and type are signed for a PUT.
    expect(sharedKeyAuthorization("st", key, "PUT", url, { "content-length": "12", "content-type": "application/json" })).not.toBe(sharedKeyAuthorization("st", key, "PUT", url, { "content-length": "13", "content-type": "application/json" }));
  });
});

const TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.stand-in";

/** The Blob REST calls unlock makes (list with prefix and marker, get, put), with a bearer check. */
class BlobStandIn {
  readonly blobs = new Map<string, string>();
  readonly requests: string[] = [];
  /** Statuses to answer the next requests with before serving them (Azure's transient faults). */
  readonly faults: number[] = [];
  private server = http.createServer((req, res) => this.handle(req, res));
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url!, "http://x");
    const [, account, container, ...blob] = url.pathname.split("/");
    const name = blob.map(decodeURIComponent).join("/");
    this.requests.push(`${req.method} ${container}/${name}${url.search}`);
    const fail = (status: number, code: string) => {
      res.writeHead(status, { "x-ms-error-code": code, "content-type": "application/xml" });
      res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>stand-in</Message></Error>`);
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return fail(401, "NoAuthenticationInformation");
    if (req.headers["x-ms-version"] === undefined) return fail(400, "MissingRequiredHeader");
    const fault = this.faults.shift();
    if (fault !== undefined) {
      res.writeHead(fault, { "x-ms-error-code": fault === 503 ? "ServerBusy" : "InternalError", "retry-after": "1" });
      res.end();
      return;
    }
    if (account !== "devstoreaccount1" || container !== "pulumi-state-dev") return fail(404, "ContainerNotFound");
    if (req.method === "GET" && url.searchParams.get("comp") === "list") {
      // Two names per page, so the marker is followed.
      const all = [...this.blobs.keys()].filter((n) => n.startsWith(url.searchParams.get("prefix") ?? "")).sort();
      const from = Number(url.searchParams.get("marker") || "0");
      const page = all.slice(from, from + 2);
      const next = from + 2 < all.length ? String(from + 2) : "";
      res.writeHead(200, { "content-type": "application/xml" });
      res.end(
        `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://127.0.0.1/devstoreaccount1" ContainerName="pulumi-state-dev"><Prefix>${url.searchParams.get("prefix")}</Prefix><Blobs>${page
          .map((n) => `<Blob><Name>${n.replace(/&/g, "&amp;")}</Name><Properties><BlobType>BlockBlob</BlobType></Properties></Blob>`)
          .join("")}</Blobs><NextMarker>${next}</NextMarker></EnumerationResults>`,
      );
      return;
    }
    if (req.method === "GET") {
      if (!this.blobs.has(name)) return fail(404, "BlobNotFound");
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(this.blobs.get(name));
      return;
    }
    if (req.method === "PUT") {
      if (req.headers["x-ms-blob-type"] !== "BlockBlob") return fail(400, "MissingRequiredHeader");
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        this.blobs.set(name, body);
        res.writeHead(201);
        res.end();
      });
      return;
    }
    fail(405, "UnsupportedHttpVerb");
  }
}

describe("delivery unlock on an azblob:// backend, logged in with the Azure CLI", () => {
  let dir: string;
  let blob: BlobStandIn;
  let env: Record<string, string>;
  const paths = lockPaths("payments-service", "dev");

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "unlock-azblob-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: payments-service\nruntime: nodejs\n");
    fs.mkdirSync(path.join(dir, "bin"));
    // `az account get-access-token --resource https://storage.azure.com/ --query accessToken --output tsv`, logged in.
    fs.writeFileSync(
      path.join(dir, "bin", "az"),
      `#!/bin/sh\necho "$*" >> "${dir}/az.log"\n[ "$1 $2" = "account get-access-token" ] || { echo "ERROR: unexpected: $*" >&2; exit 2; }\necho "$*" | grep -q -- '--resource https://storage.azure.com/' || { echo "ERROR: wrong resource" >&2; exit 1; }\necho "${TOKEN}"\n`,
      { mode: 0o755 },
    );
    blob = new BlobStandIn();
    await blob.start();
    env = {
      PATH: `${path.join(dir, "bin")}${path.delimiter}${process.env.PATH}`,
      PULUMI_BACKEND_URL: `azblob://pulumi-state-dev?localemu=true&domain=127.0.0.1:${blob.port}&protocol=http`,
      AZURE_STORAGE_ACCOUNT: "devstoreaccount1",
      GITHUB_REPOSITORY: "contoso/payments-service",
      GITHUB_RUN_ID: "901",
    };
  });

  afterAll(async () => {
    await blob.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function unlock(argv: string[], runStatus: string, extraEnv: Record<string, string> = {}) {
    const { io, stdout, stderr } = captureIo({ cwd: dir, env: { ...env, ...extraEnv } });
    const client = { request: async (_route: string, params: Record<string, unknown>) => ({ data: { id: params.run_id, status: runStatus } }) };
    const code = await run(["unlock", "--stack", "dev", ...argv], io, { github: async () => client as never, hostname: () => "fv-az123-456" });
    return { code, stdout: stdout(), stderr: stderr() };
  }

  it("--record-run writes the run record as a blob beside the locks, with the CLI's token", async () => {
    const r = await unlock(["--record-run", "900", "--run-url", "https://github.com/contoso/payments-service/actions/runs/900"], "in_progress");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(blob.blobs.get(paths.record)!)).toMatchObject({ runId: 900, hostname: "fv-az123-456" });
    expect(fs.readFileSync(path.join(dir, "az.log"), "utf8")).toBe("account get-access-token --resource https://storage.azure.com/ --query accessToken --output tsv\n");
  });

  it("reads every lock across list pages and judges them as on a file backend", async () => {
    const lockDir = paths.lockDirs[0];
    const taken = new Date(Date.now() + 1000).toISOString();
    blob.blobs.set(`${lockDir}/0b6f.json`, JSON.stringify({ pid: 4242, username: "runner", hostname: "fv-az123-456", timestamp: taken }));
    blob.blobs.set(`${lockDir}/0b6f.json.attrs`, "{}");
    blob.blobs.set(`${lockDir}/deeper/not-a-lock.json`, "{}");
    blob.requests.length = 0;

    const live = await unlock([], "in_progress");
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(/^delivery: dev stays locked: 1 lock\(s\) may be live: runner@fv-az123-456 \(pid 4242\) at .*: taken by run 900 \(https:\/\/github.com\/contoso\/payments-service\/actions\/runs\/900\), which is still in progress\n$/);
    // Listed page by page (prefix and marker), then only the lock and the record read.
    expect(blob.requests.filter((q) => q.includes("comp=list")).length).toBeGreaterThanOrEqual(2);
    expect(blob.requests.filter((q) => q.startsWith("GET") && !q.includes("comp=list"))).toEqual([`GET pulumi-state-dev/${lockDir}/0b6f.json`, `GET pulumi-state-dev/${paths.record}`]);

    const ended = await unlock(["--dry-run"], "completed");
    expect(ended.code).toBe(0);
    expect(JSON.parse(ended.stdout)).toMatchObject({ action: "clear", cleared: false, dryRun: true, record: { runId: 900 }, locks: [{ key: `${lockDir}/0b6f.json`, stale: true }] });
  });

  it("sends a request again after a transient fault (503 ServerBusy, Retry-After: 1), and gives up after four attempts", async () => {
    blob.requests.length = 0;
    blob.faults.push(503);
    const r = await unlock(["--dry-run"], "completed");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(blob.requests.filter((q) => q.includes("comp=list")).length).toBeGreaterThanOrEqual(3);

    const delays: number[] = [];
    const container = openBlobContainer(env.PULUMI_BACKEND_URL, env, async () => TOKEN, { sleep: async (ms) => void delays.push(ms) });
    blob.faults.push(500, 503, 500, 503);
    await expect(container.read(paths.record)).rejects.toThrow(/^reading \.pulumi\/delivery\/runs\/organization\/payments-service\/dev\.json in container pulumi-state-dev of storage account devstoreaccount1 failed after 4 attempts: GET .*: HTTP 503 ServerBusy; run it again later$/);
    expect(delays).toHaveLength(3);
    expect(delays.every((d) => d >= 1000 && d <= 10_000)).toBe(true);
    // One fault, then the blob: served by the second attempt.
    blob.faults.push(500);
    expect(await container.read(paths.record)).toContain('"runId":900');
  });

  it("says what the identity lacks when the service refuses it, without asking again", async () => {
    blob.requests.length = 0;
    const r = await unlock([], "completed", { PATH: process.env.PATH ?? "", AZURE_STORAGE_SAS_TOKEN: "sv=2020-02-10&sig=wrong" });
    expect(blob.requests).toHaveLength(1);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^delivery: listing \.pulumi\/locks\/organization\/payments-service\/dev\/ in container pulumi-state-dev of storage account devstoreaccount1 failed: HTTP 401 NoAuthenticationInformation; the identity running this needs a data role on the container/);
  });

  it("without a login, says how to give it credentials", async () => {
    const r = await unlock([], "completed", { PATH: "/nonexistent" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("reading an azblob:// backend needs credentials: log in with `az login` (azure/login in a workflow), or set AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_KEY; the Azure CLI `az` was not found");
  });
});
