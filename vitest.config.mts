import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The SDK warns that its 2027 releases need Node 22; the versions pinned here run on 20.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // A passing run is a screen of results: no metric lines (test/support/quiet-output.ts), and the
    // console output of a test only when it fails.
    setupFiles: ['test/support/quiet-output.ts'],
    silent: 'passed-only',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'examples/**/*.test.ts'] } },
      // The real handlers against real local engines: one DynamoDB Local for the run (global
      // setup), an SQS engine per file.
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-dynamodb.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      // The guarantees under faults: engines down or throttling, a killed consumer, slow hooks,
      // duplicate storms, hostile input. Bounded in time; loopback only.
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/support/global-dynamodb.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      // `npm start` in a child process, driven over HTTP like ZEGO, stopped with Ctrl-C.
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      // Runs `serverless package` once for the run (global setup: two stages) and reads the
      // CloudFormation it writes.
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          globalSetup: ['test/support/packaged-stacks.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
