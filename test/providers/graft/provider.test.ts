import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { GraftDocumentInputs } from "../../../core/graft/document-resource";
import { readRecords } from "../../../core/graft/record";
import { computeStatus } from "../../../core/graft/staleness";
import { graftDocsArgsProblems, graftDocumentInputs } from "../../../components/graft/graft-docs";
import { graftDocumentProvider } from "../../../providers/graft/provider";
import { fakeGenerator, smallRepo, type FakeRun } from "../../core/graft/generator-helpers";
import { cleanupScratch, GRAFT_DEFAULTS } from "../../core/graft/helpers";

// These drive the real provider code and child processes: seconds on a loaded 2-core machine.
jest.setTimeout(30_000);

afterAll(cleanupScratch);

const provider = graftDocumentProvider as Required<typeof graftDocumentProvider>;

/** Runs fn with the process environment pointing at the fake generator (the provider reads process.env, as in the provider host). */
async function withEnv<T>(fake: FakeRun, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, fake.env);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

function planned(root: string, throttleDelaysMs = [1, 1, 1]): Map<string, GraftDocumentInputs> {
  const status = computeStatus(root, GRAFT_DEFAULTS, { cache: false });
  return new Map(status.documents.map((d) => [d.output, graftDocumentInputs(d, { config: GRAFT_DEFAULTS, throttleDelaysMs }, root)]));
}

describe("graftDocumentProvider", () => {
  it("diff: changes exactly when the document is stale", async () => {
    const root = smallRepo();
    const a = planned(root).get("docs/a.md")!;
    expect(await provider.diff("docs/a.md", {} as never, a)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await provider.diff("docs/a.md", {} as never, { ...a, staleReasons: [], deps: { "src/a.txt": "changed" } })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("create: generates a stale document through the generator (throttled, then success)", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["throttle", "success"]);
    const a = planned(root).get("docs/a.md")!;
    const created = await withEnv(fake, () => provider.create(a));
    const content = readFileSync(path.join(root, "docs/a.md"), "utf8");
    expect(created.id).toBe("docs/a.md");
    expect(created.outs).toMatchObject({
      output: "docs/a.md",
      prompt: "docs/a.prompt.md",
      model: GRAFT_DEFAULTS.defaultModel,
      signature: content.split("\n")[0],
      attempts: 2,
      generated: true,
      staleReasons: [],
    });
    expect(created.outs.durationMs).toBeGreaterThanOrEqual(0);
    expect(readRecords(root).documents["docs/a.md"].outputSha256).toBe(created.outs.outputSha256);
  });

  it("create: adopts an up-to-date document without running the generator", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["success"]);
    await withEnv(fake, () => provider.create(planned(root).get("docs/a.md")!));
    const fresh = planned(root).get("docs/a.md")!;
    expect(fresh.staleReasons).toEqual([]);
    const adopted = await withEnv(fake, () => provider.create(fresh));
    expect(adopted.outs).toMatchObject({ generated: false, attempts: 0, durationMs: 0, outputSha256: fresh.currentOutputSha256 });
    expect(fake.log().filter((e) => e.event === "start")).toHaveLength(1);
  });

  it("update: a failure surfaces the classified explanation and leaves the record alone", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["model-not-found"]);
    const a = planned(root).get("docs/a.md")!;
    await expect(withEnv(fake, () => provider.update("docs/a.md", {} as never, { ...a, generator: { ...a.generator, awsRegion: "us-east-1" } }))).rejects.toThrow(
      `docs/a.md was not generated (1 attempt): model ${GRAFT_DEFAULTS.defaultModel} is not available in us-east-1 (ModelNotFoundException).`,
    );
    expect(existsSync(path.join(root, "graft.lock.json"))).toBe(false);
  });

  it("serialises generations across resources, even across separately loaded copies of the provider", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["success"], { delayMs: 120 });
    const plan = planned(root);
    // The provider host may deserialise the provider more than once; a second copy of the modules
    // stands in for that: it shares the queue on globalThis and the lock file.
    let other: typeof provider | undefined;
    jest.isolateModules(() => {
      other = require("../../../providers/graft/provider").graftDocumentProvider;
    });
    expect(other).not.toBe(provider);
    await withEnv(fake, () =>
      Promise.all([provider.create(plan.get("docs/a.md")!), other!.create(plan.get("docs/c.md")!), provider.create(plan.get("docs/d.md")!), other!.update!("x", {} as never, plan.get("docs/b.md")!)]),
    );
    const log = fake.log();
    expect(log.map((e) => e.event)).toEqual(["start", "end", "start", "end", "start", "end", "start", "end"]);
    for (let i = 1; i < log.length; i += 2) {
      expect(log[i].output).toBe(log[i - 1].output);
      if (i + 1 < log.length) expect(log[i + 1].t).toBeGreaterThanOrEqual(log[i].t);
    }
    expect(new Set(log.map((e) => e.output))).toEqual(new Set(["docs/a.md", "docs/b.md", "docs/c.md", "docs/d.md"]));
  });
});

describe("GraftDocs argument validation", () => {
  it("lists every problem, naming the argument, the rule and what was received", () => {
    expect(
      graftDocsArgsProblems(
        { rootDir: "no/such/dir", config: { ...GRAFT_DEFAULTS, promptGlobs: [], generatorCommand: [" "], timeoutSeconds: 0 }, throttleDelaysMs: [5, -1], availableModels: [] },
        "/work",
      ),
    ).toEqual([
      '[rootDir] must be an existing directory; received "no/such/dir" (resolved to /work/no/such/dir). Point it at the repository root.',
      '[config.promptGlobs] must list at least one glob; received []. Use e.g. ["**/*.prompt.md"].',
      '[config.generatorCommand] must start with an executable, or be empty for the built-in Bedrock generator; received [" "].',
      "[config.timeoutSeconds] must be a positive number of seconds; received 0.",
      "[throttleDelaysMs] must hold at most 10 delays of 0-600000 ms each; received [5,-1].",
      "[availableModels] must not be empty when given; pass aws.bedrockModelIds or leave it unset.",
    ]);
  });
});
