/**
 * The one failure classifier. The Bicep provider asks it whether a failed `az` call is worth
 * retrying, and the workflows ask it the same question through `delivery classify`, so the
 * patterns below are the only copy (seed 001 kept two lists in sync by hand).
 *
 * Each rule has up to three kinds of evidence, tried strongest first across all rules:
 *
 * 1. verdicts: lines a retry loop printed about the whole run (`[retries exhausted after 3
 *    attempts; ...]`, the older pipeline's "Logic failure detected"). They outrank everything,
 *    because the output of an exhausted run still holds the throttling codes of its attempts;
 * 2. Azure error codes (`"code": "TooManyRequests"`, `(AuthorizationFailed)`, `Code: SkuNotAvailable`):
 *    the stronger evidence, so a code is never outvoted by prose elsewhere in the log;
 * 3. message patterns, for failures that have no code (`az`, MSAL, Node and the plain messages of
 *    the seed system's suite, such as "Syntax error on line 42" or "Connection refused").
 *
 * Within a tier the rules are tried in order and the first match wins, so every text gets exactly
 * one answer:
 *
 * 1. login and permission problems (an expired token or a missing role is never fixed by waiting),
 * 2. capacity problems (quota, SKU or region not available: not fixed within one run either),
 * 3. logic errors in the template or its parameters (never retried),
 * 4. transient faults (throttling, 5xx, timeouts, resets, a concurrent operation: retried),
 * 5. anything else: `unknown`, not retried, with the advice to read the output.
 *
 * Specific rules come before generic ones because Azure wraps errors: a
 * `InvalidTemplateDeployment` whose inner error is `SkuNotAvailable` is a capacity problem, and a
 * `DeploymentFailed` wrapping `TooManyRequests` is throttling.
 */

/** Where the fault lies: in the code (`logic`), in the surroundings (`environmental`), or not known. */
export type FailureCategory = "logic" | "environmental" | "unknown";

export const FAILURE_CATEGORIES: readonly FailureCategory[] = ["logic", "environmental", "unknown"];

export interface Classification {
  readonly category: FailureCategory;
  /** Whether running the same thing again, after a pause, can succeed. */
  readonly retryable: boolean;
  /** Machine-readable id, stable across releases, e.g. `throttled`, `invalid-template`. */
  readonly kind: string;
  /** What happened and what to do next, for a human. */
  readonly reason: string;
  /** The text that matched, so a reader can find it in the output (absent for `unclassified`). */
  readonly evidence?: string;
  /** Seconds Azure asked us to wait (`Retry-After`), when the output says so. */
  readonly retryAfterSeconds?: number;
}

interface Rule {
  readonly kind: string;
  readonly category: FailureCategory;
  readonly retryable: boolean;
  /** Lines a retry loop prints about the whole run; the strongest evidence. */
  readonly verdicts?: readonly RegExp[];
  /** Azure error codes, matched case-sensitively as whole words; stronger than any pattern. */
  readonly codes?: readonly string[];
  /** Message patterns, for failures that have no code of their own. */
  readonly patterns?: readonly RegExp[];
  readonly reason: string;
}

/**
 * The rules, in precedence order. Each `kind` is documented in docs/bicep.md; add new patterns
 * here (with a test row in test/core/classify.test.ts), never in a workflow.
 */
export const CLASSIFICATION_RULES: readonly Rule[] = [
  {
    kind: "retries-exhausted",
    category: "environmental",
    retryable: false,
    verdicts: [/\[retries exhausted after \d+ attempts?; last failure [a-z]+\/[a-z0-9-]+\]/],
    reason:
      "Retries exhausted: every attempt the retry policy allows (bicep.retry for this environment) failed with a transient fault, so the run stops here and is not retried again; running it again at once would repeat them. Read the last failure above, re-run the deployment once its cause has cleared (https://status.azure.com), and raise bicep.retry if such faults regularly outlast the policy.",
  },
  {
    kind: "declared-logic-failure",
    category: "logic",
    retryable: false,
    verdicts: [/\bLogic failure detected\b/i],
    reason: "An earlier step already classified this failure as a logic error (the older pipeline's \"Logic failure detected\"). Read the error it reports, fix the template or parameters, and push again; retrying cannot help.",
  },
  {
    kind: "az-cli-missing",
    category: "environmental",
    retryable: false,
    patterns: [/\baz: (?:command )?not found/i, /spawn az ENOENT/i, /Azure CLI \(az\) was not found/i, /'az' is not recognized as an internal or external command/i],
    reason: "The Azure CLI is not installed on this machine. Install it (https://aka.ms/azure-cli, or the azure/cli action in a workflow) and run again.",
  },
  {
    kind: "not-logged-in",
    category: "environmental",
    retryable: false,
    codes: ["ExpiredAuthenticationToken", "InvalidAuthenticationToken", "AuthenticationFailed", "InvalidAuthenticationTokenTenant"],
    patterns: [
      /Please run ['"`]?az login['"`]?/i,
      /\bAADSTS(?:700024|70043|700082|50173|50078|50076|500133|700016|7000215|7000222)\b/,
      /The refresh token has expired/i,
      /\btoken (?:has )?expired\b/i,
      /Interactive authentication is needed/i,
      /No subscriptions found for/i,
      /ManagedIdentityCredential authentication unavailable/i,
      /The client assertion is (?:not within its valid time range|expired)/i,
    ],
    reason:
      "Azure rejected the credentials: the login is missing or expired. Locally run `az login` (and `az account set --subscription <id>`); in a workflow check the azure/login step and that the federated credential's subject matches this environment. Retrying with the same token cannot help.",
  },
  {
    kind: "subscription-not-found",
    category: "environmental",
    retryable: false,
    codes: ["SubscriptionNotFound", "InvalidSubscriptionId", "SubscriptionNotRegistered"],
    patterns: [/The subscription '[^']*' could not be found/i, /Subscription '[^']*' not found/i],
    reason:
      "The logged-in identity cannot see the target subscription. Check the subscription id in the stack configuration, run `az account list -o table` to see what the login can reach, and `az login --tenant <tenant>` if it belongs to another tenant.",
  },
  {
    kind: "authorization-failed",
    category: "environmental",
    retryable: false,
    codes: ["AuthorizationFailed", "LinkedAuthorizationFailed", "ForbiddenByRbac", "ForbiddenByPolicy", "Authorization_RequestDenied", "InsufficientAccountPermissions"],
    patterns: [/does not have (?:authorization|permission) to perform action/i, /does not have authorization to perform/i, /\bAuthorizationPermissionMismatch\b/],
    reason:
      "The deploy identity lacks a role for this action. Grant the role named in the message on the environment's resource group (see docs/bicep.md, \"Roles the deploy identity needs\"); role assignments can take a few minutes to apply, so re-run the deployment once it is granted rather than retrying now.",
  },
  {
    kind: "resource-provider-not-registered",
    category: "environmental",
    retryable: false,
    codes: ["MissingSubscriptionRegistration", "NoRegisteredProviderFound"],
    patterns: [/No registered resource provider found/i, /is not registered to use namespace/i],
    reason:
      "The subscription is not registered for a resource provider the template uses, or the API version/location pair does not exist. Run `az provider register --namespace <Namespace>` for the namespace in the message (or fix the apiVersion), then deploy again.",
  },
  {
    kind: "quota-exceeded",
    category: "environmental",
    retryable: false,
    codes: ["QuotaExceeded", "OperationNotAllowed_QuotaExceeded", "SubscriptionIsOverQuotaForSku", "ResourceQuotaExceeded", "RegionalQuotaExceeded", "InsufficientQuota"],
    patterns: [/exceed(?:s|ing|ed)? (?:the )?(?:approved |current )?(?:\w+ )?quota/i, /quota (?:limit )?(?:exceeded|reached)/i, /Current Limit:\s*\d+.*Current Usage:\s*\d+/is],
    reason:
      "A subscription or regional quota is exhausted. Waiting minutes does not fix it: request a quota increase (Azure portal > Quotas), choose a smaller SKU or another allowed region, or free capacity, then deploy again.",
  },
  {
    kind: "sku-not-available",
    category: "environmental",
    retryable: false,
    codes: ["SkuNotAvailable", "LocationNotAvailableForResourceType", "ZonalAllocationFailed", "AllocationFailed", "OverconstrainedAllocationRequest", "RegionDoesNotAllowProvisioning"],
    patterns: [
      /The requested (?:size|SKU|VM size) for resource '[^']*' is currently not available/i,
      /is not available in (?:the )?(?:location|region)/i,
      /\bSKU\b[^\n]{0,60}\bnot available\b/i,
      /\bcapacity (?:is )?(?:currently )?(?:unavailable|not available)\b/i,
      /\b(?:region|location) (?:is )?(?:currently )?unavailable\b/i,
    ],
    reason:
      "The SKU or resource type is not available in this region for this subscription right now. Choose another SKU or an allowed region in the parameters file (`az vm list-skus --location <region>` lists restrictions), then deploy again; retrying within this run will not help.",
  },
  {
    kind: "policy-denied",
    category: "logic",
    retryable: false,
    codes: ["RequestDisallowedByPolicy", "RequestDisallowedByAzure"],
    reason:
      "An Azure Policy assignment denied a resource in the template. Read the policy name in the message and change the template or parameters to comply (or ask for an exemption); retrying cannot help.",
  },
  {
    kind: "resource-group-not-found",
    category: "environmental",
    retryable: false,
    codes: ["ResourceGroupNotFound"],
    reason:
      "The target resource group does not exist. It is created by the platform stack (`pulumi up` for this environment) or with `az group create --name <rg> --location <region>`; create it, then deploy again.",
  },
  {
    kind: "name-conflict",
    category: "logic",
    retryable: false,
    codes: ["StorageAccountAlreadyTaken", "StorageAccountAlreadyExists", "VaultAlreadyExists", "NameNotAvailable", "NamespaceNameNotAvailable", "WebsiteAlreadyExists", "ResourceNameAlreadyInUse"],
    patterns: [/already (?:taken|in use)/i, /exists in (?:a )?(?:soft[- ])?deleted state/i],
    reason:
      "A globally unique name is already used (possibly by a soft-deleted Key Vault or another subscription). Change the name prefix in the parameters file, or purge/recover the soft-deleted resource (`az keyvault list-deleted`), then deploy again.",
  },
  {
    kind: "location-conflict",
    category: "logic",
    retryable: false,
    codes: ["InvalidResourceLocation", "InvalidResourceGroupLocation"],
    patterns: [/\balready exists in location\b/i],
    reason:
      "A resource or resource group of that name already exists in another region, and Azure does not move resources between regions. Deploy to the region it exists in (azure.location and the parameters file), or give it another name; retrying cannot help.",
  },
  {
    kind: "bicep-compile-error",
    category: "logic",
    retryable: false,
    patterns: [
      /\b(?:Error|error) BCP\d{3}\b/,
      /\.bicep(?:param)?\(\d+,\d+\)\s*:\s*Error [A-Za-z][\w-]*:/,
      /\b(?:bicep|lint(?:er)?) (?:lint |linter |build |compil(?:e|ation) )?errors?\b/i,
      /\bsyntax errors?\b/i,
      /\binvalid bicep\b/i,
    ],
    reason: "The Bicep file does not compile. Fix the file at the line and column shown (the BCP code links to its documentation), run `az bicep build --file <file>` locally, and push again; retrying cannot help.",
  },
  {
    kind: "invalid-parameters",
    category: "logic",
    retryable: false,
    codes: ["InvalidParameter", "InvalidParameterValue", "MissingRequiredParameter", "InvalidDeploymentParameterValue", "InvalidDeploymentParameterKey", "DeploymentParameterMissing"],
    patterns: [
      /The value for the template parameter '[^']*' at line '\d+' and column '\d+' is not provided/i,
      /The following parameters have no value/i,
      /Missing (?:required )?(?:input )?parameters?\b/i,
      /is not a valid value for parameter/i,
      /\binvalid (?:template )?parameters?\b/i,
      /\bparameter\b[^\n]{0,80}\bmust be\b/i,
    ],
    reason:
      "A parameter is missing or has an invalid value. Check the parameters file and the overrides against the template's `param` declarations (types, allowed values, lengths); retrying cannot help.",
  },
  {
    kind: "invalid-template",
    category: "logic",
    retryable: false,
    codes: [
      "InvalidTemplate",
      "InvalidTemplateDeployment",
      "DeploymentNotValid",
      "InvalidResourceType",
      "InvalidResourceReference",
      "InvalidRequestContent",
      "InvalidApiVersionParameter",
      "LinkedInvalidPropertyId",
      "InvalidResourceNamespace",
      "InvalidTemplateLanguageExpression",
      "BadRequest",
      "ValidationError",
    ],
    patterns: [
      /Deployment template validation failed/i,
      /\btemplate validation (?:failed|errors?)\b/i,
      /The template (?:resource|output|function) '[^']*' (?:at line|is not valid)/i,
      /\btemplate deployment\b[^\n]{0,120}\bis not valid\b/i,
      /\bcircular (?:dependency|reference)\b/i,
      /\bresource type\b[^\n]{0,120}\b(?:not found|could not be found|is not valid|not supported)\b/i,
      /\bapi[- ]?version\b[^\n]{0,120}\bnot (?:supported|valid|found)\b/i,
      /\bproperty\b[^\n]{0,80}\bnot allowed\b/i,
    ],
    reason:
      "Azure rejected the template as invalid. Read the message for the resource and property, fix the template (run `az deployment group validate` or the what-if locally), and push again; retrying cannot help.",
  },
  {
    kind: "throttled",
    category: "environmental",
    retryable: true,
    codes: ["TooManyRequests", "SubscriptionRequestsThrottled", "ResourceCollectionRequestsThrottled", "ResourceRequestsThrottled", "RequestThrottled", "TenantRequestsThrottled"],
    patterns: [/\bthrottl(?:ed|ing)\b/i, /(?:status(?: code)?|HTTP|\()\s*:?\s*429\b/i, /\b429 Too Many Requests\b/i, /\brate limit(?:ed)?\b/i],
    reason: "Azure Resource Manager throttled the requests. This passes: the deployment is retried with exponential backoff (honouring Retry-After); if it persists, spread deployments out in time.",
  },
  {
    kind: "operation-in-progress",
    category: "environmental",
    retryable: true,
    codes: ["AnotherOperationInProgress", "Conflict", "DeploymentActive", "OperationInProgress", "ResourceGroupBeingDeleted", "RetryableError", "ConcurrentModification"],
    patterns: [/another operation (?:is )?(?:already )?in progress/i, /is still active/i, /being (?:updated|modified) by another operation/i],
    reason: "Another operation holds the resource (a concurrent deployment, or a previous one still finishing). It is retried after a pause; if it persists, check `az deployment group list --resource-group <rg>` for a running deployment.",
  },
  {
    kind: "server-error",
    category: "environmental",
    retryable: true,
    codes: ["InternalServerError", "InternalError", "ServerError", "BadGateway", "ResourceDeploymentFailure_InternalError"],
    patterns: [/\binternal server error\b/i, /\b502 Bad Gateway\b/i, /(?:status(?: code)?|HTTP|\()\s*:?\s*50[02]\b/i],
    reason: "Azure returned an internal server error. It is usually transient and is retried with backoff; if every attempt fails, check https://status.azure.com for the region.",
  },
  {
    kind: "service-unavailable",
    category: "environmental",
    retryable: true,
    codes: ["ServiceUnavailable", "ServiceBusy", "ServerBusy"],
    patterns: [/\b503 Service Unavailable\b/i, /(?:status(?: code)?|HTTP|\()\s*:?\s*503\b/i, /service (?:is )?(?:temporarily )?unavailable/i],
    reason: "An Azure service was temporarily unavailable. It is retried with backoff; if every attempt fails, check https://status.azure.com for the region.",
  },
  {
    kind: "gateway-timeout",
    category: "environmental",
    retryable: true,
    codes: ["GatewayTimeout"],
    patterns: [/\b504 Gateway Time-?out\b/i, /(?:status(?: code)?|HTTP|\()\s*:?\s*504\b/i],
    reason: "A gateway in front of Azure Resource Manager timed out. It is retried with backoff.",
  },
  {
    kind: "timeout",
    category: "environmental",
    retryable: true,
    codes: ["OperationTimedOut", "RequestTimeout", "ClientRequestTimeout", "DeploymentTimeout"],
    patterns: [/\btimed out\b/i, /\btime-?out\b/i, /\bETIMEDOUT\b/, /\bESOCKETTIMEDOUT\b/],
    reason: "The operation timed out. It is retried with backoff; if it keeps timing out, raise the command timeout for this deployment or check the resource's own deployment logs.",
  },
  {
    kind: "network",
    category: "environmental",
    retryable: true,
    patterns: [
      /\bECONNRESET\b/,
      /\bECONNREFUSED\b/,
      /\bEAI_AGAIN\b/,
      /\bENOTFOUND\b/,
      /Connection reset by peer/i,
      /Connection aborted/i,
      /RemoteDisconnected/,
      /Temporary failure in name resolution/i,
      /Max retries exceeded with url/i,
      /\bSSLEOFError\b|EOF occurred in violation of protocol/,
      /socket hang up/i,
      /\bnetwork (?:error|failure|is unreachable)\b/i,
      /\bconnection (?:refused|failed|reset|aborted|closed)\b/i,
    ],
    reason: "The network connection to Azure failed (reset, refused or name resolution). It is retried with backoff; if it persists, check the runner's network and proxy settings.",
  },
  {
    kind: "temporary-failure",
    category: "environmental",
    retryable: true,
    patterns: [/\btemporary (?:failure|error)\b/i, /\btransient (?:failure|error|fault)\b/i],
    reason: "The service reported a temporary failure. It is retried with backoff; if every attempt fails, check https://status.azure.com for the region.",
  },
];

const UNCLASSIFIED_REASON =
  "No known failure pattern matched, so it is not retried. Read the output above; if the failure is transient re-run the job, and add its error code to core/classify.ts so it is recognised next time.";

const EMPTY_REASON = "The command failed without printing anything to classify. Re-run with `--debug` on the az command to see what it did.";

// Large logs are cut to this many characters before matching: codes appear near the error, and
// bounding the input bounds the regex work.
const MAX_CLASSIFIED_CHARS = 1_000_000;

function codeRegex(codes: readonly string[]): RegExp {
  // Whole words: `Conflict` must not match `ConflictingSomething`, `InternalServerError` inside a JSON
  // string matches. Case-sensitive because Azure's codes are.
  return new RegExp(`(?<![A-Za-z0-9_])(?:${codes.map(escapeRegex).join("|")})(?![A-Za-z0-9_])`);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// The evidence tiers, strongest first; within a tier, rules in precedence order.
const TIERS: readonly (readonly { rule: Rule; matcher: RegExp }[])[] = [
  CLASSIFICATION_RULES.flatMap((rule) => (rule.verdicts ?? []).map((matcher) => ({ rule, matcher }))),
  CLASSIFICATION_RULES.flatMap((rule) => (rule.codes && rule.codes.length > 0 ? [{ rule, matcher: codeRegex(rule.codes) }] : [])),
  CLASSIFICATION_RULES.flatMap((rule) => (rule.patterns ?? []).map((matcher) => ({ rule, matcher }))),
];

/** Classifies the output of a failed deployment step. Never throws; any text gets exactly one category. */
export function classify(output: string): Classification {
  const text = typeof output === "string" ? output.slice(0, MAX_CLASSIFIED_CHARS) : String(output);
  if (text.trim() === "") return { category: "unknown", retryable: false, kind: "empty-output", reason: EMPTY_REASON };
  for (const tier of TIERS) {
    for (const { rule, matcher } of tier) {
      const match = matcher.exec(text);
      if (!match) continue;
      const retryAfterSeconds = rule.retryable ? parseRetryAfter(text) : undefined;
      return {
        category: rule.category,
        retryable: rule.retryable,
        kind: rule.kind,
        reason: rule.reason,
        evidence: excerpt(text, match.index, match[0].length),
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      };
    }
  }
  return { category: "unknown", retryable: false, kind: "unclassified", reason: UNCLASSIFIED_REASON };
}

/**
 * The verdict line a retry loop prints when its policy's attempts are spent. `classify` recognises
 * it (kind `retries-exhausted`, not retryable), so a workflow reading the log never retries on top
 * of the provider. Keep the wording stable: the `retries-exhausted` rule above matches it.
 */
export function retriesExhaustedVerdict(attempts: number, last: Pick<Classification, "category" | "kind">): string {
  return `[retries exhausted after ${attempts} attempt${attempts === 1 ? "" : "s"}; last failure ${last.category}/${last.kind}]`;
}

/**
 * A deployment whose `pulumi up` reported no result: the deploy job ended (cancelled, timed out, its
 * runner lost, or a step before `up` failed) after its gates were re-checked. Nobody can tell from
 * outside whether Azure changed, so it counts as a failure (the promotion machine freezes and rolls
 * back) and is never retried blindly.
 */
export function deployJobEndedClassification(jobResult: string): Classification {
  const result = /^[a-z_]{1,20}$/.test(jobResult) ? jobResult : "unknown";
  return {
    category: "unknown",
    retryable: false,
    kind: "deploy-job-ended",
    reason: `The deploy job ended (${result}) after re-checking the gates and before pulumi up reported a result, so it may have changed Azure. Read the deploy job's log; if the stack is locked, /unlock it; then deploy again or roll back.`,
  };
}

/** The classification a rule gives, by its kind (for failures recognised without text, e.g. a lint error). */
export function classificationOfKind(kind: string): Classification {
  const rule = CLASSIFICATION_RULES.find((r) => r.kind === kind);
  if (!rule) throw new Error(`no classification rule has kind ${JSON.stringify(kind)}`);
  return { category: rule.category, retryable: rule.retryable, kind: rule.kind, reason: rule.reason };
}

/** `Retry-After: 30`, `retry after 30 seconds`, `"retryAfter": "30"`, `Try again in 60 seconds`; capped at one hour. */
export function parseRetryAfter(text: string): number | undefined {
  const m = /(?:retry[- _]?after["']?\s*[:=]?\s*["']?|try again in\s+)(\d{1,5})\b/i.exec(text);
  if (!m) return undefined;
  const seconds = Number(m[1]);
  return Number.isFinite(seconds) ? Math.min(seconds, 3600) : undefined;
}

/** The matched text with a little context, on one line, at most ~160 characters. */
function excerpt(text: string, index: number, length: number): string {
  const start = Math.max(0, index - 60);
  const end = Math.min(text.length, index + length + 80);
  const piece = text.slice(start, end).replace(/\s+/g, " ").trim();
  return `${start > 0 ? "…" : ""}${piece}${end < text.length ? "…" : ""}`;
}
