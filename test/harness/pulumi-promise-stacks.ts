/**
 * Jest set-up (jest.config.js `setupFilesAfterEnv`). @pulumi/pulumi records a stack trace for every
 * promise it makes (`debuggablePromise` in runtime/debuggable.js), which only its promise-leak
 * report reads. Jest keeps 100 frames a stack and maps each through source-map-support: for a test
 * that evaluates the whole program those stacks were a third of its CPU (policies.test.ts: 3.0 of
 * 8.8 s). They now keep V8's own format and Node's default 10 frames; every other stack, and so
 * every failure a test reports, is still mapped to its TypeScript line.
 */
const mapFrames = Error.prepareStackTrace;
const PROMISE_DEBUG_FILE = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;

if (mapFrames) {
  Error.prepareStackTrace = (error, frames) =>
    PROMISE_DEBUG_FILE.test(frames[0]?.getFileName() ?? "")
      ? [String(error), ...frames.slice(0, 10).map((frame) => `    at ${frame}`)].join("\n")
      : mapFrames(error, frames);
}

export {};
