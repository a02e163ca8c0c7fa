/**
 * Every third-party action the workflows use, pinned to a full commit SHA. This is the one place
 * to bump them: change `sha` and `version` together (read the tag with
 * `git ls-remote https://github.com/OWNER/REPO refs/tags/vX.Y.Z`, or the release page), then
 * run the tests and review the snapshot diff.
 *
 * Each SHA below is the commit the version tag points to (annotated tags dereferenced), read
 * from the repositories' tags.
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
  checkout: { name: "actions/checkout", sha: "11d5960a326750d5838078e36cf38b85af677262", version: "v4.4.0" },
  setupNode: { name: "actions/setup-node", sha: "49933ea5288caeca8642d1e84afbd3f7d6820020", version: "v4.4.0" },
  azureLogin: { name: "azure/login", sha: "7184910d9eb2b1c5e48f7073824a90609bb9b6d6", version: "v2.3.1" },
  awsCredentials: { name: "aws-actions/configure-aws-credentials", sha: "7474bc4690e29a8392af63c5b98e7449536d5c3a", version: "v4.3.1" },
  uploadArtifact: { name: "actions/upload-artifact", sha: "ea165f8d65b6e75b540449e92b4886f43607fa02", version: "v4.6.2" },
  // The v2 line (node20, `app-id`) like the other pins; v3 moved to node24 and `client-id`.
  createGithubAppToken: { name: "actions/create-github-app-token", sha: "fee1f7d63c2ff003460e3d139729b119787bc349", version: "v2.2.2" },
} as const satisfies Record<string, PinnedAction>;

/** `owner/repo@sha`; the renderer adds `# version` after it. */
export function usesRef(action: PinnedAction): string {
  return `${action.name}@${action.sha}`;
}
