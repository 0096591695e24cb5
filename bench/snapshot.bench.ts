// Snapshots (issue 19.4): rebuild time follows the live state, not the age of the
// history. Two logs with the same live state (BENCH_SNAPSHOT_TENANTS tenants of
// 71 events: networks, gateways, NICs and their slots) and histories of 1x and
// 10x BENCH_SNAPSHOT_HISTORY events (the rest is churn that leaves the live state
// as it is: NICs relabelled, nodes reporting unchanged tables). On each, a
// snapshot is taken (`projections:snapshot`), BENCH_SNAPSHOT_TAIL events more are
// appended, and every projection is rebuilt twice: from the snapshot and the
// tail (`projections:rebuild --all`), and from the whole log (`--from-log`, the
// baseline). Goal: the rebuild from the snapshot takes as long at 10x as at 1x.
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
  ratio,
  writeResult,
} from './support/bench-output';
import { benchPostgres } from './support/private-postgres';
import { SyntheticLogWriter, writeChurn, writeTenants } from './support/synthetic-log';
import { createProgress } from '@natgw/platform';

const TENANTS = Number(process.env.BENCH_SNAPSHOT_TENANTS ?? 300);
const HISTORY = Number(process.env.BENCH_SNAPSHOT_HISTORY ?? 50_000);
const TAIL = Number(process.env.BENCH_SNAPSHOT_TAIL ?? 2_000);
const FACTORS = [1, 10];

const projections = () => [new ResourceProjection(), new NatSlotsProjection()];

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

interface Run {
  factor: number;
  events: number;
  snapshotSeconds: number;
  fromSnapshotSeconds: number;
  fromLogSeconds: number;
  liveObjects: number;
}

async function measure(url: string, factor: number): Promise<Run> {
  const ds: DataSource = await openDatabase({ url, ...NATGW_SCHEMA });
  try {
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
    const fromSnapshotSeconds = await seconds(() => rebuildProjections(ds, store, projections()));
    const fromLogSeconds = await seconds(() =>
      rebuildProjections(ds, store, projections(), { useSnapshots: false }),
    );
    const [{ n, events }]: Array<{ n: number; events: number }> = await ds.query(
      `SELECT (SELECT count(*) FROM natgw_resources)::int AS n,
              (SELECT count(*) FROM natgw_events)::int AS events`,
    );
    return { factor, events, snapshotSeconds, fromSnapshotSeconds, fromLogSeconds, liveObjects: n };
  } finally {
    await ds.destroy();
  }
}

async function main(): Promise<void> {
  const pg = await benchPostgres('snapshot');
  const runs: Run[] = [];
  try {
    process.stdout.write(
      `database: ${pg.description}\nlive state: ${TENANTS} tenants (${count(TENANTS * 71)} events); history ${FACTORS.map((f) => count(f * HISTORY)).join(' and ')} events; ${count(TAIL)} events after the snapshot\n`,
    );
    for (const f of FACTORS) runs.push(await measure(pg.url(`history_${f}x`), f));
  } finally {
    await pg.cleanup();
  }
  process.stdout.write(`machine: ${machine()}; load average ${loadAverage()}\n`);
  process.stdout.write(
    `${'history'.padEnd(8)} ${'events'.padStart(10)} ${'objects'.padStart(8)} ${'snapshot'.padStart(9)} ${'rebuild from snapshot'.padStart(22)} ${'rebuild from log'.padStart(17)}\n`,
  );
  for (const r of runs)
    process.stdout.write(
      `${`${r.factor}x`.padEnd(8)} ${count(r.events).padStart(10)} ${count(r.liveObjects).padStart(8)} ${`${r.snapshotSeconds.toFixed(2)} s`.padStart(9)} ${`${r.fromSnapshotSeconds.toFixed(2)} s`.padStart(22)} ${`${r.fromLogSeconds.toFixed(2)} s`.padStart(17)}\n`,
    );
  const [one, ten] = runs;
  const growth = ten.fromSnapshotSeconds / one.fromSnapshotSeconds;
  const goals = printGoals([
    {
      figure: `rebuild with a snapshot, history ${count(one.events)} -> ${count(ten.events)} events, same live state`,
      goal: 'flat: 10x history <= 1.2x the time',
      now: `${one.fromSnapshotSeconds.toFixed(2)} s -> ${ten.fromSnapshotSeconds.toFixed(2)} s (${growth.toFixed(2)}x)`,
      ratio: `${ratio(ten.fromSnapshotSeconds, ten.fromLogSeconds)} the rebuild from the whole log (${ten.fromLogSeconds.toFixed(2)} s)`,
      met: growth <= 1.2,
    },
  ] satisfies GoalCheck[]);
  writeResult('snapshot', { database: pg.description, tenants: TENANTS, tail: TAIL, runs, goals });
}

main().catch((err: Error) => {
  process.stderr.write(`bench:snapshot failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
