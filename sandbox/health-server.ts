/**
 * The sandbox's deployed app: a local HTTP server on 127.0.0.1 that answers for the function app
 * the Bicep template deploys, so `delivery validate health --stack sandbox` checks a real endpoint
 * that comes from the deployment's own outputs, and a failing endpoint can be produced on demand.
 *
 * - `npm run sandbox -- up` starts it (detached, once) before `pulumi up`, and the sandbox's `az`
 *   answers the function app's runtime host name (`app.properties.defaultHostName`, which Azure
 *   assigns at deployment time) with this server's `127.0.0.1:<port>` (`withRuntimeOutputs`), so the
 *   template output `functionAppHostName` names it;
 * - `npm run sandbox -- app fail|ok|status|stop` is the knob: `fail` makes every request answer
 *   503, `ok` 200 again; the server reads the mode on each request;
 * - `npm run sandbox -- destroy` and `reset` stop it.
 *
 * State lives in `<sandbox dir>/app/`: `server.json` (pid, port) and `mode` (`ok` or `fail`).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

export const APP_MODES = ["ok", "fail"] as const;
export type AppMode = (typeof APP_MODES)[number];

export interface AppServer {
  readonly pid: number;
  readonly port: number;
  readonly startedAt: string;
}

const appDir = (sandboxDir: string) => path.join(sandboxDir, "app");
const serverFile = (sandboxDir: string) => path.join(appDir(sandboxDir), "server.json");
const modeFile = (sandboxDir: string) => path.join(appDir(sandboxDir), "mode");

/** The mode requests are answered in; anything but `fail` is `ok`. */
export function readMode(sandboxDir: string): AppMode {
  try {
    return fs.readFileSync(modeFile(sandboxDir), "utf8").trim() === "fail" ? "fail" : "ok";
  } catch {
    return "ok";
  }
}

export function setMode(sandboxDir: string, mode: AppMode): void {
  fs.mkdirSync(appDir(sandboxDir), { recursive: true });
  fs.writeFileSync(modeFile(sandboxDir), `${mode}\n`);
}

/** Whether `pid` is alive and, where /proc tells, is this server (a recorded pid may have been reused by another process). */
function isOurServer(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (pid === process.pid) return true;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("health-server");
  } catch {
    return true;
  }
}

/** The recorded server, when its process is alive. */
export function runningServer(sandboxDir: string): AppServer | null {
  let s: AppServer;
  try {
    s = JSON.parse(fs.readFileSync(serverFile(sandboxDir), "utf8")) as AppServer;
  } catch {
    return null;
  }
  return isOurServer(s.pid) ? s : null;
}

/** `127.0.0.1:<port>` of the running app, or null. */
export function appHost(sandboxDir: string): string | null {
  const s = runningServer(sandboxDir);
  return s ? `127.0.0.1:${s.port}` : null;
}

/** Bicep leaves `app.properties.defaultHostName` to Azure; the sandbox model keeps it as that expression. */
const RUNTIME_HOST = /^\[[A-Za-z_][A-Za-z0-9_]*\.properties\.defaultHostName\]$/;

/**
 * Deployment outputs as Azure would return them: the function app's runtime host name is the
 * sandbox app's address when it runs (otherwise the expression stays, and a health check says
 * it is not a host name).
 */
export function withRuntimeOutputs<T extends Record<string, { type: string; value: unknown }>>(outputs: T, sandboxDir: string): T {
  const host = appHost(sandboxDir);
  if (!host) return outputs;
  const out: Record<string, { type: string; value: unknown }> = {};
  for (const [k, o] of Object.entries(outputs)) out[k] = typeof o.value === "string" && RUNTIME_HOST.test(o.value) ? { ...o, value: host } : o;
  return out as T;
}

/** The request handler: 200 with a small JSON body, or 503 when the knob says fail. */
export function handler(sandboxDir: string): http.RequestListener {
  return (req, res) => {
    const mode = readMode(sandboxDir);
    res.statusCode = mode === "fail" ? 503 : 200;
    res.setHeader("content-type", "application/json");
    res.end(`${JSON.stringify({ app: "sandbox function app", status: mode === "fail" ? "unhealthy (npm run sandbox -- app ok)" : "healthy", path: req.url })}\n`);
  };
}

/** Listens on 127.0.0.1 (the port of the previous run when it is free, so deployed outputs stay valid) and records itself. */
export async function serve(sandboxDir: string, preferredPort = 0): Promise<http.Server> {
  const server = http.createServer(handler(sandboxDir));
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  try {
    await listen(preferredPort);
  } catch (err) {
    if (preferredPort === 0 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    await listen(0);
  }
  fs.mkdirSync(appDir(sandboxDir), { recursive: true });
  const record: AppServer = { pid: process.pid, port: (server.address() as AddressInfo).port, startedAt: new Date().toISOString() };
  fs.writeFileSync(serverFile(sandboxDir), `${JSON.stringify(record)}\n`);
  return server;
}

function previousPort(sandboxDir: string): number {
  try {
    return (JSON.parse(fs.readFileSync(serverFile(sandboxDir), "utf8")) as AppServer).port ?? 0;
  } catch {
    return 0;
  }
}

/** Starts the app in the background unless it runs; resolves with it once it answers. */
export async function ensureAppServer(sandboxDir: string, script: string = __filename): Promise<AppServer & { started: boolean }> {
  const running = runningServer(sandboxDir);
  if (running) return { ...running, started: false };
  const before = fs.existsSync(serverFile(sandboxDir)) ? fs.readFileSync(serverFile(sandboxDir), "utf8") : null;
  const child = spawn(process.execPath, [script, "serve", sandboxDir, String(previousPort(sandboxDir))], { detached: true, stdio: "ignore" });
  child.unref();
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = fs.existsSync(serverFile(sandboxDir)) ? fs.readFileSync(serverFile(sandboxDir), "utf8") : null;
    const s = now !== null && now !== before ? runningServer(sandboxDir) : null;
    if (s && s.pid === child.pid) return { ...s, started: true };
  }
  throw new Error(`the sandbox app did not start (${script} serve ${sandboxDir})`);
}

/** Stops the recorded app (the process this sandbox started), if it runs, and waits up to 2 s for it to go. */
export function stopAppServer(sandboxDir: string): boolean {
  const s = runningServer(sandboxDir);
  if (!s) return false;
  process.kill(s.pid, "SIGTERM");
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 40 && isOurServer(s.pid); i++) Atomics.wait(pause, 0, 0, 50);
  // Keep the port (the next start reuses it), forget the pid.
  fs.writeFileSync(serverFile(sandboxDir), `${JSON.stringify({ ...s, pid: 0 })}\n`);
  return true;
}

if (require.main === module && process.argv[2] === "serve") {
  const dir = process.argv[3];
  if (!dir) {
    process.stderr.write("usage: node health-server.js serve <sandbox dir> [port]\n");
    process.exitCode = 2;
  } else {
    serve(dir, Number(process.argv[4] ?? "0") || 0).catch((err: Error) => {
      process.stderr.write(`sandbox app: ${err.message}\n`);
      process.exitCode = 1;
    });
  }
}
