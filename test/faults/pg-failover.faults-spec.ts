// PostgreSQL failover under writes, for real: a primary with a synchronous streaming replica
// (pg_basebackup), and every client (services, this test) behind one stable endpoint, haproxy
// with a primary check, as Patroni behind HAProxy or CloudNativePG's -rw Service give in
// production. While clients create NICs, the primary crashes (pg_ctl stop -m immediate) and
// the replica is promoted; the endpoint moves to it.
//
// Must hold: clients only ever see 201, or 503 with Retry-After while the database is away
// (never 500); every acknowledged create is in the log exactly once (synchronous replication
// loses nothing acknowledged); the relay, the consumers and the projections resume: every
// event reaches JetStream exactly once, nothing is dead-lettered, every acknowledged NIC gets
// its slot, the read models equal their rebuild and the allocation invariants hold.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  eventually,
  haproxyAvailable,
  PrimaryEndpoint,
  PrivatePostgresServer,
  sleep,
  type ServiceProcess,
} from '@natgw/testing';
import { readWholeStream } from '../integration/nats-stream-reader';
import {
  allocationProblems,
  allocationSnapshot,
  type QueryFn,
} from '../e2e/support/allocation-invariants';
import { http, manifests, NatgwSystem } from '../e2e/support/natgw-system';
import {
  laggingCheckpoints,
  logIntegrityProblems,
  projectionRebuildProblems,
  settledCheckpoints,
} from '../e2e/support/system-checks';

jest.setTimeout(300_000);

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const WRITERS = 3;

interface Outcome {
  name: string;
  /** When the create was acknowledged (201, or 409 after an unanswered attempt). */
  ackedAt?: number;
  statuses: number[];
}

// About a minute (two PostgreSQL servers, three services, ~10 s of writes): part of
// `npm run test:faults` (the faults project), not of `npm test`.

describe('PostgreSQL failover behind one endpoint (synchronous replica, haproxy)', () => {
  let primary: PrivatePostgresServer;
  let replica: PrivatePostgresServer;
  let endpoint: PrimaryEndpoint;
  let system: NatgwSystem;
  let gateway: ServiceProcess;
  const violations: string[] = [];

  beforeAll(async () => {
    if (!haproxyAvailable())
      throw new Error('haproxy is not installed: apt-get install -y haproxy (Debian)');
    primary = await PrivatePostgresServer.start({
      synchronous_standby_names: 'replica1',
      synchronous_commit: 'on',
    });
    replica = await primary.startReplica('replica1');
    endpoint = await PrimaryEndpoint.start([primary, replica]);
    await endpoint.waitForPrimary();
    system = await NatgwSystem.create('pg_failover', {}, endpoint.url());
  });

  afterAll(async () => {
    await system?.destroy();
    await endpoint?.stop();
    await replica?.destroy();
    await primary?.destroy();
  });

  const apiBase = async () =>
    `${await gateway.url}/apis/networking.ironcore.dev/v1alpha1/namespaces/default`;
  const query: QueryFn = async (sql, params) => system.query(sql, params);

  /** Creates one NIC until a definite answer, recording what the client saw. */
  async function createUntilAnswered(name: string, ip: string): Promise<Outcome> {
    const outcome: Outcome = { name, statuses: [] };
    const body = JSON.stringify(manifests.nic(name, 'net', [ip], { nodeName: 'node-a' }));
    for (let attempt = 0; attempt < 100; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${await apiBase()}/networkinterfaces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.text();
      } catch (err) {
        violations.push(`${name}: no HTTP answer (${(err as Error).message})`);
        return outcome;
      }
      outcome.statuses.push(res.status);
      if (res.status === 201 || (res.status === 409 && attempt > 0)) {
        outcome.ackedAt = Date.now();
        return outcome;
      }
      if (res.status !== 503) {
        violations.push(`${name}: answered ${res.status} on attempt ${attempt + 1}`);
        return outcome;
      }
      const retryAfter = Number(res.headers.get('retry-after'));
      if (!(retryAfter > 0)) violations.push(`${name}: 503 without Retry-After`);
      await sleep(Math.min(retryAfter || 1, 1) * 500);
    }
    violations.push(`${name}: still 503 after 100 attempts`);
    return outcome;
  }

  it('moves every client to the promoted replica and loses nothing acknowledged', async () => {
    gateway = await system.start('api-gateway');
    await system.start('allocator');
    await system.start('dataplane-executor', { NODE_NAME: 'node-a' });
    const api = await apiBase();
    expect((await http('POST', `${api}/networks`, manifests.network('net'))).status).toBe(201);
    expect(
      (await http('POST', `${api}/natgateways`, manifests.gateway('gw', 'net', 64))).status,
    ).toBe(201);

    // Writers run through the whole failover.
    let writing = true;
    const outcomes: Outcome[] = [];
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; writing; i++) {
        outcomes.push(await createUntilAnswered(`nic-${w}-${i}`, `10.${w}.${i >> 8}.${i & 255}`));
      }
    });
    await sleep(3_000);
    const failoverAt = Date.now();
    await primary.stop('immediate');
    await sleep(1_500);
    await replica.promote();
    const promotedAt = Date.now();
    await endpoint.waitForPrimary();
    await sleep(6_000);
    writing = false;
    await Promise.all(writers);

    // The endpoint leads to the former replica now.
    const [{ port }] = await query<{ port: number }>('SELECT inet_server_port() AS port');
    expect(port).toBe(replica.port);

    expect(violations).toEqual([]);
    const acked = outcomes.filter((o) => o.ackedAt !== undefined);
    expect(acked.filter((o) => o.ackedAt! < failoverAt).length).toBeGreaterThan(0);
    expect(acked.filter((o) => o.ackedAt! > promotedAt).length).toBeGreaterThan(0);
    const unavailable = outcomes.flatMap((o) => o.statuses).filter((s) => s === 503).length;

    // Every acknowledged create is in the log once; nothing else was created.
    const created = await query<{ stream_id: string; n: number }>(
      `SELECT stream_id, count(*)::int AS n FROM natgw_events
        WHERE type = 'NetworkInterfaceCreated' GROUP BY stream_id`,
    );
    const inLog = new Map(created.map((r) => [r.stream_id, r.n]));
    for (const o of acked)
      expect([o.name, inLog.get(`networkinterface:default/${o.name}`)]).toEqual([o.name, 1]);
    expect(inLog.size).toBe(acked.length);

    // The allocator, the relay and the projections resumed: every NIC gets its slot.
    await eventually(
      async () => {
        const [{ n }] = await query<{ n: number }>(
          `SELECT count(DISTINCT nic_uid)::int AS n FROM natgw_nat_slots`,
        );
        return n === acked.length;
      },
      { what: `${acked.length} NAT slots`, timeoutMs: 90_000 },
    );
    await eventually(
      async () =>
        (await laggingCheckpoints(query, settledCheckpoints(system.nats.stream))).length === 0,
      { what: 'every reader at the end of the log', timeoutMs: 60_000 },
    );
    await Promise.all(system.services.map((s) => s.kill('SIGTERM')));

    expect(await logIntegrityProblems(query)).toEqual([]);
    expect(allocationProblems(await allocationSnapshot(query))).toEqual([]);
    const rebuilt = await projectionRebuildProblems(system.databaseUrl, query);
    expect(rebuilt.problems).toEqual([]);
    const [{ dead }] = await query<{ dead: number }>(
      `SELECT count(*)::int AS dead FROM natgw_events WHERE type = 'MessageDeadLettered'`,
    );
    expect(dead).toBe(0);

    // JetStream holds every event of the log exactly once.
    const nc = await connect({ servers: NATS_URL, name: 'pg-failover-e2e' });
    try {
      const stored = await readWholeStream(
        await jetstreamManager(nc),
        jetstream(nc),
        system.nats.stream,
      );
      const ids = stored.map((m) => m.msgId);
      expect(new Set(ids).size).toBe(ids.length);
      const logIds = await query<{ id: string }>('SELECT event_id::text AS id FROM natgw_events');
      expect(new Set(ids)).toEqual(new Set(logIds.map((r) => r.id)));
    } finally {
      await nc.close();
    }
    console.log(
      `pg-failover: ${acked.length} creates acknowledged (${acked.filter((o) => o.ackedAt! > promotedAt).length} after the promotion), ${unavailable} answers 503 with Retry-After, promotion after ${promotedAt - failoverAt} ms`,
    );
  });
});
