/** The stand-in Bedrock (test/fakes/bedrock/server.js) for a test file, with the real AWS SDK pointed at it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startBedrockStandIn } = require("../../fakes/bedrock/server.js") as {
  startBedrockStandIn: (o?: { steps?: string[] }) => Promise<BedrockStandIn>;
};

export interface BedrockStandIn {
  readonly url: string;
  /** Every Converse request seen: modelId, keyId, region, bytes, sha256 and action of the pack, step. */
  readonly requests: Array<Record<string, unknown>>;
  /** The next requests' scripted steps (throttle, malformed, ...); "success" after them. */
  script(steps: string[]): void;
  close(): Promise<void>;
}

// The SDK's default chain reads process.env for anything a request does not pass in: keep this
// process's own AWS settings (if any) out of the tests.
const ISOLATE: Record<string, string | undefined> = {
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_CONFIG_FILE: "/nonexistent/config",
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
  AWS_PROFILE: undefined,
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  AWS_ROLE_ARN: undefined,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
};

/** Starts the stand-in before the file's tests and stops it after; returns an accessor. */
export function useBedrockStandIn(): () => BedrockStandIn {
  let standIn: BedrockStandIn | undefined;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    for (const [k, v] of Object.entries(ISOLATE)) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    standIn = await startBedrockStandIn();
  });
  afterAll(async () => {
    await standIn?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  beforeEach(() => {
    standIn?.requests.splice(0);
    standIn?.script([]);
  });
  return () => {
    if (!standIn) throw new Error("the stand-in Bedrock is not running (call useBedrockStandIn at the top of the file)");
    return standIn;
  };
}

/** The environment a generator needs to reach the stand-in: endpoint, stand-in keys, region. */
export function standInEnv(standIn: BedrockStandIn, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "", AWS_ENDPOINT_URL_BEDROCK_RUNTIME: standIn.url, AWS_ACCESS_KEY_ID: "AKIDSTANDIN", AWS_SECRET_ACCESS_KEY: "stand-in", AWS_REGION: "us-east-1", ...extra };
}
