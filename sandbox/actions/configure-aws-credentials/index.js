"use strict";
const { input, fail, info, oidcSubject, cloud, exportVariable, setSecret } = require(`${process.env.DELIVERY_RUNNER_STANDINS}/lib/standin.js`);

const HOST = "token.actions.githubusercontent.com";
const roleArn = input("role-to-assume");
const region = input("aws-region", { required: true });
const audience = input("audience") || "sts.amazonaws.com";
if (!roleArn) fail("Credentials could not be loaded, please check your action inputs: Could not load credentials from any providers");
const subject = oidcSubject();

const role = cloud("aws").find((r) => r.type === "aws:iam/role:Role" && r.outputs?.arn === roleArn);
if (!role) fail(`Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity (no role ${roleArn})`);

/** StringEquals / StringLike of the trust policy, as IAM evaluates them for a web identity. */
function conditionHolds(operator, values, actual) {
  const list = Array.isArray(values) ? values : [values];
  if (operator === "StringEquals") return list.includes(actual);
  if (operator === "StringLike") return list.some((v) => new RegExp(`^${v.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(actual));
  return false;
}
const policy = JSON.parse(role.inputs.assumeRolePolicy);
const claims = { [`${HOST}:sub`]: subject, [`${HOST}:aud`]: audience };
const allowed = (policy.Statement ?? []).some((s) => {
  const actions = [].concat(s.Action ?? []);
  if (s.Effect !== "Allow" || !actions.includes("sts:AssumeRoleWithWebIdentity")) return false;
  if (!String(s.Principal?.Federated ?? "").endsWith(`oidc-provider/${HOST}`)) return false;
  const conditions = Object.entries(s.Condition ?? {});
  const keys = new Set(conditions.flatMap(([, c]) => Object.keys(c)));
  // A trust without a subject condition would admit every repository: the stand-in refuses it, as it must never be relied on.
  if (!keys.has(`${HOST}:sub`)) return false;
  return conditions.every(([operator, c]) => Object.entries(c).every(([key, values]) => key in claims && conditionHolds(operator, values, claims[key])));
});
if (!allowed) fail(`Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity (subject ${subject} is not trusted by ${roleArn})`);

const session = `standin-${process.env.GITHUB_RUN_ID ?? "0"}`;
const accessKeyId = "ASIASANDBOX" + String(process.env.GITHUB_RUN_ID ?? "0").padStart(9, "0");
const secret = `sandbox-secret-${session}`;
const token = `sandbox-session-token-${session}`;
for (const v of [secret, token]) setSecret(v);
exportVariable("AWS_ACCESS_KEY_ID", accessKeyId);
exportVariable("AWS_SECRET_ACCESS_KEY", secret);
exportVariable("AWS_SESSION_TOKEN", token);
exportVariable("AWS_REGION", region);
exportVariable("AWS_DEFAULT_REGION", region);
info(`Assumed role ${roleArn} as ${subject}`);
