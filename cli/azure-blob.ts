/**
 * The few Azure Blob Storage calls `delivery unlock` makes on an `azblob://` Pulumi state backend:
 * list, read and write blobs of the backend's one container.
 *
 * The container is reached exactly as Pulumi's own azblob backend (gocloud.dev/blob/azureblob)
 * reaches it, so `unlock` sees the locks `pulumi up` wrote and `pulumi cancel` deletes:
 * - the service URL from AZURE_STORAGE_ACCOUNT / DOMAIN / PROTOCOL / IS_LOCAL_EMULATOR, overridden
 *   by the URL's `storage_account`, `domain`, `protocol` and `localemu` parameters
 *   (`<protocol>://<account>.<domain>`, or path-style `<protocol>://<domain>/<account>` for the
 *   emulator and 127.0.0.1/localhost);
 * - credentials in gocloud's order: AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY (Shared Key),
 *   AZURE_STORAGE_SAS_TOKEN, otherwise Microsoft Entra ID: the token of the Azure CLI's login
 *   (in a workflow, azure/login's OIDC login as the environment's deploy identity, which
 *   `azure.stateStorage` makes Storage Blob Data Contributor on its own stack's container).
 */
import { createHmac } from "node:crypto";
import { classificationOfKind, type Classification } from "../core/classify";
import { RetryError, withRetry, type RetryPolicy } from "../core/retry";
import { CliError } from "./io";

/** The Blob service REST version the requests speak. */
export const STORAGE_API_VERSION = "2021-08-06";
const DEFAULT_DOMAIN = "blob.core.windows.net";
const URL_PARAMETERS = new Set(["storage_account", "domain", "protocol", "localemu", "cdn"]);

export interface AzblobLocation {
  readonly container: string;
  readonly account: string;
  /** `<protocol>://<account>.<domain>` or, for the emulator, `<protocol>://<domain>/<account>`; no query. */
  readonly serviceUrl: string;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|t|true)$/i.test(value);
}

/** Where an `azblob://CONTAINER?...` backend lives; throws CliError naming what is missing. */
export function azblobLocation(backendUrl: string, env: NodeJS.ProcessEnv): AzblobLocation {
  let url: URL;
  try {
    url = new URL(backendUrl);
  } catch {
    throw new CliError(`the backend URL "${backendUrl.slice(0, 80)}" is not a URL`);
  }
  if (url.protocol !== "azblob:") throw new CliError(`the backend URL "${backendUrl.slice(0, 80)}" is not an azblob:// URL`);
  const container = url.hostname;
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) throw new CliError(`the backend URL names no valid container ("${container}"): expected azblob://<container>`);
  if (url.pathname !== "" && url.pathname !== "/") throw new CliError(`the backend URL "${backendUrl.slice(0, 80)}" has a path below the container; delivery unlock reads state at the container's root only`);
  for (const key of url.searchParams.keys()) {
    if (!URL_PARAMETERS.has(key)) throw new CliError(`the backend URL has the parameter "${key}", which Pulumi's azblob backend does not know either (known: ${[...URL_PARAMETERS].join(", ")})`);
  }
  const q = (key: string) => url.searchParams.get(key) ?? undefined;
  const account = q("storage_account") ?? env.AZURE_STORAGE_ACCOUNT;
  if (!account) throw new CliError("no storage account for the azblob:// backend: set AZURE_STORAGE_ACCOUNT (the environment variable the program sets with azure.stateStorage) or add ?storage_account=NAME to the backend URL");
  const domain = q("domain") ?? (env.AZURE_STORAGE_DOMAIN || DEFAULT_DOMAIN);
  const protocol = q("protocol") ?? (env.AZURE_STORAGE_PROTOCOL || "https");
  if (protocol !== "http" && protocol !== "https") throw new CliError(`the azblob:// backend's protocol must be http or https, not "${protocol}"`);
  const emulator = truthy(q("localemu") ?? env.AZURE_STORAGE_IS_LOCAL_EMULATOR) || domain.startsWith("127.0.0.1") || domain.startsWith("localhost");
  const cdn = truthy(q("cdn") ?? env.AZURE_STORAGE_IS_CDN);
  const serviceUrl = emulator ? `${protocol}://${domain}/${account}` : cdn ? `${protocol}://${domain}` : `${protocol}://${account}.${domain}`;
  return { container, account, serviceUrl };
}

/**
 * The Shared Key signature of a Blob service request (learn.microsoft.com, "Authorize with Shared
 * Key"): the verb, the standard headers (only Content-Length and Content-Type are ever sent here),
 * the `x-ms-` headers and the canonical resource `/<account><path>` with its query parameters.
 */
export function sharedKeyAuthorization(account: string, key: string, method: string, url: URL, headers: Readonly<Record<string, string>>): string {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const length = lower["content-length"] && lower["content-length"] !== "0" ? lower["content-length"] : "";
  const standard = [method, lower["content-encoding"] ?? "", lower["content-language"] ?? "", length, lower["content-md5"] ?? "", lower["content-type"] ?? "", "", "", "", "", "", lower.range ?? ""];
  const msHeaders = Object.keys(lower)
    .filter((k) => k.startsWith("x-ms-"))
    .sort()
    .map((k) => `${k}:${lower[k].trim()}\n`)
    .join("");
  const params = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) params.set(k.toLowerCase(), [...(params.get(k.toLowerCase()) ?? []), v]);
  const query = [...params.keys()]
    .sort()
    .map((k) => `\n${k}:${params.get(k)!.sort().join(",")}`)
    .join("");
  const stringToSign = `${standard.join("\n")}\n${msHeaders}/${account}${url.pathname}${query}`;
  return `SharedKey ${account}:${createHmac("sha256", Buffer.from(key, "base64")).update(stringToSign, "utf8").digest("base64")}`;
}

/** How requests are authorised: a header per request, or a SAS token in every URL. */
type Credential =
  | { readonly kind: "shared-key"; readonly key: string }
  | { readonly kind: "sas"; readonly token: string }
  | { readonly kind: "entra"; readonly token: () => Promise<string> };

export interface BlobContainer {
  /** What to name in messages: the container and account, never a credential. */
  readonly describe: string;
  /** Names of the blobs that start with `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** A blob's text, or undefined when there is no such blob. */
  read(name: string): Promise<string | undefined>;
  write(name: string, text: string): Promise<void>;
}

/** Statuses Azure Storage answers for faults that pass (throttling, server errors), as classifier kinds. */
const TRANSIENT_STATUS: Readonly<Record<number, string>> = { 429: "throttled", 500: "server-error", 502: "gateway-timeout", 503: "service-unavailable", 504: "gateway-timeout" };

/** A few quick attempts: unlock runs inside a deploy job, which should not wait minutes on storage. */
const BLOB_RETRY: RetryPolicy = { maxAttempts: 4, initialDelayMs: 1000, maxDelayMs: 10_000, multiplier: 2, jitter: 0.2 };

/** A fault that passes: retried by `request`. */
class TransientBlobFault extends Error {
  constructor(
    message: string,
    readonly classification: Classification,
  ) {
    super(message);
  }
}

function classifyBlobError(err: unknown): Classification {
  if (err instanceof TransientBlobFault) return err.classification;
  // Anything else (a refused credential, a missing token) fails the same way again: not retried.
  return { category: "unknown", retryable: false, kind: "blob-request-failed", reason: err instanceof Error ? err.message : String(err) };
}

function xmlText(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp|#(\d+)|#x([0-9a-f]+));/gi, (m, name: string, dec?: string, hex?: string) =>
    dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" } as Record<string, string>)[name.toLowerCase()] ?? m,
  );
}

/**
 * The backend's container, with credentials chosen as gocloud chooses them. `entraToken` gets an
 * access token for https://storage.azure.com/ when neither a key nor a SAS is set.
 */
export function openBlobContainer(backendUrl: string, env: NodeJS.ProcessEnv, entraToken: () => Promise<string>, settings: { readonly sleep?: (ms: number) => Promise<void> } = {}): BlobContainer {
  const where = azblobLocation(backendUrl, env);
  const credential: Credential =
    env.AZURE_STORAGE_ACCOUNT && env.AZURE_STORAGE_KEY
      ? { kind: "shared-key", key: env.AZURE_STORAGE_KEY }
      : env.AZURE_STORAGE_SAS_TOKEN
        ? { kind: "sas", token: env.AZURE_STORAGE_SAS_TOKEN.replace(/^\?/, "") }
        : { kind: "entra", token: entraToken };
  const describe = `container ${where.container} of storage account ${where.account}`;
  let bearer: Promise<string> | undefined;

  const send = async (method: "GET" | "PUT", blob: string | undefined, query: Record<string, string>, body?: Buffer): Promise<Response> => {
    const path = blob === undefined ? "" : `/${blob.split("/").map(encodeURIComponent).join("/")}`;
    const url = new URL(`${where.serviceUrl}/${where.container}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const headers: Record<string, string> = { "x-ms-date": new Date().toUTCString(), "x-ms-version": STORAGE_API_VERSION };
    if (body) Object.assign(headers, { "content-length": String(body.length), "content-type": "application/json", "x-ms-blob-type": "BlockBlob" });
    if (credential.kind === "shared-key") headers.authorization = sharedKeyAuthorization(where.account, credential.key, method, url, headers);
    else if (credential.kind === "entra") headers.authorization = `Bearer ${await (bearer ??= credential.token())}`;
    const target = credential.kind === "sas" ? `${url.href}${url.search ? "&" : "?"}${credential.token}` : url.href;
    let res: Response;
    try {
      res = await fetch(target, { method, headers, body });
    } catch (err) {
      throw new TransientBlobFault(`could not reach ${describe} at ${where.serviceUrl}: ${(err as Error).message}`, classificationOfKind("network"));
    }
    const transient = TRANSIENT_STATUS[res.status];
    if (transient) {
      await res.body?.cancel(); // frees the connection for the next attempt
      const retryAfter = Number(res.headers.get("retry-after"));
      const code = res.headers.get("x-ms-error-code") ?? "no error code";
      throw new TransientBlobFault(`${method} ${describe}: HTTP ${res.status} ${code}`, { ...classificationOfKind(transient), ...(retryAfter > 0 ? { retryAfterSeconds: Math.min(retryAfter, 60) } : {}) });
    }
    return res;
  };

  const failure = async (what: string, res: Response): Promise<CliError> => {
    const code = res.headers.get("x-ms-error-code") ?? (/<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1] || "no error code");
    const hint =
      res.status === 403 || res.status === 401
        ? `; the identity running this needs a data role on the container: the deploy identity holds Storage Blob Data Contributor on its own stack's container when azure.stateStorage is configured`
        : "";
    return new CliError(`${what} in ${describe} failed: HTTP ${res.status} ${code}${hint}`);
  };

  /**
   * One operation, named once for its messages: sent again after throttling, a server error or a lost
   * connection (Azure's transient faults); any other answer but success (or 404 when `accept404`)
   * fails with the operation, the container and the status.
   */
  const request = async (what: string, method: "GET" | "PUT", blob: string | undefined, query: Record<string, string>, options: { body?: Buffer; accept404?: boolean } = {}): Promise<Response> => {
    let res: Response;
    try {
      res = (await withRetry(() => send(method, blob, query, options.body), { policy: BLOB_RETRY, sleep: settings.sleep, classifyError: classifyBlobError })).value;
    } catch (err) {
      if (err instanceof RetryError && err.lastError instanceof TransientBlobFault) {
        throw new CliError(`${what} in ${describe} failed after ${err.attempts.length} attempts: ${err.lastError.message}; run it again later`);
      }
      throw err instanceof RetryError ? err.lastError : err;
    }
    if (!res.ok && !(options.accept404 && res.status === 404)) throw await failure(what, res);
    return res;
  };

  return {
    describe,
    async list(prefix) {
      const names: string[] = [];
      let marker = "";
      do {
        const res = await request(`listing ${prefix}`, "GET", undefined, { restype: "container", comp: "list", prefix, ...(marker ? { marker } : {}) });
        const xml = await res.text();
        for (const m of xml.matchAll(/<Blob>[\s\S]*?<Name>([^<]*)<\/Name>/g)) names.push(xmlText(m[1]));
        marker = xmlText(/<NextMarker>([^<]*)<\/NextMarker>/.exec(xml)?.[1] ?? "");
      } while (marker);
      return names.sort();
    },
    async read(name) {
      const res = await request(`reading ${name}`, "GET", name, {}, { accept404: true });
      return res.status === 404 ? undefined : res.text();
    },
    async write(name, text) {
      await request(`writing ${name}`, "PUT", name, {}, { body: Buffer.from(text, "utf8") });
    },
  };
}
