/**
 * What a lost runner leaves, on a real runner: a deploy job killed during `pulumi up` is recorded as
 * a failed deployment and the next deploy clears the lock it left; `/unlock dev` clears such a lock
 * for a writer (logged in as dev's deploy identity) and is refused to a reader.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { bootstrap, createWorld, type World } from "../../../sandbox/workflow-runner/world";
import { azCreates, comment, openGreenPullRequest } from "./issueops";

let world: World;

beforeAll(async () => {
  world = await createWorld({ log: undefined });
  world.github.addCollaborator("alice", "write");
  world.github.addCollaborator("rita", "read");
  await bootstrap(world, ["dev"], { log: (l) => process.stdout.write(`${l}\n`) });
}, 20 * 60 * 1000);

afterAll(async () => {
  await world?.close();
});

it("a deploy job whose runner dies during pulumi up is recorded as a failed deployment though up reported nothing; the next deploy clears the lock it left", async () => {
  // The update pass of `up` kills the step's shell, as when the runner is lost or the job is
  // cancelled or times out mid-update: the result line is never written, `pulumi up` dies with it and
  // leaves the stack locked. Nobody outside can tell whether Azure changed.
  const dieMidUp = [
    "if (!pulumi.runtime.isDryRun()) {",
    "  let pid = process.ppid;",
    "  for (let hop = 0; hop < 12 && pid > 1; hop++) {",
    '    const stat = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8");',
    '    if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) === "bash") { process.kill(pid, "SIGKILL"); break; }',
    '    pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);',
    "  }",
    "}",
  ].join("\n");
  const program = execFileSync("git", ["--git-dir", world.remote, "show", "refs/heads/dev:index.ts"], { encoding: "utf8" });
  const params = fs.readFileSync(path.join(world.clone, "bicep/parameters/dev.bicepparam"), "utf8").replace(/storageSoftDeleteDays = \d+/, "storageSoftDeleteDays = 9");
  const pr = openGreenPullRequest(world, "feature/lost-runner", { "index.ts": `${program}\n${dieMidUp}\n`, "bicep/parameters/dev.bicepparam": params });
  const lost = await comment(world, pr, "/deploy dev", "alice");
  expect(lost.results("deploy (dev)")).toEqual(["failure"]);
  expect(lost.results("report (dev)")).toEqual(["success"]);
  const lockDir = path.join(world.sandbox.backend, ".pulumi", "locks", "organization", "delivery-platform", "dev");
  const locks = () => (fs.existsSync(lockDir) ? fs.readdirSync(lockDir).filter((f) => f.endsWith(".json")) : []);
  expect(locks()).toHaveLength(1);
  const deployment = world.github.deployments.find((d) => d.environment === "dev" && d.sha === pr.head.sha)!;
  expect(deployment).toBeDefined();
  const statuses = () => world.github.deploymentStatuses.filter((s) => s.deployment_id === deployment.id);
  expect(statuses().map((s) => s.state)).toEqual(["in_progress", "failure"]);
  expect(statuses()[1].description).toContain("failed (unknown/deploy-job-ended)");
  const end = world.github.commentsOn(pr.number).filter((c) => c.user.login === "github-actions[bot]").pop()!.body;
  expect(end).toContain(`❌ The deploy of \`dev\` to ${pr.head.sha.slice(0, 12)} failed`);
  expect(end).toContain("The deploy job ended (failure) after re-checking the gates and before pulumi up reported a result");

  // GitHub reports the lost run as ended; the next deploy (of a head that does not die) clears the
  // lock the run left and deploys.
  world.github.addEndedDeployRun({ id: lost.runId, conclusion: "failure", headSha: world.sha("refs/heads/main"), by: "alice", createdAt: new Date(Date.now() - lost.seconds * 1000).toISOString() });
  const fixed = openGreenPullRequest(world, "feature/lost-runner-fixed", { "bicep/parameters/dev.bicepparam": params });
  const before = azCreates(world).length;
  const again = await comment(world, fixed, "/deploy dev", "alice");
  expect(again.results("deploy (dev)")).toEqual(["success"]);
  expect(again.log).toContain(`taken by run ${lost.runId}`);
  expect(locks()).toHaveLength(0);
  expect(azCreates(world).length).toBe(before + 1);
});

it("/unlock dev: a reader is refused; a writer's clears the lock a lost runner left, logged in as dev's deploy identity", async () => {
  // A deploy run whose runner was lost mid-update: its record (written before `pulumi up`) and the
  // lock Pulumi took, in Pulumi's own layout and format; GitHub reports the run as ended.
  const lostRun = 4242;
  const startedAt = new Date(Date.now() - 10 * 60_000);
  const backend = world.sandbox.backend;
  const lockFile = path.join(backend, ".pulumi", "locks", "organization", "delivery-platform", "dev", "0f6c1a52-4b7e-4d0e-9c55-6f3c0d2b7a11.json");
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  fs.writeFileSync(lockFile, JSON.stringify({ pid: 7781, username: "runner", hostname: "runner-lost-7", timestamp: new Date(startedAt.getTime() + 30_000).toISOString() }));
  const record = path.join(backend, ".pulumi", "delivery", "runs", "organization", "delivery-platform", "dev.json");
  fs.mkdirSync(path.dirname(record), { recursive: true });
  fs.writeFileSync(record, `${JSON.stringify({ runId: lostRun, runUrl: `https://github.com/contoso/payments-service/actions/runs/${lostRun}`, hostname: "runner-lost-7", startedAt: startedAt.toISOString() })}\n`);
  world.github.addEndedDeployRun({ id: lostRun, conclusion: "cancelled", headSha: world.sha("refs/heads/main"), by: "alice", createdAt: startedAt.toISOString() });
  const pr = openGreenPullRequest(world, "feature/unlock", { "NOTES.txt": "unlock\n" }, "alice");

  const byReader = await comment(world, pr, "/unlock dev", "rita");
  expect(byReader.results("issueops unlock")).toEqual([]);
  expect(fs.existsSync(lockFile)).toBe(true);
  expect(world.github.commentsOn(pr.number).map((c) => c.body).join("\n")).toMatch(/rita.*read.*unlock needs write/s);

  const byWriter = await comment(world, pr, "/unlock dev", "alice");
  expect(byWriter.results("issueops unlock")).toEqual(["success"]);
  // The job runs in dev's environment (no deployment record) and logs in as dev's deploy identity,
  // which trusts exactly that subject.
  expect(byWriter.log).toContain("subject claim - repo:contoso/payments-service:environment:dev");
  expect(byWriter.log).toMatch(/Login successful as id-\S*dev\S* /);
  expect(world.github.deployments.filter((d) => d.environment === "dev" && d.task === "deploy:unlock")).toEqual([]);
  // `pulumi cancel` removed the lock; the record of the lost run stays for the next deploy to replace.
  expect(fs.existsSync(lockFile)).toBe(false);
  const reply = world.github.commentsOn(pr.number).filter((c) => c.user.login === "github-actions[bot]").pop()!.body;
  expect(reply).toContain("✅ `/unlock dev`: cleared");
  expect(reply).toContain(`taken by run ${lostRun}`);
  expect(reply).toContain("which has ended");
  expect(reply).toMatch(/<sub>\[workflow run\]\(.*\/actions\/runs\/\d+\)<\/sub>/);
});
