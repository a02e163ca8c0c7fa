// The LanguageRuntime gRPC service (proto/pulumi/language.proto) for Node.js programs: a
// reimplementation, in Node.js, of what the official Go host (sdk/nodejs/cmd/pulumi-language-nodejs)
// does for the RPCs the CLI needs to run programs and policy packs. What it leaves out is listed
// in README.md.
"use strict";

const childProcess = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const grpc = require("@grpc/grpc-js");

const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb.js");
const langproto = require("@pulumi/pulumi/proto/language_pb.js");
const pluginproto = require("@pulumi/pulumi/proto/plugin_pb.js");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb.js");

const { getRequiredPackages, listDependencies } = require("./packages");
const { PolicyProxy } = require("./policy-proxy");

// Exit code with which @pulumi/pulumi's run scripts say "the user already got an actionable message".
const EXITED_AFTER_USER_ACTIONABLE_MESSAGE = 32;
// Like the official host's cmd.WaitDelay: after SIGINT, a child gets this long before SIGKILL.
const KILL_DELAY_MS = 5000;
const HEALTHCHECK_INTERVAL_MS = 5 * 60 * 1000;

class LanguageHost {
    /**
     * @param {{engineAddress: string, runtime: string, tracing: string, version: string,
     *          log: (level: number, msg: string) => void}} opts
     */
    constructor(opts) {
        this.engineAddress = opts.engineAddress;
        this.runtime = opts.runtime;
        this.tracing = opts.tracing;
        this.version = opts.version;
        this.log = opts.log;
        this.children = new Set();
        this.cancelled = false;
        this.healthTimer = undefined;
        /** Called when the engine went away (health check failed). */
        this.onFatal = () => {};
    }

    register(server) {
        const impl = {};
        // Every RPC of the service answers UNIMPLEMENTED unless handled below.
        for (const [name, def] of Object.entries(langrpc.LanguageRuntimeService)) {
            const method = def.path.split("/").pop();
            const err = {
                code: grpc.status.UNIMPLEMENTED,
                details: `method ${method} not implemented by this Node.js language host (delivery-platform sandbox/language-host)`,
            };
            impl[name] = def.responseStream ? (call) => call.emit("error", err) : (_call, cb) => cb(err);
        }
        const unary = (fn) => (call, cb) => {
            Promise.resolve()
                .then(() => fn.call(this, call.request, call))
                .then(
                    (res) => cb(null, res),
                    (e) => cb(toGrpcError(e)),
                );
        };
        Object.assign(impl, {
            getPluginInfo: unary(this.getPluginInfo),
            handshake: unary(this.handshake),
            getRequiredPackages: unary(this.getRequiredPackages),
            run: unary(this.run),
            about: unary(this.about),
            getProgramDependencies: unary(this.getProgramDependencies),
            runtimeOptionsPrompts: unary(() => new langproto.RuntimeOptionsResponse()),
            cancel: unary(this.cancel),
            runPlugin: (call) => this.runPlugin(call),
            installDependencies: (call) => this.installDependencies(call),
        });
        // GetRequiredPlugins stays UNIMPLEMENTED, as in the official host (the CLI then calls
        // GetRequiredPackages).
        server.addService(langrpc.LanguageRuntimeService, impl);
    }

    // --- lifecycle -------------------------------------------------------------------------

    /** Exits when the engine stops answering, like the official host (rpcutil.Healthcheck). */
    startHealthcheck() {
        if (this.healthTimer || !this.engineAddress) return;
        const client = new grpc.Client(this.engineAddress, grpc.credentials.createInsecure());
        const check = () => {
            client.makeUnaryRequest(
                "/grpc.health.v1.Health/Check",
                (b) => b,
                (b) => b,
                Buffer.alloc(0), // HealthCheckRequest{service: ""}
                { deadline: Date.now() + 60000 },
                (err) => {
                    if (err && err.code !== grpc.status.UNIMPLEMENTED) {
                        this.onFatal(`engine at ${this.engineAddress} is gone (${err.details || err.message}); exiting`);
                        return;
                    }
                    this.healthTimer = setTimeout(check, HEALTHCHECK_INTERVAL_MS);
                    this.healthTimer.unref();
                },
            );
        };
        this.healthTimer = setTimeout(check, HEALTHCHECK_INTERVAL_MS);
        this.healthTimer.unref();
    }

    shutdown() {
        if (this.healthTimer) clearTimeout(this.healthTimer);
        this.killChildren("SIGINT");
    }

    killChildren(signal) {
        for (const child of this.children) terminate(child, signal);
    }

    spawnTracked(bin, args, options) {
        const child = childProcess.spawn(bin, args, options);
        this.children.add(child);
        child.on("close", () => this.children.delete(child));
        child.on("error", () => this.children.delete(child));
        return child;
    }

    // --- RPCs --------------------------------------------------------------------------------

    getPluginInfo() {
        const info = new pluginproto.PluginInfo();
        info.setVersion(this.version);
        return info;
    }

    async handshake(req) {
        this.engineAddress = req.getEngineAddress();
        this.log(5, `handshake: engine ${this.engineAddress}`);
        this.startHealthcheck();
        return new langproto.LanguageHandshakeResponse();
    }

    async getRequiredPackages(req) {
        const info = req.getInfo();
        const dir = info ? info.getProgramDirectory() : "";
        const { packages, errors, sdkVersions } = getRequiredPackages(dir);
        for (const e of errors) this.log(3, `while discovering plugins: ${e}`);
        warnIncompatibleSdks(sdkVersions);
        const res = new langproto.GetRequiredPackagesResponse();
        res.setPackagesList(
            packages.map((p) => {
                const dep = new pluginproto.PackageDependency();
                dep.setName(p.name);
                dep.setKind("resource");
                dep.setVersion(p.version);
                dep.setServer(p.server || "");
                if (p.parameterization) {
                    const param = new pluginproto.PackageParameterization();
                    param.setName(p.parameterization.name || "");
                    param.setVersion(p.parameterization.version || "");
                    param.setValue(Buffer.from(p.parameterization.value || "", "base64"));
                    dep.setParameterization(param);
                }
                return dep;
            }),
        );
        this.log(5, `required packages of ${dir}: ${packages.map((p) => `${p.name}@${p.version}`).join(", ") || "none"}`);
        return res;
    }

    async run(req, call) {
        const res = new langproto.RunResponse();
        const fail = (message) => {
            res.setError(message);
            return res;
        };
        if (!this.engineAddress) {
            throw new Error("when debugging or running explicitly, must call Handshake before Run");
        }
        if (this.cancelled) return fail("the language host was cancelled");
        const info = req.getInfo();
        if (!info) return fail("RunRequest has no program info");
        const programDir = info.getProgramDirectory();

        let opts;
        try {
            opts = parseOptions(optionsOf(info), this.runtime);
        } catch (e) {
            return fail(e.message);
        }
        const runtimeBin = findRuntime(this.runtime);
        if (!runtimeBin) return fail(`could not find ${runtimeExecName(this.runtime)} on the $PATH`);

        let runPath;
        try {
            runPath = locateModule(
                process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run",
                programDir,
                "pulumi install",
            );
        } catch (e) {
            return fail(e.message);
        }

        let config;
        try {
            config = constructConfig(req.getConfigMap());
        } catch (e) {
            return fail(`failed to serialize configuration: ${e.message}`);
        }
        const env = { ...process.env };
        env.PULUMI_CONFIG = config;
        env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(req.getConfigsecretkeysList() || []);
        if (opts.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
        if (opts.tsconfigpath) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfigpath;

        const args = [...opts.nodeargs];
        if (this.runtime === "bun") args.unshift("run");
        args.push(runPath);
        const flag = (name, value) => {
            if (value !== undefined && value !== null && `${value}` !== "") args.push(`--${name}`, `${value}`);
        };
        flag("monitor", req.getMonitorAddress());
        flag("engine", this.engineAddress);
        flag("organization", req.getOrganization());
        flag("project", req.getProject());
        flag("root-directory", info.getRootDirectory());
        flag("stack", req.getStack());
        flag("pwd", programDir);
        if (req.getDryrun()) args.push("--dry-run");
        flag("parallel", req.getParallel());
        flag("tracing", this.tracing);
        args.push(info.getEntryPoint(), ...req.getArgsList());
        if (req.getAttachDebugger()) {
            process.stderr.write("warning: attaching a debugger is not supported by this language host; running normally\n");
        }

        this.log(5, `launching ${runtimeBin} ${args.join(" ")} in ${programDir}`);
        const child = this.spawnTracked(runtimeBin, args, {
            cwd: programDir,
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        // Forward the program's output to ours (the CLI shows it); watch stderr for V8's OOM report.
        let oom = false;
        let stderrTail = "";
        child.stdout.on("data", (d) => process.stdout.write(d));
        child.stderr.on("data", (d) => {
            process.stderr.write(d);
            stderrTail = (stderrTail + d.toString("utf8")).slice(-4096);
            if (
                stderrTail.includes("<--- Last few GCs --->") ||
                stderrTail.includes("Check failed: needs_context && current_scope_ == closure_scope_")
            ) {
                oom = true;
            }
        });
        // If the engine gives up on the call, stop the program.
        const onCancelled = () => terminate(child, "SIGINT");
        call.on("cancelled", onCancelled);

        const { code, signal, error } = await waitForClose(child);
        call.removeListener("cancelled", onCancelled);
        if (error) return fail(`Problem executing program (could not run language executor): ${error.message}`);
        if (code === 0) return res;
        if (code === EXITED_AFTER_USER_ACTIONABLE_MESSAGE) {
            res.setBail(true);
            return res;
        }
        if (code === null) return fail(`Program exited unexpectedly: signal: ${signal}`);
        let msg = `Program exited with non-zero exit code: ${code}`;
        if (oom) {
            msg +=
                ". Detected a possible out of memory error. Consider increasing the memory available to the nodejs " +
                "process by setting the `nodeargs` runtime option in Pulumi.yaml to " +
                "`nodeargs: --max-old-space-size=<size>` where `<size>` is the maximum memory in megabytes that " +
                "can be allocated to nodejs. See https://www.pulumi.com/docs/concepts/projects/project-file/#runtime-options";
        }
        return fail(msg);
    }

    /** Server-streaming: runs a plugin (a policy pack when kind is "analyzer") and streams its output. */
    async runPlugin(call) {
        const req = call.request;
        let ended = false;
        let cancelled = false;
        const send = (field, value) => {
            if (ended || cancelled) return;
            const msg = new langproto.RunPluginResponse();
            if (field === "stdout") msg.setStdout(value);
            else if (field === "stderr") msg.setStderr(value);
            else msg.setExitcode(value);
            call.write(msg);
        };
        const finish = (err) => {
            if (ended || cancelled) return;
            ended = true;
            if (err) call.emit("error", toGrpcError(err));
            else call.end();
        };
        let child;
        let proxy;
        call.on("cancelled", () => {
            cancelled = true;
            if (child) terminate(child, "SIGINT");
            if (proxy) proxy.close();
        });

        try {
            const info = req.getInfo();
            if (!info) throw new Error("RunPluginRequest has no program info");
            const programDir = info.getProgramDirectory();
            const isAnalyzer = req.getKind() === "analyzer";
            const opts = parseOptions(optionsOf(info), this.runtime);
            const runtimeBin = findRuntime(this.runtime);
            if (!runtimeBin) throw new Error(`could not find ${runtimeExecName(this.runtime)} on the $PATH`);

            // The engine sends the complete environment for the plugin.
            const env = envFromList(req.getEnvList());
            if (opts.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
            if (opts.tsconfigpath) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfigpath;

            const runModule = isAnalyzer
                ? "@pulumi/pulumi/cmd/run-policy-pack"
                : process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run-plugin";
            const runPath = locateModule(runModule, programDir, `npm install in ${programDir}`);

            const args = [];
            if (this.runtime === "bun") args.push("run");
            args.push(runPath, ...opts.nodeargs);
            // Policy packs take the program directory last, other plugins first.
            if (isAnalyzer) args.push(...req.getArgsList(), programDir);
            else args.push(programDir, ...req.getArgsList());
            if (req.getAttachDebugger()) send("stderr", Buffer.from("warning: attaching a debugger is not supported by this language host\n"));

            if (isAnalyzer) {
                // Old-style policy packs learn the stack from environment variables, which the engine
                // only sends later (Analyzer.ConfigureStack): answer as the analyzer ourselves until
                // then, start the pack with that environment, and proxy to it (like sdk.PolicyProxy).
                proxy = new PolicyProxy({ log: this.log });
                const port = await proxy.listen();
                send("stdout", Buffer.from(`${port}\n`));
                const stackConfig = await proxy.awaitConfiguration();
                if (cancelled) return;
                if (stackConfig) {
                    const setIf = (k, v) => {
                        if (v !== undefined && v !== "") env[k] = v;
                    };
                    setIf("PULUMI_NODEJS_ORGANIZATION", stackConfig.organization);
                    setIf("PULUMI_NODEJS_PROJECT", stackConfig.project);
                    setIf("PULUMI_NODEJS_STACK", stackConfig.stack);
                    setIf("PULUMI_NODEJS_DRY_RUN", String(stackConfig.dryRun));
                    if (stackConfig.config) setIf("PULUMI_CONFIG", JSON.stringify(stackConfig.config));
                }
            }
            if (cancelled) return;

            const cwd = isAnalyzer ? programDir : req.getPwd() || programDir;
            this.log(5, `launching plugin ${runtimeBin} ${args.join(" ")} in ${cwd}`);
            child = this.spawnTracked(runtimeBin, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
            child.stderr.on("data", (d) => send("stderr", d));
            if (proxy) {
                proxy.attach(child, (d) => send("stdout", d));
            } else {
                child.stdout.on("data", (d) => send("stdout", d));
            }
            const { code, signal, error } = await waitForClose(child);
            if (proxy) proxy.close();
            if (error) throw new Error(`Problem executing plugin program (could not run language executor): ${error.message}`);
            send("exitcode", code === null ? 128 + (signalNumber(signal) || 0) : code);
            finish();
        } catch (e) {
            if (proxy) proxy.close();
            finish(e);
        }
    }

    async installDependencies(call) {
        const req = call.request;
        const send = (field, data) => {
            const msg = new langproto.InstallDependenciesResponse();
            if (field === "stdout") msg.setStdout(data);
            else msg.setStderr(data);
            call.write(msg);
        };
        try {
            const info = req.getInfo();
            const dir = (info && info.getProgramDirectory()) || req.getDirectory();
            if (!dir) throw new Error("InstallDependenciesRequest has no program directory");
            const opts = parseOptions(info ? optionsOf(info) : {}, this.runtime);
            const pm = resolvePackageManager(opts.packagemanager, dir);
            send("stdout", Buffer.from("Installing dependencies...\n\n"));
            const child = this.spawnTracked(pm, ["install"], { cwd: dir, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
            child.stdout.on("data", (d) => send("stdout", d));
            child.stderr.on("data", (d) => send("stderr", d));
            call.on("cancelled", () => terminate(child, "SIGINT"));
            const { code, error } = await waitForClose(child);
            if (error) throw new Error(`failed to run ${pm} install: ${error.message}`);
            if (code !== 0) throw new Error(`${pm} install failed with exit code ${code}`);
            send("stdout", Buffer.from("Finished installing dependencies\n\n"));
            call.end();
        } catch (e) {
            call.emit("error", toGrpcError(e));
        }
    }

    async about(req) {
        const info = req.getInfo();
        const opts = parseOptions(info ? optionsOf(info) : {}, this.runtime);
        const bin = findRuntime(this.runtime);
        if (!bin) throw new Error(`could not find executable "${runtimeExecName(this.runtime)}"`);
        const res = new langproto.AboutResponse();
        res.setExecutable(bin);
        res.setVersion(commandOutput(bin, ["--version"]));
        const pm = resolvePackageManager(opts.packagemanager, info ? info.getProgramDirectory() : process.cwd());
        res.getMetadataMap().set("packagemanager", pm);
        const pmVersion = commandOutput(pm, ["--version"]);
        if (pmVersion) res.getMetadataMap().set("packagemanagerVersion", pmVersion);
        return res;
    }

    async getProgramDependencies(req) {
        const info = req.getInfo();
        const dir = (info && info.getProgramDirectory()) || req.getPwd();
        const res = new langproto.GetProgramDependenciesResponse();
        res.setDependenciesList(
            listDependencies(dir, req.getTransitivedependencies()).map((d) => {
                const di = new langproto.DependencyInfo();
                di.setName(d.name);
                di.setVersion(d.version);
                return di;
            }),
        );
        return res;
    }

    async cancel() {
        this.cancelled = true;
        this.killChildren("SIGINT");
        return new emptyproto.Empty();
    }
}

// --- helpers ---------------------------------------------------------------------------------

function toGrpcError(e) {
    if (e && typeof e.code === "number" && e.details !== undefined) return e;
    return { code: grpc.status.UNKNOWN, details: (e && e.message) || String(e) };
}

function optionsOf(info) {
    const s = info.getOptions();
    return s ? s.toJavaScript() : {};
}

/** The runtime options of Pulumi.yaml / PulumiPolicy.yaml, checked like the official host does. */
function parseOptions(options, runtime) {
    const o = { typescript: true, tsconfigpath: "", nodeargs: [], packagemanager: "auto" };
    if ("typescript" in options) {
        if (typeof options.typescript !== "boolean") throw new Error("typescript option must be a boolean");
        o.typescript = options.typescript;
    }
    if ("tsconfig" in options) {
        if (typeof options.tsconfig !== "string") throw new Error("tsconfigpath option must be a string");
        o.tsconfigpath = options.tsconfig;
    }
    if ("nodeargs" in options) {
        if (typeof options.nodeargs !== "string") throw new Error("nodeargs option must be a string");
        o.nodeargs = shellSplit(options.nodeargs);
    }
    if ("packagemanager" in options) {
        const pm = options.packagemanager;
        if (typeof pm !== "string") throw new Error("packagemanager option must be a string");
        if (!["auto", "npm", "yarn", "pnpm", "bun"].includes(pm)) {
            throw new Error(`packagemanager option must be one of auto, npm, yarn, pnpm or bun, got "${pm}"`);
        }
        o.packagemanager = pm;
    }
    if (runtime === "bun") {
        // bun runs TypeScript and resolves tsconfig itself.
        o.typescript = false;
        o.tsconfigpath = "";
        o.nodeargs = [];
        o.packagemanager = "bun";
    }
    return o;
}

/** Splits a command line like a POSIX shell would (quotes and backslashes; no expansion). */
function shellSplit(s) {
    const out = [];
    let cur = "";
    let inWord = false;
    let quote = null;
    for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (quote) {
            if (c === quote) quote = null;
            else if (c === "\\" && quote === '"' && i + 1 < s.length) cur += s[++i];
            else cur += c;
        } else if (c === "'" || c === '"') {
            quote = c;
            inWord = true;
        } else if (c === "\\" && i + 1 < s.length) {
            cur += s[++i];
            inWord = true;
        } else if (/\s/.test(c)) {
            if (inWord) out.push(cur);
            cur = "";
            inWord = false;
        } else {
            cur += c;
            inWord = true;
        }
    }
    if (quote) throw new Error(`nodeargs: unterminated quote in ${JSON.stringify(s)}`);
    if (inWord) out.push(cur);
    return out;
}

/**
 * PULUMI_CONFIG for @pulumi/pulumi: keys `<ns>:<name>` (or the old `<ns>:config:<name>`) become
 * `<ns>:config:<name>`, which every version of the SDK reads.
 */
function constructConfig(configMap) {
    const out = {};
    if (!configMap) return "{}";
    for (const [k, v] of configMap.entries()) {
        const parts = k.split(":");
        let ns;
        let name;
        if (parts.length === 2) [ns, name] = parts;
        else if (parts.length === 3 && parts[1] === "config" && parts[0] && parts[2]) [ns, , name] = parts;
        else {
            throw new Error(
                `could not parse ${k} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`,
            );
        }
        out[`${ns}:config:${name}`] = v;
    }
    return JSON.stringify(out);
}

function envFromList(list) {
    if (!list || list.length === 0) return { ...process.env };
    const env = {};
    for (const kv of list) {
        const i = kv.indexOf("=");
        if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return env;
}

function runtimeExecName(runtime) {
    return runtime === "nodejs" ? "node" : runtime;
}

function findOnPath(name) {
    for (const dir of (process.env.PATH || "").split(path.delimiter)) {
        if (!dir) continue;
        const p = path.join(dir, name);
        try {
            fs.accessSync(p, fs.constants.X_OK);
            if (fs.statSync(p).isFile()) return p;
        } catch {
            // not here
        }
    }
    return undefined;
}

function findRuntime(runtime) {
    return findOnPath(runtimeExecName(runtime)) || (runtime === "nodejs" ? process.execPath : undefined);
}

/** Resolves a module the way `node -e "require.resolve(mod)"` run in `dir` would. */
function locateModule(mod, dir, installHint) {
    try {
        return require.resolve(mod, { paths: [dir] });
    } catch (e) {
        if (e && e.code === "MODULE_NOT_FOUND") {
            throw new Error(`It looks like the Pulumi SDK has not been installed. Have you run ${installHint}?`);
        }
        throw e;
    }
}

function resolvePackageManager(choice, dir) {
    if (choice && choice !== "auto") return choice;
    // Like the official host's "auto": a lock file decides, npm otherwise.
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
        if (fs.existsSync(path.join(d, "package-lock.json"))) return "npm";
        if (fs.existsSync(path.join(d, "yarn.lock"))) return "yarn";
        if (fs.existsSync(path.join(d, "pnpm-lock.yaml"))) return "pnpm";
        if (fs.existsSync(path.join(d, "bun.lockb")) || fs.existsSync(path.join(d, "bun.lock"))) return "bun";
        if (path.dirname(d) === d) return "npm";
    }
}

function commandOutput(bin, args) {
    try {
        return childProcess.execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10000 }).trim();
    } catch {
        return "";
    }
}

function waitForClose(child) {
    return new Promise((resolve) => {
        let settled = false;
        child.on("error", (error) => {
            if (!settled) {
                settled = true;
                resolve({ code: null, signal: null, error });
            }
        });
        child.on("close", (code, signal) => {
            if (!settled) {
                settled = true;
                resolve({ code, signal, error: undefined });
            }
        });
    });
}

/** SIGINT (or the given signal) now, SIGKILL if still running after KILL_DELAY_MS. */
function terminate(child, signal) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
        child.kill(signal);
    } catch {
        return;
    }
    if (signal !== "SIGKILL") {
        const t = setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        }, KILL_DELAY_MS);
        t.unref();
    }
}

function signalNumber(signal) {
    return signal ? require("node:os").constants.signals[signal] : undefined;
}

function warnIncompatibleSdks(sdkVersions) {
    const entries = Object.entries(sdkVersions);
    if (entries.length < 2) return;
    const [firstPath, firstVersion] = entries[0];
    for (const [p, v] of entries.slice(1)) {
        const a = firstVersion.split(".").map(Number);
        const b = v.split(".").map(Number);
        const bad = a[0] === 0 && b[0] === 0 ? a[1] !== b[1] : (a[0] > 2 || b[0] > 2) && a[0] !== b[0];
        if (bad) {
            process.stderr.write(
                `Found incompatible versions of @pulumi/pulumi. Differing major versions are not supported.\n` +
                    `  Version ${firstVersion} referenced at ${firstPath}\n  Version ${v} referenced at ${p}\n`,
            );
            return;
        }
    }
}

module.exports = { LanguageHost, constructConfig, parseOptions, shellSplit };
