/**
 * Where the workflows' secrets live: every secret is an environment secret, read only in jobs of an
 * environment that holds it; administration only in production's deploy job. Checked on the
 * rendered YAML, which is what GitHub enforces per job (act, which runs the scenarios, hands every
 * secret to every job, so this cannot be shown by a run).
 */
import { parse } from "yaml";
import { secretScopeProblems } from "../../core/workflow-rules";
import { ADMIN_TOKEN_SECRET, environmentSecrets, PROMOTION_ENVIRONMENT } from "../../workflows/common";
import { renderWorkflows } from "../../workflows";
import { stackConfig } from "./helpers";

const cfg = stackConfig("prod");
const held = Object.fromEntries(Object.entries(environmentSecrets(cfg)).map(([env, specs]) => [env, specs.map((s) => s.name)]));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const docs = renderWorkflows(cfg).map((f) => ({ path: f.path, doc: parse(f.content) as Record<string, any> }));

describe("environment secrets", () => {
  it("reads every secret in a job whose environment holds it (no repository secret)", () => {
    for (const { path, doc } of docs) expect({ path, problems: secretScopeProblems(doc, held) }).toEqual({ path, problems: [] });
  });

  it("holds the administration token only in production, which has required reviewers", () => {
    const admin = Object.entries(environmentSecrets(cfg)).filter(([, specs]) => specs.some((s) => s.grantsAdministration));
    expect(admin.map(([env, specs]) => [env, specs.filter((s) => s.grantsAdministration).map((s) => s.name)])).toEqual([["prod", [ADMIN_TOKEN_SECRET]]]);
    const prod = cfg.environments.find((e) => e.name === "prod")!;
    expect(prod.reviewers.users.length + prod.reviewers.teams.length).toBeGreaterThan(0);
    const readers = docs.flatMap(({ path, doc }) => Object.entries(doc.jobs as Record<string, unknown>).filter(([, job]) => JSON.stringify(job).includes(`secrets.${ADMIN_TOKEN_SECRET}`)).map(([id]) => `${path.split("/").pop()}#${id}`));
    expect(readers).toEqual(["deploy.yml#deploy-prod"]);
  });

  it("gives dev and staging deploys, and every preview, a token without administration", () => {
    const deploy = docs.find((d) => d.path.endsWith("/deploy.yml"))!.doc;
    for (const env of ["dev", "staging"]) {
      const up = deploy.jobs[`deploy-${env}`].steps.find((s: { name: string }) => s.name === "pulumi up");
      expect(up.env.GITHUB_TOKEN).toBe("${{ secrets.DELIVERY_GITHUB_READ_TOKEN || github.token }}");
    }
    expect(deploy.jobs["deploy-prod"].steps.find((s: { name: string }) => s.name === "pulumi up").env.GITHUB_TOKEN).toBe("${{ secrets.DELIVERY_GITHUB_ADMIN_TOKEN }}");
  });

  it("runs previews and drift in the stack's preview environment, and the promotion App's jobs in the promotion environment, recording no deployment", () => {
    const environments = docs.flatMap(({ path, doc }) => Object.entries(doc.jobs as Record<string, { environment?: unknown }>).map(([id, job]) => [`${path.split("/").pop()}#${id}`, job.environment]));
    const of = (prefix: string) => environments.filter(([id]) => (id as string).startsWith(prefix)).map(([, env]) => env);
    const previews = ["dev", "staging", "prod"].map((s) => ({ name: `${s}-preview`, deployment: false }));
    expect(of("preview.yml#")).toEqual(previews);
    expect(of("drift.yml#")).toEqual(previews);
    expect(environments.filter(([id]) => (id as string).startsWith("deploy.yml#issueops-preview-") && !(id as string).endsWith("-comment")).map(([, env]) => env)).toEqual(previews);
    // `/preview`'s comment jobs run trusted code only and need no environment.
    expect(environments.filter(([id]) => (id as string).endsWith("-comment")).map(([, env]) => env)).toEqual([undefined, undefined, undefined]);
    const promotion = { name: PROMOTION_ENVIRONMENT, deployment: false };
    expect([...of("deploy.yml#intent"), ...of("deploy.yml#issueops-promote"), ...of("promote.yml#decide"), ...of("promote.yml#act")]).toEqual([promotion, promotion, promotion, promotion]);
  });

  it("ATTACK: a job that reads the admin token outside production, or any secret without an environment, is reported", () => {
    const doc = {
      jobs: {
        sneaky: { environment: "dev", steps: [{ run: "x", env: { T: "${{ secrets.DELIVERY_GITHUB_ADMIN_TOKEN }}" } }] },
        bare: { steps: [{ with: { key: "${{ secrets.PROMOTION_APP_PRIVATE_KEY }}" } }] },
        computed: { environment: { name: "prod" }, steps: [{ env: { T: "${{ secrets[format('X_{0}', 'Y')] }}" } }] },
        fine: { environment: { name: "prod", deployment: false }, steps: [{ env: { T: "${{ secrets.DELIVERY_GITHUB_ADMIN_TOKEN }}", G: "${{ secrets.GITHUB_TOKEN }}" } }] },
      },
    };
    expect(secretScopeProblems(doc, held)).toEqual([
      'job "sneaky" reads secrets.DELIVERY_GITHUB_ADMIN_TOKEN, which its environment "dev" does not hold; read it only where it lives (workflows/common.ts environmentSecrets)',
      'job "bare" reads secrets.PROMOTION_APP_PRIVATE_KEY without an environment; declare the environment that holds it (no workflow reads a repository secret)',
      "job \"computed\" reads a secret by a computed name (${{ secrets[format('X_{0}', 'Y')] }}); name each secret literally",
    ]);
  });
});
