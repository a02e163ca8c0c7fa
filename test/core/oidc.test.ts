import * as fc from "fast-check";
import { bedrockInvokePolicy, bedrockModelArn, environmentSubject, githubTrustPolicy, subjectProblems } from "../../core/oidc";

const REPO = "contoso/payments-service";

describe("subjectProblems", () => {
  it.each([
    [environmentSubject(REPO, "prod")],
    [`repo:${REPO}:ref:refs/heads/main`],
    [`repo:${REPO}:pull_request`],
  ])("accepts the exact subject %s", (subject) => {
    expect(subjectProblems(subject, REPO)).toEqual([]);
  });

  it("rejects wildcards", () => {
    expect(subjectProblems(`repo:${REPO}:*`, REPO)).toEqual([
      `subject "repo:${REPO}:*" contains a wildcard; trust one exact subject such as repo:${REPO}:environment:prod`,
      `subject "repo:${REPO}:*" has context "*"; use environment:<name>, ref:refs/heads/<branch> or pull_request`,
    ]);
  });

  it("rejects another repository, including a prefix look-alike", () => {
    expect(subjectProblems("repo:contoso/payments-service-fork:environment:prod", REPO)).toEqual([
      'subject "repo:contoso/payments-service-fork:environment:prod" is not scoped to contoso/payments-service; it must start with "repo:contoso/payments-service:"',
    ]);
  });

  it("never accepts a subject that is not exactly this repository's", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        if (subjectProblems(s, REPO).length === 0) {
          expect(s.startsWith(`repo:${REPO}:`)).toBe(true);
          expect(s).not.toMatch(/[*?]/);
        }
      }),
    );
  });
});

describe("AWS documents", () => {
  it("uses StringEquals on audience and subject", () => {
    const doc = githubTrustPolicy("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", [environmentSubject(REPO, "docs")]);
    expect(doc.Statement[0].Condition).toEqual({
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": `repo:${REPO}:environment:docs` },
    });
  });

  it("builds foundation-model and inference-profile ARNs", () => {
    expect(bedrockModelArn("us-east-1", "123456789012", "anthropic.claude-3-5-haiku-20241022-v1:0")).toBe("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0");
    expect(bedrockModelArn("us-east-1", "123456789012", "us.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe(
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    );
  });

  it("allows only the two invoke actions on the listed models", () => {
    expect(bedrockInvokePolicy(["arn:a"]).Statement).toEqual([{ Sid: "InvokeAllowedModels", Effect: "Allow", Action: ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], Resource: ["arn:a"] }]);
  });
});
