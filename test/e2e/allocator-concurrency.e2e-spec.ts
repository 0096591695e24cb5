import { openDatabase, PostgresEventStore, rebuildProjection } from '@natgw/event-store';
import { NatSlotsProjection, ResourceProjection } from '@natgw/projections';
import { eventually } from '@natgw/testing';
import {
  allocationFingerprint,
  allocationProblems,
  allocationSnapshot,
} from './support/allocation-invariants';
import { http, manifests, NatgwSystem } from './support/natgw-system';
import { NATGW_SCHEMA } from '@natgw/schema';

jest.setTimeout(300_000);

describe('two allocator processes under 500 concurrent creations and deletions', () => {
  let system: NatgwSystem;

  beforeAll(async () => {
    system = await NatgwSystem.create('allocator_concurrency', {
      PUBLIC_PREFIXES: '203.0.113.0/24',
    });
    await system.start('api-gateway');
    await Promise.all([system.start('allocator'), system.start('allocator')]);
  });

  afterAll(async () => {
    await system?.destroy();
  });

  it('never shares an address or a port, and serves every eligible NIC', async () => {
    const namespaces = ['n0', 'n1', 'n2', 'n3', 'n4'];
    const base = await system.api('x');
    const url = (ns: string, plural: string, name = '') =>
      `${base.replace('/namespaces/x', `/namespaces/${ns}`)}/${plural}${name ? `/${name}` : ''}`;
    for (const ns of namespaces) {
      expect((await http('POST', url(ns, 'networks'), manifests.network('net'))).status).toBe(201);
    }
    // 500 operations from 25 concurrent clients: gateways (4096 ports: 15 NICs per IP),
    // NICs, and deletions of both, interleaved.
    const ops: Array<() => Promise<number>> = [];
    for (let i = 0; i < 500; i++) {
      const ns = namespaces[i % namespaces.length];
      const k = Math.floor(i / namespaces.length);
      if (k % 25 === 0) {
        ops.push(
          async () =>
            (await http('POST', url(ns, 'natgateways'), manifests.gateway(`gw-${k}`, 'net', 4096)))
              .status,
        );
      } else if (k % 25 === 24) {
        ops.push(async () => (await http('DELETE', url(ns, 'natgateways', `gw-${k - 24}`))).status);
      } else if (k % 7 === 6) {
        ops.push(
          async () => (await http('DELETE', url(ns, 'networkinterfaces', `vm-${k - 3}`))).status,
        );
      } else {
        ops.push(
          async () =>
            (
              await http(
                'POST',
                url(ns, 'networkinterfaces'),
                manifests.nic(`vm-${k}`, 'net', [`10.9.${k}.${i % 250}`]),
              )
            ).status,
        );
      }
    }
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (next < ops.length) statuses.push(await ops[next++]());
      }),
    );
    expect(statuses).toHaveLength(500);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    let last = '';
    await eventually(
      async () => {
        const s = await allocationSnapshot((sql, params) => system.query(sql, params));
        const problems = allocationProblems(s);
        const fingerprint = allocationFingerprint(s);
        const stable = problems.length === 0 && fingerprint === last;
        last = fingerprint;
        if (problems.length > 0) throw new Error(problems.slice(0, 5).join('; '));
        return stable;
      },
      { timeoutMs: 120_000, intervalMs: 1000, what: 'allocation invariants' },
    );
    // Replaying the log gives the live state: the slots folded from the allocation
    // streams equal the nat-slots read model the executors program from...
    const replayed = [
      ...(
        await allocationSnapshot((sql, params) => system.query(sql, params))
      ).allocations.entries(),
    ]
      .filter(([, a]) => a.status === 'open')
      .flatMap(([gw, a]) =>
        [...a.slots.values()].map((x) => `${gw} ${x.nicUid} ${x.ip} ${x.port}-${x.endPort}`),
      )
      .sort();
    const live = (
      await system.query<{ row: string }>(
        `SELECT gateway_uid || ' ' || nic_uid || ' ' || nat_ip || ' ' || port || '-' || end_port AS row FROM natgw_nat_slots`,
      )
    )
      .map((r) => r.row)
      .sort();
    expect(live).toEqual(replayed);
    // ...and rebuilding every read model from the log reproduces it exactly.
    const readModels = async () => ({
      objects: await system.query<{ key: string; body: unknown }>(
        `SELECT kind || '/' || namespace || '/' || name AS key,
                  (object #- '{metadata,resourceVersion}') AS body FROM natgw_resources ORDER BY 1`,
      ),
      slots: live,
    });
    const before = await readModels();
    const ds = await openDatabase({ url: system.databaseUrl, ...NATGW_SCHEMA });
    try {
      const store = new PostgresEventStore(ds);
      await rebuildProjection(ds, store, new ResourceProjection());
      await rebuildProjection(ds, store, new NatSlotsProjection());
    } finally {
      await ds.destroy();
    }
    const after = await readModels();
    after.slots = (
      await system.query<{ row: string }>(
        `SELECT gateway_uid || ' ' || nic_uid || ' ' || nat_ip || ' ' || port || '-' || end_port AS row FROM natgw_nat_slots`,
      )
    )
      .map((r) => r.row)
      .sort();
    expect(after).toEqual(before);
    // The invariants held over real decisions, not an empty log.
    const decided = await system.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM natgw_events WHERE stream_id LIKE 'allocation:%'`,
    );
    expect(decided[0].n).toBeGreaterThan(0);
  });
});
