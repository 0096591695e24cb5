// The allocator's start (issue 19.4): at start, and on every cache miss, the allocator folds
// every `ippool:*` stream and the allocation stream of every gateway it reconciles. With stream
// snapshots that fold starts from the snapshot, so its time follows the live state, not the
// age of the history. Two logs with the same live state (BENCH_ALLOC_START_GATEWAYS gateways,
// each holding 4 public IPs and 4 slots, all claimed in one pool) and a history of 1x and 10x
// BENCH_ALLOC_START_CYCLES cycles per gateway before it (a NIC comes and goes: an IP claimed,
// assigned, a slot assigned and released, the IP released and given back to the pool). On
// each, every stream is snapshotted (as a running allocator does every ALLOCATOR_SNAPSHOT_EVERY
// events), then a tail of BENCH_ALLOC_START_TAIL cycles per gateway is appended. Measured: a new
// allocator's fold of every pool and allocation stream (PoolBook.load and the allocation cache,
// as a reconcile of every network does), with snapshots (the goal: 10x history <= 1.2x the
// time) and from the first event (the baseline), in BENCH_ALLOC_START_ROUNDS rounds alternating
// between the logs so that load drifting during the run weighs on both; medians compared.
// Prints a table and writes bench/results/alloc-start.json. Run: npm run bench:alloc-start
import { DataSource } from 'typeorm';
import { NewEvent } from '@natgw/contracts';
import {
  openDatabase,
  PostgresEventStore,
  StreamAppend,
  StreamSnapshotStore,
} from '@natgw/event-store';
import { NATGW_SCHEMA } from '@natgw/schema';
import { allocationStreamId } from '../apps/allocator/src/allocation/reconcile-network';
import { PoolBook, poolStreamId } from '../apps/allocator/src/pools/pool-book';
import { allocatorCaches } from '../apps/allocator/src/state/allocator-caches';
import {
  count,
  GoalCheck,
  loadAverage,
  machine,
  printGoals,
  quantile,
  ratio,
  writeResult,
} from './support/bench-output';
import { benchPostgres } from './support/private-postgres';

const GATEWAYS = Number(process.env.BENCH_ALLOC_START_GATEWAYS ?? 400);
const CYCLES = Number(process.env.BENCH_ALLOC_START_CYCLES ?? 10);
const TAIL = Number(process.env.BENCH_ALLOC_START_TAIL ?? 1);
const ROUNDS = Number(process.env.BENCH_ALLOC_START_ROUNDS ?? 5);
const FACTORS = [1, 10];
/** Live IPs per gateway; one more address per gateway comes and goes in the history. */
const HELD = 4;
const POOL = 'default';

const meta = { source: '/natgw/allocator' };
const ev = (type: string, data: Record<string, unknown>): NewEvent => ({
  type,
  data,
  metadata: meta,
});

/** Address n of 10.0.0.0/8 (the pool's prefix): 5 per gateway, the fifth the one that churns. */
const addressOf = (n: number) =>
  [24, 16, 8, 0].map((s) => ((0x0a000000 + n) >>> s) & 255).join('.');

function slot(gw: number, nic: string, ip: string) {
  return {
    gatewayUid: `gw-${gw}`,
    nicUid: nic,
    nicName: nic,
    namespace: 'bench',
    privateIp: '192.168.0.1',
    nodeName: 'node-1',
    vni: 100,
    ip,
    port: 1024,
    endPort: 65535,
  };
}

/** One cycle of gateway `gw`: a NIC comes and goes on the gateway's fifth address. */
function cycle(gw: number, c: number): { pool: NewEvent[]; allocation: NewEvent[] } {
  const ip = addressOf(gw * (HELD + 1) + HELD);
  const nic = `gw-${gw}-churn-${c}`;
  const s = slot(gw, nic, ip);
  return {
    pool: [
      ev('PublicIPClaimed', { ip, gatewayUid: `gw-${gw}` }),
      ev('PublicIPReleased', { ip, gatewayUid: `gw-${gw}` }),
    ],
    allocation: [
      ev('NATGatewayIPAssigned', { gatewayUid: `gw-${gw}`, ip }),
      ev('NATSlotAssigned', s),
      ev('NATSlotReleased', { ...s, reason: 'NetworkInterfaceDeleted' }),
      ev('NATGatewayIPReleased', { gatewayUid: `gw-${gw}`, ip }),
    ],
  };
}

/** Appends cycles `from`..`to` of every gateway: one append per stream, the pool's in slices. */
async function appendCycles(store: PostgresEventStore, ds: DataSource, from: number, to: number) {
  const pool: NewEvent[] = [];
  for (let gw = 0; gw < GATEWAYS; gw++) {
    const allocation: NewEvent[] = [];
    for (let c = from; c < to; c++) {
      const one = cycle(gw, c);
      pool.push(...one.pool);
      allocation.push(...one.allocation);
    }
    if (allocation.length > 0)
      await store.append(allocationStreamId(`gw-${gw}`), allocation, { expectedVersion: 'any' });
  }
  for (let i = 0; i < pool.length; i += 5000) {
    const appends: StreamAppend[] = [
      { streamId: poolStreamId(POOL), events: pool.slice(i, i + 5000), expectedVersion: 'any' },
    ];
    await ds.transaction((m) => store.appendToStreams(appends, m));
  }
}

/** The live state: the prefix, then each gateway's 4 IPs and 4 slots. */
async function appendLiveState(store: PostgresEventStore): Promise<void> {
  const claims: NewEvent[] = [ev('PublicPrefixAdded', { prefix: '10.0.0.0/8' })];
  for (let gw = 0; gw < GATEWAYS; gw++) {
    const allocation: NewEvent[] = [];
    for (let i = 0; i < HELD; i++) {
      const ip = addressOf(gw * (HELD + 1) + i);
      claims.push(ev('PublicIPClaimed', { ip, gatewayUid: `gw-${gw}` }));
      allocation.push(ev('NATGatewayIPAssigned', { gatewayUid: `gw-${gw}`, ip }));
      allocation.push(ev('NATSlotAssigned', slot(gw, `gw-${gw}-nic-${i}`, ip)));
    }
    allocation.push(ev('AllocationSatisfied', { gatewayUid: `gw-${gw}` }));
    await store.append(allocationStreamId(`gw-${gw}`), allocation, { expectedVersion: 'any' });
  }
  await store.append(poolStreamId(POOL), claims, { expectedVersion: 'any' });
}

interface Log {
  factor: number;
  ds: DataSource;
  store: PostgresEventStore;
  events: number;
}

/** A new allocator's fold of every pool and every gateway's allocation stream. */
async function start(log: Log, snapshots: boolean): Promise<{ seconds: number; slots: number }> {
  const caches = allocatorCaches(
    log.store,
    snapshots ? { store: new StreamSnapshotStore(log.ds), every: 0 } : undefined,
  );
  const began = process.hrtime.bigint();
  const book = await PoolBook.load(log.store, caches.pools, log.ds.manager);
  let slots = 0;
  for (let gw = 0; gw < GATEWAYS; gw++)
    slots += (await caches.allocations.load(allocationStreamId(`gw-${gw}`))).state.slots.size;
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const claims = book.pools.reduce((n, p) => n + p.state.claims.size, 0);
  if (slots !== GATEWAYS * HELD || claims !== GATEWAYS * HELD)
    throw new Error(`wrong live state: ${slots} slots, ${claims} claims`);
  return { seconds, slots };
}

async function prepare(url: string, factor: number): Promise<Log> {
  const ds = await openDatabase({ url, ...NATGW_SCHEMA });
  const store = new PostgresEventStore(ds);
  await appendLiveState(store);
  await appendCycles(store, ds, 0, factor * CYCLES);
  // Snapshot every stream (a running allocator writes them as it folds).
  const writer = allocatorCaches(store, { store: new StreamSnapshotStore(ds), every: 1 });
  await PoolBook.load(store, writer.pools, ds.manager);
  for (let gw = 0; gw < GATEWAYS; gw++)
    await writer.allocations.load(allocationStreamId(`gw-${gw}`));
  await writer.pools.flushSnapshots();
  await writer.allocations.flushSnapshots();
  await appendCycles(store, ds, factor * CYCLES, factor * CYCLES + TAIL);
  await ds.query('VACUUM ANALYZE natgw_events');
  const [{ events }]: Array<{ events: number }> = await ds.query(
    `SELECT count(*)::int AS events FROM natgw_events`,
  );
  return { factor, ds, store, events };
}

const median = (xs: readonly number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

async function main(): Promise<void> {
  const pg = await benchPostgres('alloc_start');
  const logs: Log[] = [];
  const withSnapshots = new Map<number, number[]>(FACTORS.map((f) => [f, []]));
  const fromScratch = new Map<number, number[]>(FACTORS.map((f) => [f, []]));
  try {
    process.stdout.write(
      `database: ${pg.description}\nlive state: ${GATEWAYS} gateways x ${HELD} IPs and slots; history ${FACTORS.map((f) => `${f * CYCLES}`).join(' and ')} cycles per gateway (6 events each); ${TAIL} cycle(s) after the snapshots; ${ROUNDS} alternating rounds\n`,
    );
    for (const f of FACTORS) logs.push(await prepare(pg.url(`alloc_start_${f}x`), f));
    // One warm-up fold each (plans, caches), not counted.
    for (const log of logs) await start(log, true);
    for (let r = 0; r < ROUNDS; r++)
      for (const log of r % 2 === 0 ? logs : [...logs].reverse()) {
        const snap = await start(log, true);
        const scratch = await start(log, false);
        withSnapshots.get(log.factor)?.push(snap.seconds);
        fromScratch.get(log.factor)?.push(scratch.seconds);
        process.stdout.write(
          `round ${r + 1}: ${log.factor}x with snapshots ${snap.seconds.toFixed(3)} s, from the first event ${scratch.seconds.toFixed(3)} s (load ${loadAverage()})\n`,
        );
      }
  } finally {
    for (const log of logs) await log.ds.destroy();
    await pg.cleanup();
  }
  const rows = logs.map((log) => ({
    factor: log.factor,
    events: log.events,
    withSnapshots: median(withSnapshots.get(log.factor) ?? []),
    fromScratch: median(fromScratch.get(log.factor) ?? []),
    rounds: {
      withSnapshots: withSnapshots.get(log.factor),
      fromScratch: fromScratch.get(log.factor),
    },
  }));
  process.stdout.write(`machine: ${machine()}; load average ${loadAverage()}\n`);
  process.stdout.write(
    `${'history'.padEnd(8)} ${'events'.padStart(10)} ${'start with snapshots'.padStart(21)} ${'start from first event'.padStart(23)}\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `${`${r.factor}x`.padEnd(8)} ${count(r.events).padStart(10)} ${`${r.withSnapshots.toFixed(3)} s`.padStart(21)} ${`${r.fromScratch.toFixed(3)} s`.padStart(23)}\n`,
    );
  const [one, ten] = rows;
  const growth = ten.withSnapshots / one.withSnapshots;
  const goals = printGoals([
    {
      figure: `allocator start (fold of every pool and allocation stream), history ${count(one.events)} -> ${count(ten.events)} events, same live state (${GATEWAYS} gateways), median of ${ROUNDS} alternating rounds`,
      goal: 'flat: 10x history <= 1.2x the time',
      now: `${one.withSnapshots.toFixed(3)} s -> ${ten.withSnapshots.toFixed(3)} s (${growth.toFixed(2)}x)`,
      ratio: `${ratio(ten.withSnapshots, ten.fromScratch)} the fold from the first event (${ten.fromScratch.toFixed(3)} s at 10x, ${one.fromScratch.toFixed(3)} s at 1x)`,
      met: growth <= 1.2,
    },
  ] satisfies GoalCheck[]);
  writeResult('alloc-start', {
    database: pg.description,
    gateways: GATEWAYS,
    cycles: CYCLES,
    tail: TAIL,
    rounds: ROUNDS,
    runs: rows,
    goals,
  });
}

main().catch((err: Error) => {
  process.stderr.write(`bench:alloc-start failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
