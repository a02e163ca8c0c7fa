import type { Command } from "commander";
import { execa } from "execa";
import { resourceGroupName } from "../../core/config";
import { VALIDATION_KINDS, checkEndpoints, fetchStatus, formatChecks, monitorChecks, parseFiredAlerts, type ValidationKind } from "../../core/validate";
import type { HealthCheck } from "../../core/audit";
import { CliError, type CliIo } from "../main";
import { loadStack } from "./config";

interface ValidateOptions {
  environment: string;
  commit?: string;
  stack?: string;
  timeout: string;
  rounds: string;
  interval: string;
  window: string;
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--${name} must be a positive number (received ${JSON.stringify(text)})`);
  return n;
}

/**
 * `delivery validate health|smoke|monitors --environment ENV`: the post-deployment checks the
 * promote workflow runs (as `npm run <kind> -- --environment ENV --commit SHA`) and reports as
 * commit statuses. Exit 0 when the check passed, 1 when it failed.
 */
export function registerValidate(program: Command, io: CliIo): void {
  program
    .command("validate")
    .description("run a post-deployment check of an environment: health (endpoints answer 2xx), smoke (they keep answering over several rounds), monitors (no Sev0/Sev1 Azure Monitor alert fired)")
    .argument("<kind>", `one of ${VALIDATION_KINDS.join(", ")}`)
    .requiredOption("--environment <name>", "the environment to check")
    .option("--commit <sha>", "the deployed commit (recorded in the output)")
    .option("--stack <name>", "stack whose committed stack file to read (defaults to the environment's name)")
    .option("--timeout <seconds>", "per-request timeout", "30")
    .option("--rounds <n>", "smoke: how many rounds of requests", "3")
    .option("--interval <seconds>", "smoke: pause between rounds", "10")
    .option("--window <hours>", "monitors: how far back to look for fired alerts", "24")
    .action(async (kind: string, opts: ValidateOptions) => {
      if (!(VALIDATION_KINDS as readonly string[]).includes(kind)) throw new CliError(`unknown check "${kind}"; use one of ${VALIDATION_KINDS.join(", ")}`);
      const cfg = loadStack(io, opts.stack ?? opts.environment);
      const env = cfg.environments.find((e) => e.name === opts.environment);
      if (!env) throw new CliError(`--environment "${opts.environment}" is not one of the configured environments (${cfg.environments.map((e) => e.name).join(", ")})`);
      const timeoutMs = positive("timeout", opts.timeout) * 1000;
      const endpoints = env.bicep.healthEndpoints;
      let checks: HealthCheck[];
      if (kind === "monitors") {
        checks = await firedAlertChecks(cfg.azure.subscriptionId, resourceGroupName(cfg.azure.resourceGroupName, cfg.repository, env.name), positive("window", opts.window), timeoutMs);
      } else if (endpoints.length === 0) {
        io.stdout(
          `${kind} (${env.name}): no health endpoints configured (environments[${env.name}].bicep.healthEndpoints); the deployment's own health verification (provisioningState of every resource) is the only check. Add endpoints to test the running service.\n`,
        );
        return;
      } else {
        const rounds = kind === "smoke" ? positive("rounds", opts.rounds) : 1;
        checks = [];
        for (let round = 1; round <= rounds; round++) {
          const results = await checkEndpoints(endpoints, fetchStatus, timeoutMs);
          checks.push(...results.map((c) => (rounds > 1 ? { ...c, target: `${c.target} (round ${round})` } : c)));
          if (round < rounds) await new Promise((r) => setTimeout(r, positive("interval", opts.interval) * 1000));
        }
      }
      io.stdout(`${formatChecks(kind as ValidationKind, env.name, checks)}${opts.commit ? `\n  commit ${opts.commit}` : ""}\n`);
      if (checks.some((c) => !c.healthy)) process.exitCode = 1;
    });
}

/** Fired alerts on the environment's resource group, through `az rest` (the job's Azure login). */
async function firedAlertChecks(subscriptionId: string, resourceGroup: string, windowHours: number, timeoutMs: number): Promise<HealthCheck[]> {
  const range = windowHours <= 1 ? "1h" : windowHours <= 24 ? "1d" : windowHours <= 168 ? "7d" : "30d";
  const url =
    `/subscriptions/${subscriptionId}/providers/Microsoft.AlertsManagement/alerts` +
    `?api-version=2019-05-05-preview&targetResourceGroup=${encodeURIComponent(resourceGroup)}&monitorCondition=Fired&timeRange=${range}`;
  const result = await execa("az", ["rest", "--method", "get", "--url", url, "--output", "json"], { reject: false, timeout: timeoutMs, stdin: "ignore" });
  if ((result as { code?: string }).code === "ENOENT") throw new CliError("Azure CLI (az) was not found on PATH; the monitors check reads Azure Monitor through `az rest` after the azure/login step.");
  if (result.exitCode !== 0) throw new CliError(`az rest failed (exit code ${result.exitCode}); is the job logged in to Azure (azure/login with the environment's identity)?\n${String(result.stderr).trim()}`);
  try {
    return monitorChecks(parseFiredAlerts(JSON.parse(String(result.stdout))));
  } catch (err) {
    throw new CliError(`could not read the alerts Azure Monitor returned: ${(err as Error).message}`);
  }
}
