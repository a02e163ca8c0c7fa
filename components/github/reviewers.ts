import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentConfig } from "../../core/config";

/** Reviewer logins and team slugs resolved to the numeric ids GitHub's environment API takes. */
export interface ResolvedReviewers {
  readonly users: readonly number[];
  readonly teams: readonly number[];
}

/**
 * Resolves every reviewer of the given environments through the GitHub provider, before any
 * resource is registered. Every login or team that cannot be resolved is reported in one error,
 * with the environment that names it.
 */
export async function resolveReviewers(
  environments: readonly EnvironmentConfig[],
  owner: string,
  opts: pulumi.InvokeOptions,
): Promise<Map<string, ResolvedReviewers>> {
  const failures: string[] = [];
  const lookup = async (kind: "user" | "team", name: string, env: string): Promise<number | undefined> => {
    try {
      const result = kind === "user" ? await github.getUser({ username: name }, opts) : await github.getTeam({ slug: name, summaryOnly: true }, opts);
      const id = Number(result.id);
      if (!Number.isInteger(id) || id <= 0) throw new Error(`GitHub returned no numeric id (got ${JSON.stringify(result.id)})`);
      return id;
    } catch (err) {
      const where = kind === "user" ? `user "${name}"` : `team "${owner}/${name}"`;
      failures.push(`environments "${env}": reviewer ${where} cannot be resolved: ${firstLine((err as Error).message)}`);
      return undefined;
    }
  };
  const resolved = new Map<string, ResolvedReviewers>();
  await Promise.all(
    environments.map(async (env) => {
      const users = await Promise.all(env.reviewers.users.map((u) => lookup("user", u, env.name)));
      const teams = await Promise.all(env.reviewers.teams.map((t) => lookup("team", t, env.name)));
      resolved.set(env.name, { users: users.filter((x): x is number => x !== undefined), teams: teams.filter((x): x is number => x !== undefined) });
    }),
  );
  if (failures.length > 0) {
    throw new Error(
      [
        `${failures.length} required reviewer${failures.length === 1 ? "" : "s"} could not be resolved; nothing was created:`,
        ...failures.map((f) => `  - ${f}`),
        `Check the spelling in delivery-platform:environments[*].reviewers, that teams belong to ${owner}, and that the GitHub token can read them (read:org for teams).`,
      ].join("\n"),
    );
  }
  return resolved;
}

/** Provider errors arrive wrapped in blank lines and stack frames; the first line with text is the cause. */
function firstLine(message: string): string {
  return message.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "no error message";
}
