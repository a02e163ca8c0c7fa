// An Analyzer gRPC server that stands in for a Node.js policy pack until the engine has said which
// stack is being analysed, then starts the pack with that stack in its environment and forwards
// every call to it. This is what the official host does (sdk.PolicyProxy in sdk/policy_proxy.go):
// @pulumi/policy packs read the stack, project and config from PULUMI_NODEJS_* / PULUMI_CONFIG
// when they start, but since pulumi v3.221 the engine starts them before it knows the stack
// and sends it afterwards with Analyzer.ConfigureStack.
//
// Requests and responses are forwarded as raw bytes (no re-encoding), so fields newer than the
// stubs of the installed @pulumi/pulumi pass through untouched.
"use strict";

const grpc = require("@grpc/grpc-js");
const analyzerrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js");
const analyzerproto = require("@pulumi/pulumi/proto/analyzer_pb.js");

const identity = (b) => b;

/** AnalyzerService with byte-for-byte (de)serializers. */
const RAW_ANALYZER_SERVICE = Object.fromEntries(
    Object.entries(analyzerrpc.AnalyzerService).map(([name, def]) => [
        name,
        {
            ...def,
            requestSerialize: identity,
            requestDeserialize: identity,
            responseSerialize: identity,
            responseDeserialize: identity,
        },
    ]),
);

class PolicyProxy {
    constructor({ log }) {
        this.log = log || (() => {});
        this.server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
        this.client = undefined;
        this.closed = false;

        // Settled once: with the ConfigureStack request (as a plain object), or null when the engine
        // calls anything else first (e.g. `pulumi policy publish` never configures a stack).
        this.configuration = deferred();
        this.configurationSettled = false;
        // Settled when the policy pack has printed its port and we are connected to it.
        this.attached = deferred();
        this.attached.promise.catch(() => {});

        const impl = {};
        for (const [name, def] of Object.entries(RAW_ANALYZER_SERVICE)) {
            impl[name] = (call, cb) => this.forward(def.path, call, cb);
        }
        impl.handshake = (_call, cb) => cb(null, Buffer.from(new analyzerproto.AnalyzerHandshakeResponse().serializeBinary()));
        impl.configureStack = (call, cb) => {
            try {
                const req = analyzerproto.AnalyzerStackConfigureRequest.deserializeBinary(new Uint8Array(call.request));
                const config = {};
                req.getConfigMap().forEach((v, k) => {
                    config[k] = v;
                });
                this.stackConfigureRequest = call.request;
                this.settleConfiguration({
                    stack: req.getStack(),
                    project: req.getProject(),
                    organization: req.getOrganization(),
                    dryRun: req.getDryRun(),
                    config,
                });
                cb(null, Buffer.from(new analyzerproto.AnalyzerStackConfigureResponse().serializeBinary()));
            } catch (e) {
                cb({ code: grpc.status.INVALID_ARGUMENT, details: e.message });
            }
        };
        this.server.addService(RAW_ANALYZER_SERVICE, impl);
    }

    listen() {
        return new Promise((resolve, reject) => {
            this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
                if (err) reject(new Error(`could not start policy pack proxy: ${err.message}`));
                else {
                    this.port = port;
                    this.log(9, `policy proxy listening on ${port}`);
                    resolve(port);
                }
            });
        });
    }

    settleConfiguration(value) {
        if (this.configurationSettled) return;
        this.configurationSettled = true;
        this.configuration.resolve(value);
    }

    awaitConfiguration() {
        return this.configuration.promise;
    }

    /**
     * Reads the policy pack's port from the first line of its stdout, connects to it, replays the
     * stack configuration to it, and from then on forwards calls. `onStdout` gets the rest of stdout.
     */
    attach(child, onStdout) {
        let buf = Buffer.alloc(0);
        let havePort = false;
        child.stdout.on("data", (d) => {
            if (havePort) {
                onStdout(d);
                return;
            }
            buf = Buffer.concat([buf, d]);
            const nl = buf.indexOf(10);
            if (nl < 0) return;
            havePort = true;
            const line = buf.subarray(0, nl).toString("utf8").trim();
            const rest = buf.subarray(nl + 1);
            if (rest.length) onStdout(rest);
            const port = Number.parseInt(line, 10);
            if (!(port > 0 && port < 65536) || String(port) !== line) {
                onStdout(Buffer.from(`${line}\n`));
                this.attached.reject(new Error(`could not read policy pack port: got ${JSON.stringify(line)}`));
                return;
            }
            this.connect(port).then(this.attached.resolve, this.attached.reject);
        });
        child.on("close", (code) => {
            if (!havePort) this.attached.reject(new Error(`policy pack exited (code ${code}) before it printed its port`));
        });
    }

    async connect(port) {
        this.log(9, `attaching to policy pack on port ${port}`);
        const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
            "grpc.max_receive_message_length": 400 * 1024 * 1024,
        });
        if (this.stackConfigureRequest) {
            try {
                await unary(client, RAW_ANALYZER_SERVICE.configureStack.path, this.stackConfigureRequest, new grpc.Metadata());
            } catch (e) {
                // Older policy packs do not implement ConfigureStack; that is fine.
                if (e.code !== grpc.status.UNIMPLEMENTED) throw new Error(`policy pack configuration failed: ${e.details || e.message}`);
            }
        }
        this.client = client;
        return client;
    }

    forward(methodPath, call, cb) {
        // Anything but ConfigureStack first means "no stack configuration".
        this.settleConfiguration(null);
        this.attached.promise.then(
            (client) => {
                unary(client, methodPath, call.request).then(
                    (res) => cb(null, res),
                    (err) => cb({ code: err.code ?? grpc.status.UNKNOWN, details: err.details || err.message, metadata: err.metadata }),
                );
            },
            (err) => cb({ code: grpc.status.UNAVAILABLE, details: `policy pack not started: ${err.message}` }),
        );
    }

    close() {
        if (this.closed) return;
        this.closed = true;
        this.settleConfiguration(null);
        this.attached.reject(new Error("policy pack proxy closed"));
        if (this.client) this.client.close();
        this.server.forceShutdown();
    }
}

function unary(client, methodPath, requestBytes, metadata) {
    return new Promise((resolve, reject) => {
        client.makeUnaryRequest(methodPath, identity, identity, requestBytes, metadata || new grpc.Metadata(), {}, (err, res) =>
            err ? reject(err) : resolve(res),
        );
    });
}

function deferred() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return { promise, resolve, reject };
}

module.exports = { PolicyProxy };
