// Group commit of pool claims (issue 14) on a real database: two allocator instances, each
// reconciling many networks at once (so claims share batches), race for one small pool. The
// oracle replays the raw log in commit order by the allocation rules: an address is claimed by
// one gateway at a time; a gateway uses (NATGatewayIPAssigned, NATSlotAssigned) only addresses
// it has claimed before; no two live slots on an address overlap; every NIC ends with a slot.
// New gateways below their minimum go to a batch at once; one at its minimum that needs
// another address finds that in a transaction of its own first. A gateway whose every append fails (a trigger refuses its allocation stream) fails alone:
// the batch it shared is redone gateway by gateway and the others are allocated.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { openDatabase, PostgresEventStore, ProjectionRunner } from '@natgw/event-store';
import { ClaimStreams, ResourceProjection } from '@natgw/projections';
import { NATGW_SCHEMA } from '@natgw/schema';
import { createTestDatabase, dropTestDatabase } from '@natgw/testing';
import {
  allocationStreamId,
  NetworkKey,
  ReconcileNetwork,
} from '../../apps/allocator/src/allocation/reconcile-network';
import { seedDefaultPool } from '../../apps/allocator/src/pools/seed-pools';
import { allocatorCaches } from '../../apps/allocator/src/state/allocator-caches';

jest.setTimeout(240_000);

const NETWORKS = 24;
const NICS = 5;
/** 64512 / 16384: 3 slots an address, so each gateway with 5 NICs claims 2 addresses. */
const PPNI = 16384;
const POOL = '198.51.100.0/25';
const FINALIZER = 'natgw.ironcore.dev/allocation';

interface LogRow {
  stream_id: string;
  type: string;
  data: Record<string, unknown>;
  transaction_id: string;
}

function created(kind: string, namespace: string, name: string, spec: Record<string, unknown>) {
  const uid = randomUUID();
  return {
    uid,
    event: {
      type: `${kind}Created`,
      data: {
        uid,
        namespace,
        name,
        labels: {},
        annotations: {},
        finalizers: kind === 'Network' ? [] : [FINALIZER],
        spec,
        generation: 1,
        creationTimestamp: '2026-12-07T10:00:00Z',
      },
      metadata: { source: '/natgw/test' },
    },
  };
}

/** Replays the log by the rules; returns the problems found and each gateway's live slots. */
function replay(rows: LogRow[]): { problems: string[]; slots: Map<string, Set<string>> } {
  const problems: string[] = [];
  const claimedBy = new Map<string, string>();
  const live = new Map<string, { gw: string; nic: string; port: number; endPort: number }>();
  const slots = new Map<string, Set<string>>();
  const key = (ip: string, port: number) => `${ip}:${port}`;
  for (const { type, data } of rows) {
    const ip = data.ip as string;
    const gw = data.gatewayUid as string;
    if (type === 'PublicIPClaimed') {
      if (claimedBy.has(ip))
        problems.push(`${ip} claimed by ${gw} while ${claimedBy.get(ip)} holds it`);
      claimedBy.set(ip, gw);
    } else if (type === 'PublicIPReleased') {
      if (claimedBy.get(ip) !== gw) problems.push(`${ip} released by ${gw}, not its holder`);
      claimedBy.delete(ip);
    } else if (type === 'NATGatewayIPAssigned') {
      if (claimedBy.get(ip) !== gw) problems.push(`${gw} took ${ip} before claiming it`);
    } else if (type === 'NATSlotAssigned') {
      const port = data.port as number;
      const endPort = data.endPort as number;
      const nic = data.nicUid as string;
      if (claimedBy.get(ip) !== gw) problems.push(`${gw} slotted ${nic} on unclaimed ${ip}`);
      for (const [k, s] of live)
        if (k.startsWith(`${ip}:`) && s.port <= endPort && port <= s.endPort)
          problems.push(
            `${nic} on ${ip} ${port}-${endPort} overlaps ${s.nic}'s ${s.port}-${s.endPort}`,
          );
      live.set(key(ip, port), { gw, nic, port, endPort });
      slots.set(gw, new Set([...(slots.get(gw) ?? []), nic]));
    } else if (type === 'NATSlotReleased') {
      live.delete(key(ip, data.port as number));
      slots.get(gw)?.delete(data.nicUid as string);
    }
  }
  return { problems, slots };
}

describe('group commit of pool claims, two allocators racing on one pool', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  const networks: Array<{ key: NetworkKey; gatewayUid: string; nicUids: string[] }> = [];

  function allocator(): ReconcileNetwork {
    const caches = allocatorCaches(store);
    return new ReconcileNetwork(
      ds,
      store,
      caches.pools,
      caches.allocations,
      { minPublicIPs: 1, maxPublicIPs: 4 },
      64,
    );
  }

  /** Reconciles every network, `width` at a time, in a shuffled order; the outcome of each. */
  async function reconcileAll(instance: ReconcileNetwork, width: number) {
    const order = [...networks].sort(() => Math.random() - 0.5);
    const outcomes = new Map<string, PromiseSettledResult<unknown>>();
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        for (let i = next++; i < order.length; i = next++) {
          const [outcome] = await Promise.allSettled([instance.run(order[i].key)]);
          outcomes.set(order[i].key.network, outcome);
        }
      }),
    );
    return outcomes;
  }

  async function log(): Promise<LogRow[]> {
    return ds.query(
      `SELECT stream_id, type, data, transaction_id::text AS transaction_id FROM natgw_events
        ORDER BY transaction_id, global_position`,
    );
  }

  /** NIC creates of network n, numbered from `first`, and their stream appends. */
  function nicsOf(n: number, first: number, count: number) {
    const namespace = `ns-${n % 3}`;
    const name = `net-${n}`;
    const nics = Array.from({ length: count }, (_, k) => {
      const i = first + k;
      return {
        streamId: `networkinterface:${namespace}/nic-${n}-${i}`,
        ...created('NetworkInterface', namespace, `nic-${n}-${i}`, {
          networkRef: { name },
          ips: [`10.0.${n}.${i + 1}`],
          nodeName: 'node-1',
        }),
      };
    });
    return {
      uids: nics.map((nic) => nic.uid),
      appends: nics.map((nic) => ({
        streamId: nic.streamId,
        events: [nic.event],
        expectedVersion: 'no-stream' as const,
      })),
    };
  }

  /** Applies the log to the `resources` read model until it holds `objects` objects. */
  async function catchUpReadModel(objects: number): Promise<void> {
    const runner = new ProjectionRunner(ds, store, new ResourceProjection());
    while (
      (await runner.catchUp()) > 0 ||
      (await ds.query(`SELECT count(*)::int AS n FROM natgw_resources`))[0].n < objects
    ) {
      /* loop until every object is in the read model */
    }
  }

  beforeAll(async () => {
    url = await createTestDatabase('claim_batch');
    ds = await openDatabase({ url, ...NATGW_SCHEMA, poolSize: 24 });
    store = new PostgresEventStore(ds);
    await seedDefaultPool(ds, store, allocatorCaches(store).pools, [POOL]);
    const claims = new ClaimStreams(store);
    for (let n = 0; n < NETWORKS; n++) {
      const namespace = `ns-${n % 3}`;
      const name = `net-${n}`;
      const network = created('Network', namespace, name, { vni: 1000 + n });
      const gateway = created('NATGateway', namespace, `gw-${n}`, {
        type: 'Public',
        ipFamily: 'IPv4',
        portsPerNetworkInterface: PPNI,
        networkRef: { name },
      });
      const nics = nicsOf(n, 0, NICS);
      await ds.transaction((manager) =>
        store.appendToStreams(
          [
            {
              streamId: `network:${namespace}/${name}`,
              events: [network.event],
              expectedVersion: 'no-stream',
            },
            claims.claimVni(
              { uid: network.uid, namespace, name, vni: 1000 + n },
              'no-stream',
              network.event.metadata,
            ),
            {
              streamId: `natgateway:${namespace}/gw-${n}`,
              events: [gateway.event],
              expectedVersion: 'no-stream',
            },
            ...nics.appends,
          ],
          manager,
        ),
      );
      networks.push({
        key: { namespace, network: name },
        gatewayUid: gateway.uid,
        nicUids: nics.uids,
      });
    }
    await catchUpReadModel(NETWORKS * (2 + NICS));
  });

  afterAll(async () => {
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  it('claims each address once, slots every NIC on its own claimed ports, and batches claims', async () => {
    const bad = networks[7];
    // A gateway whose allocation can never be written: every append to its stream is refused.
    await ds.query(`
      CREATE FUNCTION refuse_bad_allocation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused for the test: %', NEW.stream_id; END $$`);
    await ds.query(
      `CREATE TRIGGER refuse_bad_allocation BEFORE INSERT ON natgw_events FOR EACH ROW
        WHEN (NEW.stream_id = '${allocationStreamId(bad.gatewayUid)}')
        EXECUTE FUNCTION refuse_bad_allocation()`,
    );
    const [a, b] = await Promise.all([reconcileAll(allocator(), 8), reconcileAll(allocator(), 8)]);
    for (const outcomes of [a, b])
      for (const { key } of networks) {
        const outcome = outcomes.get(key.network);
        if (key.network === bad.key.network) {
          expect(outcome?.status).toBe('rejected');
          expect(String((outcome as PromiseRejectedResult).reason)).toContain(
            'refused for the test',
          );
        } else expect(outcome?.status).toBe('fulfilled');
      }

    const rows = await log();
    const { problems, slots } = replay(rows);
    expect(problems).toEqual([]);
    for (const n of networks) {
      const held = slots.get(n.gatewayUid) ?? new Set();
      if (n === bad) expect(held.size).toBe(0);
      else expect([...held].sort()).toEqual([...n.nicUids].sort());
    }
    // The bad gateway holds no address either: its claims were in transactions that failed.
    expect(rows.filter((r) => r.data.gatewayUid === bad.gatewayUid)).toEqual([]);
    // Group commit happened: some transaction claimed for several gateways, its claims first.
    const byTransaction = new Map<string, LogRow[]>();
    for (const r of rows)
      byTransaction.set(r.transaction_id, [...(byTransaction.get(r.transaction_id) ?? []), r]);
    const batched = [...byTransaction.values()].filter(
      (t) =>
        new Set(t.filter((r) => r.type === 'PublicIPClaimed').map((r) => r.data.gatewayUid)).size >
        1,
    );
    expect(batched.length).toBeGreaterThan(0);
    for (const t of batched) {
      const lastClaim = t.map((r) => r.type).lastIndexOf('PublicIPClaimed');
      const firstUse = t.findIndex((r) => r.stream_id.startsWith('allocation:'));
      expect(lastClaim).toBeLessThan(firstUse);
    }

    // A second pass of both changes nothing: the allocation is level-triggered and complete.
    const before = rows.length;
    await ds.query(`DROP TRIGGER refuse_bad_allocation ON natgw_events`);
    await Promise.all([reconcileAll(allocator(), 8), reconcileAll(allocator(), 8)]);
    const after = await log();
    const again = replay(after);
    expect(again.problems).toEqual([]);
    // Only the once-refused gateway was allocated now.
    expect(after.slice(before).every((r) => r.data.gatewayUid === bad.gatewayUid)).toBe(true);
    expect([...(again.slots.get(bad.gatewayUid) ?? [])].sort()).toEqual([...bad.nicUids].sort());

    // Two more NICs in every network: each gateway, at its minimum already, needs a third
    // address; its reconcile finds that in its own transaction first and then joins a batch.
    for (let n = 0; n < NETWORKS; n++) {
      const more = nicsOf(n, NICS, 2);
      await ds.transaction((manager) => store.appendToStreams(more.appends, manager));
      networks[n].nicUids.push(...more.uids);
    }
    await catchUpReadModel(NETWORKS * (2 + NICS + 2));
    const outcomes = await Promise.all([
      reconcileAll(allocator(), 8),
      reconcileAll(allocator(), 8),
    ]);
    for (const o of outcomes)
      expect([...o.values()].filter((r) => r.status === 'rejected')).toEqual([]);
    const grown = await log();
    const third = replay(grown);
    expect(third.problems).toEqual([]);
    for (const n of networks)
      expect([...(third.slots.get(n.gatewayUid) ?? [])].sort()).toEqual([...n.nicUids].sort());
    const claimsIn = new Map<string, Set<unknown>>();
    for (const r of grown.slice(after.length))
      if (r.type === 'PublicIPClaimed')
        claimsIn.set(
          r.transaction_id,
          (claimsIn.get(r.transaction_id) ?? new Set()).add(r.data.gatewayUid),
        );
    expect([...claimsIn.values()].some((gateways) => gateways.size > 1)).toBe(true);
  });
});
