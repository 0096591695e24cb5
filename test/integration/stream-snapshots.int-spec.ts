// Write-side stream snapshots and their prune (issue 19.4) on a real database: a gateway with
// a long history of NICs that come and go (each takes and gives back a public IP: one slot per
// IP), snapshots of its allocation and pool streams, then log:prune. Oracles: the audit answers
// (natlookup for every address of the pool, nattable?at=) at instants inside the window, taken
// from the unpruned log, and the NICs this test knows held a slot at each instant; the pool and
// allocation folded from every event before the prune. After it: the same answers, 410 before
// the window, a restarted allocator (with its snapshots, and with them deleted) folds the same
// state and allocates a new NIC an address nobody holds.
import request from 'supertest';
import {
  AllocationState,
  foldAllocation,
  foldPool,
  initialAllocationState,
  initialIpPoolState,
  IpPoolState,
} from '@natgw/domain';
import { pruneLog, readLogRetention, StreamSnapshotStore } from '@natgw/event-store';
import {
  AllocationHistoryReader,
  NatSlotsProjection,
  ResourceProjection,
} from '@natgw/projections';
import { eventually } from '@natgw/testing';
import { ApiError } from '../../apps/api-gateway/src/http/api-error';
import { GetNatTableAt } from '../../apps/api-gateway/src/audit/nat-table-at';
import { NatLookup } from '../../apps/api-gateway/src/audit/nat-lookup';
import {
  allocationStreamId,
  ReconcileNetwork,
} from '../../apps/allocator/src/allocation/reconcile-network';
import { poolStreamId } from '../../apps/allocator/src/pools/pool-book';
import { seedDefaultPool } from '../../apps/allocator/src/pools/seed-pools';
import { allocatorCaches, AllocatorCaches } from '../../apps/allocator/src/state/allocator-caches';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(600_000);

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'snap';
const KEY = { namespace: NS, network: 'net' };
const POOL = '198.51.100.0/28';
const POOL_IPS = Array.from({ length: 16 }, (_, i) => `198.51.100.${i}`);
const OLD_CYCLES = 30;
const SNAPSHOT_EVERY = 20;
/**
 * How long a wait for the read model may take: a transaction left open elsewhere on a shared
 * server holds the log's visibility horizon (and so every projection) back meanwhile.
 */
const PATIENCE = { timeoutMs: 180_000, intervalMs: 100 };

/** Maps as ordered entries, bigints as text: two folds are the same state when these are equal. */
function ordered(state: unknown): string {
  return JSON.stringify(state, (_k, v: unknown) =>
    v instanceof Map ? { entries: [...v] } : typeof v === 'bigint' ? `${v}n` : v,
  );
}

describe('stream snapshots and log:prune of pool and allocation streams', () => {
  let api: TestApi;
  let gwUid: string;
  let window: Date;
  /** Instants inside the window, and the NIC names that held a slot then (this test's bookkeeping). */
  const instants: Array<{ at: Date; nics: string[] }> = [];
  let answersBefore: unknown[];
  let poolBefore: string;
  let allocationBefore: string;
  let caches: AllocatorCaches;

  const url = (plural: string, name = '') =>
    `${API}/namespaces/${NS}/${plural}${name ? `/${name}` : ''}`;
  const snapshots = () => new StreamSnapshotStore(api.dataSource);
  const allocator = (c: AllocatorCaches) =>
    new ReconcileNetwork(
      api.dataSource,
      api.store,
      c.pools,
      c.allocations,
      { minPublicIPs: 1, maxPublicIPs: 8 },
      64,
    );
  const snapshotting = () =>
    allocatorCaches(api.store, { store: snapshots(), every: SNAPSHOT_EVERY });

  /** A POST that a loaded machine may answer 503 (recorded, read model behind): read until it shows. */
  async function post(plural: string, body: Body): Promise<Body> {
    const res = await request(api.url)
      .post(url(plural))
      .send({ apiVersion: 'networking.ironcore.dev/v1alpha1', ...body });
    if (res.status !== 503) {
      expect(res.status).toBe(201);
      return res.body as Body;
    }
    return eventually(
      async () => {
        const again = await request(api.url).get(url(plural, body.metadata.name));
        return again.status === 200 ? (again.body as Body) : undefined;
      },
      { ...PATIENCE, what: `${plural}/${body.metadata.name} after a 503` },
    );
  }

  const foldedAllocation = async (): Promise<AllocationState> =>
    foldAllocation(
      initialAllocationState(),
      (await api.store.readStream(allocationStreamId(gwUid))) as never,
    );
  const foldedPool = async (): Promise<IpPoolState> =>
    foldPool(initialIpPoolState(), (await api.store.readStream(poolStreamId('default'))) as never);

  /** The NIC names with a slot, from the allocation stream. */
  const slotted = async () =>
    [...(await foldedAllocation()).slots.values()].map((s) => s.nicName).sort();

  /** Creates a NIC and reconciles until it has a slot. */
  async function addNic(name: string, ip: string, c = caches): Promise<void> {
    await post('networkinterfaces', {
      kind: 'NetworkInterface',
      metadata: { name },
      spec: { networkRef: { name: 'net' }, ips: [ip], nodeName: 'node-1' },
    });
    await eventually(
      async () => {
        await allocator(c).run(KEY);
        return (await slotted()).includes(name);
      },
      { ...PATIENCE, what: `a slot for ${name}` },
    );
  }

  /** Deletes a NIC and reconciles until its slot is released and the NIC finalized. */
  async function removeNic(name: string): Promise<void> {
    const res = await request(api.url).delete(url('networkinterfaces', name));
    expect([200, 202, 503]).toContain(res.status);
    await eventually(
      async () => {
        await allocator(caches).run(KEY);
        const gone = (await request(api.url).get(url('networkinterfaces', name))).status === 404;
        return gone && !(await slotted()).includes(name);
      },
      { ...PATIENCE, what: `${name} released and finalized` },
    );
  }

  /** natlookup for every pool address and nattable?at= at every instant. */
  async function answers(): Promise<unknown[]> {
    const reader = new AllocationHistoryReader(api.dataSource);
    const out: unknown[] = [];
    for (const { at } of instants) {
      for (const ip of POOL_IPS)
        out.push(await new NatLookup(reader).execute({ ip, port: 1024, at }));
      out.push(await new GetNatTableAt(reader).execute(NS, 'gw', at));
    }
    return out;
  }

  async function mark(nics: string[]): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    instants.push({ at: new Date(), nics: [...nics].sort() });
    await new Promise((r) => setTimeout(r, 20));
  }

  beforeAll(async () => {
    api = await startTestApi('stream_snapshots');
    caches = snapshotting();
    await seedDefaultPool(api.dataSource, api.store, caches.pools, [POOL]);
    await post('networks', { kind: 'Network', metadata: { name: 'net' } });
    const gw = await post('natgateways', {
      kind: 'NATGateway',
      metadata: { name: 'gw' },
      spec: {
        type: 'Public',
        ipFamily: 'IPv4',
        portsPerNetworkInterface: 32768,
        networkRef: { name: 'net' },
      },
    });
    gwUid = gw.metadata.uid;
    await eventually(
      async () => {
        const net = await request(api.url).get(url('networks', 'net'));
        return net.body.status?.vni !== undefined;
      },
      { ...PATIENCE, what: 'the network VNI' },
    );
    await addNic('keep-1', '10.0.0.1');
    await addNic('keep-2', '10.0.0.2');
    // The old era: NICs come and go, each taking and giving back a public IP.
    for (let c = 0; c < OLD_CYCLES; c++) {
      await addNic(`churn-${c}`, `10.0.1.${c + 1}`);
      await removeNic(`churn-${c}`);
    }
    await caches.allocations.flushSnapshots();
    await caches.pools.flushSnapshots();
    await new Promise((r) => setTimeout(r, 1100));
    window = new Date();
    await new Promise((r) => setTimeout(r, 50));
    // The new era, inside the window: a few more, one left in place.
    await mark(['keep-1', 'keep-2']);
    for (let c = 0; c < 3; c++) {
      await addNic(`new-${c}`, `10.0.2.${c + 1}`);
      await mark(['keep-1', 'keep-2', `new-${c}`]);
      if (c < 2) {
        await removeNic(`new-${c}`);
        await mark(['keep-1', 'keep-2']);
      }
    }
    answersBefore = await answers();
    poolBefore = ordered(await foldedPool());
    allocationBefore = ordered(await foldedAllocation());
  });

  afterAll(async () => {
    await api?.close();
  });

  it('the audit answers before the prune name the NICs this test left in place at each instant', async () => {
    for (const [i, { nics }] of instants.entries()) {
      const table = answersBefore[(i + 1) * (POOL_IPS.length + 1) - 1] as {
        ips: Array<{ sections: Array<{ targetRef: { name: string } }> }>;
      };
      const names = table.ips.flatMap((e) => e.sections.map((s) => s.targetRef.name));
      expect(names.sort()).toEqual(nics);
      // natlookup agrees: each of those NICs is found on its address at that instant.
      const found = (
        answersBefore.slice(
          i * (POOL_IPS.length + 1),
          (i + 1) * (POOL_IPS.length + 1) - 1,
        ) as Body[]
      )
        .filter((a) => a.found)
        .map((a) => JSON.stringify(a));
      expect(found).toHaveLength(nics.length);
      for (const nic of nics) expect(found.some((a) => a.includes(`"${nic}"`))).toBe(true);
    }
  });

  it('writes snapshots of the pool and the allocation every few events, the higher version winning', async () => {
    const store = snapshots();
    const allocation = await store.read(allocationStreamId(gwUid));
    const pool = await store.read(poolStreamId('default'));
    expect(allocation?.streamVersion).toBeGreaterThanOrEqual(OLD_CYCLES * 4 - SNAPSHOT_EVERY);
    expect(pool?.streamVersion).toBeGreaterThanOrEqual(OLD_CYCLES * 2 - SNAPSHOT_EVERY);
    // Two allocators writing snapshots of one stream at once: the highest version stays.
    const events = await api.store.readStream(poolStreamId('default'));
    const writes = events.slice(-12).map((e) => ({
      streamId: e.streamId,
      schemaVersion: 1,
      streamVersion: e.version,
      lastEventId: e.id,
      state: { marker: e.version },
    }));
    const results = await Promise.all(
      [...writes, ...[...writes].reverse()].map((w) => snapshots().write(w)),
    );
    expect(results.some(Boolean)).toBe(true);
    const last = events[events.length - 1];
    expect((await store.read(poolStreamId('default')))?.streamVersion).toBe(last.version);
    // A state claimed for an event id the log does not hold at that version is not stored.
    expect(
      await store.write({
        ...writes[0],
        lastEventId: events[0].id,
        streamVersion: last.version + 1,
      }),
    ).toBe(false);
    // The markers are no pool state: the allocator ignores them and folds the events.
    const warnings: string[] = [];
    const c = allocatorCaches(api.store, { store, every: 0, warn: (m) => warnings.push(m) });
    expect(ordered((await c.pools.load(poolStreamId('default'))).state)).toBe(poolBefore);
    expect(warnings.join('\n')).toMatch(/snapshot of ippool:default ignored/);
    // Put a real one back (the allocator's next write).
    await store.deleteWithPrefix('ippool:');
    const writer = snapshotting();
    const folded = await writer.pools.load(poolStreamId('default'));
    expect(ordered(folded.state)).toBe(poolBefore);
  });

  it('log:prune removes old pool and allocation events below the snapshots; the audit stays exact, 410 before the window', async () => {
    // A fresh snapshot of both streams (a restarted allocator writes them as it folds).
    const store = snapshots();
    await store.deleteWithPrefix('');
    const writer = allocatorCaches(api.store, { store, every: 1 });
    await writer.pools.load(poolStreamId('default'));
    await writer.allocations.load(allocationStreamId(gwUid));
    await writer.pools.flushSnapshots();
    await writer.allocations.flushSnapshots();
    const count = async () =>
      (
        await api.dataSource.query(
          `SELECT count(*)::int AS n FROM natgw_events WHERE stream_id = ANY($1::text[])`,
          [[poolStreamId('default'), allocationStreamId(gwUid)]],
        )
      )[0].n as number;
    const before = await count();
    const dry = await pruneLog(
      api.dataSource,
      api.store,
      [new ResourceProjection(), new NatSlotsProjection()],
      {
        retainedSince: window,
        dryRun: true,
      },
    );
    const report = await pruneLog(
      api.dataSource,
      api.store,
      [new ResourceProjection(), new NatSlotsProjection()],
      { retainedSince: window },
    );
    expect(report.compacted).toBe(dry.compacted);
    // Most of the old era's churn goes: every NIC that came and went, every IP given back.
    expect(report.compacted).toBeGreaterThan(OLD_CYCLES * 4);
    expect(await count()).toBe(before - report.compacted);
    expect(await answers()).toEqual(answersBefore);
    // Before the window: 410 Expired.
    const early = new Date(window.getTime() - 500);
    const expired = await new GetNatTableAt(new AllocationHistoryReader(api.dataSource))
      .execute(NS, 'gw', early)
      .then(
        () => undefined,
        (err: unknown) => (err instanceof ApiError ? err.status.code : err),
      );
    expect(expired).toBe(410);
    expect((await readLogRetention(api.dataSource))?.retainedSince).toEqual(window);
    // The streams fold from what is left to the same state, snapshots or not.
    expect(ordered(await foldedPool())).toBe(poolBefore);
    expect(ordered(await foldedAllocation())).toBe(allocationBefore);
  });

  it('a restarted allocator folds the same state (with its snapshots and with them deleted) and allocates correctly', async () => {
    const withSnapshots = snapshotting();
    const pool = await withSnapshots.pools.load(poolStreamId('default'));
    const allocation = await withSnapshots.allocations.load(allocationStreamId(gwUid));
    expect(ordered(pool.state)).toBe(poolBefore);
    expect(ordered(allocation.state)).toBe(allocationBefore);
    // Nothing changed meanwhile: a reconcile appends nothing.
    expect((await allocator(withSnapshots).run(KEY)).appended).toBe(0);
    await snapshots().deleteWithPrefix('');
    const without = allocatorCaches(api.store);
    expect(ordered((await without.pools.load(poolStreamId('default'))).state)).toBe(poolBefore);
    expect(ordered((await without.allocations.load(allocationStreamId(gwUid))).state)).toBe(
      allocationBefore,
    );
    // A new NIC after the restart (expected versions still line up with natgw_streams).
    caches = allocatorCaches(api.store, { store: snapshots(), every: SNAPSHOT_EVERY });
    await addNic('after-restart', '10.0.3.1', caches);
    const state = await foldedAllocation();
    const slots = [...state.slots.values()];
    expect(slots.map((s) => s.nicName).sort()).toEqual([
      'after-restart',
      'keep-1',
      'keep-2',
      'new-2',
    ]);
    // One slot per IP (32768 ports): four distinct addresses, each claimed by the gateway.
    expect(new Set(slots.map((s) => s.ip)).size).toBe(4);
    const claims = (await foldedPool()).claims;
    for (const s of slots) expect(claims.get(s.ip)).toBe(gwUid);
    expect([...claims.values()].filter((uid) => uid === gwUid)).toHaveLength(state.ips.length);
  });
});
