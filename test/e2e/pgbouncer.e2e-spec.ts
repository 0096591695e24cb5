// natgw behind Debian's PgBouncer in transaction mode: DATABASE_URL points at PgBouncer,
// DATABASE_SESSION_URL at PostgreSQL itself for LISTEN/NOTIFY and the advisory locks.
// The three services start, migrate and serve a NATGateway to Ready; PostgreSQL sees only
// PgBouncer's small server pool plus the few direct sessions, and the executor holds
// exactly one direct session (LISTEN) and runs no relay.
import { eventually, PrivatePgBouncer } from '@natgw/testing';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(180_000);

const POOL = 4;

describe('natgw through PgBouncer (transaction mode) with DATABASE_SESSION_URL', () => {
  let bouncer: PrivatePgBouncer;
  let system: NatgwSystem;
  let database: string;
  let directBeforeExecutor: number;

  /** This database's backends: PgBouncer's server connections and the direct sessions. */
  async function backends() {
    const servers = (await bouncer.servers()).filter((s) => s.database === database);
    const viaBouncer = new Set(servers.map((s) => s.localPort));
    const all = await system.query<{ application_name: string; client_port: number }>(
      `SELECT application_name, client_port FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      [database],
    );
    // system.query's own connection is direct too, but excluded by pg_backend_pid().
    return { all, servers, direct: all.filter((b) => !viaBouncer.has(b.client_port)) };
  }

  beforeAll(async () => {
    bouncer = await PrivatePgBouncer.start({ poolSize: POOL });
    system = await NatgwSystem.create('pgbouncer');
    database = new URL(system.databaseUrl).pathname.slice(1);
    const env = {
      DATABASE_URL: bouncer.url(database),
      DATABASE_SESSION_URL: system.databaseUrl,
      // More client connections than PgBouncer has server connections.
      DATABASE_POOL_SIZE: '10',
    };
    await system.start('api-gateway', env);
    await system.start('allocator', env);
    directBeforeExecutor = (await backends()).direct.length;
    await system.start('dataplane-executor', { ...env, NODE_NAME: 'node-a' });
  });

  afterAll(async () => {
    await system?.destroy();
    await bouncer?.destroy();
  });

  it('serves a NATGateway to Ready, with few PostgreSQL connections', async () => {
    const api = await system.api('default');
    const created = await Promise.all([
      http('POST', `${api}/networks`, manifests.network('net')),
      http('POST', `${api}/natgateways`, manifests.gateway('gw', 'net', 64)),
    ]);
    expect(created.map((r) => r.status)).toEqual([201, 201]);
    for (let i = 1; i <= 4; i++) {
      const nic = manifests.nic(`nic-${i}`, 'net', [`10.0.0.${i}`], { nodeName: 'node-a' });
      expect((await http('POST', `${api}/networkinterfaces`, nic)).status).toBe(201);
    }
    const gw = await eventually(
      async () => {
        const g = (await http('GET', `${api}/natgateways/gw`)).body as {
          status?: { usedSlots?: number; conditions?: Array<{ type: string; status: string }> };
        };
        const ready = g.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' && g.status?.usedSlots === 4 && g;
      },
      { what: 'the gateway Ready with 4 slots', timeoutMs: 90_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${system.logs()}\n--- pgbouncer\n${bouncer.logs()}`);
    });
    expect(gw.status?.usedSlots).toBe(4);

    const { all, servers, direct } = await backends();
    const directByName: Record<string, number> = {};
    for (const b of direct) {
      directByName[b.application_name] = (directByName[b.application_name] ?? 0) + 1;
    }
    const executorDirect = direct.length - directBeforeExecutor;
    process.stderr.write(
      `[pgbouncer] ${all.length} backends: ${servers.length} via PgBouncer (pool ${POOL}), direct ${JSON.stringify(directByName)}; the executor added ${executorDirect} direct\n`,
    );
    expect(servers.length).toBeLessThanOrEqual(POOL);
    // Direct sessions: one LISTEN per service, the api-gateway's watch LISTEN and one
    // relay lock session per relay candidate (api-gateway and allocator); none else.
    expect(direct.length).toBeLessThanOrEqual(6);
    // The executor: its LISTEN session only (no relay lock); its queries share the pool.
    expect(executorDirect).toBe(1);
    const relays = await system.query<{ application_name: string }>(
      `SELECT application_name FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE '%relay%'`,
      [database],
    );
    expect(relays.length).toBeLessThanOrEqual(2);
  });
});
