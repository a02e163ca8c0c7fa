#!/usr/bin/env node
// A stand-in for Amazon Bedrock Runtime: an HTTP/2 server on 127.0.0.1 that speaks the Converse API
// (POST /model/{modelId}/converse, restJson1, the error shapes the AWS SDK parses), so the real
// AWS SDK for JavaScript v3 can be pointed at it with the SDK's standard variable
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME. It speaks HTTP/2, as the SDK's Bedrock Runtime client does
// (cleartext, with prior knowledge, for an http:// endpoint; `curl --http2-prior-knowledge` works
// too). Used by the tests (in-process: `startBedrockStandIn()`) and by
// the sandbox and the workflow scenarios (as a process):
//
//   node test/fakes/bedrock/server.js [--port N] [--port-file FILE] [--script FILE] [--models a,b]
//
// It prints its URL (`http://127.0.0.1:PORT`) as the first line on stdout (and writes the port to
// --port-file); --port 0, the default, picks a free port. Clients then need:
//
//   AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:PORT
//   AWS_ACCESS_KEY_ID=stand-in AWS_SECRET_ACCESS_KEY=stand-in AWS_REGION=us-east-1
//
// (any non-empty keys: requests must be SigV4-signed, but signatures are not verified).
//
// Models: it knows Bedrock's on-demand Claude models and the ones served only through
// cross-region inference profiles (`us.`, `eu.`, `apac.`, `global.` prefixes); calling one of the
// latter directly fails with Bedrock's "on-demand throughput isn't supported" ValidationException,
// an unknown id with "The provided model identifier is invalid." (--models adds on-demand ids).
//
// Scripted faults: each Converse request takes the next step of the script (then "success"):
//   success | throttle (429 ThrottlingException) | malformed (200 with truncated JSON) |
//   empty (200 without text) | max-tokens (stopReason max_tokens) | access-denied (403) |
//   expired-token (403 ExpiredTokenException) | server-error (500) | hang (never answers)
// The script comes from --script FILE ({"steps": [...]}) or POST /__script with the same JSON.
// GET /__requests lists the requests seen: model id, pack size and SHA-256, the pack's action line,
// the signing key id and region (from the SigV4 credential scope).
"use strict";
const http2 = require("node:http2");
const crypto = require("node:crypto");
const fs = require("node:fs");

const PROFILE_ONLY = [
  "anthropic.claude-sonnet-4-5-20250929-v1:0",
  "anthropic.claude-haiku-4-5-20251001-v1:0",
  "anthropic.claude-opus-4-1-20250805-v1:0",
  "anthropic.claude-sonnet-4-20250514-v1:0",
  "anthropic.claude-opus-4-20250514-v1:0",
  "anthropic.claude-3-7-sonnet-20250219-v1:0",
  "anthropic.claude-3-5-haiku-20241022-v1:0",
];
const ON_DEMAND = ["anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.nova-lite-v1:0"];
const PROFILE_PREFIXES = ["us", "eu", "apac", "global"];

function modelVerdict(modelId, extraModels) {
  if (ON_DEMAND.includes(modelId) || extraModels.includes(modelId)) return "ok";
  if (PROFILE_ONLY.includes(modelId)) return "needs-profile";
  const dot = modelId.indexOf(".");
  if (dot > 0 && PROFILE_PREFIXES.includes(modelId.slice(0, dot))) {
    const base = modelId.slice(dot + 1);
    if (PROFILE_ONLY.includes(base) || ON_DEMAND.includes(base)) return "ok";
  }
  return "unknown";
}

function sendJson(res, status, body, errorType) {
  const headers = { "content-type": "application/json", "x-amzn-requestid": crypto.randomUUID() };
  if (errorType) headers["x-amzn-errortype"] = `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`;
  res.writeHead(status, headers);
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

/** The document the stand-in "writes": deterministic for a given pack and model. */
function answerFor(modelId, pack) {
  const digest = crypto.createHash("sha256").update(pack).digest("hex");
  const action = (/^- Action required: (\S+)/m.exec(pack) || [])[1] || "UNKNOWN";
  const instructions = /---BEGIN (?:CURRENT )?INSTRUCTIONS---\n([\s\S]*?)\n---END (?:CURRENT )?INSTRUCTIONS---/.exec(pack);
  const firstLine = instructions ? instructions[1].split("\n").find((l) => l.trim() !== "") || "" : "";
  const title = firstLine.replace(/^#+\s*/, "").trim().slice(0, 80) || "Document";
  return [`# ${title}`, "", `Written by the stand-in Bedrock (${modelId}) for a ${action} request.`, "", `Prompt pack: ${Buffer.byteLength(pack)} bytes, sha256 ${digest.slice(0, 16)}.`].join("\n");
}

/**
 * Starts the stand-in. Resolves to { url, port, requests, script(steps), close() }.
 * options: { port = 0, steps = [], models = [] }
 */
function startBedrockStandIn(options = {}) {
  const steps = [...(options.steps || [])];
  const extraModels = options.models || [];
  const requests = [];
  const hanging = new Set();
  const sessions = new Set();
  const handle = (req, res) => {
    let chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      chunks = [];
      if (req.method === "GET" && req.url === "/__requests") return sendJson(res, 200, requests);
      if (req.method === "POST" && req.url === "/__script") {
        try {
          steps.splice(0, steps.length, ...(JSON.parse(body).steps || []));
          return sendJson(res, 200, { steps });
        } catch (err) {
          return sendJson(res, 400, { message: `script must be JSON {"steps": [...]}: ${err.message}` });
        }
      }
      const m = /^\/model\/([^/]+)\/converse$/.exec(req.url || "");
      if (req.method !== "POST" || !m) return sendJson(res, 404, { message: `The stand-in Bedrock serves POST /model/{modelId}/converse only, not ${req.method} ${req.url}` }, "UnknownOperationException");
      const modelId = decodeURIComponent(m[1]);
      const auth = req.headers.authorization || "";
      const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/bedrock\/aws4_request/.exec(auth);
      if (!scope) return sendJson(res, 403, { message: "Missing Authentication Token" }, "MissingAuthenticationTokenException");
      let input;
      try {
        input = JSON.parse(body);
      } catch {
        return sendJson(res, 400, { message: "Request body is not valid JSON" }, "ValidationException");
      }
      const pack = ((((input.messages || [])[0] || {}).content || [])[0] || {}).text;
      const entry = {
        modelId,
        keyId: scope[1],
        region: scope[2],
        bytes: typeof pack === "string" ? Buffer.byteLength(pack) : 0,
        sha256: typeof pack === "string" ? crypto.createHash("sha256").update(pack).digest("hex") : null,
        action: typeof pack === "string" ? ((/^- Action required: (\S+)/m.exec(pack) || [])[1] || null) : null,
        maxTokens: (input.inferenceConfig || {}).maxTokens,
        step: null,
      };
      requests.push(entry);
      if (typeof pack !== "string") return sendJson(res, 400, { message: "messages[0].content[0].text is required" }, "ValidationException");
      const verdict = modelVerdict(modelId, extraModels);
      if (verdict === "unknown") return sendJson(res, 400, { message: "The provided model identifier is invalid." }, "ValidationException");
      if (verdict === "needs-profile") {
        return sendJson(res, 400, { message: `Invocation of model ID ${modelId} with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.` }, "ValidationException");
      }
      const step = steps.length > 0 ? steps.shift() : "success";
      entry.step = step;
      switch (step) {
        case "throttle":
          return sendJson(res, 429, { message: "Too many requests, please wait before trying again." }, "ThrottlingException");
        case "access-denied":
          return sendJson(res, 403, { message: `User: arn:aws:sts::123456789012:assumed-role/docs/stand-in is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:${scope[2]}::foundation-model/${modelId}` }, "AccessDeniedException");
        case "expired-token":
          return sendJson(res, 403, { message: "The security token included in the request is expired" }, "ExpiredTokenException");
        case "server-error":
          return sendJson(res, 500, { message: "The service encountered an internal error." }, "InternalServerException");
        case "malformed":
          return sendJson(res, 200, '{"output": {"message": {"role": "assistant", "content": [{"text": "cut');
        case "empty":
          return sendJson(res, 200, { output: { message: { role: "assistant", content: [] } }, stopReason: "end_turn", usage: { inputTokens: 1, outputTokens: 0, totalTokens: 1 }, metrics: { latencyMs: 1 } });
        case "hang":
          hanging.add(res);
          return undefined;
        case "max-tokens":
        case "success": {
          const text = answerFor(modelId, pack);
          return sendJson(res, 200, {
            output: { message: { role: "assistant", content: [{ text }] } },
            stopReason: step === "max-tokens" ? "max_tokens" : "end_turn",
            usage: { inputTokens: Math.ceil(entry.bytes / 4), outputTokens: Math.ceil(text.length / 4), totalTokens: Math.ceil(entry.bytes / 4) + Math.ceil(text.length / 4) },
            metrics: { latencyMs: 5 },
          });
        }
        default:
          return sendJson(res, 500, { message: `stand-in Bedrock: unknown script step ${step}` }, "InternalServerException");
      }
    });
  };
  const server = http2.createServer(handle);
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port || 0, "127.0.0.1", () => {
      const port = server.address().port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        requests,
        script: (next) => steps.splice(0, steps.length, ...next),
        close: () =>
          new Promise((done) => {
            for (const session of sessions) session.destroy();
            hanging.clear();
            server.close(() => done());
          }),
      });
    });
  });
}

module.exports = { startBedrockStandIn, PROFILE_ONLY_MODELS: PROFILE_ONLY, ON_DEMAND_MODELS: ON_DEMAND };

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const scriptFile = opt("--script");
  const steps = scriptFile ? JSON.parse(fs.readFileSync(scriptFile, "utf8")).steps || [] : [];
  const port = Number(opt("--port") || 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`stand-in Bedrock: --port must be 0-65535, got ${opt("--port")}\n`);
    process.exit(2);
  }
  startBedrockStandIn({ port, steps, models: (opt("--models") || "").split(",").filter(Boolean) }).then(
    (standIn) => {
      const portFile = opt("--port-file");
      if (portFile) fs.writeFileSync(portFile, `${standIn.port}\n`);
      process.stdout.write(`${standIn.url}\n`);
      const stop = () => standIn.close().then(() => process.exit(0));
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    },
    (err) => {
      process.stderr.write(`stand-in Bedrock: cannot listen on 127.0.0.1:${port}: ${err.message}\n`);
      process.exit(1);
    },
  );
}
