// Snapshots (issue 19.4): rebuild time follows the live state, not the age of the
// history. Two logs with the same live state (BENCH_SNAPSHOT_TENANTS tenants of
// 71 events: networks, gateways, NICs and their slots) and histories of 1x and
// 10x BENCH_SNAPSHOT_HISTORY events (the rest is churn that leaves the live state
// as it is: NICs relabelled, nodes reporting unchanged tables). On each, a
// snapshot is taken (`projections:snapshot`), BENCH_SNAPSHOT_TAIL events more are
// appended, and the table is vacuumed and analyzed (what autovacuum has done on a
// running system). Then every projection is rebuilt from the snapshot and the tail
// (`projections:rebuild --all`) in BENCH_SNAPSHOT_ROUNDS rounds alternating between
// the two logs, so that the machine's load drifting during the run weighs on both
// alike; the medians are compared. Baseline: the rebuild from the whole log
// (`--from-log`) at 10x. Goal: the rebuild from the snapshot takes as long at 10x as
// at 1x (<= 1.2x).
// Prints a table and writes bench/results/snapshot.json. Run: npm run bench:snapshot
import { DataSource } from 'typeorm';
import {
  openDatabase,
  PostgresEventStore,
  rebuildProjections,
  snapshotProjections,
} from '@natgw/event-store';
import { NatSlotsProjection, ResourceProjection } from '@natgw/projections';
import { NATGW_SCHEMA } from '@natgw/schema';
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
import { SyntheticLogWriter, writeChurn, writeTenants } from './support/synthetic-log';
import { createProgress } from '@natgw/platform';

const TENANTS = Number(process.env.BENCH_SNAPSHOT_TENANTS ?? 300);
const HISTORY = Number(process.env.BENCH_SNAPSHOT_HISTORY ?? 50_000);
const TAIL = Number(process.env.BENCH_SNAPSHOT_TAIL ?? 2_000);
const ROUNDS = Number(process.env.BENCH_SNAPSHOT_ROUNDS ?? 5);
const FACTORS = [1, 10];

const projections = () => [new ResourceProjection(), new NatSlotsProjection()];

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs: readonly number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

interface Log {
  factor: number;
  ds: DataSource;
  store: PostgresEventStore;
  events: number;
  snapshotSeconds: number;
}

interface Run {
  factor: number;
  events: number;
  snapshotSeconds: number;
  fromSnapshotSeconds: number;
  fromSnapshotRounds: number[];
  fromLogSeconds?: number;
  liveObjects: number;
}

/** Writes a log of `factor` x the history, snapshots it, appends the tail, vacuums. */
async function prepare(url: string, factor: number): Promise<Log> {
  const ds: DataSource = await openDatabase({ url, ...NATGW_SCHEMA });
  const store = new PostgresEventStore(ds);
  const writer = await SyntheticLogWriter.open(url);
  const writing = createProgress({ label: `write the log (${factor}x)`, unit: 'events' });
  const { firstNics } = await writeTenants(writer, TENANTS * 71);
  await writeChurn(
    writer,
    firstNics,
    Math.max(0, factor * HISTORY - TENANTS * 71),
    0,
    writing.onProgress,
  );
  writing.finish();
  await writer.close();
  const snapshotSeconds = await seconds(() => snapshotProjections(ds, store, projections()));
  const tail = await SyntheticLogWriter.open(url);
  await writeChurn(tail, firstNics, TAIL, 1_000_000);
  await tail.close();
  await ds.query('VACUUM ANALYZE natgw_events');
  const [{ events }]: Array<{ events: number }> = await ds.query(
    'SELECT count(*)::int AS events FROM natgw_events',
  );
  return { factor, ds, store, events, snapshotSeconds };
}

async function liveObjects(ds: DataSource): Promise<number> {
  const [{ n }]: Array<{ n: number }> = await ds.query(
    'SELECT count(*)::int AS n FROM natgw_resources',
  );
  return n;
}

async function main(): Promise<void> {
  const pg = await benchPostgres('snapshot');
  const runs: Run[] = [];
  const logs: Log[] = [];
  try {
    process.stdout.write(
      `database: ${pg.description}\nlive state: ${TENANTS} tenants (${count(TENANTS * 71)} events); history ${FACTORS.map((f) => count(f * HISTORY)).join(' and ')} events; ${count(TAIL)} events after the snapshot; ${ROUNDS} alternating rounds\n`,
    );
    for (const f of FACTORS) logs.push(await prepare(pg.url(`history_${f}x`), f));
    const rounds = new Map<number, number[]>(FACTORS.map((f) => [f, []]));
    for (let r = 0; r < ROUNDS; r++)
      for (const log of r % 2 === 0 ? logs : [...logs].reverse()) {
        const took = await seconds(() => rebuildProjections(log.ds, log.store, projections()));
        rounds.get(log.factor)?.push(took);
        process.stdout.write(
          `round ${r + 1}: ${log.factor}x rebuild from the snapshot ${took.toFixed(2)} s (load ${loadAverage()})\n`,
        );
      }
    for (const log of logs) {
      const own = rounds.get(log.factor) ?? [];
      const objects = await liveObjects(log.ds);
      const fromLogSeconds =
        log.factor === FACTORS[FACTORS.length - 1]
          ? await seconds(() =>
              rebuildProjections(log.ds, log.store, projections(), { useSnapshots: false }),
            )
          : undefined;
      runs.push({
        factor: log.factor,
        events: log.events,
        snapshotSeconds: log.snapshotSeconds,
        fromSnapshotSeconds: median(own),
        fromSnapshotRounds: own,
        fromLogSeconds,
        liveObjects: objects,
      });
    }
  } finally {
    for (const log of logs) await log.ds.destroy();
    await pg.cleanup();
  }
  process.stdout.write(`machine: ${machine()}; load average ${loadAverage()}\n`);
  process.stdout.write(
    `${'history'.padEnd(8)} ${'events'.padStart(10)} ${'objects'.padStart(8)} ${'snapshot'.padStart(9)} ${'rebuild from snapshot (median)'.padStart(31)} ${'rebuild from log'.padStart(17)}\n`,
  );
  for (const r of runs)
    process.stdout.write(
      `${`${r.factor}x`.padEnd(8)} ${count(r.events).padStart(10)} ${count(r.liveObjects).padStart(8)} ${`${r.snapshotSeconds.toFixed(2)} s`.padStart(9)} ${`${r.fromSnapshotSeconds.toFixed(2)} s`.padStart(31)} ${(r.fromLogSeconds === undefined ? '-' : `${r.fromLogSeconds.toFixed(2)} s`).padStart(17)}\n`,
    );
  const [one, ten] = runs;
  const growth = ten.fromSnapshotSeconds / one.fromSnapshotSeconds;
  const fromLog = ten.fromLogSeconds ?? NaN;
  const goals = printGoals([
    {
      figure: `rebuild with a snapshot, history ${count(one.events)} -> ${count(ten.events)} events, same live state (${count(ten.liveObjects)} objects), median of ${ROUNDS} alternating rounds`,
      goal: 'flat: 10x history <= 1.2x the time',
      now: `${one.fromSnapshotSeconds.toFixed(2)} s -> ${ten.fromSnapshotSeconds.toFixed(2)} s (${growth.toFixed(2)}x)`,
      ratio: `${ratio(ten.fromSnapshotSeconds, fromLog)} the rebuild from the whole log (${fromLog.toFixed(2)} s)`,
      met: growth <= 1.2,
    },
  ] satisfies GoalCheck[]);
  writeResult('snapshot', {
    database: pg.description,
    tenants: TENANTS,
    tail: TAIL,
    rounds: ROUNDS,
    runs,
    goals,
  });
}

main().catch((err: Error) => {
  process.stderr.write(`bench:snapshot failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
