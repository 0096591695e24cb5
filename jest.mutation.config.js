// The tests StrykerJS (`npm run test:mutation`) runs against each mutant: the whole unit project
// (the specs next to the code in apps/, libs/ and scripts/), so that a rule of libs/domain counts
// as guarded wherever its test lives. With perTest coverage, each mutant runs only the tests that
// reach its code. A file of its own (not an inline object in stryker.config.js) so that rootDir
// is the sandbox Stryker copies the mutated sources to, not this checkout.
// jest.mutation.setup.js caps fast-check's cases per property (MUTATION_PROPERTY_RUNS, default
// 15) for mutation runs only; `npm test` keeps each spec's own numRuns.
//
// roots: Jest looks for tests (and the tests related to a mutated file) only in the areas that
// are mutated, libs/domain and the nftables backend. Measured in one process, a run of the
// tests related to libs/domain/src/allocation/addresses.ts cost 4.3-4.9 s of CPU with the whole
// repository as root (39 test files loaded), 1.0-1.4 s with these two roots (25) and 0.6-0.8 s
// with libs/domain alone (17), at load average 15-20; Stryker pays it once per mutant.
// MUTATION_TEST_ROOTS (comma-separated folders) narrows them, e.g. to libs/domain for a run of
// libs/domain alone.
const { projects } = require('./jest.config');

const unit = projects.find((project) => project.displayName === 'unit');
const roots = (
  process.env.MUTATION_TEST_ROOTS ?? 'libs/domain,apps/dataplane-executor/src/backends/nftables'
)
  .split(',')
  .map((folder) => `<rootDir>/${folder.trim()}`);

module.exports = {
  ...unit,
  roots,
  setupFiles: [...unit.setupFiles, '<rootDir>/jest.mutation.setup.js'],
};
