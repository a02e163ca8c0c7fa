/**
 * `/unlock <env>`: parsed like every IssueOps command, decided from a PR comment, gated on the same
 * permission as a deploy, and run by the deploy workflow's `issueops unlock` job in the
 * environment's deploy concurrency group (`delivery unlock --force`).
 */
import { decideIntent, evaluateUnlockGates, helpText, intentConfig, parseCommand, type UnlockDecision } from "../../../core/intent";
import { runGate } from "../../../cli/commands/gate";
import { ACTIONS } from "../../../workflows/actions";
import { deployWorkflow, UNLOCK_JOB_ID } from "../../../workflows/deploy";
import { prComment } from "../../fixtures/events";
import { standInGitHub } from "../../harness/github";
import { stackConfig } from "../../workflows/helpers";

const cfg = stackConfig("prod");
const ENVS = ["dev", "staging", "prod"];
const repo = { owner: "Codertocat", repo: "Hello-World" };
const R = "/repos/Codertocat/Hello-World";

describe("parseCommand: /unlock", () => {
  it("takes exactly one configured environment", () => {
    expect(parseCommand("/unlock dev", ENVS)).toEqual({ kind: "unlock", environment: "dev" });
    expect(parseCommand("/UNLOCK staging\nthe runner died", ENVS)).toEqual({ kind: "unlock", environment: "staging" });
    expect(parseCommand("/unlock", ENVS)).toEqual({ kind: "malformed-command", message: "`/unlock` takes exactly one environment. Usage: `/unlock <environment>`." });
    expect(parseCommand("/unlock dev prod", ENVS)).toEqual({ kind: "malformed-command", message: "`/unlock` takes exactly one environment. Usage: `/unlock <environment>`." });
    expect(parseCommand("/unlock stagin", ENVS)).toEqual({ kind: "unknown-environment", message: "`stagin` is not a configured environment (`dev`, `staging`, `prod`); did you mean `staging`?" });
    expect(parseCommand("/unlock dev;rm", ENVS)).toMatchObject({ kind: "malformed-command" });
    expect(parseCommand("/unlосk dev", ENVS)).toMatchObject({ kind: "lookalike-characters" });
    expect(parseCommand("/unlok dev", ENVS)).toEqual({ kind: "unknown-command", message: "`/unlok` is not a command; did you mean `/unlock`?" });
  });

  it("is listed in /help", () => {
    expect(helpText(ENVS, "approved:prod", ["prod"])).toContain("| `/unlock <environment>` | clear the environment's Pulumi lock after a deploy run died mid-update (never one a running deploy holds)");
  });
});

const comment = (body: string, login = "carol", type: "User" | "Bot" = "User") => {
  const e = prComment(body, { login, type });
  e.issue.number = 2;
  return e;
};

describe("decideIntent: /unlock", () => {
  it("asks to unlock the environment for the commenter, also on a closed pull request", () => {
    const decision = decideIntent("issue_comment", comment("/unlock prod"), intentConfig(cfg));
    expect(decision).toMatchObject({ action: "unlock", environment: "prod", requestedBy: "carol", source: "comment", pullRequest: 2 });
    const closed = comment("/unlock prod");
    closed.issue.state = "closed";
    expect(decideIntent("issue_comment", closed, intentConfig(cfg))).toMatchObject({ action: "unlock", environment: "prod" });
  });

  it("takes no command from a bot or an edited comment", () => {
    const bot = comment("/unlock dev", "delivery-promotion[bot]", "Bot");
    expect(decideIntent("issue_comment", bot, intentConfig(cfg))).toMatchObject({ action: "none", reason: "bot-sender" });
    const edited = comment("/unlock dev");
    edited.action = "edited";
    expect(decideIntent("issue_comment", edited, intentConfig(cfg))).toMatchObject({ action: "none", reason: "comment-edited" });
  });
});

describe("the /unlock gate", () => {
  const decision: UnlockDecision = { action: "unlock", source: "comment", requestedBy: "rita", environment: "dev", pullRequest: 2, commentId: 1 };

  it("needs write, maintain or admin, as a deploy does", () => {
    for (const p of ["write", "maintain", "admin"] as const) expect(evaluateUnlockGates(decision, { requesterPermission: p }).success).toBe(true);
    for (const p of ["triage", "read", "none"] as const) {
      expect(evaluateUnlockGates(decision, { requesterPermission: p })).toEqual({
        success: false,
        commit: null,
        failed_checks: [{ id: "permission", message: `@rita has ${p} permission on this repository; unlock needs write, maintain or admin.` }],
        message: `unlock of dev refused:\n- @rita has ${p} permission on this repository; unlock needs write, maintain or admin.`,
      });
    }
  });

  it("delivery gate reads only the permission and writes the job outputs the unlock job runs on", async () => {
    const gh = standInGitHub();
    gh.world.addCollaborator("carol", "write");
    gh.world.addCollaborator("rita", "read");
    const ok = await runGate(gh.client(), repo, cfg, decideIntent("issue_comment", comment("/unlock staging"), intentConfig(cfg)));
    expect(ok.reply).toBeNull();
    expect(ok.outputs).toEqual({ proceed: "true", action: "unlock", environment: "staging", from: "", commit: "", pr: "2", requested_by: "carol", preview_client_id_variable: "" });
    expect(gh.requests()).toEqual([`GET ${R}/collaborators/carol/permission`]);

    const refused = await runGate(gh.client(), repo, cfg, decideIntent("issue_comment", comment("/unlock staging", "rita"), intentConfig(cfg)));
    expect(refused.outputs).toMatchObject({ proceed: "false", action: "unlock", environment: "staging" });
    expect(refused.reply).toBe("❌ unlock of staging refused:\n- @rita has read permission on this repository; unlock needs write, maintain or admin.");
  });
});

describe("the issueops unlock job", () => {
  const job = deployWorkflow(cfg).jobs[UNLOCK_JOB_ID];

  it("runs only on the gate's go, in the environment (no deployment record) and its deploy concurrency group, logged in as its deploy identity, without write access to code", () => {
    expect(job.if).toBe("needs.intent.outputs.proceed == 'true' && needs.intent.outputs.action == 'unlock'");
    // The deploy jobs' group: an unlock waits for a running deploy of the environment instead of racing it.
    expect(job.concurrency).toEqual({ group: "deploy-${{ needs.intent.outputs.environment }}", "cancel-in-progress": false });
    expect(deployWorkflow(cfg).jobs["deploy-dev"].concurrency).toEqual({ group: "deploy-dev", "cancel-in-progress": false });
    expect(job.permissions).toEqual({ contents: "read", actions: "read", "id-token": "write", "pull-requests": "write" });
    // The environment's own backend variables and OIDC subject (`environment:<env>`, which only its deploy identity trusts).
    expect(job.environment).toEqual({ name: "${{ needs.intent.outputs.environment }}", deployment: false });
    const login = job.steps.findIndex((s) => "uses" in s && s.uses === ACTIONS.azureLogin);
    const clear = job.steps.findIndex((s) => s.name === "Clear a lock no live run can hold");
    expect(login).toBeGreaterThan(-1);
    expect(login).toBeLessThan(clear);
    expect(job.steps[clear].env).toMatchObject({ PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}", AZURE_STORAGE_ACCOUNT: "${{ vars.AZURE_STORAGE_ACCOUNT }}" });
    const run = job.steps.map((s) => ("run" in s ? s.run : "")).join("\n");
    expect(run).toContain('unlock --stack "$STACK" --force');
    expect(run).not.toContain("PULUMI_CONFIG_PASSPHRASE");
  });
});
