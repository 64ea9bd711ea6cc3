// Mutation testing of lib/ (`npm run test:mutation`; `.ci/run` runs it incrementally).
// JavaScript rather than JSON so the choices below can carry their reasons.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'lib/**/*.ts',
    // SDK client construction (timeouts, attempts): configuration of AWS's code, not behaviour of
    // ours a test could observe without a real network fault.
    '!lib/**/*-client.ts',
    // Your code: the default hooks only log; the pipeline's guarantees do not depend on them.
    '!lib/hooks.ts',
  ],
  // Log message text is not mutated (test/mutation/log-message-ignorer.mjs says why); the fields are.
  appendPlugins: ['./test/mutation/log-message-ignorer.mjs'],
  ignorers: ['log-messages'],
  testRunner: 'vitest',
  vitest: {
    // The `unit` and `integration` projects only: faults, e2e and infra spawn processes and wait out
    // timeouts (vitest.mutation.config.mts says why).
    configFile: 'vitest.mutation.config.mts',
  },
  // Compile errors are not survivors: mutants that do not type-check are dropped before any test.
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  // Each mutant runs only the tests that reached it.
  coverageAnalysis: 'perTest',
  // A run re-tests only mutants whose code or tests changed since the committed result.
  incremental: true,
  incrementalFile: 'test/mutation/incremental.json',
  // Two cores: one per test runner, and the machine is shared.
  concurrency: 2,
  // DynamoDB Local and the SQS engine answer in milliseconds, but a loaded machine slows them.
  timeoutMS: 10_000,
  thresholds: { high: 95, low: 90, break: 90 },
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  // The terminal shows survivors and the table per file, not every test's mutant count.
  clearTextReporter: { reportTests: false },
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
