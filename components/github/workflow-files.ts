import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

export interface WorkflowFilesArgs {
  /** Repository name (without owner). */
  readonly repository: string;
  /** The rendered files: repository-relative path and content. */
  readonly files: readonly { readonly path: string; readonly content: string }[];
  /** The protected branch the workflows belong on (the default branch, e.g. main). */
  readonly baseBranch: string;
  /**
   * The branch Pulumi commits to. The base branch's ruleset admits no direct pushes, not even
   * the platform's, so changes reach it through a pull request that people review.
   * Defaults to "delivery-platform/workflows".
   */
  readonly branch?: string;
}

/** Validation of WorkflowFilesArgs, before anything is created; returns every problem. */
export function workflowFilesProblems(args: WorkflowFilesArgs): string[] {
  const problems: string[] = [];
  if (args.files.length === 0) problems.push("[files] is empty; render at least one workflow");
  for (const f of args.files) {
    if (!/^\.github\/workflows\/[A-Za-z0-9._-]+\.ya?ml$/.test(f.path)) problems.push(`[files]: "${f.path}" is not a workflow path; use .github/workflows/<name>.yml`);
  }
  const paths = args.files.map((f) => f.path);
  const duplicate = paths.find((p, i) => paths.indexOf(p) !== i);
  if (duplicate) problems.push(`[files]: "${duplicate}" is listed twice`);
  if ((args.branch ?? DEFAULT_WORKFLOWS_BRANCH) === args.baseBranch) problems.push(`[branch] must differ from [baseBranch] (${args.baseBranch}): the base branch only accepts pull requests`);
  return problems;
}

export const DEFAULT_WORKFLOWS_BRANCH = "delivery-platform/workflows";

/**
 * The Actions workflows, committed by Pulumi to a branch of their own and proposed to the base
 * branch in a pull request, so workflow changes get the same review as any other change.
 */
export class WorkflowFiles extends pulumi.ComponentResource {
  public readonly pullRequestNumber: pulumi.Output<number>;
  public readonly branch: string;

  constructor(name: string, args: WorkflowFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delivery:github:WorkflowFiles", name, {}, opts);
    const problems = workflowFilesProblems(args);
    if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);
    this.branch = args.branch ?? DEFAULT_WORKFLOWS_BRANCH;

    const files = args.files.map(
      (f) =>
        new github.RepositoryFile(
          `${name}-${f.path.split("/").pop()!.replace(/\.ya?ml$/, "")}`,
          {
            repository: args.repository,
            branch: this.branch,
            autocreateBranch: true,
            autocreateBranchSourceBranch: args.baseBranch,
            file: f.path,
            content: f.content,
            commitMessage: `ci: update ${f.path} (rendered by delivery-platform)`,
            overwriteOnCreate: true,
          },
          { parent: this },
        ),
    );

    const pr = new github.RepositoryPullRequest(
      `${name}-pull-request`,
      {
        baseRepository: args.repository,
        baseRef: args.baseBranch,
        headRef: this.branch,
        title: "ci: update the delivery-platform workflows",
        body: [
          "The delivery-platform Pulumi program rendered new Actions workflows.",
          "",
          "Review them like any other change; they decide who can deploy what.",
          "",
          ...args.files.map((f) => `- \`${f.path}\``),
        ].join("\n"),
        maintainerCanModify: false,
      },
      { parent: this, dependsOn: files },
    );
    this.pullRequestNumber = pr.number;
    this.registerOutputs({ pullRequestNumber: this.pullRequestNumber, branch: this.branch });
  }
}
