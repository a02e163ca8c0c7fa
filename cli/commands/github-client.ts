/**
 * The GitHub client the IssueOps commands use, built from the variables a workflow job has
 * (`GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_API_URL`). Commands take a factory so tests hand
 * in an Octokit whose `fetch` replays recorded API responses.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Octokit } from "@octokit/rest";
import { parseStackConfig, type StackConfig } from "../../core/config";
import { readStackFile } from "../../core/stack-file";
import { CliError, type CliIo } from "../main";
import { loadStack } from "./config";

/** The parts of Octokit the commands use. */
export type GitHubClient = Pick<Octokit, "request" | "paginate">;

export interface Repo {
  readonly owner: string;
  readonly repo: string;
}

export type ClientFactory = (io: CliIo) => Promise<GitHubClient>;

export const defaultClientFactory: ClientFactory = async (io) => {
  const token = io.env.GITHUB_TOKEN;
  if (!token) throw new CliError("GITHUB_TOKEN is not set; in a workflow pass `env: GITHUB_TOKEN: ${{ github.token }}`.");
  const { Octokit: Client } = await import("@octokit/rest");
  return new Client({ auth: token, baseUrl: io.env.GITHUB_API_URL ?? "https://api.github.com", userAgent: "delivery-platform" });
};

export function repoFromEnv(io: CliIo): Repo {
  const full = io.env.GITHUB_REPOSITORY ?? "";
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(full);
  if (!m) throw new CliError(`GITHUB_REPOSITORY is "${full}"; expected OWNER/NAME (set by GitHub Actions).`);
  return { owner: m[1], repo: m[2] };
}

/**
 * The stack whose configuration IssueOps reads: `--stack` if given, else the committed stack
 * file with `manageRepository: true` (the one that commits the workflows), else the only one.
 */
export function resolveStack(io: CliIo, stack: string | undefined): StackConfig {
  if (stack) return loadStack(io, stack);
  const names = fs
    .readdirSync(io.cwd)
    .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
    .map((f) => f.slice("Pulumi.".length, -".yaml".length))
    .sort();
  const managing = names.filter((n) => {
    try {
      return readStackFile(io.cwd, n).config["delivery-platform:manageRepository"] === "true";
    } catch {
      return false;
    }
  });
  const chosen = managing.length === 1 ? managing[0] : names.length === 1 ? names[0] : undefined;
  if (!chosen) {
    throw new CliError(
      `Cannot tell which stack's configuration to read in ${path.resolve(io.cwd)} (stacks: ${names.join(", ") || "none"}; with manageRepository: ${managing.join(", ") || "none"}). Pass --stack NAME.`,
    );
  }
  return loadStack(io, chosen);
}

/** Appends `key=value` lines to a GITHUB_OUTPUT file; values must be single-line. */
export function writeOutputs(file: string | undefined, values: Record<string, string>): void {
  if (!file) return;
  const lines = Object.entries(values).map(([k, v]) => {
    if (/[\r\n]/.test(v)) throw new Error(`output ${k} must be a single line`);
    return `${k}=${v}\n`;
  });
  fs.appendFileSync(file, lines.join(""));
}

export function appendSummary(file: string | undefined, markdown: string): void {
  if (file) fs.appendFileSync(file, `${markdown}\n\n`);
}

export { parseStackConfig };
