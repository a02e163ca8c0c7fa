import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { adoptDocument, expandCommand, generateDocument, GenerationError, generatorEnv, type GenerateRequest } from "../../../core/graft/generate";
import { GENERATION_LOCK_FILE } from "../../../core/graft/mutex";
import { readRecords } from "../../../core/graft/record";
import { computeStatus } from "../../../core/graft/staleness";
import { sha256Hex, splitSignedDocument } from "../../../core/graft/text";
import { failure, fakeGenerator, smallRepo, type FakeRun } from "./generator-helpers";
import { cleanupScratch, GRAFT_DEFAULTS } from "./helpers";

afterAll(cleanupScratch);

const MODEL = GRAFT_DEFAULTS.defaultModel;

function request(root: string, fake: FakeRun, overrides: Partial<GenerateRequest> = {}): GenerateRequest & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    root,
    prompt: "docs/a.prompt.md",
    output: "docs/a.md",
    stage: "a",
    model: MODEL,
    deps: ["src/a.txt"],
    command: GRAFT_DEFAULTS.generatorCommand,
    models: GRAFT_DEFAULTS.models,
    timeoutMs: 10_000,
    env: fake.env,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    sleeps,
    ...overrides,
  };
}

describe("generateDocument with the fake generator", () => {
  it("success: writes a signed document, records its inputs, and the document is then up to date", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["success"]);
    const result = await generateDocument(request(root, fake));
    const content = readFileSync(path.join(root, "docs/a.md"));
    const signature = content.toString("utf8").split("\n")[0];
    expect(result).toEqual({ output: "docs/a.md", outputSha256: sha256Hex(content), signature, model: MODEL, requestedModel: MODEL, durationMs: expect.any(Number), attempts: 1, generated: true, dvcLock: { kind: "no-pipeline" } });
    expect(splitSignedDocument(content).signature?.model).toBe(MODEL);
    expect(readRecords(root).documents["docs/a.md"]).toEqual({
      prompt: "docs/a.prompt.md",
      model: MODEL,
      modelCalled: MODEL,
      instructionsSha256: sha256Hex("Describe alpha.\n"),
      deps: { "src/a.txt": sha256Hex("alpha\n") },
      outputSha256: sha256Hex(content),
      signature,
    });
    const status = computeStatus(root, GRAFT_DEFAULTS, { cache: false });
    expect(status.documents.find((d) => d.output === "docs/a.md")?.stale).toBe(false);
    expect(fake.log().map((e) => [e.event, e.model])).toEqual([
      ["start", MODEL],
      ["end", MODEL],
    ]);
  });

  it("throttled then success: retried after the first backoff delay (5 s by default)", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["throttle", "success"]);
    const lines: string[] = [];
    const req = request(root, fake, { log: (l) => lines.push(l) });
    const result = await generateDocument(req);
    expect(result.attempts).toBe(2);
    expect(req.sleeps).toEqual([5000]);
    expect(lines).toEqual([`docs/a.md: Bedrock throttled the request for ${MODEL} (ThrottlingException); retrying in 5000 ms (attempt 2)`]);
  });

  it("throttled every time: gives up after 5 s, 15 s, 45 s", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["throttle"]);
    const req = request(root, fake, { awsRegion: "us-east-1" });
    const err = await failure(generateDocument(req));
    expect(req.sleeps).toEqual([5000, 15000, 45000]);
    expect(err.attempts).toBe(4);
    expect(err.message).toBe(
      `docs/a.md was not generated (4 attempts): Bedrock throttled the request for ${MODEL} in us-east-1 (ThrottlingException). Retried with backoff; if it persists, request a higher Bedrock quota for ${MODEL} in us-east-1, or generate fewer documents per run.`,
    );
    expect(existsSync(path.join(root, "docs/a.md"))).toBe(false);
    expect(readRecords(root).documents).toEqual({});
  });

  it("configurable backoff: tiny delays really wait", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["throttle", "throttle", "success"]);
    const result = await generateDocument({ ...request(root, fake), sleep: undefined, retry: { throttleDelaysMs: [5, 10], readTimeoutRetries: 1 } });
    expect(result.attempts).toBe(3);
  });

  it("model not found: not retried, and the models that exist are named", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["model-not-found", "success"]);
    const req = request(root, fake, { model: "claude-v4.5-sonnet", awsRegion: "us-east-1", availableModels: [MODEL] });
    const err = await failure(generateDocument(req));
    expect(err.attempts).toBe(1);
    expect(req.sleeps).toEqual([]);
    expect(err.failure.category).toBe("model-not-found");
    expect(err.message).toBe(
      "docs/a.md was not generated (1 attempt): model claude-v4.5-sonnet is not available in us-east-1 (ModelNotFoundException). " +
        `Models that exist in us-east-1: anthropic.claude-3-5-sonnet-20240620-v1:0, anthropic.claude-3-haiku-20240307-v1:0, ${MODEL}. ` +
        "Set `model:` in the prompt's front matter or graft.defaultModel to one of them (and keep it in aws.bedrockModelIds), or map the name in graft.models (`inferenceProfile: true` when Bedrock serves the model only through an inference profile), or enable claude-v4.5-sonnet in the Bedrock console for this region. " +
        "List them with `aws bedrock list-foundation-models --region us-east-1 --by-output-modality TEXT`.",
    );
  });

  it("no credentials: not retried, explained with the OIDC step and the variables", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["require-credentials"]);
    const err = await failure(generateDocument(request(root, fake)));
    expect(err.attempts).toBe(1);
    expect(err.failure.category).toBe("no-credentials");
    expect(err.message).toContain("set: none of AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ACCESS_KEY_ID");
    expect(err.message).toContain("aws-actions/configure-aws-credentials@v4");
  });

  it("takes AWS credentials and the region from the environment the OIDC step sets", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["require-credentials"], { env: { AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/docs", AWS_WEB_IDENTITY_TOKEN_FILE: "/tmp/token" } });
    await generateDocument(request(root, fake, { awsRegion: "eu-west-1" }));
    expect(fake.log().at(-1)).toMatchObject({ event: "end", exit: 0, credentials: "oidc", region: "eu-west-1" });
  });

  it("timeout: a hanging generator is killed, retried once with a doubled timeout, then reported", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["hang"]);
    const started = Date.now();
    const err = await failure(generateDocument(request(root, fake, { timeoutMs: 300 })));
    expect(err.attempts).toBe(2);
    expect(err.message).toBe(
      "docs/a.md was not generated (2 attempts): the generator did not finish within 0.6 seconds (read timeout). Retried once with a doubled timeout; if it still times out, raise graft.timeoutSeconds or shorten the prompt and its deps.",
    );
    expect(Date.now() - started).toBeLessThan(8000);
  }, 15_000);

  it("a read timeout reported by the SDK is retried once", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["read-timeout", "success"]);
    const req = request(root, fake);
    expect((await generateDocument(req)).attempts).toBe(2);
    expect(req.sleeps).toEqual([0]);
  });

  it("an unsigned document is not accepted", async () => {
    const root = smallRepo();
    const err = await failure(generateDocument(request(root, fakeGenerator(["unsigned", "success"]))));
    expect(err.attempts).toBe(1);
    expect(err.message).toBe(
      "docs/a.md was not generated (1 attempt): the generator exited 0 but docs/a.md has no Graft signature line. The generator must write the document with a first line `<!-- Generated by Graft | model=... | sig=... | rev=... | YYYY-MM-DD -->`; check generatorCommand (its {output} placeholder) and the generator's logs.",
    );
    expect(readRecords(root).documents).toEqual({});
  });

  it("a missing generator is explained", async () => {
    const root = smallRepo();
    const err = await failure(generateDocument(request(root, fakeGenerator(["success"]), { command: ["graft-does-not-exist", "{prompt}"] })));
    expect(err.message).toMatch(/^docs\/a\.md was not generated \(1 attempt\): the generator command graft-does-not-exist was not found \(PATH=.*\)\. Install it, or leave graft\.generatorCommand unset to use the built-in Bedrock generator\.$/);
  });

  it("passes {prompt} {output} {stage} in Graft's render_llm.sh style", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["success"]);
    await generateDocument(request(root, fake, { command: ["graft", "--prompt", "{prompt}", "--out", "{output}", "--name", "{stage}"], stage: "alpha_doc" }));
    expect(fake.log()[0]).toMatchObject({ output: "docs/a.md", stage: "alpha_doc" });
  });

  it("runs generations one at a time, even when asked concurrently", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["success"], { delayMs: 150 });
    const docs = ["a", "c", "d"];
    await Promise.all(docs.map((d) => generateDocument(request(root, fake, { prompt: `docs/${d}.prompt.md`, output: `docs/${d}.md`, stage: d }))));
    const log = fake.log();
    expect(log).toHaveLength(6);
    for (let i = 0; i < log.length; i += 2) {
      expect([log[i].event, log[i + 1].event, log[i].output]).toEqual(["start", "end", log[i + 1].output]);
    }
    expect(Object.keys(readRecords(root).documents).sort()).toEqual(["docs/a.md", "docs/c.md", "docs/d.md"]);
    expect(existsSync(path.join(root, GENERATION_LOCK_FILE))).toBe(false);
  });
});

describe("helpers", () => {
  it("expandCommand replaces every placeholder, repeatedly", () => {
    expect(expandCommand(["dvc", "repro", "--single-item", "{stage}", "{prompt}:{output}:{model}:{stage}"], { prompt: "p", output: "o", stage: "s", model: "m" })).toEqual([
      "dvc",
      "repro",
      "--single-item",
      "s",
      "p:o:m:s",
    ]);
  });

  it("generatorEnv adds the model and region without overriding the caller's region", () => {
    expect(generatorEnv({ env: { PATH: "/bin" }, model: "m", awsRegion: "us-east-1" })).toEqual({ PATH: "/bin", GRAFT_MODEL: "m", LLM_MODEL: "m", AWS_REGION: "us-east-1", AWS_DEFAULT_REGION: "us-east-1" });
    expect(generatorEnv({ env: { AWS_REGION: "eu-west-1" }, model: "m", awsRegion: "us-east-1" }).AWS_REGION).toBe("eu-west-1");
  });

  it("adoptDocument reads the document as it is", () => {
    const root = smallRepo();
    writeFileSync(path.join(root, "docs/a.md"), "plain\n");
    expect(adoptDocument(root, "docs/a.md", "m")).toEqual({ output: "docs/a.md", outputSha256: "missing", signature: "", model: "m", requestedModel: "m", durationMs: 0, attempts: 0, generated: false });
  });
});
