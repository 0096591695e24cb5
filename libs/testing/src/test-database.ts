import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

const ADMIN_URL =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
}

/**
 * A fresh, uniquely named database for one test file; returns its URL. `adminUrl`
 * picks another server (default TEST_DATABASE_ADMIN_URL or 127.0.0.1:5432).
 */
export async function createTestDatabase(label: string, adminUrl = ADMIN_URL): Promise<string> {
  const name = `natgw_t_${slug(label)}_${randomBytes(3).toString('hex')}`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a test database (on the server of its URL), closing any connections still open to it. */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  const shared = new URL(ADMIN_URL);
  if (admin.host === shared.host) admin.pathname = shared.pathname;
  else admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A unique NATS stream name and subject prefix for one test file. */
export function testNatsNames(label: string): { stream: string; prefix: string } {
  const id = `${slug(label)}_${randomBytes(3).toString('hex')}`;
  return { stream: `T_${id}`.toUpperCase(), prefix: `t_${id}` };
}

/** Deletes a test file's JetStream stream (a no-op when it does not exist). */
export async function deleteTestStream(stream: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
