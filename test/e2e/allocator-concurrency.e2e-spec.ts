import {
  AllocationEvent,
  AllocationState,
  eligibleNicsByGateway,
  foldPool,
  initialIpPoolState,
  IpPoolEvent,
  replayAllocation,
} from '@natgw/domain';
import { openDatabase, PostgresEventStore, rebuildProjection } from '@natgw/event-store';
import { NATGW_SCHEMA, NatSlotsProjection, ResourceProjection } from '@natgw/projections';
import { eventually } from '@natgw/testing';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(300_000);

interface EventRow {
  stream_id: string;
  type: string;
  data: Record<string, unknown>;
}

interface ResourceRow {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  object: { metadata: Record<string, unknown>; spec: Record<string, unknown> };
}

/** Everything the invariants look at, straight from the log and the read model. */
async function snapshot(system: NatgwSystem) {
  const events = await system.query<EventRow>(
    `SELECT stream_id, type, data FROM natgw_events
      WHERE stream_id LIKE 'allocation:%' OR stream_id LIKE 'ippool:%' ORDER BY stream_id, version`,
  );
  const allocations = new Map<string, AllocationState>();
  const byStream = new Map<string, EventRow[]>();
  for (const e of events) byStream.set(e.stream_id, [...(byStream.get(e.stream_id) ?? []), e]);
  let claims = new Map<string, string>();
  for (const [stream, rows] of byStream) {
    if (stream.startsWith('allocation:')) {
      allocations.set(
        stream.slice('allocation:'.length),
        replayAllocation(rows as unknown as AllocationEvent[]),
      );
    } else {
      claims = new Map([
        ...claims,
        ...foldPool(initialIpPoolState(), rows as unknown as IpPoolEvent[]).claims,
      ]);
    }
  }
  const resources = await system.query<ResourceRow>(
    `SELECT kind, namespace, name, uid::text AS uid, object FROM natgw_resources`,
  );
  return { allocations, claims, resources };
}

function invariants(s: Awaited<ReturnType<typeof snapshot>>): string[] {
  const problems: string[] = [];
  const ports = new Map<string, string>();
  const ipOwner = new Map<string, string>();
  const live = new Set(s.resources.filter((r) => r.kind === 'NATGateway').map((r) => r.uid));
  for (const [uid, state] of s.allocations) {
    if (state.status === 'closed') continue;
    if (!live.has(uid)) problems.push(`gateway ${uid} is gone but its allocation is open`);
    for (const ip of state.ips) {
      if (ipOwner.has(ip)) problems.push(`${ip} held by ${ipOwner.get(ip)} and ${uid}`);
      ipOwner.set(ip, uid);
      if (s.claims.get(ip) !== uid)
        problems.push(`${ip} held by ${uid} but claimed by ${s.claims.get(ip)}`);
    }
    for (const slot of state.slots.values()) {
      for (let p = slot.port; p <= slot.endPort; p += 512) {
        const key = `${slot.ip}:${p}`;
        if (ports.has(key)) problems.push(`${key} belongs to ${ports.get(key)} and ${slot.nicUid}`);
        ports.set(key, slot.nicUid);
      }
    }
  }
  for (const [ip, uid] of s.claims) {
    if (!ipOwner.has(ip)) problems.push(`${ip} claimed by ${uid} but held by no open allocation`);
  }
  const gateways = s.resources
    .filter((r) => r.kind === 'NATGateway')
    .map((r) => ({
      uid: r.uid,
      namespace: r.namespace,
      name: r.name,
      networkName: (r.object.spec.networkRef as { name: string }).name,
      ipFamily: r.object.spec.ipFamily as 'IPv4',
      portsPerNetworkInterface: r.object.spec.portsPerNetworkInterface as number,
      createdAt: r.object.metadata.creationTimestamp as string,
      deleting: r.object.metadata.deletionTimestamp !== undefined,
    }));
  const nics = s.resources
    .filter((r) => r.kind === 'NetworkInterface')
    .map((r) => ({
      uid: r.uid,
      namespace: r.namespace,
      name: r.name,
      networkName: (r.object.spec.networkRef as { name: string }).name,
      ips: r.object.spec.ips as string[],
      createdAt: r.object.metadata.creationTimestamp as string,
      deleting: r.object.metadata.deletionTimestamp !== undefined,
    }));
  for (const [gatewayUid, eligible] of eligibleNicsByGateway(gateways, nics)) {
    const state = s.allocations.get(gatewayUid);
    for (const nic of eligible) {
      if (!state?.slots.has(nic.uid))
        problems.push(`eligible NIC ${nic.namespace}/${nic.name} has no slot`);
    }
  }
  const deleting = s.resources.filter((r) => r.object.metadata.deletionTimestamp !== undefined);
  for (const r of deleting)
    problems.push(`${r.kind} ${r.namespace}/${r.name} is still being deleted`);
  return problems;
}

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
        const s = await snapshot(system);
        const problems = invariants(s);
        const fingerprint = JSON.stringify(
          [...s.allocations.entries()].map(([u, a]) => [u, a.ips, [...a.slots.keys()]]),
        );
        const stable = problems.length === 0 && fingerprint === last;
        last = fingerprint;
        if (problems.length > 0) throw new Error(problems.slice(0, 5).join('; '));
        return stable;
      },
      { timeoutMs: 120_000, intervalMs: 1000, what: 'allocation invariants' },
    );
    // Replaying the log gives the live state: the slots folded from the allocation
    // streams equal the nat-slots read model the executors program from...
    const replayed = [...(await snapshot(system)).allocations.entries()]
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
