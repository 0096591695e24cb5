// What a client of the API sees while its database goes through what a failover does to it,
// with the real PostgreSQL errors: every session terminated (SQLSTATE 57P01, or the socket
// closed under a query), then a server that accepts only reads (25006, as a demoted primary
// does), then writable again. Writes must answer 503 with Retry-After while the database is
// away, never 500; reads keep working on the read-only server; once it is writable again a
// write succeeds (the pool, the projection runner and the log notifier reconnected).
import { Client, Pool } from 'pg';
import { eventually, sleep } from '@natgw/testing';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(120_000);

const network = (name: string) =>
  JSON.stringify({
    apiVersion: 'networking.ironcore.dev/v1alpha1',
    kind: 'Network',
    metadata: { name },
    spec: {},
  });

describe('transient database errors answer 503 with Retry-After', () => {
  let api: TestApi;
  let admin: Client;
  let database: string;

  beforeAll(async () => {
    api = await startTestApi('pg-transient');
    database = new URL(api.databaseUrl).pathname.slice(1);
    admin = new Client({ connectionString: api.databaseUrl.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.query(`ALTER DATABASE "${database}" RESET default_transaction_read_only`);
    await admin?.end();
    await api?.close();
  });

  /** Ends every session of the API's database (what a primary going away does). */
  const terminateSessions = () =>
    admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );

  async function post(name: string) {
    const res = await fetch(`${api.url}${API}/namespaces/default/networks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: network(name),
    });
    const body = (await res.json()) as { message?: string };
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      message: body.message ?? '',
    };
  }

  it('a session terminated while a client of the pool is checked out but idle does not end the process', async () => {
    // The pool stops listening for a client's errors while it is lent out: the server's
    // 57P01 would be an 'error' event nobody handles (openDatabase guards every client).
    const pool = (api.dataSource.driver as unknown as { master: Pool }).master;
    const client = await pool.connect();
    const {
      rows: [{ pid }],
    } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await sleep(500);
    client.release(true);
    expect((await post('still-alive')).status).toBe(201);
  });

  it('terminated sessions and a read-only server give 503 with Retry-After; writes resume after', async () => {
    expect((await post('before')).status).toBe(201);

    // New sessions are read-only from now on; the existing ones are terminated (57P01).
    await admin.query(`ALTER DATABASE "${database}" SET default_transaction_read_only = on`);
    await terminateSessions();
    const seen: Array<{ status: number; retryAfter: string | null; message: string }> = [];
    await eventually(
      async () => {
        const r = await post(`during-${seen.length}`);
        seen.push(r);
        return /read-only transaction/.test(r.message);
      },
      { what: 'a write refused by the read-only server', timeoutMs: 30_000 },
    );
    for (const r of seen) expect([r.status, r.retryAfter]).toEqual([503, '1']);
    // Reads are served by the read-only sessions.
    const list = await fetch(`${api.url}${API}/namespaces/default/networks`);
    expect(list.status).toBe(200);

    // Writable again (the new primary): the next sessions write, after the old ones end.
    await admin.query(`ALTER DATABASE "${database}" RESET default_transaction_read_only`);
    await terminateSessions();
    const after: number[] = [];
    await eventually(
      async () => {
        const r = await post('after');
        after.push(r.status);
        if (r.status !== 503 && r.status !== 201 && r.status !== 409)
          throw new Error(`answered ${r.status}: ${r.message}`);
        return r.status === 201 || r.status === 409;
      },
      { what: 'a write after the database is writable again', timeoutMs: 60_000 },
    );
    const created = await fetch(`${api.url}${API}/namespaces/default/networks/after`);
    expect(created.status).toBe(200);
  });
});
