import * as fc from "fast-check";
import { ConfigError, closestKey, keyPath, parseStackConfig, resourceGroupName } from "../../core/config";
import { BICEP_CONFIG_DEFAULTS, ENVIRONMENT_DEFAULTS, STACK_DEFAULTS } from "../../core/defaults";
import { readStackFile } from "../../core/stack-file";
import { REPO_ROOT } from "../harness/program";

const base = () => readStackFile(REPO_ROOT, "dev").config;

function problemsOf(raw: Record<string, string>, stack = "dev"): string[] {
  try {
    parseStackConfig(raw, stack);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.key}: ${p.message}${p.received === undefined ? "" : ` (received ${JSON.stringify(p.received)})`}`);
  }
  throw new Error("expected the configuration to be rejected");
}

function withEnvironments(mutate: (envs: any[]) => void): Record<string, string> {
  const raw = base();
  const envs = JSON.parse(raw["delivery-platform:environments"]);
  mutate(envs);
  return { ...raw, "delivery-platform:environments": JSON.stringify(envs) };
}

describe("parseStackConfig", () => {
  it.each(["dev", "staging", "prod"])("accepts the committed %s stack file", (stack) => {
    const cfg = parseStackConfig(readStackFile(REPO_ROOT, stack).config, stack);
    expect(cfg.environment.name).toBe(stack);
    expect(cfg.owner).toBe("contoso");
    expect(cfg.repositoryName).toBe("payments-service");
    expect(cfg.environments.map((e) => `${e.name}->${e.branch}`)).toEqual(["dev->dev", "staging->test", "prod->main"]);
  });

  it("applies documented defaults", () => {
    const cfg = parseStackConfig(base(), "dev");
    expect(cfg.environment.preventSelfReview).toBe(true);
    expect(cfg.environment.bicep.mode).toBe("Incremental");
    expect(cfg.graft.timeoutSeconds).toBe(600);
    expect(cfg.allowedLocations).toEqual(["westeurope", "northeurope"]);
  });

  it("takes every default from the one table in core/defaults.ts", () => {
    const cfg = parseStackConfig(base(), "dev");
    const staging = cfg.environments.find((e) => e.name === "staging")!;
    expect(staging.bicep).toEqual({
      template: "bicep/main.bicep",
      parameters: "bicep/parameters/staging.bicepparam",
      mode: BICEP_CONFIG_DEFAULTS.mode,
      verifyHealth: BICEP_CONFIG_DEFAULTS.verifyHealth,
      healthEndpoints: BICEP_CONFIG_DEFAULTS.healthEndpoints,
    });
    expect(staging.preventSelfReview).toBe(ENVIRONMENT_DEFAULTS.preventSelfReview);
    expect(cfg.manageRepository).toBe(STACK_DEFAULTS.manageRepository);
    // A default handed out twice must not be shared: changing one environment's list leaves the other's alone.
    cfg.environments[0].bicep.healthEndpoints.push("https://x.example");
    expect(BICEP_CONFIG_DEFAULTS.healthEndpoints).toEqual([]);
  });

  it("accepts a partial bicep.retry per environment and leaves the rest to the provider's defaults", () => {
    const cfg = parseStackConfig(
      withEnvironments((envs) => {
        envs[0].bicep.retry = { maxAttempts: 5, initialDelayMs: 1000 };
      }),
      "dev",
    );
    expect(cfg.environment.bicep.retry).toEqual({ maxAttempts: 5, initialDelayMs: 1000 });
    expect(cfg.environments[1].bicep.retry).toBeUndefined();
  });

  it("rejects a bad bicep.retry with the full key, the rule and the value", () => {
    expect(
      problemsOf(
        withEnvironments((envs) => {
          envs[0].bicep.retry = { maxAttempts: 0, jitter: 2, maxAttempt: 3 };
          envs[2].bicep.retry = { initialDelayMs: 400_000 };
        }),
      ),
    ).toEqual([
      'delivery-platform:environments[0].bicep.retry.maxAttempt: unknown key; did you mean "maxAttempts"? (known keys here: maxAttempts, initialDelayMs, maxDelayMs, multiplier, jitter)',
      "delivery-platform:environments[0].bicep.retry.maxAttempts: must be an integer from 1 to 10 (received 0)",
      "delivery-platform:environments[0].bicep.retry.jitter: must be between 0 and 1 (received 2)",
      "delivery-platform:environments[2].bicep.retry.initialDelayMs: is above maxDelayMs, which is 300000 by default and must be at least initialDelayMs and at most 3600000 milliseconds; set maxDelayMs too (received 400000)",
    ]);
  });

  it("rejects an unknown environment for the stack, naming the key", () => {
    expect(problemsOf({ ...base(), "delivery-platform:environment": "qa" })).toEqual([
      'delivery-platform:environment: is not one of the configured environments (dev, staging, prod); add it to environments or fix the name (received "qa")',
    ]);
  });

  it("rejects a stack whose name is no environment when environment is unset", () => {
    const raw = base();
    delete raw["delivery-platform:environment"];
    expect(problemsOf(raw, "sandbox")).toEqual([
      'delivery-platform:environment: is not set and the stack name "sandbox" is not one of the configured environments (dev, staging, prod); set it with `pulumi config set environment <name>`',
    ]);
  });

  it("rejects a malformed owner/repo", () => {
    expect(problemsOf({ ...base(), "delivery-platform:repository": "contoso" })).toEqual([
      'delivery-platform:repository: expected OWNER/NAME, e.g. contoso/payments-service (received "contoso")',
    ]);
  });

  it("rejects a missing subscription id", () => {
    const raw = base();
    const azure = JSON.parse(raw["delivery-platform:azure"]);
    delete azure.subscriptionId;
    expect(problemsOf({ ...raw, "delivery-platform:azure": JSON.stringify(azure) })).toEqual([
      "delivery-platform:azure.subscriptionId: Invalid input: expected string, received undefined",
    ]);
  });

  it("rejects a branch mapped twice", () => {
    expect(problemsOf(withEnvironments((envs) => (envs[2].branch = "test")))).toEqual([
      'delivery-platform:environments[2].branch: branch is already mapped to environments[1] (staging); each environment needs its own branch (received "test")',
    ]);
  });

  it("rejects an unknown key with a did-you-mean hint, at the top level and nested", () => {
    const raw = withEnvironments((envs) => (envs[0].waitTimer = 5));
    expect(problemsOf({ ...raw, "delivery-platform:enviroments": "[]" })).toEqual([
      "delivery-platform:environments[0].waitTimer: unknown key (known keys here: name, branch, reviewers, requiredApprovals, waitTimerMinutes, preventSelfReview, manualTestApproval, soakMinutes, requireApprovalLabel, bicep)",
      'delivery-platform:enviroments: unknown key; did you mean "environments"? (known keys here: repository, environment, manageRepository, environments, azure, aws, graft, github)',
    ]);
  });

  it("reports every problem at once", () => {
    const raw = withEnvironments((envs) => {
      envs[1].branch = "dev";
      envs[2].reviewers = { users: ["a", "b", "c", "d", "e"], teams: ["x", "y"] };
    });
    const problems = problemsOf({ ...raw, "delivery-platform:repository": "no-slash", "delivery-platform:aws": JSON.stringify({ region: "us-east-1", accountId: "12", bedrockModelIds: [] }) });
    expect(problems).toEqual([
      'delivery-platform:repository: expected OWNER/NAME, e.g. contoso/payments-service (received "no-slash")',
      'delivery-platform:aws.accountId: expected a 12-digit AWS account id (received "12")',
      "delivery-platform:aws.bedrockModelIds: list at least one Bedrock model id (received [])",
      'delivery-platform:environments[1].branch: branch is already mapped to environments[0] (dev); each environment needs its own branch (received "dev")',
      'delivery-platform:environments[2].reviewers: has 7 reviewers; GitHub allows at most 6 per environment (use a team instead of several users) (received {"users":["a","b","c","d","e"],"teams":["x","y"]})',
    ]);
  });

  it("reports cross-field problems once the shapes are valid", () => {
    const raw = withEnvironments((envs) => {
      envs[1].branch = "dev";
      envs[2].reviewers = { users: ["a", "b", "c", "d", "e"], teams: ["x", "y"] };
      envs.push({ ...envs[0], name: "docs", branch: "docs" });
    });
    expect(problemsOf(raw)).toEqual([
      'delivery-platform:environments[1].branch: branch is already mapped to environments[0] (dev); each environment needs its own branch (received "dev")',
      'delivery-platform:environments[2].reviewers: has 7 reviewers; GitHub allows at most 6 per environment (use a team instead of several users) (received {"users":["a","b","c","d","e"],"teams":["x","y"]})',
      'delivery-platform:environments[3].name: "docs" is reserved for the documentation job\'s GitHub environment; choose another name (received "docs")',
    ]);
  });

  it("ignores other namespaces (provider configuration)", () => {
    expect(() => parseStackConfig({ ...base(), "github:token": "ciphertext", "azure-native:location": "westeurope" }, "dev")).not.toThrow();
  });

  it("formats the error as one message listing every problem", () => {
    try {
      parseStackConfig({ ...base(), "delivery-platform:repository": "x" }, "dev");
      throw new Error("not rejected");
    } catch (err) {
      expect((err as Error).message).toBe(
        [
          "The stack configuration has 1 problem; nothing was created:",
          '  - delivery-platform:repository: expected OWNER/NAME, e.g. contoso/payments-service (received "x")',
          "Fix them in Pulumi.<stack>.yaml (or with `pulumi config set --path`) and run again.",
        ].join("\n"),
      );
    }
  });

  it("never throws anything but a ConfigError, whatever the values", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("repository", "environments", "azure", "aws", "graft", "github", "environment", "other"), fc.jsonValue()), (values) => {
        const raw = Object.fromEntries(Object.entries(values).map(([k, v]) => [`delivery-platform:${k}`, JSON.stringify(v) ?? "null"]));
        try {
          parseStackConfig(raw, "dev");
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          for (const p of err.problems) expect(p.key.startsWith("delivery-platform:")).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("helpers", () => {
  it("renders key paths the way `pulumi config set --path` spells them", () => {
    expect(keyPath(["environments", 2, "branch"])).toBe("environments[2].branch");
    expect(keyPath([])).toBe("");
  });
  it("suggests the closest key within two edits only", () => {
    expect(closestKey("enviroments", ["environments", "azure"])).toBe("environments");
    expect(closestKey("zzz", ["environments", "azure"])).toBeUndefined();
  });
  it("fills the resource group pattern", () => {
    expect(resourceGroupName("rg-{repo}-{env}", "contoso/payments-service", "prod")).toBe("rg-payments-service-prod");
  });
});
