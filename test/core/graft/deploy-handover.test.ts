/**
 * Where documents land after `pulumi up` on a runner: the Graft resource does not generate on a
 * GitHub Actions runner (the document would die with it), and `delivery docs dispatch-stale`
 * hands the stale documents to the docs workflow, which pushes them to the bot's branch and opens
 * the pull request (`delivery docs open-pr`): the default branch takes pull requests only.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { applyGraftDocument, generationDeferral, type GraftDocumentInputs } from "../../../core/graft/document-resource";
import { computeStatus } from "../../../core/graft/staleness";
import { graftDocumentInputs } from "../../../components/graft/graft-docs";
import { run } from "../../../cli/main";
import { captureIo } from "../../harness/cli";
import { fakeGenerator, smallRepo } from "./generator-helpers";
import { cleanupScratch, GRAFT_DEFAULTS } from "./helpers";

jest.setTimeout(30_000);
afterAll(cleanupScratch);

function planned(root: string): Map<string, GraftDocumentInputs> {
  const status = computeStatus(root, GRAFT_DEFAULTS, { cache: false });
  return new Map(status.documents.map((d) => [d.output, graftDocumentInputs(d, { config: GRAFT_DEFAULTS, throttleDelaysMs: [1] }, root)]));
}

describe("generationDeferral", () => {
  it("defers on a GitHub Actions runner only", () => {
    expect(generationDeferral({ GITHUB_ACTIONS: "true" })).toMatch(/not generated on a GitHub Actions runner.*docs workflow/);
    expect(generationDeferral({})).toBeUndefined();
    expect(generationDeferral({ GITHUB_ACTIONS: "false", CI: "true" })).toBeUndefined();
  });
});

describe("applyGraftDocument on a GitHub Actions runner", () => {
  it("does not run the generator for a stale document, writes nothing, and keeps it stale", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["success"]);
    const a = planned(root).get("docs/a.md")!;
    expect(a.staleReasons.length).toBeGreaterThan(0);
    const logged: string[] = [];
    const outs = await applyGraftDocument(a, { env: { ...fake.env, GITHUB_ACTIONS: "true" }, log: (l) => logged.push(l) });
    expect(fake.log()).toEqual([]);
    expect(existsSync(path.join(root, "docs/a.md"))).toBe(false);
    expect(existsSync(path.join(root, "graft.lock.json"))).toBe(false);
    expect(outs).toMatchObject({ generated: false, attempts: 0, staleReasons: a.staleReasons, outputSha256: "missing" });
    expect(outs.deferred).toMatch(/docs workflow/);
    expect(logged).toEqual([`docs/a.md: ${outs.deferred}`]);
    // Still stale: the next preview lists it again, and the docs workflow regenerates it.
    expect(planned(root).get("docs/a.md")!.staleReasons).toEqual(a.staleReasons);
  });

  it("still adopts an up-to-date document there (nothing to defer)", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["success"]);
    await applyGraftDocument(planned(root).get("docs/a.md")!, { env: fake.env });
    const fresh = planned(root).get("docs/a.md")!;
    expect(fresh.staleReasons).toEqual([]);
    const outs = await applyGraftDocument(fresh, { env: { ...fake.env, GITHUB_ACTIONS: "true" } });
    expect(outs.deferred).toBeUndefined();
    expect(outs).toMatchObject({ generated: false, outputSha256: fresh.currentOutputSha256 });
    expect(outs.signature).toBe(readFileSync(path.join(root, "docs/a.md"), "utf8").split("\n")[0]);
  });
});

/** A GitHub client that answers the given routes and fails on anything else. */
function fakeGitHub(answers: Record<string, (params: Record<string, unknown>) => unknown>) {
  const calls: Array<{ route: string; params: Record<string, unknown> }> = [];
  const client = {
    request: async (route: string, params: Record<string, unknown>) => {
      calls.push({ route, params });
      const answer = answers[route];
      if (!answer) throw new Error(`Mock not implemented: ${route}`);
      return { data: answer(params) };
    },
  };
  return { calls, factory: async () => client as never };
}

const ENV = { GITHUB_REPOSITORY: "contoso/payments-service", GITHUB_TOKEN: "t" };

describe("delivery docs dispatch-stale", () => {
  it("dispatches the docs workflow on the default branch, without a pull request, when documents are stale", async () => {
    const root = smallRepo();
    const gh = fakeGitHub({ "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches": () => undefined });
    const cap = captureIo({ cwd: root, env: ENV });
    expect(await run(["docs", "dispatch-stale", "--root", ".", "--ref", "main"], cap.io, { github: gh.factory })).toBe(0);
    expect(gh.calls).toEqual([{ route: "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", params: { owner: "contoso", repo: "payments-service", workflow_id: "docs-generate.yml", ref: "main", inputs: {} } }]);
    expect(cap.stdout()).toBe("4 stale documents (docs/a.md, docs/b.md, docs/c.md, docs/d.md): dispatched docs-generate.yml on main to regenerate and commit them.\n");
    // The deployed checkout is data: no hash cache is written into it.
    expect(existsSync(path.join(root, ".graft"))).toBe(false);
  });

  it("dispatches nothing when every document is up to date", async () => {
    const root = smallRepo();
    const fake = fakeGenerator(["success", "success", "success", "success"]);
    for (const inputs of planned(root).values()) await applyGraftDocument(inputs, { env: fake.env });
    for (const inputs of planned(root).values()) if (inputs.staleReasons.length > 0) await applyGraftDocument(inputs, { env: fake.env });
    const gh = fakeGitHub({});
    const cap = captureIo({ cwd: root, env: ENV });
    expect(await run(["docs", "dispatch-stale", "--root", root], cap.io, { github: gh.factory })).toBe(0);
    expect(gh.calls).toEqual([]);
    expect(cap.stdout()).toBe(`No stale documents under ${root}; nothing for the docs workflow to do.\n`);
  });
});

describe("delivery docs open-pr", () => {
  it("opens the pull request from the bot's branch when none is open", async () => {
    const gh = fakeGitHub({ "GET /repos/{owner}/{repo}/pulls": () => [], "POST /repos/{owner}/{repo}/pulls": () => ({ number: 42 }) });
    const cap = captureIo({ env: ENV });
    expect(await run(["docs", "open-pr", "--head", "docs/regenerate", "--base", "main", "--run-url", "https://example.test/run/1"], cap.io, { github: gh.factory })).toBe(0);
    expect(gh.calls[0]).toEqual({ route: "GET /repos/{owner}/{repo}/pulls", params: { owner: "contoso", repo: "payments-service", state: "open", head: "contoso:docs/regenerate", base: "main" } });
    expect(gh.calls[1].params).toMatchObject({ title: "docs: regenerate stale Graft documents", head: "docs/regenerate", base: "main", maintainer_can_modify: false });
    expect(gh.calls[1].params.body).toContain("([run](https://example.test/run/1))");
    expect(cap.stdout()).toBe("opened #42: docs/regenerate -> main\n");
  });

  it("names the open pull request instead of opening a second one", async () => {
    const gh = fakeGitHub({ "GET /repos/{owner}/{repo}/pulls": () => [{ number: 7 }] });
    const cap = captureIo({ env: ENV });
    expect(await run(["docs", "open-pr", "--head", "docs/regenerate", "--base", "main"], cap.io, { github: gh.factory })).toBe(0);
    expect(gh.calls).toHaveLength(1);
    expect(cap.stdout()).toBe("#7 already proposes docs/regenerate to main; it now carries the new commit.\n");
  });
});
