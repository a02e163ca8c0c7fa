import { classifyGenerationFailure, DEFAULT_RETRY_POLICY, modelsNamedIn, retryDecision, type GenerationFailureCategory } from "../../../core/graft/failures";

const model = "anthropic.claude-sonnet-4-5-20250929-v1:0";

describe("classifyGenerationFailure", () => {
  it.each([
    ["botocore.errorfactory.ThrottlingException: An error occurred (ThrottlingException) when calling the InvokeModel operation: Rate exceeded", "throttled", true],
    ["Error: ReadTimeoutError: Model invocation timed out", "read-timeout", true],
    ['botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke"', "read-timeout", true],
    ["Error: ModelNotFoundException: claude-v4.5-sonnet not available in us-east-1", "model-not-found", false],
    ["An error occurred (ValidationException) when calling the InvokeModel operation: The provided model identifier is invalid.", "model-not-found", false],
    ["botocore.exceptions.NoCredentialsError: Unable to locate credentials", "no-credentials", false],
    ["An error occurred (ExpiredTokenException) when calling the InvokeModel operation: The security token included in the request is expired", "no-credentials", false],
    ["An error occurred (AccessDeniedException): User is not authorized to perform: bedrock:InvokeModel", "access-denied", false],
    ["Traceback ... KeyError: 'content'", "unknown", false],
  ] as const)("%s -> %s", (output, category, retryable) => {
    const f = classifyGenerationFailure(output, { model });
    expect([f.category, f.retryable]).toEqual([category, retryable]);
  });

  it("treats a generator killed for its timeout as a read timeout", () => {
    expect(classifyGenerationFailure("", { model, timedOut: true, timeoutSeconds: 600 })).toEqual({
      category: "read-timeout",
      retryable: true,
      reason: "the generator did not finish within 600 seconds (read timeout)",
      fix: "Retried once with a doubled timeout; if it still times out, raise graft.timeoutSeconds or shorten the prompt and its deps.",
    });
  });

  it("explains a missing model with the models that exist", () => {
    const output =
      "ModelNotFoundException: claude-v4.5-sonnet not available in us-east-1. Available models: anthropic.claude-3-5-sonnet-20240620-v1:0, anthropic.claude-3-haiku-20240307-v1:0";
    expect(classifyGenerationFailure(output, { model: "claude-v4.5-sonnet", region: "us-east-1", availableModels: [model] })).toEqual({
      category: "model-not-found",
      retryable: false,
      reason: "model claude-v4.5-sonnet is not available in us-east-1 (ModelNotFoundException)",
      fix:
        "Models that exist in us-east-1: anthropic.claude-3-5-sonnet-20240620-v1:0, anthropic.claude-3-haiku-20240307-v1:0, anthropic.claude-sonnet-4-5-20250929-v1:0. " +
        "Set `model:` in the prompt's front matter or graft.defaultModel to one of them (and keep it in aws.bedrockModelIds), " +
        "or map the name in graft.models (`inferenceProfile: true` when Bedrock serves the model only through an inference profile), " +
        "or enable claude-v4.5-sonnet in the Bedrock console for this region. List them with `aws bedrock list-foundation-models --region us-east-1 --by-output-modality TEXT`.",
    });
  });

  it("Bedrock refusing an on-demand call to a profile-only model is model-not-found, not retried", () => {
    const f = classifyGenerationFailure(
      "ValidationException: Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model. (HTTP 400)",
      { model, region: "us-east-1" },
    );
    expect([f.category, f.retryable]).toEqual(["model-not-found", false]);
  });

  it("explains missing credentials with the OIDC step and the variables, naming which are set", () => {
    const f = classifyGenerationFailure("NoCredentialsError: Unable to locate credentials", { model, env: { AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/docs", AWS_REGION: "us-east-1" } });
    expect(f).toEqual({
      category: "no-credentials",
      retryable: false,
      reason: "the generator found no usable AWS credentials (NoCredentialsError or expired token); set: AWS_ROLE_ARN",
      fix:
        "In GitHub Actions, run aws-actions/configure-aws-credentials@v4 with role-to-assume (the docs role this stack creates) and aws-region before this step; " +
        "it exchanges the job's OIDC token and exports AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (the job needs `permissions: id-token: write`). " +
        "Elsewhere, export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE, and AWS_REGION.",
    });
    expect(classifyGenerationFailure("Unable to locate credentials", { model, env: {} }).reason).toBe(
      "the generator found no usable AWS credentials (NoCredentialsError or expired token); set: none of AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE",
    );
  });

  it("never reveals credential values", () => {
    const f = classifyGenerationFailure("NoCredentialsError", { model, env: { AWS_ACCESS_KEY_ID: "AKIASECRETVALUE", AWS_SECRET_ACCESS_KEY: "s3cr3t" } });
    expect(`${f.reason} ${f.fix}`).not.toMatch(/AKIASECRETVALUE|s3cr3t/);
  });

  it("reads model lists in the shapes Bedrock errors use", () => {
    expect(modelsNamedIn("Available models: a.b-1, c.d-2:0.")).toEqual(["a.b-1", "c.d-2:0"]);
    expect(modelsNamedIn("supported models are [anthropic.x-1, meta.y-2]")).toEqual(["anthropic.x-1", "meta.y-2"]);
    expect(modelsNamedIn("nothing here")).toEqual([]);
  });
});

describe("retryDecision", () => {
  function run(categories: GenerationFailureCategory[]) {
    const history: GenerationFailureCategory[] = [];
    return categories.map((c) => {
      history.push(c);
      return retryDecision(classifyGenerationFailure(c === "throttled" ? "ThrottlingException" : c === "read-timeout" ? "ReadTimeoutError" : "NoCredentialsError", { model }), history);
    });
  }

  it("backs off 5 s, 15 s, 45 s on throttling, then gives up", () => {
    expect(run(["throttled", "throttled", "throttled", "throttled"])).toEqual([
      { retry: true, delayMs: 5000, timeoutFactor: 1 },
      { retry: true, delayMs: 15000, timeoutFactor: 1 },
      { retry: true, delayMs: 45000, timeoutFactor: 1 },
      { retry: false },
    ]);
  });

  it("retries a read timeout once, with the timeout doubled", () => {
    expect(run(["read-timeout", "read-timeout"])).toEqual([{ retry: true, delayMs: 0, timeoutFactor: 2 }, { retry: false }]);
  });

  it("counts each category separately and never retries credentials", () => {
    expect(run(["throttled", "read-timeout", "throttled"])).toEqual([
      { retry: true, delayMs: 5000, timeoutFactor: 1 },
      { retry: true, delayMs: 0, timeoutFactor: 2 },
      { retry: true, delayMs: 15000, timeoutFactor: 1 },
    ]);
    expect(run(["no-credentials"])).toEqual([{ retry: false }]);
  });

  it("takes the delays from the policy", () => {
    expect(retryDecision(classifyGenerationFailure("ThrottlingException", { model }), ["throttled"], { ...DEFAULT_RETRY_POLICY, throttleDelaysMs: [1] })).toEqual({ retry: true, delayMs: 1, timeoutFactor: 1 });
  });
});
