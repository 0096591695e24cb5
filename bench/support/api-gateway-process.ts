import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '@natgw/testing';

const ROOT = join(__dirname, '..', '..');

/**
 * Starts an api-gateway from the sources on `port`, with its own database and JetStream stream
 * (its relay publishes every event there), and resolves once /readyz answers 200. The per-client
 * rate limit is off: a bench measures the service, and all its requests come from one client.
 */
export async function startApiGateway(
  databaseUrl: string,
  nats: { stream: string; prefix: string },
  port: number,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['scripts/run-ts.js', 'apps/api-gateway/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      NATS_STREAM: nats.stream,
      NATS_SUBJECT_PREFIX: nats.prefix,
      API_PORT: String(port),
      API_HOST: '127.0.0.1',
      RATE_LIMIT_QPS: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await eventually(
    async () =>
      (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
    { timeoutMs: 60_000, what: 'the api-gateway to be ready' },
  );
  return child;
}
