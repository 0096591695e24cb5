// Runs once before the integration and e2e projects, however they are started (`npm test`,
// `npm run test:e2e`, `npx jest --selectProjects e2e ...`): the tests need a real
// PostgreSQL and a real NATS with JetStream, so start them if they are down, and the
// whole-process tests (and the Dockerfile's check of dist/) run the compiled dist/, so
// build it when sources changed since the last build.
/* eslint-disable @typescript-eslint/no-require-imports */
const { ensureServices } = require('../scripts/ensure-services');
const { buildIfNeeded } = require('../scripts/build-if-needed');
/* eslint-enable @typescript-eslint/no-require-imports */

export default async function globalSetup(): Promise<void> {
  const log = (m: string) => process.stderr.write(`[global-setup] ${m}\n`);
  await ensureServices(log);
  buildIfNeeded(log);
}
