// A natgw restored from a logical dump into a brand-new PostgreSQL cluster keeps working.
//
// The source log lives on a server whose transaction counter is far ahead of a fresh
// initdb's; the dump is restored into a new cluster (pg_dump -Fc, initdb, pg_restore),
// and the services are started on it. The restored log must stay visible and in its order,
// new writes must sort after it (the allocator gives a new NIC a slot, the projections show
// it), the audit lookups must answer as before, and every read model must equal its rebuild.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { openDatabase, PostgresEventStore, type Checkpoint } from '@natgw/event-store';
import type { RecordedEvent } from '@natgw/contracts';
import {
  eventually,
  postgresBinDir,
  PrivatePostgresServer,
  type ServiceProcess,
} from '@natgw/testing';
import type { QueryFn } from './support/allocation-invariants';
import { http, manifests, NatgwSystem } from './support/natgw-system';
import {
  logIntegrityProblems,
  projectionRebuildProblems,
  laggingCheckpoints,
  settledCheckpoints,
} from './support/system-checks';

jest.setTimeout(240_000);

type Obj = Record<string, unknown> & {
  status?: { nat?: Array<{ ip: string; port: number; endPort: number }> } & Record<string, unknown>;
};

async function queryAt<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Runs a PostgreSQL client program (pg_dump, pg_restore) and fails with its stderr. */
function pgTool(tool: string, args: string[]): void {
  const r = spawnSync(join(postgresBinDir()!, tool), args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr}`);
}

/** The whole log through readAll, in commit order (what every reader sees). */
async function readWholeLog(url: string): Promise<RecordedEvent[]> {
  const ds = await openDatabase({ url, poolSize: 1, migrate: false, schemaWaitMs: 1_000 });
  try {
    const store = new PostgresEventStore(ds);
    const all: RecordedEvent[] = [];
    let after: Checkpoint | undefined;
    for (;;) {
      const page = await store.readAll({ after, limit: 500 });
      if (page.events.length === 0) return all;
      all.push(...page.events);
      after = page.checkpoint;
    }
  } finally {
    await ds.destroy();
  }
}

describe('restore from a logical dump into a fresh cluster', () => {
  let system: NatgwSystem;
  let source: PrivatePostgresServer;
  let target: PrivatePostgresServer;
  let dumpDir: string;
  let targetUrl: string;

  beforeAll(async () => {
    // The source is a server of its own (no other work holds back its readers); it burns
    // transaction ids first, so its log lies above a fresh cluster's counter, as any
    // long-lived cluster's does.
    source = await PrivatePostgresServer.start();
    await queryAt(
      source.url(),
      `DO $$ BEGIN FOR i IN 1..5000 LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`,
    );
    system = await NatgwSystem.create('pg_restore', {}, source.url());
    target = await PrivatePostgresServer.start();
    dumpDir = mkdtempSync(join(tmpdir(), 'natgw-dump-'));
    targetUrl = target.url('natgw_restored');
  });

  afterAll(async () => {
    await system?.destroy();
    await target?.destroy();
    await source?.destroy();
    if (dumpDir) rmSync(dumpDir, { recursive: true, force: true });
  });

  // The api-gateway serving now (the first one stops before the dump).
  let gateway: ServiceProcess;
  const root = async () => `${await gateway.url}`;
  const apiBase = async () =>
    `${await root()}/apis/networking.ironcore.dev/v1alpha1/namespaces/default`;

  async function nic(name: string): Promise<Obj> {
    return (await http('GET', `${await apiBase()}/networkinterfaces/${name}`)).body as Obj;
  }

  async function slotOf(name: string) {
    return eventually(
      async () => {
        const n = await nic(name);
        return (n.status?.nat?.length ?? 0) > 0 && n.status!.nat![0];
      },
      { what: `a NAT slot for ${name}`, timeoutMs: 60_000 },
    );
  }

  async function natlookup(ip: string, port: number, at: string) {
    return http(
      'GET',
      `${await root()}/apis/natgw.ironcore.dev/v1alpha1/natlookup?ip=${ip}&port=${port}&at=${encodeURIComponent(at)}`,
    );
  }

  it('keeps the log order, new writes, the allocator, projections and audit lookups working', async () => {
    // 1. A natgw with a gateway and a NIC that got its slot, on the shared server.
    gateway = await system.start('api-gateway');
    await system.start('allocator');
    await system.start('dataplane-executor', { NODE_NAME: 'node-a' });
    const api = await apiBase();
    expect((await http('POST', `${api}/networks`, manifests.network('net'))).status).toBe(201);
    expect((await http('POST', `${api}/natgateways`, manifests.gateway('gw', 'net'))).status).toBe(
      201,
    );
    const nic1 = manifests.nic('nic-1', 'net', ['10.0.0.1'], { nodeName: 'node-a' });
    expect((await http('POST', `${api}/networkinterfaces`, nic1)).status).toBe(201);
    const slot1 = await slotOf('nic-1');
    const before = new Date().toISOString();
    const lookupBefore = await natlookup(slot1.ip, slot1.port, before);
    expect(lookupBefore.status).toBe(200);
    await eventually(
      async () =>
        (
          await laggingCheckpoints(
            system.query.bind(system),
            settledCheckpoints(system.nats.stream),
          )
        ).length === 0,
      { what: 'every reader at the end of the log' },
    );
    await Promise.all(system.services.map((s) => s.kill('SIGTERM')));
    const sourceLog = await readWholeLog(system.databaseUrl);

    // 2. pg_dump, a brand-new cluster (initdb), pg_restore.
    const dump = join(dumpDir, 'natgw.dump');
    pgTool('pg_dump', ['-Fc', '-f', dump, system.databaseUrl]);
    await queryAt(target.url(), 'CREATE DATABASE natgw_restored');
    pgTool('pg_restore', ['--no-owner', '--no-privileges', '-d', targetUrl, dump]);
    // The situation the re-base exists for: the new cluster's counter is below the copied ids.
    const [{ high, next }] = await queryAt<{ high: string; next: string }>(
      targetUrl,
      `SELECT max(transaction_id)::text AS high, pg_current_xact_id()::text AS next FROM natgw_events`,
    );
    expect(BigInt(high)).toBeGreaterThan(BigInt(next));

    // 3. The services on the restored database: the first to open it re-bases the order.
    const onTarget = { DATABASE_URL: targetUrl };
    gateway = await system.start('api-gateway', onTarget);
    await system.start('allocator', onTarget);
    await system.start('dataplane-executor', { ...onTarget, NODE_NAME: 'node-a' });
    const rebases = await queryAt<{ base: string; highest_stored: string }>(
      targetUrl,
      'SELECT base::text AS base, highest_stored::text AS highest_stored FROM natgw_commit_order_rebases',
    );
    expect(rebases).toEqual([{ base: String(BigInt(high) + 1n), highest_stored: high }]);

    // Reads of restored objects work, and a new NIC gets the next slot.
    const api2 = await apiBase();
    expect((await http('GET', `${api2}/natgateways/gw`)).status).toBe(200);
    const nic2 = manifests.nic('nic-2', 'net', ['10.0.0.2'], { nodeName: 'node-a' });
    expect((await http('POST', `${api2}/networkinterfaces`, nic2)).status).toBe(201);
    const slot2 = await slotOf('nic-2');
    expect(slot2.ip).toBe(slot1.ip);
    expect(slot2.port).toBe(slot1.endPort + 1);
    // A write to a restored object: optimistic concurrency on the restored versions (a
    // status change in between answers 409: read again and retry).
    await eventually(
      async () => {
        const gw = (await http('GET', `${api2}/natgateways/gw`)).body as {
          metadata: { labels?: Record<string, string> };
        };
        gw.metadata.labels = { restored: 'yes' };
        const put = await http('PUT', `${api2}/natgateways/gw`, gw);
        if (put.status !== 200 && put.status !== 409)
          throw new Error(`PUT answered ${put.status}: ${JSON.stringify(put.body)}`);
        return put.status === 200;
      },
      { what: 'a label added to the restored gateway' },
    );

    // 4. The audit lookups: the instant before the dump answers as it did; now shows nic-2.
    const lookupAfter = await natlookup(slot1.ip, slot1.port, before);
    expect(lookupAfter).toEqual(lookupBefore);
    const now = await natlookup(slot2.ip, slot2.port, new Date().toISOString());
    expect(now.status).toBe(200);
    expect(JSON.stringify(now.body)).toContain('nic-2');

    // 5. The log: the restored events first, in their order, then the new ones after them.
    await eventually(
      async () =>
        (
          await laggingCheckpoints(
            (sql, params) => queryAt(targetUrl, sql, params),
            settledCheckpoints(system.nats.stream),
          )
        ).length === 0,
      { what: 'every reader at the end of the restored log' },
    );
    await Promise.all(system.services.map((s) => s.kill('SIGTERM')));
    const log = await readWholeLog(targetUrl);
    expect(log.slice(0, sourceLog.length).map((e) => e.id)).toEqual(sourceLog.map((e) => e.id));
    const added = log.slice(sourceLog.length);
    expect(added.map((e) => e.type)).toEqual(
      expect.arrayContaining(['NetworkInterfaceCreated', 'NATSlotAssigned', 'NATGatewayUpdated']),
    );
    for (const e of added) expect(BigInt(e.transactionId)).toBeGreaterThan(BigInt(high));
    const query: QueryFn = (sql, params) => queryAt(targetUrl, sql, params);
    expect(await logIntegrityProblems(query)).toEqual([]);
    const rebuilt = await projectionRebuildProblems(targetUrl, query);
    expect(rebuilt.problems).toEqual([]);
  });
});
