/**
 * Every third-party action the workflows use, pinned to a full commit SHA. This is the one place
 * to bump them: change `sha` and `version` together (read the tag with
 * `git ls-remote https://github.com/OWNER/REPO refs/tags/vX.Y.Z`, or the release page), then
 * run the tests and review the snapshot diff.
 *
 * Each SHA below is the commit the version tag points to (annotated tags dereferenced: azure/login's
 * v3.0.1 is an annotated tag), read from the repositories' tags. Every one runs on Node.js 24
 * (`runs.using: node24`), the runtime GitHub moves JavaScript actions to.
 */
export interface PinnedAction {
  /** `owner/repo` (or `owner/repo/path`). */
  readonly name: string;
  /** The full 40-character commit SHA the version tag points to. */
  readonly sha: string;
  /** The release the SHA is, shown as a comment next to `uses:`. */
  readonly version: string;
}

export const ACTIONS = {
  checkout: { name: "actions/checkout", sha: "3d3c42e5aac5ba805825da76410c181273ba90b1", version: "v7.0.1" },
  setupNode: { name: "actions/setup-node", sha: "820762786026740c76f36085b0efc47a31fe5020", version: "v7.0.0" },
  azureLogin: { name: "azure/login", sha: "f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca", version: "v3.0.1" },
  awsCredentials: { name: "aws-actions/configure-aws-credentials", sha: "e6de054238d6b7531b4efff3b6587d9aade6a06c", version: "v6.2.3" },
  uploadArtifact: { name: "actions/upload-artifact", sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", version: "v7.0.0" },
  downloadArtifact: { name: "actions/download-artifact", sha: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", version: "v8.0.1" },
  // `app-id` is deprecated in v3 in favour of `client-id`, and still accepted; the repository
  // variable stays PROMOTION_APP_ID (docs/promotion.md).
  createGithubAppToken: { name: "actions/create-github-app-token", sha: "1b10c78c7865c340bc4f6099eb2f838309f1e8c3", version: "v3.1.1" },
} as const satisfies Record<string, PinnedAction>;

/** `owner/repo@sha`; the renderer adds `# version` after it. */
export function usesRef(action: PinnedAction): string {
  return `${action.name}@${action.sha}`;
}
