/**
 * The Graft dynamic provider: one resource per generated document. A thin adapter from Pulumi's
 * check/diff/create/update/delete onto core/graft/document-resource:
 *
 * - diff reports a change exactly when the program found the document stale, so
 *   `pulumi preview` lists exactly the stale documents (the component logs the reason against
 *   each one);
 * - create/update regenerate a stale document (serialised across resources: one generation at
 *   a time) or adopt an up-to-date one; outputs are the document's hash, signature line, model
 *   and the generation's duration. On a GitHub Actions runner a stale document is not generated
 *   (`deferred` says so): the deploy job hands it to the docs workflow, the only writer;
 * - delete leaves the file alone: removing a prompt does not delete its committed document.
 *
 * Pulumi serialises this provider with its closure serializer and runs it in a separate Node
 * process without ts-node, so the object below captures nothing but the two core functions it
 * calls (and what they import: node built-ins, execa, the core/graft modules on the generation
 * path). test/providers/graft/serialization.test.ts serialises it and runs it in a fresh process.
 */
import * as pulumi from "@pulumi/pulumi";
import { applyGraftDocument, diffGraftDocument, type GraftDocumentInputs, type GraftDocumentOutputs } from "../../core/graft/document-resource";

export const graftDocumentProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: GraftDocumentOutputs, news: GraftDocumentInputs): Promise<pulumi.dynamic.DiffResult> {
    return diffGraftDocument(olds, news);
  },
  async create(inputs: GraftDocumentInputs): Promise<pulumi.dynamic.CreateResult> {
    const outs = await applyGraftDocument(inputs);
    return { id: inputs.output, outs };
  },
  async update(_id: string, _olds: GraftDocumentOutputs, news: GraftDocumentInputs): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: await applyGraftDocument(news) };
  },
  async delete(): Promise<void> {
    // The document stays in the repository.
  },
};

/** The dynamic resource for one document. Its type is `pulumi-nodejs:dynamic/graft:GraftDocument`. */
export class GraftDocument extends pulumi.dynamic.Resource {
  declare readonly output: pulumi.Output<string>;
  declare readonly prompt: pulumi.Output<string>;
  declare readonly outputSha256: pulumi.Output<string>;
  declare readonly signature: pulumi.Output<string>;
  declare readonly model: pulumi.Output<string>;
  declare readonly modelCalled: pulumi.Output<string>;
  declare readonly durationMs: pulumi.Output<number>;
  declare readonly generated: pulumi.Output<boolean>;
  /** Set when the document was stale but not generated here (on a GitHub Actions runner): why, and who regenerates it. */
  declare readonly deferred: pulumi.Output<string | undefined>;

  constructor(name: string, inputs: GraftDocumentInputs, opts?: pulumi.CustomResourceOptions) {
    super(graftDocumentProvider, name, { ...inputs, outputSha256: undefined, signature: undefined, modelCalled: undefined, durationMs: undefined, attempts: undefined, generated: undefined, deferred: undefined }, opts, "graft", "GraftDocument");
  }
}
