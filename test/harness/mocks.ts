/**
 * Pulumi mocks for tests of one component or provider (the whole program has test/harness/program.ts):
 * every registration recorded, and any invoke throws `Mock not implemented: <token>`, so a missing
 * stub cannot hide.
 */
import type * as pulumiType from "@pulumi/pulumi";

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Sets the mocks on `pulumi` (the SDK instance the code under test loads) for stack `dev`;
 * `onRegister` sees every registration, `state` gives its outputs (the inputs by default).
 */
export function setRecordingMocks(
  pulumi: typeof pulumiType,
  onRegister: (resource: Registered) => void,
  opts: { preview?: boolean; state?: (inputs: Record<string, any>) => Record<string, any> } = {}, // eslint-disable-line @typescript-eslint/no-explicit-any
): Promise<void> {
  return pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        onRegister({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: opts.state ? opts.state(args.inputs) : args.inputs };
      },
      call: (args) => {
        throw new Error(`Mock not implemented: ${args.token}`);
      },
    },
    "delivery-platform",
    "dev",
    opts.preview ?? false,
  );
}
