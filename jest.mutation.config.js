// The tests StrykerJS (`npm run test:mutation`) runs against each mutant: the whole unit project
// (the specs next to the code in apps/, libs/ and scripts/), so that a rule of libs/domain counts
// as guarded wherever its test lives. With perTest coverage, each mutant runs only the tests that
// reach its code. A file of its own (not an inline object in stryker.config.js) so that rootDir
// is the sandbox Stryker copies the mutated sources to, not this checkout.
// jest.mutation.setup.js caps fast-check's cases per property (MUTATION_PROPERTY_RUNS, default
// 15) for mutation runs only; `npm test` keeps each spec's own numRuns.
const { projects } = require('./jest.config');

const unit = projects.find((project) => project.displayName === 'unit');

module.exports = {
  ...unit,
  setupFiles: [...unit.setupFiles, '<rootDir>/jest.mutation.setup.js'],
};
