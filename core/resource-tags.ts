/**
 * The tags the program puts on every Azure resource group it creates, and the policy pack reads
 * to learn what the program built: which environment a group serves, whether that environment is
 * production and from which branch it deploys, and what the group holds.
 *
 * The program decides what production is (`core/config.ts` `productionEnvironment`: the last
 * environment of the pipeline) and writes it here; the policy pack reads it from the stack's
 * resources and keeps no list of names of its own, so renaming production cannot switch its
 * gates off. A stack whose groups do not say is treated as unknown, and the pack fails closed.
 */

/** Tag names, in one place for the component that writes them and the policies that read them. */
export const TAG = {
  /** The environment the group serves (dev, staging, prod, ...). */
  environment: "environment",
  managedBy: "managed-by",
  /** `production` or `pre-production`: whether the environment is the pipeline's production. */
  tier: "delivery-tier",
  /** The environment branch: the branch whose commits the environment runs. */
  branch: "delivery-branch",
  /** What the group holds: the environment's `workload` (what the templates deploy) or its `identities`. */
  holds: "delivery-holds",
} as const;

export const MANAGED_BY = "delivery-platform";

export const TIERS = ["production", "pre-production"] as const;
export type Tier = (typeof TIERS)[number];

export const GROUP_CONTENTS = ["workload", "identities"] as const;
export type GroupContents = (typeof GROUP_CONTENTS)[number];

/** The tags of one of an environment's resource groups (the caller's own tags first; ours win). */
export function environmentGroupTags(
  own: Readonly<Record<string, string>>,
  group: { readonly environment: string; readonly tier: Tier; readonly branch: string; readonly holds: GroupContents },
): Record<string, string> {
  return {
    ...own,
    [TAG.environment]: group.environment,
    [TAG.managedBy]: MANAGED_BY,
    [TAG.tier]: group.tier,
    [TAG.branch]: group.branch,
    [TAG.holds]: group.holds,
  };
}

/** The name of the resource group that holds an environment's identities, beside its workload group. */
export function identityGroupName(workloadGroupName: string): string {
  return `${workloadGroupName}-identities`;
}

/** The two identities of an environment: the deploy identity and the read-only preview identity. */
export type IdentityRole = "deploy" | "preview";

/** The managed identity's name for `role` of the environment whose workload group is `workloadGroupName`. */
export function identityResourceName(workloadGroupName: string, role: IdentityRole): string {
  return `id-${workloadGroupName}-${role}`;
}

/** Which of an environment's identities `name` is (identityResourceName read back), or undefined. */
export function identityRoleOf(name: unknown): IdentityRole | undefined {
  const m = typeof name === "string" ? /^id-.+-(deploy|preview)$/.exec(name) : null;
  return m ? (m[1] as IdentityRole) : undefined;
}
