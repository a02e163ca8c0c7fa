/**
 * Turns one GitHub event payload into exactly one decision: what to do, for which environment
 * and commit, on whose behalf; or why nothing is done (and, when a person should be told, the
 * reply to post). Pure and total: any JSON value, however hostile, gives one decision.
 *
 * The decision is a request, not a permission. Who may ask, which commit is deployed and
 * whether prod is approved are decided afterwards by the gates (`./gates.ts`), against facts
 * fetched from the GitHub API when the command is read.
 */
import { helpText, parseCommand, USAGE } from "./parse";

export type IntentSource = "comment" | "label" | "dispatch" | "push";

export type NoneReason =
  | "unsupported-event"
  | "invalid-payload"
  | "not-a-command"
  | "comment-edited"
  | "comment-deleted"
  | "not-a-pull-request"
  | "pull-request-closed"
  | "bot-sender"
  | "not-a-deploy-label"
  | "unknown-command"
  | "malformed-command"
  | "lookalike-characters"
  | "unknown-environment"
  | "not-an-environment-branch"
  | "branch-deleted";

interface Common {
  readonly source: IntentSource | null;
  /** Login of the person who asked (commenter, labeller, dispatcher). */
  readonly requestedBy: string | null;
  /** Pull request number the command came from; null for dispatches. */
  readonly pullRequest: number | null;
}

export interface ActDecision extends Common {
  readonly action: "deploy" | "preview" | "rollback";
  readonly source: IntentSource;
  readonly requestedBy: string;
  readonly environment: string;
  /**
   * The commit asked for, if the event names one: the SHA in `/deploy env SHA` or
   * `/rollback env to SHA`, the PR head in a label event's payload, `inputs.sha` of a dispatch,
   * the pushed commit (`after`) of a push. The gates resolve the commit actually deployed; a
   * rollback without one goes to the environment's last known-good commit.
   */
  readonly commit: string | null;
  /** The ref a dispatch ran on, or a push went to (`refs/heads/main`); null otherwise. */
  readonly ref: string | null;
  readonly commentId: number | null;
  /**
   * For a bot's dispatch (the promotion machine's rollback): the person who started it, from the
   * workflow input `requested_by`. The gates check this person's permission; absent, they refuse.
   */
  readonly onBehalfOf?: string;
}

export interface PromoteDecision extends Common {
  readonly action: "promote";
  readonly source: "comment";
  readonly requestedBy: string;
  readonly from: string;
  readonly to: string;
  readonly commentId: number | null;
}

/** `/unlock <env>`: clear a stale Pulumi lock of the environment (`delivery unlock --force`), after the permission gate. */
export interface UnlockDecision extends Common {
  readonly action: "unlock";
  readonly source: "comment";
  readonly requestedBy: string;
  readonly environment: string;
  readonly commentId: number | null;
}

export interface HelpDecision extends Common {
  readonly action: "help";
  readonly reply: string;
}

export interface NoneDecision extends Common {
  readonly action: "none";
  readonly reason: NoneReason;
  /** A sentence for logs. */
  readonly detail: string;
  /** Markdown to post back to the pull request, or null when silence is right. */
  readonly reply: string | null;
}

export type Decision = ActDecision | PromoteDecision | UnlockDecision | HelpDecision | NoneDecision;

/** What the parser needs to know about the stack configuration. */
export interface IntentConfig {
  readonly environments: readonly string[];
  readonly approvalLabel: string;
  /** Environments that need the approval label (requireApprovalLabel). */
  readonly approvalEnvironments: readonly string[];
  /** Each environment's branch: a push to it deploys the environment. */
  readonly branches: Readonly<Record<string, string>>;
}

export const DEPLOY_LABEL_PREFIX = "deploy:";
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;
const SHA40 = /^[0-9a-f]{40}$/;
const SHA_SHORT = /^[0-9a-f]{7,40}$/;
const DISPATCH_ACTIONS = ["deploy", "preview", "rollback"] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined);

function none(reason: NoneReason, detail: string, common: Partial<Common> = {}, reply: string | null = null): NoneDecision {
  return { action: "none", reason, detail, reply, source: common.source ?? null, requestedBy: common.requestedBy ?? null, pullRequest: common.pullRequest ?? null };
}

function isBot(user: Obj): boolean {
  const login = str(user.login) ?? "";
  return user.type === "Bot" || login.endsWith("[bot]");
}

/** The decision for one event. `eventName` is `GITHUB_EVENT_NAME`. */
export function decideIntent(eventName: string, payload: unknown, cfg: IntentConfig): Decision {
  try {
    if (!isObj(payload)) return none("invalid-payload", "the event payload is not a JSON object");
    switch (eventName) {
      case "issue_comment":
        return fromComment(payload, cfg);
      // Deploy labels arrive as pull_request_target: GitHub runs that event with the default
      // branch's workflow file and ref, which the environments' branch policies admit. A
      // `pull_request` labeled run is the PR's own workflow at refs/pull/N/merge, which no
      // environment admits.
      case "pull_request_target":
        return fromLabel(payload, cfg);
      case "workflow_dispatch":
        return fromDispatch(payload, cfg);
      case "push":
        return fromPush(payload, cfg);
      default:
        return none("unsupported-event", `event "${String(eventName).slice(0, 60)}" does not carry IssueOps commands (issue_comment, pull_request_target labeled, workflow_dispatch, push do)`);
    }
  } catch (err) {
    // Defensive: the readers above only use guarded accessors, but a decision must always come out.
    return none("invalid-payload", `the event payload could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function fromComment(p: Obj, cfg: IntentConfig): Decision {
  const comment = obj(p.comment);
  const issue = obj(p.issue);
  const user = obj(comment.user);
  const login = str(user.login);
  const number = num(issue.number);
  const body = str(comment.body);
  if (login === undefined || !LOGIN.test(login) || number === undefined || body === undefined) {
    return none("invalid-payload", "issue_comment payload lacks comment.user.login, comment.body or issue.number");
  }
  const common = { source: "comment" as const, requestedBy: login, pullRequest: isObj(issue.pull_request) ? number : null };
  if (p.action === "edited") return none("comment-edited", "edited comments are not commands; post a new comment", common);
  if (p.action === "deleted") return none("comment-deleted", "the comment was deleted", common);
  if (p.action !== "created") return none("invalid-payload", `issue_comment action "${String(p.action).slice(0, 30)}" is not created/edited/deleted`, common);
  if (!isObj(issue.pull_request)) return none("not-a-pull-request", `#${number} is an issue, not a pull request; commands work on pull requests only`, { ...common, pullRequest: null });
  if (isBot(user)) return none("bot-sender", `${login} is a bot; commands are taken from people only`, common);

  const parsed = parseCommand(body, cfg.environments);
  const commentId = num(comment.id) ?? null;
  switch (parsed.kind) {
    case "not-a-command":
      return none("not-a-command", "the comment does not start with a command", common);
    case "unknown-command":
    case "malformed-command":
    case "lookalike-characters":
    case "unknown-environment":
      return none(parsed.kind, parsed.message, common, `${parsed.message}\n\nNothing was done. Comment \`${USAGE.help}\` for the list of commands.`);
    case "help":
      return { action: "help", reply: helpText(cfg.environments, cfg.approvalLabel, cfg.approvalEnvironments), ...common };
    case "promote":
      return { action: "promote", from: parsed.from, to: parsed.to, commentId, ...common, source: "comment" };
    case "unlock":
      // About the environment, not the pull request: a closed one is as good a place to ask.
      return { action: "unlock", environment: parsed.environment, commentId, ...common, source: "comment" };
    default:
      if (issue.state === "closed") return none("pull-request-closed", `#${number} is closed; reopen it or use the workflow's manual dispatch`, common, `#${number} is closed, so nothing was done.`);
      return {
        action: parsed.kind,
        environment: parsed.environment,
        commit: parsed.kind === "preview" ? null : parsed.commit,
        ref: null,
        commentId,
        ...common,
      };
  }
}

function fromLabel(p: Obj, cfg: IntentConfig): Decision {
  const pr = obj(p.pull_request);
  const sender = obj(p.sender);
  const login = str(sender.login);
  const number = num(pr.number) ?? num(p.number);
  if (p.action !== "labeled") return none("not-a-deploy-label", `pull_request action "${String(p.action).slice(0, 30)}" is not "labeled"`);
  const label = str(obj(p.label).name);
  if (login === undefined || !LOGIN.test(login) || number === undefined || label === undefined) {
    return none("invalid-payload", "pull_request_target labeled payload lacks sender.login, pull_request.number or label.name");
  }
  const common = { source: "label" as const, requestedBy: login, pullRequest: number };
  if (!label.startsWith(DEPLOY_LABEL_PREFIX)) return none("not-a-deploy-label", `label "${label.slice(0, 50)}" is not a deploy label`, common);
  const environment = label.slice(DEPLOY_LABEL_PREFIX.length);
  if (!cfg.environments.includes(environment)) {
    const msg = `Label \`${label.slice(0, 50)}\` names no configured environment (${cfg.environments.map((e) => `\`deploy:${e}\``).join(", ")}).`;
    return none("unknown-environment", msg, common, `${msg} Nothing was done.`);
  }
  if (isBot(sender)) return none("bot-sender", `${login} is a bot; deploy labels count only when a person applies them`, common);
  if (pr.state === "closed") return none("pull-request-closed", `#${number} is closed`, common, `#${number} is closed, so the \`${label}\` label did nothing.`);
  const head = str(obj(pr.head).sha);
  if (head === undefined || !SHA40.test(head)) return none("invalid-payload", "pull_request.head.sha is missing or not a commit SHA", common);
  return { action: "deploy", environment, commit: head, ref: null, commentId: null, ...common };
}

function fromDispatch(p: Obj, cfg: IntentConfig): Decision {
  const inputs = obj(p.inputs);
  const login = str(obj(p.sender).login);
  const ref = str(p.ref);
  if (login === undefined || !LOGIN.test(login) || ref === undefined || !/^refs\/(heads|tags)\/[A-Za-z0-9._/-]+$/.test(ref)) {
    return none("invalid-payload", "workflow_dispatch payload lacks sender.login or a branch ref");
  }
  const common = { source: "dispatch" as const, requestedBy: login, pullRequest: null };
  const action = str(inputs.action) ?? "deploy";
  if (!(DISPATCH_ACTIONS as readonly string[]).includes(action)) {
    return none("unknown-command", `dispatch input action "${action.slice(0, 30)}" is not one of ${DISPATCH_ACTIONS.join(", ")}`, common);
  }
  const environment = str(inputs.environment) ?? "";
  if (!cfg.environments.includes(environment)) {
    return none("unknown-environment", `dispatch input environment "${environment.slice(0, 40)}" is not one of ${cfg.environments.join(", ")}`, common);
  }
  const rawSha = (str(inputs.sha) ?? "").trim().toLowerCase();
  if (rawSha !== "" && !SHA_SHORT.test(rawSha)) {
    return none("malformed-command", `dispatch input sha "${rawSha.slice(0, 50)}" is not a commit SHA (7 to 40 hexadecimal digits)`, common);
  }
  const commit = rawSha === "" ? null : rawSha;
  // The promotion machine dispatches rollbacks as the workflow's token or its App (a bot). Only a
  // token with actions: write on this repository can dispatch, and a rollback deploys only a
  // commit of the environment branch, through the same gates and required reviewers.
  if (isBot(obj(p.sender)) && action !== "rollback") return none("bot-sender", `${login} is a bot; bots may dispatch only rollbacks (the promotion machine's), not ${action}`, common);
  // A bot's dispatch names the person who started it; the gates check that person (core/intent/gates.ts).
  const onBehalfOf = isBot(obj(p.sender)) ? str(inputs.requested_by)?.trim() : undefined;
  const behalf = onBehalfOf !== undefined && LOGIN.test(onBehalfOf) ? { onBehalfOf } : {};
  return { action: action as ActDecision["action"], environment, commit: action === "preview" ? null : commit, ref, commentId: null, ...common, ...behalf };
}

/** A push to an environment branch (a merged pull request) deploys that environment: R1 of the promotion machine. */
function fromPush(p: Obj, cfg: IntentConfig): Decision {
  const sender = obj(p.sender);
  const login = str(sender.login);
  const ref = str(p.ref);
  if (login === undefined || !LOGIN.test(login) || ref === undefined) return none("invalid-payload", "push payload lacks sender.login or ref");
  const common = { source: "push" as const, requestedBy: login, pullRequest: null };
  const branch = ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : null;
  const environment = cfg.environments.find((e) => cfg.branches[e] === branch);
  if (environment === undefined) {
    const branches = cfg.environments.map((e) => `\`${cfg.branches[e]}\``).join(", ");
    return none("not-an-environment-branch", `a push to ${ref.slice(0, 100)} deploys nothing; pushes to ${branches} deploy their environment`, common);
  }
  if (p.deleted === true) return none("branch-deleted", `${ref} was deleted`, common);
  const after = str(p.after);
  if (after === undefined || !SHA40.test(after) || /^0+$/.test(after)) return none("invalid-payload", "push.after is missing or not a commit SHA", common);
  if (isBot(sender)) return none("bot-sender", `${login} is a bot; only pushes by people deploy (dispatch the deploy workflow instead)`, common);
  return { action: "deploy", environment, commit: after, ref, commentId: null, ...common };
}
