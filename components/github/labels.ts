import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import type { LabelSpec } from "../../core/labels";

export interface RepositoryLabelsArgs {
  /** Repository name (without owner). */
  readonly repository: string;
  /** The labels to manage; names must be unique. */
  readonly labels: readonly LabelSpec[];
}

/** Issue labels the IssueOps workflows react to. */
export class RepositoryLabels extends pulumi.ComponentResource {
  constructor(name: string, args: RepositoryLabelsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delivery:github:RepositoryLabels", name, {}, opts);
    const seen = new Set<string>();
    for (const label of args.labels) {
      if (seen.has(label.name)) throw new pulumi.ResourceError(`label "${label.name}" is listed twice in [labels]; list each label once`, this);
      seen.add(label.name);
      new github.IssueLabel(
        `${name}-${label.name.replace(/[^A-Za-z0-9-]/g, "-")}`,
        { repository: args.repository, name: label.name, color: label.color, description: label.description },
        { parent: this },
      );
    }
    this.registerOutputs({ labels: [...seen] });
  }
}
