import { environmentSecretProblems } from "../../components/github/deployment-environment";
import type { SecretSpec } from "../../workflows/common";

const admin: SecretSpec = { name: "DELIVERY_GITHUB_ADMIN_TOKEN", description: "admin", required: true, grantsAdministration: true };
const passphrase: SecretSpec = { name: "PULUMI_CONFIG_PASSPHRASE", description: "p", required: true, grantsAdministration: false };

describe("environmentSecretProblems", () => {
  it("accepts the administration token behind required reviewers and a branch policy", () => {
    expect(environmentSecretProblems("prod", [passphrase, admin], { hasReviewers: true, anyBranch: false })).toEqual([]);
  });

  it("ATTACK: refuses the administration token in an environment without reviewers (dev: any writer deploys there)", () => {
    expect(environmentSecretProblems("dev", [passphrase, admin], { hasReviewers: false, anyBranch: false })).toEqual([
      '[secrets] of environment "dev" lists DELIVERY_GITHUB_ADMIN_TOKEN, which grants repository administration, but the environment has no required reviewers; keep administration in the reviewer-protected production environment',
    ]);
  });

  it("ATTACK: refuses the administration token in an environment any branch may use, reviewers or not", () => {
    expect(environmentSecretProblems("prod-preview", [admin], { hasReviewers: true, anyBranch: true })).toEqual([
      '[secrets] of environment "prod-preview" lists DELIVERY_GITHUB_ADMIN_TOKEN, which grants repository administration, but the environment has no branch policy; keep administration in the reviewer-protected production environment',
    ]);
  });

  it("names bad and repeated secret names", () => {
    expect(environmentSecretProblems("dev", [{ ...passphrase, name: "github_token" }, passphrase, passphrase], { hasReviewers: false, anyBranch: false })).toEqual([
      '[secrets] of environment "dev" lists "github_token"; a secret name is upper-case letters, digits and underscores, not starting with a digit or GITHUB_',
      '[secrets] of environment "dev" lists PULUMI_CONFIG_PASSPHRASE twice; list each secret once',
    ]);
  });
});
