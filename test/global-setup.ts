// Runs once before the integration and e2e projects: the tests need a real
// PostgreSQL and a real NATS with JetStream, so start them if they are down.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureServices } = require('../scripts/ensure-services');

export default async function globalSetup(): Promise<void> {
  await ensureServices((m: string) => process.stderr.write(`[global-setup] ${m}\n`));
}
