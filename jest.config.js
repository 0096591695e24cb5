// Four projects, named by what a test needs: unit (no I/O), integration (real
// PostgreSQL and NATS), e2e (whole processes, network namespaces) and faults (long
// fault-injection runs: only `npm run test:faults` selects them, `npm test` does not).
const { pathsToModuleNameMapper } = require('./scripts/jest-paths');

const base = {
  setupFiles: ['reflect-metadata'],
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(),
  // StrykerJS's sandbox (npm run test:mutation) is a copy of the repository.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
};

module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,scripts,test}/**/*.spec.ts'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
    },
    {
      ...base,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.faults-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
    },
  ],
};
