// StrykerJS mutation testing (`npm run test:mutation`, not part of `npm test`): how many
// deliberate bugs in libs/domain and in the nftables renderer and parser the unit tests
// catch. `npm run test:mutation -- --mutate 'libs/domain/src/**/*.ts,!libs/domain/src/**/*.spec.ts'`
// limits it to one area (add MUTATION_TEST_ROOTS=libs/domain so that Jest loads only that area's
// specs). Results are kept in reports/ (incremental: a rerun tests only the mutants whose code
// or tests changed). Under mutation, property tests run fewer cases and do not shrink
// (jest.mutation.setup.js, MUTATION_PROPERTY_RUNS).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.mutation.config.js',
    enableFindRelatedTests: true,
  },
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutation.json',
  mutate: [
    'libs/domain/src/**/*.ts',
    '!libs/domain/src/**/*.spec.ts',
    '!libs/domain/src/**/index.ts',
    'apps/dataplane-executor/src/backends/nftables/render-nat-ruleset.ts',
    'apps/dataplane-executor/src/backends/nftables/render-nat-changes.ts',
    'apps/dataplane-executor/src/backends/nftables/parse-nat-ruleset.ts',
    'apps/dataplane-executor/src/backends/nftables/nat-table-layout.ts',
    'apps/dataplane-executor/src/backends/nftables/nat-element-comment.ts',
  ],
  ignorePatterns: ['dist', '.data', '.tools', 'bench/results', 'coverage'],
  // Static mutants (module-level constants and tables, evaluated once on import) cannot be
  // traced to the tests that reach them, so each runs the whole unit project: in libs/domain
  // Stryker counted 1,073 of 2,905 (mostly the address and range tables) and estimated them
  // at three quarters of the run time. They are left out (reported as Ignored, outside the
  // score, which the README says); `--ignoreStatic false` puts them back for a longer run.
  ignoreStatic: true,
  // With a checker, Stryker gives half the slots to TypeScript checkers until every mutant is
  // checked, then all of them to test runners: 4 is two test runners at first and four after.
  // On the shared 2-core machine (load average 10-25) 3 left a single test runner: 17 mutants
  // a minute, a full libs/domain run over two hours.
  concurrency: 4,
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: null },
  // A mutant that loops runs until its timeout (its tests' time without mutants × 1.5, plus the
  // initial run's overhead, 14 s under load, plus this) and then costs a restart of its test
  // runner, so this is small: the overhead term already absorbs the machine's load.
  timeoutMS: 3000,
};
