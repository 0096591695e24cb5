// The unit tests StrykerJS (`npm run test:mutation`) runs against each mutant: those of
// libs/domain and of the nftables renderer and parser, with the unit project's settings.
// A file of its own (not an inline object in stryker.config.js) so that rootDir is the
// sandbox Stryker copies the mutated sources to, not this checkout.
const { projects } = require('./jest.config');

const unit = projects.find((project) => project.displayName === 'unit');

module.exports = {
  ...unit,
  testMatch: [
    '<rootDir>/libs/domain/**/*.spec.ts',
    '<rootDir>/apps/dataplane-executor/src/backends/nftables/**/*.spec.ts',
  ],
};
