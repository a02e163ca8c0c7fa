import fc from "fast-check";
import { classificationOfKind, classify, CLASSIFICATION_RULES, FAILURE_CATEGORIES, parseRetryAfter } from "../../core/classify";

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
