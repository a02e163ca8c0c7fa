import fc from "fast-check";
import { classificationOfKind, classify, CLASSIFICATION_RULES, FAILURE_CATEGORIES, parseRetryAfter, retriesExhaustedVerdict, type FailureCategory } from "../../core/classify";
import { RetryError, withRetry } from "../../core/retry";

// Real-looking output: az's `ERROR: (Code) message` form, the JSON form, bare codes from the seed's
// story, Bicep diagnostics, MSAL and Node network errors.
const TABLE: readonly [string, string, "logic" | "environmental" | "unknown", boolean][] = [
  // transient: retried
  ["TooManyRequests JSON", `ERROR: {"status":"Failed","error":{"code":"DeploymentFailed","details":[{"code":"TooManyRequests","message":"The request is being throttled as the limit has been reached for operation type - Write_ObservationWindow_00:05:00."}]}}`, "environmental", true],
  ["429 status", "Operation returned an invalid status code 'Too Many Requests' (Status code: 429)", "environmental", true],
  ["throttled prose", "ServiceUnavailable: Azure throttled request", "environmental", true],
  ["subscription throttled", "(SubscriptionRequestsThrottled) Number of 'read' requests for subscription '1234' actor 'abc' exceeded.", "environmental", true],
  ["InternalServerError", "ERROR: (InternalServerError) Encountered internal server error. Diagnostic information: timestamp '20260219T100530Z'.", "environmental", true],
  ["500 text", "Azure Error: 500 Internal Server Error", "environmental", true],
  ["ServiceUnavailable", "Code: ServiceUnavailable\nMessage: The server (leader) is currently unavailable.", "environmental", true],
  ["503 text", "HTTP 503 Service Unavailable from management.azure.com", "environmental", true],
  ["GatewayTimeout", `{"error":{"code":"GatewayTimeout","message":"The gateway did not receive a response from 'Microsoft.Web' within the specified time period."}}`, "environmental", true],
  ["timed out", "The operation timed out after 3600 seconds", "environmental", true],
  ["timeout runner", "az deployment group create timed out after 3600s and was stopped", "environmental", true],
  ["ECONNRESET", "Error: read ECONNRESET at TLSWrap.onStreamRead", "environmental", true],
  ["connection reset python", "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))", "environmental", true],
  ["DNS", "HTTPSConnectionPool(host='management.azure.com', port=443): Max retries exceeded with url: /subscriptions (Caused by NewConnectionError('Temporary failure in name resolution'))", "environmental", true],
  ["AnotherOperationInProgress", "ERROR: (AnotherOperationInProgress) Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: https://management.azure.com/...", "environmental", true],
  ["Conflict", `{"code":"Conflict","message":"The resource 'sb-delivery-dev' is being updated by another operation."}`, "environmental", true],
  ["DeploymentActive", "ERROR: (DeploymentActive) The deployment 'delivery-app-1a2b' is still active.", "environmental", true],
  // logic: never retried
  ["InvalidTemplate", "ERROR: (InvalidTemplate) Deployment template validation failed: 'The template resource 'st01' at line '1' and column '1436' is not valid'.", "logic", false],
  ["InvalidTemplateDeployment", "ERROR: (InvalidTemplateDeployment) The template deployment 'x' is not valid according to the validation procedure. The tracking id is 'abc'. See inner errors for details.", "logic", false],
  ["BCP error", "/repo/bicep/main.bicep(12,5) : Error BCP057: The name \"storageAcount\" does not exist in the current context.", "logic", false],
  ["BCP formatted", "bicep/main.bicep:12:5 error BCP057: The name \"x\" does not exist in the current context.", "logic", false],
  ["linter error", "/repo/bicep/main.bicep(3,1) : Error no-hardcoded-env-urls: Environment URLs should not be hardcoded.", "logic", false],
  ["parameter missing", "Deployment template validation failed: 'The value for the template parameter 'environmentName' at line '1' and column '182' is not provided.", "logic", false],
  ["InvalidParameter", "ERROR: (InvalidParameter) The value of parameter sku.name is invalid.", "logic", false],
  ["missing parameters az", "Missing input parameters: environmentName", "logic", false],
  ["policy", "ERROR: (RequestDisallowedByPolicy) Resource 'stdev' was disallowed by policy. Policy identifiers: '[{\"policyAssignment\":{\"name\":\"Allowed locations\"}}]'.", "logic", false],
  ["name taken", "ERROR: (StorageAccountAlreadyTaken) The storage account named stdeliverydev01 is already taken.", "logic", false],
  ["soft-deleted vault", "ERROR: (VaultAlreadyExists) The vault name 'kv-delivery-dev' is already in use. Vault names are globally unique.", "logic", false],
  // login and permissions: not retried, explained
  ["AuthorizationFailed", "ERROR: (AuthorizationFailed) The client 'abc' with object id 'abc' does not have authorization to perform action 'Microsoft.Resources/deployments/write' over scope '/subscriptions/x'.", "environmental", false],
  ["LinkedAuthorizationFailed", "Code: LinkedAuthorizationFailed\nMessage: The client has permission to perform action 'Microsoft.Authorization/roleAssignments/write' on scope ..., however it does not have permission ...", "environmental", false],
  ["not logged in", "ERROR: Please run 'az login' to setup account.", "environmental", false],
  ["expired token", "ERROR: AADSTS700024: Client assertion is not within its valid time range. Current time: 2026-02-19T10:05:30Z", "environmental", false],
  ["ExpiredAuthenticationToken", "(ExpiredAuthenticationToken) The access token expiry UTC time '2/19/2026 10:00:00 AM' is earlier than current UTC time.", "environmental", false],
  ["subscription not found", "ERROR: (SubscriptionNotFound) The subscription '00000000-0000-0000-0000-000000000000' could not be found.", "environmental", false],
  ["az missing", "Azure CLI (az) was not found on PATH. Install it", "environmental", false],
  // capacity: not retried within one run
  ["QuotaExceeded", "ERROR: (QuotaExceeded) Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Current Limit: 10, Current Usage: 8, Additional Required: 4", "environmental", false],
  ["SkuNotAvailable wrapped", `{"code":"InvalidTemplateDeployment","details":[{"code":"SkuNotAvailable","message":"The requested size for resource 'x' is currently not available in location 'westeurope'"}]}`, "environmental", false],
  ["location not available", "ERROR: (LocationNotAvailableForResourceType) The provided location 'westeurope' is not available for resource type 'Microsoft.Web/staticSites'.", "environmental", false],
  ["provider not registered", "ERROR: (MissingSubscriptionRegistration) The subscription is not registered to use namespace 'Microsoft.ServiceBus'.", "environmental", false],
  ["rg missing", "ERROR: (ResourceGroupNotFound) Resource group 'rg-payments-dev' could not be found.", "environmental", false],
  // unknown
  ["unrelated", "Something odd happened.", "unknown", false],
  ["empty", "   ", "unknown", false],
];


/**
 * Every case of the seed system's own classifier suite (ASISaga/AgentOperatingSystem at f744955,
 * `.github/workflows/test-failure-classification.py`: logic, environmental, real-world and edge
 * cases, in its order), with what the seed expects and what this classifier answers. The seed has
 * no notion of "retryable"; here logic and unknown failures are never retried, and environmental
 * ones only when waiting can fix them (quota, capacity and region problems cannot).
 *
 * One row differs on purpose: the seed leaves the authorization failure `unknown` ("an auth error,
 * not classified"); here it is `environmental` (`authorization-failed`, with the role to grant).
 * Neither retries it.
 */
const SEED_SUITE: readonly { message: string; seed: FailureCategory; category: FailureCategory; retryable: boolean; kind: string }[] = [
  // test_logic_failures
  { message: "Bicep lint error found in template", seed: "logic", category: "logic", retryable: false, kind: "bicep-compile-error" },
  { message: "Syntax error on line 42", seed: "logic", category: "logic", retryable: false, kind: "bicep-compile-error" },
  { message: "Template validation failed", seed: "logic", category: "logic", retryable: false, kind: "invalid-template" },
  { message: "Invalid parameter: location", seed: "logic", category: "logic", retryable: false, kind: "invalid-parameters" },
  { message: "Missing required parameter: resourceGroup", seed: "logic", category: "logic", retryable: false, kind: "invalid-parameters" },
  { message: "Error BCP123: Property not allowed", seed: "logic", category: "logic", retryable: false, kind: "bicep-compile-error" },
  { message: "Circular dependency detected in module", seed: "logic", category: "logic", retryable: false, kind: "invalid-template" },
  { message: "Resource type 'Microsoft.Foo/Bar' not found", seed: "logic", category: "logic", retryable: false, kind: "invalid-template" },
  { message: "API version '2023-01-01' not supported", seed: "logic", category: "logic", retryable: false, kind: "invalid-template" },
  { message: "Deployment template validation error", seed: "logic", category: "logic", retryable: false, kind: "invalid-template" },
  { message: "Parameter must be a string", seed: "logic", category: "logic", retryable: false, kind: "invalid-parameters" },
  // test_environmental_failures
  { message: "Request timeout after 30 seconds", seed: "environmental", category: "environmental", retryable: true, kind: "timeout" },
  { message: "Azure service throttled the request", seed: "environmental", category: "environmental", retryable: true, kind: "throttled" },
  { message: "Rate limit exceeded", seed: "environmental", category: "environmental", retryable: true, kind: "throttled" },
  { message: "Service unavailable, please retry", seed: "environmental", category: "environmental", retryable: true, kind: "service-unavailable" },
  { message: "Internal server error (500)", seed: "environmental", category: "environmental", retryable: true, kind: "server-error" },
  { message: "Network error: connection failed", seed: "environmental", category: "environmental", retryable: true, kind: "network" },
  { message: "Connection refused by remote host", seed: "environmental", category: "environmental", retryable: true, kind: "network" },
  { message: "Temporary failure, retry later", seed: "environmental", category: "environmental", retryable: true, kind: "temporary-failure" },
  { message: "Quota exceeded for this subscription", seed: "environmental", category: "environmental", retryable: false, kind: "quota-exceeded" },
  { message: "Capacity unavailable in region eastus", seed: "environmental", category: "environmental", retryable: false, kind: "sku-not-available" },
  { message: "Region unavailable", seed: "environmental", category: "environmental", retryable: false, kind: "sku-not-available" },
  { message: "SKU not available in this region", seed: "environmental", category: "environmental", retryable: false, kind: "sku-not-available" },
  { message: "Conflict with another operation in progress", seed: "environmental", category: "environmental", retryable: true, kind: "operation-in-progress" },
  { message: "Connection timeout", seed: "environmental", category: "environmental", retryable: true, kind: "timeout" },
  { message: "Throttling occurred", seed: "environmental", category: "environmental", retryable: true, kind: "throttled" },
  // test_real_world_errors
  {
    message: "ERROR: (InvalidTemplateDeployment) The template deployment 'main' is not valid according to the validation procedure.",
    seed: "logic",
    category: "logic",
    retryable: false,
    kind: "invalid-template",
  },
  { message: "Code: Conflict\nMessage: Another operation on this or dependent resource is in progress.", seed: "environmental", category: "environmental", retryable: true, kind: "operation-in-progress" },
  {
    message: "ERROR: Error BCP029: The resource type is not valid. Specify a valid resource type of format '<types>@<apiVersion>'.",
    seed: "logic",
    category: "logic",
    retryable: false,
    kind: "bicep-compile-error",
  },
  {
    message: "ERROR: The client 'xxx' with object id 'yyy' does not have authorization to perform action 'Microsoft.Resources/deployments/validate/action'",
    seed: "unknown",
    category: "environmental",
    retryable: false,
    kind: "authorization-failed",
  },
  { message: "ServiceUnavailable: The service is temporarily unavailable. Please retry your request.", seed: "environmental", category: "environmental", retryable: true, kind: "service-unavailable" },
  { message: "TooManyRequests: Rate limit is exceeded. Try again in 60 seconds.", seed: "environmental", category: "environmental", retryable: true, kind: "throttled" },
  {
    message: "ERROR: (InvalidResourceGroupLocation) Invalid resource group location 'southeastasia'. The Resource group already exists in location 'australiaeast'.",
    seed: "logic",
    category: "logic",
    retryable: false,
    kind: "location-conflict",
  },
  {
    message:
      'ERROR: {"code": "MultipleErrorsOccurred", "message": "Multiple error occurred: Conflict,Conflict,Conflict,Conflict."}\n' +
      'Inner Errors: {"code": "InvalidResourceLocation", "message": "The resource \'myresource\' already exists in location \'australiaeast\' in resource group \'my-rg\'. A resource with the same name cannot be created in location \'southeastasia\'."}\n',
    seed: "logic",
    category: "logic",
    retryable: false,
    kind: "location-conflict",
  },
  { message: "❌ Logic failure detected - no retry will be attempted\n   Error: ERROR: some deployment error details", seed: "logic", category: "logic", retryable: false, kind: "declared-logic-failure" },
  // test_edge_cases
  { message: "", seed: "unknown", category: "unknown", retryable: false, kind: "empty-output" },
  { message: "Some random error message", seed: "unknown", category: "unknown", retryable: false, kind: "unclassified" },
  { message: "ERROR: Something went wrong", seed: "unknown", category: "unknown", retryable: false, kind: "unclassified" },
  { message: "warning: this is just a warning", seed: "unknown", category: "unknown", retryable: false, kind: "unclassified" },
];

describe("the seed system's classifier suite", () => {
  it("has all 39 of its cases", () => {
    expect(SEED_SUITE).toHaveLength(39);
  });

  it.each(SEED_SUITE.map((row) => [JSON.stringify(row.message).slice(0, 90), row] as const))("%s", (_label, row) => {
    expect(classify(row.message)).toMatchObject({ category: row.category, retryable: row.retryable, kind: row.kind });
  });

  it("agrees with the seed on every logic and environmental decision, and differs only where it is more specific", () => {
    const differing = SEED_SUITE.filter((row) => classify(row.message).category !== row.seed).map((row) => [row.seed, classify(row.message).kind]);
    expect(differing).toEqual([["unknown", "authorization-failed"]]);
  });
});

describe("evidence strength", () => {
  it("lets an Azure error code outrank prose elsewhere in the log", () => {
    // "parameter ... must be" alone reads as a logic error; the code says the service was down.
    expect(classify("(ServiceUnavailable) The service is unavailable.\nnote: the parameter sku must be set by the caller").kind).toBe("service-unavailable");
    // And the other way round: the template error's code wins over a timeout mentioned in passing.
    expect(classify("ERROR: (InvalidTemplate) The template resource 'x' is not valid.\nprevious attempt timed out").kind).toBe("invalid-template");
  });

  it("reports a run whose retries are spent as not retryable, whatever the attempts failed with", () => {
    const log = [
      "Updating (dev):",
      "error: deploy failed: az deployment group create failed (exit code 1):",
      'ERROR: {"status":"Failed","error":{"code":"DeploymentFailed","details":[{"code":"TooManyRequests","message":"The request is being throttled."}]}}',
      `${retriesExhaustedVerdict(3, { category: "environmental", kind: "throttled" })} ${classificationOfKind("retries-exhausted").reason}`,
    ].join("\n");
    const c = classify(log);
    expect(c).toMatchObject({ category: "environmental", retryable: false, kind: "retries-exhausted" });
    expect(c.reason).toMatch(/^Retries exhausted: every attempt the retry policy allows \(bicep\.retry for this environment\) failed/);
    expect(c.evidence).toContain("[retries exhausted after 3 attempts; last failure environmental/throttled]");
    expect(c.retryAfterSeconds).toBeUndefined();
  });

  it("recognises the verdict the retry loop itself prints when it gives up", async () => {
    const err = await withRetry(
      async () => {
        throw new Error("ERROR: (TooManyRequests) The request is being throttled.");
      },
      { policy: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, jitter: 0 }, sleep: async () => undefined },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryError);
    expect(classify((err as Error).message)).toMatchObject({ kind: "retries-exhausted", retryable: false });
  });
});

describe("classify", () => {
  it.each(TABLE)("%s", (_label, text, category, retryable) => {
    const c = classify(text);
    expect({ category: c.category, retryable: c.retryable }).toEqual({ category, retryable });
  });

  it("gives the kind, reason with a next step, and evidence for a throttled deployment", () => {
    expect(classify("ERROR: (TooManyRequests) The request is being throttled. Retry after 20 seconds.")).toEqual({
      category: "environmental",
      retryable: true,
      kind: "throttled",
      reason: "Azure Resource Manager throttled the requests. This passes: the deployment is retried with exponential backoff (honouring Retry-After); if it persists, spread deployments out in time.",
      evidence: "ERROR: (TooManyRequests) The request is being throttled. Retry after 20 seconds.",
      retryAfterSeconds: 20,
    });
  });

  it("explains an authorization failure as a permissions problem", () => {
    const c = classify("ERROR: (AuthorizationFailed) The client 'abc' does not have authorization to perform action 'Microsoft.Resources/deployments/write'");
    expect(c.kind).toBe("authorization-failed");
    expect(c.reason).toBe(
      'The deploy identity lacks a role for this action. Grant the role named in the message on the environment\'s resource group (see docs/bicep.md, "Roles the deploy identity needs"); role assignments can take a few minutes to apply, so re-run the deployment once it is granted rather than retrying now.',
    );
  });

  it("prefers the inner capacity error over the wrapping template error", () => {
    expect(classify(`{"code":"InvalidTemplateDeployment","details":[{"code":"QuotaExceeded"}]}`).kind).toBe("quota-exceeded");
  });

  it("prefers a compile error over a timeout mentioned in the same log", () => {
    expect(classify("main.bicep(1,1) : Error BCP018: Expected the \"=\" character at this location.\nnote: previous run timed out").kind).toBe("bicep-compile-error");
  });

  it("matches codes as whole, case-sensitive words", () => {
    expect(classify("ConflictingSettings were found").kind).toBe("unclassified");
    expect(classify("a conflict of interest").kind).toBe("unclassified");
  });

  it("says what to do when nothing matched", () => {
    expect(classify("Something odd happened.")).toEqual({
      category: "unknown",
      retryable: false,
      kind: "unclassified",
      reason:
        "No known failure pattern matched, so it is not retried. Read the output above; if the failure is transient re-run the job, and add its error code to core/classify.ts so it is recognised next time.",
    });
  });

  it("has unique kinds, and a reason for each", () => {
    const kinds = CLASSIFICATION_RULES.map((r) => r.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const r of CLASSIFICATION_RULES) expect(r.reason.length).toBeGreaterThan(40);
  });

  it("looks a rule up by kind, and rejects an unknown kind", () => {
    expect(classificationOfKind("bicep-compile-error")).toMatchObject({ category: "logic", retryable: false });
    expect(() => classificationOfKind("nope")).toThrow('no classification rule has kind "nope"');
  });

  it("parses Retry-After forms", () => {
    expect(parseRetryAfter("Retry-After: 30")).toBe(30);
    expect(parseRetryAfter('"retryAfter": "12"')).toBe(12);
    expect(parseRetryAfter("retry after 99999 seconds")).toBe(3600);
    expect(parseRetryAfter("Rate limit is exceeded. Try again in 60 seconds.")).toBe(60);
    expect(parseRetryAfter("no hint")).toBeUndefined();
  });

  describe("properties", () => {
    it("gives any text exactly one known category and never throws", () => {
      fc.assert(
        fc.property(fc.string({ unit: "grapheme", maxLength: 400 }), (text) => {
          const c = classify(text);
          expect(FAILURE_CATEGORIES.filter((k) => k === c.category)).toHaveLength(1);
          expect(typeof c.retryable).toBe("boolean");
          expect(c.reason.length).toBeGreaterThan(0);
          // unknown failures are never retried
          if (c.category === "unknown") expect(c.retryable).toBe(false);
          // logic failures are never retried
          if (c.category === "logic") expect(c.retryable).toBe(false);
        }),
        { numRuns: 500 },
      );
    });

    it("never throws on text mixing real codes and noise", () => {
      const codes = CLASSIFICATION_RULES.flatMap((r) => r.codes ?? []);
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.constantFrom(...codes), fc.string({ maxLength: 30 })), { maxLength: 20 }), (parts) => {
          const c = classify(parts.join(" "));
          expect(FAILURE_CATEGORIES).toContain(c.category);
        }),
        { numRuns: 300 },
      );
    });

    it("keeps a compile error a logic error whatever surrounds it", () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), (before, after) => {
          const c = classify(`${before}\nmain.bicep(3,4) : Error BCP035: The specified "object" declaration is missing required properties.\n${after}`);
          // only login/permission/capacity rules precede compile errors; random text does not produce their codes
          if (!["not-logged-in", "subscription-not-found", "authorization-failed", "quota-exceeded", "sku-not-available", "az-cli-missing", "policy-denied", "resource-group-not-found", "resource-provider-not-registered", "name-conflict"].includes(c.kind)) {
            expect(c).toMatchObject({ category: "logic", retryable: false, kind: "bicep-compile-error" });
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
