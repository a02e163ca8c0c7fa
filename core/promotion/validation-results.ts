/**
 * The validation job runs the deployed commit's own checks (`npm run health|smoke|monitors`): code
 * that is not trusted, so that job holds no token that writes. It hands its outcomes to the trusted
 * `act` job as a results file, read here as data: only what the machine asked for (the decide
 * job's list, not the file, names the environment, the commit and the checks), only the states
 * `success` and `failure`, and only for the commit asked about. A check with no such result is not
 * reported, so the machine asks for it again, as it does when a validation job dies.
 */
import { z } from "zod";

/** One validation the machine asked for (the decide job's `validate` output, one matrix entry). */
export const validationRequestSchema = z.object({
  environment: z.string().min(1),
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  deployment_id: z.number().int().positive(),
  checks: z.array(z.string().min(1)),
});
export type ValidationRequest = z.infer<typeof validationRequestSchema>;

/** What the validation job writes (RESULTS_FILE in the artifact VALIDATION_ARTIFACT_PREFIX + environment). */
export interface ValidationResultsFile {
  readonly sha: string;
  readonly checks: Readonly<Record<string, "success" | "failure">>;
}

export const VALIDATION_ARTIFACT_PREFIX = "validation-";
export const RESULTS_FILE = "results.json";
/** Larger than any honest results file (a few checks); a larger one is not read. */
export const RESULTS_MAX_BYTES = 64 * 1024;

export interface CheckOutcome {
  readonly environment: string;
  readonly sha: string;
  readonly name: string;
  readonly state: "success" | "failure";
}

export interface ValidationOutcomes {
  /** The statuses to post. */
  readonly report: readonly CheckOutcome[];
  /** Why each asked-for check that is not reported has no result. */
  readonly unreported: readonly string[];
}

const resultsFileSchema = z.object({ sha: z.string(), checks: z.record(z.string(), z.unknown()) });

/** An environment's results file: its text, `undefined` when the validation job left none, or why it cannot be read. */
export type ResultsFile = string | undefined | { readonly problem: string };

/** The outcomes to report, from the machine's requests and each environment's results file. */
export function validationOutcomes(requests: readonly ValidationRequest[], resultsFile: (environment: string) => ResultsFile): ValidationOutcomes {
  const report: CheckOutcome[] = [];
  const unreported: string[] = [];
  for (const request of requests) {
    const short = request.sha.slice(0, 12);
    const text = resultsFile(request.environment);
    const none = (why: string) => unreported.push(...request.checks.map((name) => `${name} of ${short}: ${why}`));
    if (text === undefined) {
      none("the validation job left no results file");
      continue;
    }
    if (typeof text !== "string") {
      none(text.problem);
      continue;
    }
    if (Buffer.byteLength(text) > RESULTS_MAX_BYTES) {
      none(`the results file is larger than ${RESULTS_MAX_BYTES} bytes`);
      continue;
    }
    let parsed: z.infer<typeof resultsFileSchema>;
    try {
      parsed = resultsFileSchema.parse(JSON.parse(text));
    } catch (err) {
      none(`the results file is not {"sha": ..., "checks": {name: state}} (${err instanceof Error ? err.message.split("\n")[0].slice(0, 120) : "unreadable"})`);
      continue;
    }
    if (parsed.sha !== request.sha) {
      none(`the results file is for commit ${parsed.sha.slice(0, 12)}, not the deployed one`);
      continue;
    }
    for (const name of request.checks) {
      const state = Object.hasOwn(parsed.checks, name) ? parsed.checks[name] : undefined;
      if (state === "success" || state === "failure") report.push({ environment: request.environment, sha: request.sha, name, state });
      else unreported.push(`${name} of ${short}: ${state === undefined ? "no result" : `result ${JSON.stringify(state).slice(0, 40)} is neither success nor failure`}`);
    }
  }
  return { report, unreported };
}
