/**
 * The IssueOps command language, parsed from the first line of a pull-request comment.
 *
 * Rules (each one closes a hole the seed workflow had):
 * - Only the first line counts, and it must start with `/` in column 0. A command quoted in a
 *   reply (`> /deploy prod`) or mentioned mid-sentence is not a command.
 * - Command words and arguments are plain ASCII. A look-alike (`/dеploy` with a Cyrillic `е`)
 *   is refused with an explanation instead of being silently ignored or, worse, normalised.
 * - Arguments may only contain letters, digits and `. _ : -`; anything else (quotes, `;`, `$(`,
 *   backticks, redirections) makes the command malformed. Nothing here ever reaches a shell, but
 *   a strict grammar keeps the decision boring to audit.
 */
import { closestKey } from "../config";
import { DEPLOYMENT_FAILURE_LABEL } from "../labels";

export const COMMANDS = ["deploy", "preview", "rollback", "promote", "unlock", "help"] as const;
export type CommandName = (typeof COMMANDS)[number];

/** The longest first line read as a command; anything longer is malformed, not truncated. */
export const MAX_COMMAND_LINE = 200;

export type ParsedCommand =
  | { readonly kind: "deploy"; readonly environment: string; readonly commit: string | null }
  | { readonly kind: "preview"; readonly environment: string }
  | { readonly kind: "rollback"; readonly environment: string; readonly commit: string | null }
  | { readonly kind: "promote"; readonly from: string; readonly to: string }
  | { readonly kind: "unlock"; readonly environment: string }
  | { readonly kind: "help" };

export type ParseFailure =
  /** Not addressed to us: no reply. */
  | { readonly kind: "not-a-command" }
  /** Addressed to us but wrong: reply with `message`. */
  | { readonly kind: "unknown-command" | "malformed-command" | "lookalike-characters" | "unknown-environment"; readonly message: string };

export type ParseResult = ParsedCommand | ParseFailure;

/** How each command is written, for help texts and error replies. */
export const USAGE: Readonly<Record<CommandName, string>> = {
  deploy: "/deploy <environment> [sha]",
  preview: "/preview <environment>",
  rollback: "/rollback <environment> [to <sha>]",
  promote: "/promote <from-environment> <to-environment>",
  unlock: "/unlock <environment>",
  help: "/help",
};

const SHA = /^[0-9a-f]{7,40}$/;
const SAFE_ARG = /^[A-Za-z0-9._:-]+$/;

/** The first line of a comment body, with a trailing `\r` removed. */
export function firstLine(body: string): string {
  const end = body.search(/\r?\n/);
  return end < 0 ? body : body.slice(0, end);
}

/** `U+0435 CYRILLIC SMALL LETTER IE`-style description of the first non-ASCII character. */
export function describeNonAscii(text: string): string | undefined {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0x7e || (cp < 0x20 && ch !== "\t")) {
      return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  return undefined;
}

// Latin look-alikes that NFKC leaves alone (Cyrillic, Greek); NFKC already folds full-width forms.
const CONFUSABLES: Readonly<Record<string, string>> = {
  "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w",
  "α": "a", "ε": "e", "ο": "o", "ρ": "p", "ι": "i", "κ": "k", "ν": "v", "τ": "t", "υ": "u",
};

/** What a word looks like in ASCII: NFKC, confusables mapped, invisible characters dropped. */
export function asciiSkeleton(word: string): string {
  return [...word.normalize("NFKC").toLowerCase()]
    .map((ch) => CONFUSABLES[ch] ?? ch)
    .join("")
    .replace(/[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]/g, "");
}

function lookalike(word: string): ParseFailure {
  return {
    kind: "lookalike-characters",
    message: `The command contains the character ${describeNonAscii(word)}, which is not plain ASCII. Commands are typed in ASCII only (a Cyrillic \`е\` looks like \`e\` but is not); retype it, e.g. \`${USAGE.deploy}\`.`,
  };
}

/**
 * Parses a comment body. `environments` are the configured names; an unknown one is reported
 * with the list and a "did you mean" hint. Total: never throws, for any string.
 */
export function parseCommand(body: string, environments: readonly string[]): ParseResult {
  if (!body.startsWith("/")) return { kind: "not-a-command" };
  const line = firstLine(body);
  if (line.length > MAX_COMMAND_LINE) {
    return { kind: "malformed-command", message: `The command line is ${line.length} characters long; commands are short (at most ${MAX_COMMAND_LINE}). Put explanations on the following lines.` };
  }
  const words = line
    .slice(1)
    .split(/[ \t]+/)
    .filter((w) => w !== "");
  const word = words[0] ?? "";
  const args = words.slice(1);
  const name = word.toLowerCase();
  const known = (COMMANDS as readonly string[]).includes(name);
  if (!known && describeNonAscii(word) !== undefined) {
    // Only a word that *looks like* one of ours is worth a reply; "/shrug ¯\_(ツ)_/¯" is not.
    return (COMMANDS as readonly string[]).includes(asciiSkeleton(name)) ? lookalike(word) : { kind: "not-a-command" };
  }
  if (!known) {
    if (!/^[a-z][a-z-]*$/i.test(word)) return { kind: "not-a-command" }; // e.g. "/ " or "/tmp/x": a path, not us
    const hint = closestKey(name, COMMANDS);
    return { kind: "unknown-command", message: `\`/${word}\` is not a command${hint ? `; did you mean \`/${hint}\`?` : "."}` };
  }
  const foreignArg = args.find((a) => describeNonAscii(a) !== undefined);
  if (foreignArg !== undefined) return lookalike(foreignArg);
  const command = name as CommandName;
  const bad = args.find((a) => !SAFE_ARG.test(a));
  if (bad !== undefined) {
    const position = args.indexOf(bad) + 1;
    const offending = [...bad].find((ch) => !SAFE_ARG.test(ch)) ?? "";
    const shown = `U+${offending.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    // The offending text is described, never echoed: a reply must not carry the commenter's markdown.
    return { kind: "malformed-command", message: `Argument ${position} contains ${shown}; arguments may contain only letters, digits and \`. _ : -\`. Usage: \`${USAGE[command]}\`.` };
  }
  const malformed = (why: string): ParseFailure => ({ kind: "malformed-command", message: `${why} Usage: \`${USAGE[command]}\`.` });
  const env = (value: string): ParseFailure | undefined => {
    if (environments.includes(value)) return undefined;
    const hint = closestKey(value, environments);
    return {
      kind: "unknown-environment",
      message: `\`${value}\` is not a configured environment (${environments.map((e) => `\`${e}\``).join(", ")})${hint ? `; did you mean \`${hint}\`?` : "."}`,
    };
  };
  const sha = (value: string): string | ParseFailure => {
    const lower = value.toLowerCase();
    return SHA.test(lower) ? lower : malformed(`\`${value}\` is not a commit SHA (7 to 40 hexadecimal digits).`);
  };

  switch (command) {
    case "help":
      return { kind: "help" };
    case "deploy":
    case "preview": {
      const max = command === "deploy" ? 2 : 1;
      if (args.length < 1 || args.length > max) return malformed(`\`/${command}\` takes ${command === "deploy" ? "an environment and optionally a commit SHA" : "exactly one environment"}.`);
      const envProblem = env(args[0]);
      if (envProblem) return envProblem;
      if (command === "preview") return { kind: "preview", environment: args[0] };
      if (args.length === 1) return { kind: "deploy", environment: args[0], commit: null };
      const commit = sha(args[1]);
      return typeof commit === "string" ? { kind: "deploy", environment: args[0], commit } : commit;
    }
    case "rollback": {
      if (!(args.length === 1 || (args.length === 3 && args[1].toLowerCase() === "to"))) return malformed("`/rollback` takes an environment and optionally `to <sha>`.");
      const envProblem = env(args[0]);
      if (envProblem) return envProblem;
      if (args.length === 1) return { kind: "rollback", environment: args[0], commit: null };
      const commit = sha(args[2]);
      return typeof commit === "string" ? { kind: "rollback", environment: args[0], commit } : commit;
    }
    case "promote": {
      if (args.length !== 2) return malformed("`/promote` takes two environments.");
      const problem = env(args[0]) ?? env(args[1]);
      if (problem) return problem;
      if (args[0] === args[1]) return malformed("`/promote` needs two different environments.");
      return { kind: "promote", from: args[0], to: args[1] };
    }
    case "unlock": {
      if (args.length !== 1) return malformed("`/unlock` takes exactly one environment.");
      return env(args[0]) ?? { kind: "unlock", environment: args[0] };
    }
  }
}

/** The `/help` reply, listing every command with the configured environments. */
export function helpText(environments: readonly string[], approvalLabel: string, approvalEnvironments: readonly string[]): string {
  const envs = environments.map((e) => `\`${e}\``).join(", ");
  const lines = [
    "**IssueOps commands** (first line of a new comment on a pull request; people with write access):",
    "",
    "| command | what it does |",
    "|---|---|",
    `| \`${USAGE.deploy}\` | deploy this PR's head commit (the optional SHA must equal the head) |`,
    `| \`${USAGE.preview}\` | run \`pulumi preview\` for the environment and update its preview comment |`,
    `| \`${USAGE.rollback}\` | redeploy the environment's last known-good commit, or the given commit from its branch |`,
    `| \`${USAGE.promote}\` | open the pull request that promotes the validated commit of \`<from>\` to the next environment |`,
    `| \`${USAGE.unlock}\` | clear the environment's Pulumi lock after a deploy run died mid-update (never one a running deploy holds); the next deploy finishes the update |`,
    `| \`${USAGE.help}\` | show this help |`,
    "",
    `Environments: ${envs}. Labels \`deploy:<environment>\` ask for a deployment too. While an issue labelled \`${DEPLOYMENT_FAILURE_LABEL.name}\` is open, promotion is frozen: only rollbacks and deployments to ${environments.length > 0 ? `\`${environments[0]}\`` : "the first environment"} run.`,
  ];
  if (approvalEnvironments.length > 0) {
    lines.push(
      "",
      `${approvalEnvironments.map((e) => `\`${e}\``).join(", ")} also need the \`${approvalLabel}\` label, applied by someone who is neither the PR author nor the person asking, and the environment's required reviewers.`,
    );
  }
  return lines.join("\n");
}
