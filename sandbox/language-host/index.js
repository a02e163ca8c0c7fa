#!/usr/bin/env node
// pulumi-language-nodejs, written in Node.js: the Pulumi language host for Node.js programs
// and policy packs, for machines whose Go module proxy does not serve the official one
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3). See README.md here and
// docs/offline-cli.md.
//
// The Pulumi CLI starts it as `pulumi-language-nodejs [flags] <engine-address>` (through the
// launcher that scripts/install-pulumi-cli.sh writes next to the CLI), reads the port of the
// gRPC LanguageRuntime server from the first line of stdout, and talks to it over gRPC.
//
// Flags, accepted in Go's flag syntax (-f, --f, -f=v, -f v) like the official host:
//   -tracing <endpoint>   passed on to the programs it runs (--tracing)
//   -runtime nodejs|bun   JavaScript runtime used to run programs (default nodejs)
//   -version              print the version and exit
//   -logtostderr, -logflow, -v=<n>   logging flags the CLI passes with --logflow; with
//                         -v >= 5 the host logs what it does to stderr.
"use strict";

const FLAGS_WITH_VALUE = new Set(["tracing", "runtime", "v", "log_dir", "vmodule", "stderrthreshold"]);
const BOOL_FLAGS = new Set(["version", "logtostderr", "logflow", "alsologtostderr"]);

function usage(message) {
    process.stderr.write(
        `pulumi-language-nodejs: ${message}\n` +
            "usage: pulumi-language-nodejs [-tracing <endpoint>] [-runtime nodejs|bun] [-version] [engine-address]\n",
    );
    process.exit(2);
}

/** Parses argv the way Go's flag package does (flags stop at the first positional argument or "--"). */
function parseArgs(argv) {
    const opts = { tracing: "", runtime: "nodejs", version: false, verbose: 0, logToStderr: false, args: [] };
    let i = 0;
    for (; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--") {
            i++;
            break;
        }
        if (!a.startsWith("-") || a === "-") break;
        let name = a.replace(/^--?/, "");
        let value;
        const eq = name.indexOf("=");
        if (eq >= 0) {
            value = name.slice(eq + 1);
            name = name.slice(0, eq);
        }
        if (BOOL_FLAGS.has(name)) {
            const on = value === undefined || /^(1|t|true)$/i.test(value);
            if (name === "version") opts.version = on;
            if (name === "logtostderr" || name === "alsologtostderr") opts.logToStderr = on;
            continue;
        }
        if (!FLAGS_WITH_VALUE.has(name)) usage(`flag provided but not defined: -${name}`);
        if (value === undefined) {
            if (i + 1 >= argv.length) usage(`flag needs an argument: -${name}`);
            value = argv[++i];
        }
        if (name === "tracing") opts.tracing = value;
        else if (name === "runtime") opts.runtime = value;
        else if (name === "v") opts.verbose = Number.parseInt(value, 10) || 0;
    }
    opts.args = argv.slice(i);
    return opts;
}

function main() {
    const opts = parseArgs(process.argv.slice(2));

    // Version reported by -version and GetPluginInfo: the CLI version the launcher was installed
    // for (so `pulumi about` lists the language plugin next to the CLI like the bundled one), else
    // the version of the @pulumi/pulumi package this host's protocol stubs come from.
    const reportedVersion = process.env.PULUMI_LANGUAGE_NODEJS_HOST_VERSION || sdkVersion();
    delete process.env.PULUMI_LANGUAGE_NODEJS_HOST_VERSION; // not for the programs we run

    if (opts.version) {
        process.stdout.write(`v${reportedVersion.replace(/^v/, "")}\n`);
        return;
    }
    if (opts.runtime !== "nodejs" && opts.runtime !== "bun") {
        process.stderr.write(`error: unsupported runtime: ${opts.runtime}\n`);
        process.exit(1);
    }

    let grpc;
    let LanguageHost;
    try {
        grpc = require("@grpc/grpc-js");
        ({ LanguageHost } = require("./host"));
    } catch (err) {
        process.stderr.write(
            `pulumi-language-nodejs (${__dirname}): cannot load its dependencies: ${err.message}\n` +
                "It needs @grpc/grpc-js, google-protobuf and @pulumi/pulumi from the node_modules of the " +
                "repository it lives in: run `npm ci` there.\n",
        );
        process.exit(1);
    }

    const log = (level, msg) => {
        if (opts.logToStderr && opts.verbose >= level) process.stderr.write(`pulumi-language-nodejs: ${msg}\n`);
    };

    const host = new LanguageHost({
        engineAddress: opts.args[0] || "",
        runtime: opts.runtime,
        tracing: opts.tracing,
        version: reportedVersion.replace(/^v/, ""),
        log,
    });

    const server = new grpc.Server({
        "grpc.max_receive_message_length": 400 * 1024 * 1024,
        "grpc.max_send_message_length": 400 * 1024 * 1024,
    });
    host.register(server);

    let stopping = false;
    const stop = (code) => {
        if (stopping) return;
        stopping = true;
        host.shutdown();
        server.tryShutdown(() => process.exit(code));
        setTimeout(() => process.exit(code), 2000).unref();
    };
    process.on("SIGINT", () => stop(0));
    process.on("SIGTERM", () => stop(0));
    process.on("exit", () => host.killChildren("SIGKILL"));
    host.onFatal = (message) => {
        process.stderr.write(`pulumi-language-nodejs: ${message}\n`);
        stop(1);
    };

    // Let the kernel pick a free port on loopback, like the official host.
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) {
            process.stderr.write(`could not start language host RPC server: ${err.message}\n`);
            process.exit(1);
        }
        // The spawner reads exactly this first line to learn where to reach us.
        process.stdout.write(`${port}\n`);
        log(5, `listening on 127.0.0.1:${port}, engine ${opts.args[0] || "(none yet)"}`);
        if (opts.args[0]) host.startHealthcheck();
    });
}

function sdkVersion() {
    try {
        return require("@pulumi/pulumi/package.json").version;
    } catch {
        return "0.0.0";
    }
}

if (require.main === module) main();

module.exports = { parseArgs };
