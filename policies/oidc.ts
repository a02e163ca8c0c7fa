/** OIDC: every trust is exact — this repository, its own environment, no wildcards. */
import type { EnforcementLevel, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { PRIVILEGED_ROLE_IDS } from "../core/azure-roles";
import { AWS_STS_AUDIENCE, AZURE_TOKEN_EXCHANGE_AUDIENCE, BEDROCK_INVOKE_ACTIONS, GITHUB_OIDC_HOST, GITHUB_OIDC_ISSUER, environmentSubject, previewEnvironment, subjectProblems } from "../core/oidc";
import { TYPES, assigneeOf, environmentOfGroup, known, ofType, repositoryOf } from "./lib";


export function oidcFederatedCredentialsExact(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "oidc-federated-credentials-exact",
    description:
      "Checks whether every Azure federated credential trusts GitHub's issuer and audience and one exact subject of this repository: its own environment, or (for read-only identities) pull requests and the production branch.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const repository = repositoryOf(args.resources);
      for (const fic of ofType(args.resources, TYPES.federatedCredential)) {
        const { issuer, audiences, subject, resourceName, resourceGroupName } = fic.props;
        const label = `Federated credential "${fic.props.federatedIdentityCredentialResourceName ?? fic.name}"`;
        if (issuer !== GITHUB_OIDC_ISSUER) reportViolation(`${label} must use issuer ${GITHUB_OIDC_ISSUER}; found ${JSON.stringify(issuer)}.`, fic.urn);
        if (!Array.isArray(audiences) || audiences.length !== 1 || audiences[0] !== AZURE_TOKEN_EXCHANGE_AUDIENCE) {
          reportViolation(`${label} must have exactly the audience ${AZURE_TOKEN_EXCHANGE_AUDIENCE}; found ${JSON.stringify(audiences)}.`, fic.urn);
        }
        if (typeof subject !== "string") continue; // absent; an unknown subject fails closed (lib.ts failClosedOnUnknown)
        if (!repository) {
          reportViolation(`${label}: the repository cannot be determined (no GitHub provider owner and repository in the stack), so its subject cannot be checked.`, fic.urn);
          continue;
        }
        for (const problem of subjectProblems(subject, repository)) reportViolation(`${label}: ${problem}.`, fic.urn);
        const env = environmentOfGroup(args.resources, resourceGroupName);
        if (!env) continue;
        const own = environmentSubject(repository, env);
        if (subject === own) continue;
        // Pull requests and exact branches (IssueOps and promotion runs on the default branch) may
        // reach read-only identities; only the environment's own jobs may reach one that can change it.
        const preview = environmentSubject(repository, previewEnvironment(env));
        const readOnlySubject = subject === preview || subject === `repo:${repository}:pull_request` || subject.startsWith(`repo:${repository}:ref:refs/heads/`);
        if (!readOnlySubject) {
          reportViolation(`${label} on identity "${resourceName}" in the ${env} resource group must trust only ${own}, or (read-only identities) ${preview}, repo:${repository}:pull_request or an exact branch; found "${subject}".`, fic.urn);
        } else if (holdsWriteRole(args.resources, resourceName, resourceGroupName)) {
          reportViolation(`${label} on identity "${resourceName}" trusts "${subject}", but the identity can change the ${env} environment; only read-only identities may trust it.`, fic.urn);
        }
      }
    },
  };
}

/** Whether the identity holds a role that changes things (the assignments are linked to it without reading its principal id, unknown before it exists). */
function holdsWriteRole(resources: readonly PolicyResource[], identityName: unknown, resourceGroupName: unknown): boolean {
  const identity = ofType(resources, TYPES.identity).find((i) => i.props.resourceName === identityName && i.props.resourceGroupName === resourceGroupName);
  if (!identity) return false;
  return ofType(resources, TYPES.roleAssignment).some((a) => {
    if (assigneeOf(resources, a)?.urn !== identity.urn) return false;
    const roleId = known(() => a.props.roleDefinitionId);
    return typeof roleId === "string" && PRIVILEGED_ROLE_IDS.has(roleId.split("/").pop()!);
  });
}

type Statement = { Effect?: string; Action?: string | string[]; Resource?: string | string[]; Condition?: Record<string, Record<string, unknown>> };
const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
function statementsOf(policy: unknown): Statement[] | undefined {
  if (typeof policy !== "string") return undefined;
  try {
    return asList(JSON.parse(policy).Statement) as Statement[];
  } catch {
    return [];
  }
}

export function awsDocsRoleTrustExact(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "aws-docs-role-trust-exact",
    description: "Checks whether every role trusted by GitHub's OIDC provider uses StringEquals on the audience and on an exact subject of this repository.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const repository = repositoryOf(args.resources);
      for (const role of ofType(args.resources, TYPES.awsRole)) {
        const statements = statementsOf(role.props.assumeRolePolicy);
        if (!statements) continue;
        for (const st of statements) {
          if (!asList(st.Action).includes("sts:AssumeRoleWithWebIdentity")) continue;
          const equals = st.Condition?.StringEquals ?? {};
          const aud = equals[`${GITHUB_OIDC_HOST}:aud`];
          const subs = asList(equals[`${GITHUB_OIDC_HOST}:sub`]);
          if (aud !== AWS_STS_AUDIENCE) reportViolation(`Role "${role.name}" must trust only audience ${AWS_STS_AUDIENCE} with StringEquals on ${GITHUB_OIDC_HOST}:aud.`, role.urn);
          if (subs.length === 0) reportViolation(`Role "${role.name}" must pin the subject with StringEquals on ${GITHUB_OIDC_HOST}:sub (never StringLike or repo:*).`, role.urn);
          for (const [operator, keys] of Object.entries(st.Condition ?? {})) {
            if (operator !== "StringEquals" && Object.keys(keys).some((k) => k.startsWith(GITHUB_OIDC_HOST))) {
              reportViolation(`Role "${role.name}" must not use ${operator} on GitHub token claims; use StringEquals with exact values.`, role.urn);
            }
          }
          for (const sub of subs) {
            const problems = repository ? subjectProblems(String(sub), repository) : [`subject "${String(sub)}" cannot be checked: the repository is unknown`];
            for (const p of problems) reportViolation(`Role "${role.name}": ${p}.`, role.urn);
          }
        }
      }
    },
  };
}

/** Read-only IAM actions on exact ARNs: what the docs preview role needs to read the docs role. */
const READ_ONLY_IAM_ACTION = /^iam:(Get|List)[A-Za-z]+$/;
const EXACT_IAM_ARN = /^arn:aws[a-z-]*:iam::\d{12}:[A-Za-z-]+\/[A-Za-z0-9+=,.@_/-]+$/;

const BEDROCK_ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:(\d{12})?:(foundation-model|inference-profile)\/[A-Za-z0-9.:_-]+$/;

export function awsDocsRoleBedrockOnly(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "aws-docs-role-bedrock-only",
    description:
      "Checks whether the GitHub-trusted AWS roles may only invoke listed Bedrock models, or only read exact IAM resources (the docs preview role): no wildcard action or resource, no managed policies.",
    enforcementLevel,
    validateStack: (args, reportViolation) => {
      const githubRoles = ofType(args.resources, TYPES.awsRole).filter((r) => typeof r.props.assumeRolePolicy === "string" && r.props.assumeRolePolicy.includes(GITHUB_OIDC_HOST));
      for (const role of githubRoles) {
        if (asList(role.props.managedPolicyArns).length > 0) reportViolation(`Role "${role.name}" must not have managed policies; grant only the inline Bedrock invoke policy.`, role.urn);
        const attachments = ofType(args.resources, TYPES.awsRolePolicyAttachment).filter((a) => a.props.role === role.props.name || a.dependencies.includes(role));
        if (attachments.length > 0) reportViolation(`Role "${role.name}" must not have policy attachments; grant only the inline Bedrock invoke policy.`, role.urn);
      }
      for (const policy of ofType(args.resources, TYPES.awsRolePolicy)) {
        for (const st of statementsOf(policy.props.policy) ?? []) {
          if (st.Effect !== "Allow") continue;
          const actions = asList(st.Action);
          const readOnly = actions.length > 0 && actions.every((a) => typeof a === "string" && READ_ONLY_IAM_ACTION.test(a));
          if (readOnly && asList(st.Resource).length > 0 && asList(st.Resource).every((r) => typeof r === "string" && EXACT_IAM_ARN.test(r))) continue;
          for (const action of asList(st.Action)) {
            if (!(BEDROCK_INVOKE_ACTIONS as readonly unknown[]).includes(action)) {
              reportViolation(`Role policy "${policy.name}" must allow only ${BEDROCK_INVOKE_ACTIONS.join(" and ")}; found action ${JSON.stringify(action)}.`, policy.urn);
            }
          }
          const resources = asList(st.Resource);
          if (resources.length === 0) reportViolation(`Role policy "${policy.name}" must list the Bedrock model ARNs it may invoke.`, policy.urn);
          for (const resource of resources) {
            if (typeof resource !== "string" || resource.includes("*") || !BEDROCK_ARN.test(resource)) {
              reportViolation(`Role policy "${policy.name}" must name exact Bedrock model ARNs; found resource ${JSON.stringify(resource)}.`, policy.urn);
            }
          }
        }
      }
    },
  };
}
