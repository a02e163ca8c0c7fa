// The Node.js language host (sandbox/language-host), driven over gRPC like the Pulumi CLI drives
// it: started as a child process, port read from its first stdout line, then LanguageRuntime RPCs
// with the generated stubs of @pulumi/pulumi. The engine-level runs (pulumi preview/up with this
// host) are covered by the engine tests; docs/offline-cli.md says how it was verified by hand.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { LanguageRuntimeClient } from "@pulumi/pulumi/proto/language_grpc_pb";
import * as langpb from "@pulumi/pulumi/proto/language_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import * as structpb from "google-protobuf/google/protobuf/struct_pb";
import * as emptypb from "google-protobuf/google/protobuf/empty_pb";

const REPO = path.join(__dirname, "..", "..");
const HOST = path.join(REPO, "sandbox", "language-host", "index.js");

jest.setTimeout(20000);

let host: ChildProcess;
let client: LanguageRuntimeClient;
let hostStderr = "";
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "langhost-test-"));
  host = spawn(process.execPath, [HOST], {
    env: { ...process.env, PULUMI_LANGUAGE_NODEJS_HOST_VERSION: "9.8.7" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  host.stderr!.on("data", (d) => (hostStderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    host.stdout!.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(Number(out.slice(0, nl)));
    });
    host.on("exit", (code) => reject(new Error(`host exited with ${code}: ${hostStderr}`)));
  });
  expect(port).toBeGreaterThan(0);
  client = new LanguageRuntimeClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  // SIGTERM: the host stops whatever it still runs, then exits.
  if (host && host.exitCode === null) {
    const exited = new Promise((resolve) => host.on("exit", resolve));
    host.kill("SIGTERM");
    await exited;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

function programInfo(dir: string, options: Record<string, unknown> = {}): langpb.ProgramInfo {
  const info = new langpb.ProgramInfo();
  info.setRootDirectory(dir);
  info.setProgramDirectory(dir);
  info.setEntryPoint(".");
  info.setOptions(structpb.Struct.fromJavaScript(options as Record<string, structpb.JavaScriptValue>));
  return info;
}

interface PluginRun {
  stdout: string;
  stderr: string;
  exitcode?: number;
  error?: grpc.ServiceError;
}

/** Collects a RunPlugin stream until it ends. */
function collect(stream: grpc.ClientReadableStream<langpb.RunPluginResponse>): Promise<PluginRun> {
  const run: PluginRun = { stdout: "", stderr: "" };
  return new Promise((resolve) => {
    stream.on("data", (msg: langpb.RunPluginResponse) => {
      if (msg.hasStdout()) run.stdout += Buffer.from(msg.getStdout_asU8()).toString();
      if (msg.hasStderr()) run.stderr += Buffer.from(msg.getStderr_asU8()).toString();
      if (msg.hasExitcode()) run.exitcode = msg.getExitcode();
    });
    stream.on("error", (error: grpc.ServiceError) => resolve({ ...run, error }));
    stream.on("end", () => resolve(run));
  });
}

describe("Node.js language host", () => {
  it("answers GetPluginInfo with the version it was installed for", async () => {
    const info = await new Promise<string>((resolve, reject) =>
      client.getPluginInfo(new emptypb.Empty(), (err, res) => (err ? reject(err) : resolve(res!.getVersion()))),
    );
    expect(info).toBe("9.8.7");
  });

  it("answers UNIMPLEMENTED for what it does not implement", async () => {
    const codes = await Promise.all([
      new Promise<number | undefined>((resolve) =>
        client.generateProgram(new langpb.GenerateProgramRequest(), (err) => resolve(err?.code)),
      ),
      new Promise<number | undefined>((resolve) =>
        client.getRequiredPlugins(new langpb.GetRequiredPluginsRequest(), (err) => resolve(err?.code)),
      ),
    ]);
    expect(codes).toEqual([grpc.status.UNIMPLEMENTED, grpc.status.UNIMPLEMENTED]);
  });

  it("runs a plugin through @pulumi/pulumi/cmd/run-plugin and streams its output and exit code", async () => {
    const dir = path.join(tmp, "plugin");
    const pwd = path.join(tmp, "pwd");
    fs.mkdirSync(dir);
    fs.mkdirSync(pwd);
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "fake-plugin", main: "index.js" }));
    fs.writeFileSync(
      path.join(dir, "index.js"),
      [
        "console.log(JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd(), env: process.env.FAKE_PLUGIN_ENV }));",
        "console.error('a line on stderr');",
        "process.exitCode = 7;",
      ].join("\n"),
    );
    const req = new langpb.RunPluginRequest();
    req.setInfo(programInfo(dir, { typescript: false }));
    req.setPwd(pwd);
    req.setKind("resource");
    req.setName("fake");
    req.setArgsList(["alpha", "beta"]);
    req.setEnvList([`PATH=${process.env.PATH}`, "FAKE_PLUGIN_ENV=from-the-engine"]);

    const run = await collect(client.runPlugin(req));

    expect(run.error).toBeUndefined();
    expect(JSON.parse(run.stdout.trim())).toEqual({
      args: ["alpha", "beta"],
      cwd: fs.realpathSync(pwd),
      env: "from-the-engine",
    });
    expect(run.stderr).toContain("a line on stderr");
    expect(run.exitcode).toBe(7);
  });

  it("starts a policy pack only once the engine configured the stack, and proxies to it", async () => {
    // A stand-in for @pulumi/pulumi/cmd/run-policy-pack in the pack's node_modules: an Analyzer
    // server that reports the stack it was started for.
    const dir = path.join(tmp, "pack");
    const fake = path.join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    fs.mkdirSync(fake, { recursive: true });
    fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
    const req = (m: string) => JSON.stringify(require.resolve(m, { paths: [REPO] }));
    fs.writeFileSync(
      path.join(fake, "index.js"),
      `const grpc = require(${req("@grpc/grpc-js")});
const rpc = require(${req("@pulumi/pulumi/proto/analyzer_grpc_pb.js")});
const pb = require(${req("@pulumi/pulumi/proto/analyzer_pb.js")});
const server = new grpc.Server();
server.addService(rpc.AnalyzerService, {
  getAnalyzerInfo: (_call, cb) => {
    const info = new pb.AnalyzerInfo();
    info.setName([process.env.PULUMI_NODEJS_STACK, process.env.PULUMI_CONFIG, process.argv.slice(2).join(" ")].join("|"));
    cb(null, info);
  },
  configureStack: (_call, cb) => cb(null, new pb.AnalyzerStackConfigureResponse()),
});
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  console.log(port);
  console.log("policy pack says hello from " + process.pid);
});
`,
    );
    const runReq = new langpb.RunPluginRequest();
    runReq.setInfo(programInfo(dir, { typescript: false }));
    runReq.setPwd(tmp);
    runReq.setKind("analyzer");
    runReq.setArgsList(["127.0.0.1:1"]);
    runReq.setEnvList([`PATH=${process.env.PATH}`]);
    const stream = client.runPlugin(runReq);
    const done = collect(stream);

    // The first stdout line is the port of the host's proxy, not of the pack; the pack's own
    // output follows once it runs.
    let out = "";
    let sawHello: () => void = () => {};
    const hello = new Promise<void>((resolve) => (sawHello = resolve));
    const proxyPort = await new Promise<number>((resolve) => {
      stream.on("data", (msg: langpb.RunPluginResponse) => {
        out += Buffer.from(msg.getStdout_asU8()).toString();
        if (out.includes("\n")) resolve(Number(out.split("\n")[0]));
        if (out.includes("policy pack says hello")) sawHello();
      });
    });
    const analyzer = new AnalyzerClient(`127.0.0.1:${proxyPort}`, grpc.credentials.createInsecure());
    try {
      const configure = new analyzerpb.AnalyzerStackConfigureRequest();
      configure.setStack("sandbox");
      configure.setProject("delivery-platform");
      configure.getConfigMap().set("delivery-platform:environment", "dev");
      await new Promise<void>((resolve, reject) =>
        analyzer.configureStack(configure, (err) => (err ? reject(err) : resolve())),
      );
      const name = await new Promise<string>((resolve, reject) =>
        analyzer.getAnalyzerInfo(new emptypb.Empty(), (err, res) => (err ? reject(err) : resolve(res!.getName()))),
      );
      expect(name).toBe(`sandbox|{"delivery-platform:environment":"dev"}|127.0.0.1:1 ${dir}`);
    } finally {
      analyzer.close();
    }

    await hello;
    const packPid = Number(/says hello from (\d+)/.exec(out)![1]);

    // The engine ends a plugin by cancelling the stream; the host then stops the pack.
    stream.cancel();
    const run = await done;
    expect(run.error?.code).toBe(grpc.status.CANCELLED);
    await waitUntil(() => !alive(packPid));
  });
});
