/**
 * The team state backend, per stack: where each stack's Pulumi state lives, and the names of the
 * variables and secrets that reach it. One stack's credentials never reach another's state.
 *
 * - Each stack has its own Azure Blob container (`pulumi-state-<stack>`) in the state storage
 *   account: the container is the stack's prefix, and the unit Azure grants access to.
 * - Deployments (`pulumi up`, in the GitHub environment of the stack) read and write their own
 *   container only: in Azure, the environment's deploy identity holds Storage Blob Data
 *   Contributor on that container; without Entra ID, an environment secret holds a SAS token for
 *   that container (`racwdl`).
 * - Previews (pull requests, untrusted code; jobs in the `<env>-preview` GitHub environment) read
 *   it only: the environment's preview identity holds Storage Blob Data Reader on that container
 *   (or a read-only `rl` SAS as a `<env>-preview` secret). A preview takes no lock and writes
 *   nothing, so it works with read access; an `up` with it is refused by Storage.
 * - Each stack has its own passphrase (`PULUMI_CONFIG_PASSPHRASE`, an environment secret of `<env>`
 *   and `<env>-preview`): the dev passphrase does not decrypt staging's or prod's secrets.
 *
 * With `azure.stateStorage` in the stack config the program makes it so (AzureEnvironment's state
 * grants, DeploymentEnvironment's variables); without it the administrator sets these by hand and
 * the repository variable `PULUMI_BACKEND_URL` serves every stack.
 *
 * `test/engine/team-backend.test.ts` checks each of these against Azurite.
 */
import { BUILT_IN_ROLES } from "./azure-roles";

/** The storage account that holds every stack's state (config `azure.stateStorage`). */
export interface StateStorage {
  readonly resourceGroup: string;
  readonly account: string;
}

/** What `pulumi-state-<stack>` may be: Azure container names (3-63 lower-case letters, digits, single hyphens). */
const CONTAINER_NAME = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

/** The Blob container holding one stack's state; throws naming the stack when Azure would refuse the name. */
export function stateContainer(stack: string): string {
  const name = `pulumi-state-${stack}`;
  if (!CONTAINER_NAME.test(name)) throw new Error(`stack "${stack}" gives the state container "${name}", which Azure does not accept (3-63 lower-case letters, digits and single hyphens); rename the stack`);
  return name;
}

/** `PULUMI_BACKEND_URL` of a stack: its own container in the state account (`AZURE_STORAGE_ACCOUNT`). */
export function stateBackendUrl(stack: string): string {
  return `azblob://${stateContainer(stack)}`;
}

/**
 * The names the workflows read, and where each is set. Environment-scoped values exist once per
 * GitHub environment with that stack's value: in `<env>` for its deploy job, and in `<env>-preview`
 * (core/oidc.ts previewEnvironment) for its previews and drift, whose grant on the state is
 * read-only; a job sees only its own environment's (workflows/common.ts environmentSecrets).
 */
export const STATE_SETTINGS = {
  /** Environment variable: `azblob://pulumi-state-<env>` (stateBackendUrl). */
  backendUrl: { name: "PULUMI_BACKEND_URL", kind: "environment variable" },
  /** Repository variable: the state storage account's name (not a secret). */
  storageAccount: { name: "AZURE_STORAGE_ACCOUNT", kind: "repository variable" },
  /** Environment secret: the stack's own passphrase. */
  passphrase: { name: "PULUMI_CONFIG_PASSPHRASE", kind: "environment secret" },
  /** Environment secret, only where Entra ID auth to Storage is not used: a container SAS, `racwdl`, for that stack's container. */
  deploySas: { name: "AZURE_STORAGE_SAS_TOKEN", kind: "environment secret (optional)" },
} as const;

/** Permissions of a container SAS: what a deployment needs, and what a preview needs. */
export const STATE_SAS_PERMISSIONS = { deploy: "racwdl", preview: "rl" } as const;

/** The data-plane role on its stack's container: deployments write state, previews only read it. */
export const STATE_ROLES = { deploy: BUILT_IN_ROLES.storageBlobDataContributor, preview: BUILT_IN_ROLES.storageBlobDataReader } as const;

/** The Azure resource id of one stack's state container: the only scope its identities' state grants may have. */
export function stateContainerScope(subscriptionId: string, storage: StateStorage, stack: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${storage.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${storage.account}/blobServices/default/containers/${stateContainer(stack)}`;
}

/** The parts of a state container scope, or undefined when `scope` is not a blob container's id. */
export function parseContainerScope(scope: string): { resourceGroup: string; account: string; container: string } | undefined {
  const m = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)\/blobServices\/default\/containers\/([^/]+)$/i.exec(scope);
  return m ? { resourceGroup: m[1], account: m[2], container: m[3] } : undefined;
}
