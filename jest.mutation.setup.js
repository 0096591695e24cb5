// Loaded before every test file of a mutation run (jest.mutation.config.js), never by `npm test`.
// Property tests run fast-check's default 100 cases, some up to 2,000; against each of about
// 2,800 mutants that is most of the run time, while a mutant that a property catches at all is
// almost always caught in its first cases. Under mutation every property runs at most
// MUTATION_PROPERTY_RUNS cases (default 15), both those that name no numRuns (fast-check's
// global setting) and those that name more (fc.assert is wrapped: an explicit numRuns wins
// over the global one). Seeds stay random, as in `npm test`. A property that fails ends there
// (endOnFailure): shrinking the counterexample, which reruns a heavy property hundreds of times,
// tells Stryker nothing more and ran mutants into their timeout.
const fc = require('fast-check');

const DEFAULT_RUNS = 15;
const fromEnv = process.env.MUTATION_PROPERTY_RUNS;
const runs = fromEnv === undefined ? DEFAULT_RUNS : Number(fromEnv);
if (!Number.isInteger(runs) || runs < 1) {
  throw new Error(`MUTATION_PROPERTY_RUNS must be a whole number of at least 1, got "${fromEnv}"`);
}

const assert = fc.assert;
function assertWithFewerRuns(property, parameters) {
  const asked = parameters?.numRuns ?? fc.readConfigureGlobal().numRuns ?? 100;
  return assert(property, { ...parameters, numRuns: Math.min(asked, runs), endOnFailure: true });
}

fc.configureGlobal({ ...fc.readConfigureGlobal(), numRuns: runs, endOnFailure: true });
// Specs import the default export (`import fc from 'fast-check'`), whose members are getters:
// swap in a copy with the wrapped assert. Named imports read `fc.assert`.
fc.default = { ...fc.default, assert: assertWithFewerRuns };
fc.assert = assertWithFewerRuns;
