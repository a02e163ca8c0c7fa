import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { execa } from "execa";
import { auditDirectory } from "../../core/bicep/spec";
import { resourceGroupName, type EnvironmentConfig, type StackConfig } from "../../core/config";
import { BICEP_COMPONENT_DEFAULTS, TIMEOUT_DEFAULTS } from "../../core/defaults";
import {
  VALIDATION_KINDS,
  checkEndpointsWithRetries,
  fetchStatus,
  formatChecks,
  monitorChecks,
  parseFiredAlerts,
  pickDeploymentRecord,
  resolveHealthTargets,
  runSoak,
  soakReadings,
  type AuditRecordSummary,
  type ValidationKind,
} from "../../core/validate";
import type { HealthCheck } from "../../core/audit";
import { CliError, type CliIo } from "../io";
import { loadStack } from "./config";

interface ValidateOptions {
  environment?: string;
  commit?: string;
  stack?: string;
  auditDir?: string;
  timeout: string;
  attempts: string;
  retryDelay: string;
  rounds: string;
  interval: string;
  window: string;
  soakMinutes?: string;
  soakInterval: string;
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--${name} must be a positive number (received ${JSON.stringify(text)})`);
  return n;
}

function wholeAtLeastOne(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new CliError(`--${name} must be a whole number from 1 to 100 (received ${JSON.stringify(text)})`);
  return n;
}

function nonNegative(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 10_080) throw new CliError(`--${name} must be a number of minutes from 0 to 10080 (received ${JSON.stringify(text)})`);
  return n;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The stack and environment a check is about: `--stack` (its environment), `--environment` (its own stack), or both. */
function target(io: CliIo, opts: ValidateOptions): { cfg: StackConfig; stack: string; env: EnvironmentConfig } {
  if (!opts.stack && !opts.environment) throw new CliError("name what to check: --stack NAME (the stack's environment), or --environment ENV (read from Pulumi.ENV.yaml)");
  const stack = opts.stack ?? opts.environment!;
  const cfg = loadStack(io, stack);
  const env = opts.environment ? cfg.environments.find((e) => e.name === opts.environment) : cfg.environment;
  if (!env) throw new CliError(`--environment "${opts.environment}" is not one of the configured environments (${cfg.environments.map((e) => e.name).join(", ")})`);
  return { cfg, stack, env };
}

/**
 * The records in `dir` as far as choosing the deployment goes (Bicep audit records, and the GitHub
 * deployment records `promote record export` writes); unreadable files are skipped.
 */
export function readAuditRecords(dir: string): AuditRecordSummary[] {
  if (!fs.existsSync(dir)) return [];
  const out: AuditRecordSummary[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as Record<string, unknown>;
      out.push({ file: name, kind: r.kind, stack: r.stack, result: r.result, gitSha: r.gitSha, finishedAt: r.finishedAt, outputs: r.outputs, environmentUrl: r.environmentUrl, deploymentId: r.deploymentId });
    } catch {
      // Not an audit record (or a partial write): it names no deployment.
    }
  }
  return out;
}

/**
 * `delivery validate health|smoke|monitors --stack NAME`: the post-deployment checks the promote
 * workflow runs (as `npm run <kind> -- --environment ENV --commit SHA`) and reports as commit
 * statuses. Names every endpoint or alert query it checked. Exit 0 when the check passed, 1 when
 * it failed or had nothing to check (unless the stack says its environment has no endpoint).
 */
export function registerValidate(program: Command, io: CliIo): void {
  program
    .command("validate")
    .description(
      "run a post-deployment check: health (endpoints answer 2xx, with retries), smoke (they keep answering over several rounds), monitors (no Sev0/Sev1 Azure Monitor alert, read at the start, at intervals and at the end of the soak). Endpoints are the configured healthEndpoints, else the deployment's own outputs (host names, health URLs) from its audit record",
    )
    .argument("<kind>", `one of ${VALIDATION_KINDS.join(", ")}`)
    .option("--stack <name>", "stack whose committed stack file to read; checks its environment (defaults to --environment's name)")
    .option("--environment <name>", "the environment to check (defaults to the stack's environment)")
    .option("--commit <sha>", "the deployed commit: its deployment's outputs are used, and it is recorded in the output")
    .option("--audit-dir <dir>", `where the deployment's audit records are (default: $DELIVERY_AUDIT_DIR, else ${BICEP_COMPONENT_DEFAULTS.auditDir})`)
    .option("--timeout <seconds>", "per-request timeout", String(TIMEOUT_DEFAULTS.http))
    .option("--attempts <n>", "health and smoke: requests per endpoint before it counts as failed", "3")
    .option("--retry-delay <seconds>", "health and smoke: pause between attempts", "10")
    .option("--rounds <n>", "smoke: how many rounds of requests", "3")
    .option("--interval <seconds>", "smoke: pause between rounds", "10")
    .option("--window <hours>", "monitors: how far back to look for fired alerts", "24")
    .option("--soak-minutes <minutes>", "monitors: how long to watch (defaults to the environment's soakMinutes; 0 reads once)")
    .option("--soak-interval <minutes>", "monitors: minutes between readings during the soak", "5")
    .action(async (kind: string, opts: ValidateOptions) => {
      if (!(VALIDATION_KINDS as readonly string[]).includes(kind)) throw new CliError(`unknown check "${kind}"; use one of ${VALIDATION_KINDS.join(", ")}`);
      const { cfg, stack, env } = target(io, opts);
      const timeoutMs = positive("timeout", opts.timeout) * 1000;
      const commitLine = opts.commit ? `\n  commit ${opts.commit}` : "";
      let checks: HealthCheck[];
      if (kind === "monitors") {
        const soak = opts.soakMinutes !== undefined ? nonNegative("soak-minutes", opts.soakMinutes) : env.soakMinutes;
        const schedule = soakReadings(soak, positive("soak-interval", opts.soakInterval));
        const rg = resourceGroupName(cfg.azure.resourceGroupName, cfg.repository, env.name);
        const started = Date.now();
        const windowHours = Math.max(positive("window", opts.window), soak / 60);
        const soaked = await runSoak(
          schedule,
          () => firedAlertChecks(io, cfg.azure.subscriptionId, rg, windowHours, timeoutMs),
          async (minute) => {
            const wait = started + minute * 60_000 - Date.now();
            if (wait > 0) await sleep(wait);
          },
        );
        checks = soaked.readings.flatMap((r) => r.checks.map((c) => (schedule.length > 1 ? { ...c, target: `${c.target} (minute ${r.minute} of ${soak})` } : c)));
        io.stdout(`monitors (${env.name}): alerts on resource group ${rg}, read ${soaked.readings.length} of ${schedule.length} time(s) at minute(s) ${schedule.join(", ")} of the soak\n`);
      } else {
        const dir = auditDirectory({ root: io.cwd, auditDir: opts.auditDir ?? BICEP_COMPONENT_DEFAULTS.auditDir }, opts.auditDir ? {} : io.env);
        const configured = env.bicep.healthEndpoints;
        const targets = resolveHealthTargets({
          environment: env.name,
          configured,
          declaredNone: env.bicep.noHealthEndpoints,
          deployment: configured.length > 0 || env.bicep.noHealthEndpoints ? { problem: "not read" } : pickDeploymentRecord(readAuditRecords(dir), stack, opts.commit ?? null, path.relative(io.cwd, dir) || "."),
        });
        if (targets.kind === "declared-none") {
          io.stdout(`${kind} (${env.name}): nothing to check: environments[${env.name}].bicep.noHealthEndpoints says "${targets.reason}"${commitLine}\n`);
          return;
        }
        if (targets.kind === "nothing-to-check") {
          io.stdout(`${kind} (${env.name}): FAILED, ${targets.reason}${commitLine}\n`);
          process.exitCode = 1;
          return;
        }
        const retry = { attempts: wholeAtLeastOne("attempts", opts.attempts), delayMs: positive("retry-delay", opts.retryDelay) * 1000, timeoutMs, sleep };
        const rounds = kind === "smoke" ? wholeAtLeastOne("rounds", opts.rounds) : 1;
        const intervalMs = positive("interval", opts.interval) * 1000;
        io.stdout(`${kind} (${env.name}): ${targets.targets.map((t) => `${t.url} (from ${t.source})`).join(", ")}${targets.notes.length > 0 ? `\n  note: ${targets.notes.join("; ")}` : ""}\n`);
        checks = [];
        for (let round = 1; round <= rounds; round++) {
          const results = await checkEndpointsWithRetries(
            targets.targets.map((t) => t.url),
            fetchStatus,
            retry,
          );
          checks.push(...results.map((c) => (rounds > 1 ? { ...c, target: `${c.target} (round ${round})` } : c)));
          if (round < rounds) await sleep(intervalMs);
        }
      }
      io.stdout(`${formatChecks(kind as ValidationKind, env.name, checks)}${commitLine}\n`);
      if (checks.some((c) => !c.healthy)) process.exitCode = 1;
    });
}

/** Fired alerts on the environment's resource group, through `az rest` (the job's Azure login). */
async function firedAlertChecks(io: CliIo, subscriptionId: string, resourceGroup: string, windowHours: number, timeoutMs: number): Promise<HealthCheck[]> {
  const range = windowHours <= 1 ? "1h" : windowHours <= 24 ? "1d" : windowHours <= 168 ? "7d" : "30d";
  const url =
    `/subscriptions/${subscriptionId}/providers/Microsoft.AlertsManagement/alerts` +
    `?api-version=2019-05-05-preview&targetResourceGroup=${encodeURIComponent(resourceGroup)}&monitorCondition=Fired&timeRange=${range}`;
  const result = await execa("az", ["rest", "--method", "get", "--url", url, "--output", "json"], { reject: false, timeout: timeoutMs, stdin: "ignore", env: { ...io.env }, extendEnv: false });
  if ((result as { code?: string }).code === "ENOENT") throw new CliError("Azure CLI (az) was not found on PATH; the monitors check reads Azure Monitor through `az rest` after the azure/login step.");
  if (result.exitCode !== 0) throw new CliError(`az rest failed (exit code ${result.exitCode}); is the job logged in to Azure (azure/login with the environment's identity)?\n${String(result.stderr).trim()}`);
  try {
    return monitorChecks(parseFiredAlerts(JSON.parse(String(result.stdout))));
  } catch (err) {
    throw new CliError(`could not read the alerts Azure Monitor returned: ${(err as Error).message}`);
  }
}
