// Replay: rebuilding every projection (resources, nat-slots) from a log of
// 1,000,000 events, against a raw sequential read of the same table through a
// cursor as the baseline, in the same run. The read models are emptied and a
// ProjectionRunner catches up from the start, 500 events a transaction - what a
// new replica or an emptied read model does. `projections:rebuild` instead swaps
// a read model atomically in one transaction; that is measured on smaller logs
// of the same shape (it slows down as the transaction grows). The log is
// generated in a scratch database with the shapes the real services append
// (taken from a real run): per tenant a Network, a NATGateway with its public IP
// claim, 20 NICs with their slots, label updates, 4 deletions with slot
// releases, and the node's NATTableProgrammed reports - 71 events a tenant.
// Prints a table and writes bench/results/replay.json. Run: npm run bench:replay
// Settings: BENCH_REPLAY_EVENTS (1000000), BENCH_REPLAY_ATOMIC (25000,50000,100000).
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  LOG_START,
  openDatabase,
  PostgresEventStore,
  Projection,
  projectionCheckpointName,
  ProjectionRunner,
  rebuildProjection,
} from '@natgw/event-store';
import { NatSlotsProjection, ResourceProjection } from '@natgw/projections';
import { SyntheticEvent, syntheticTenantHistory } from '@natgw/testing';
import { machine, writeResult } from './support/bench-output';
import { benchPostgres } from './support/private-postgres';
import { NATGW_SCHEMA } from '@natgw/schema';

const EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const ATOMIC_SIZES = (process.env.BENCH_REPLAY_ATOMIC ?? '25000,50000,100000')
  .split(',')
  .filter(Boolean)
  .map(Number);
const BATCH = 5000;

async function generate(url: string, count: number): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  const versions = new Map<string, number>();
  let rows: SyntheticEvent[] = [];
  let total = 0;
  const flush = async () => {
    if (rows.length === 0) return;
    const version = rows.map((r) => {
      const v = (versions.get(r.stream) ?? 0) + 1;
      versions.set(r.stream, v);
      return v;
    });
    await c.query(
      `INSERT INTO natgw_events (stream_id, version, event_id, type, data, metadata)
       SELECT * FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])`,
      [
        rows.map((r) => r.stream),
        version,
        rows.map(() => randomUUID()),
        rows.map((r) => r.type),
        rows.map((r) => JSON.stringify(r.data)),
        rows.map((r) => JSON.stringify(r.metadata)),
      ],
    );
    total += rows.length;
    rows = [];
  };
  try {
    for (let t = 0; total + rows.length < count; t++) {
      const timestamp = new Date(Date.UTC(2026, 0, 1) + t * 1000)
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
      for (const e of syntheticTenantHistory(t, timestamp)) {
        if (total + rows.length >= count) break;
        rows.push(e);
      }
      if (rows.length >= BATCH) await flush();
    }
    await flush();
    await c.query(
      `INSERT INTO natgw_streams (stream_id, version)
       SELECT stream_id, max(version) FROM natgw_events GROUP BY stream_id`,
    );
    await c.query('VACUUM ANALYZE natgw_events');
    return total;
  } finally {
    await c.end();
  }
}

/** The baseline: every row of natgw_events in position order, through a server-side cursor. */
async function rawRead(url: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(
      `DECLARE replay NO SCROLL CURSOR FOR
         SELECT global_position, stream_id, version, event_id, type, data, metadata, recorded_at,
                transaction_id::text FROM natgw_events ORDER BY global_position`,
    );
    let n = 0;
    for (;;) {
      const { rows } = await c.query(`FETCH ${BATCH} FROM replay`);
      if (rows.length === 0) break;
      n += rows.length;
    }
    await c.query('COMMIT');
    return n;
  } finally {
    await c.end();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

/** Empties a projection's read model and checkpoint, then lets a runner catch up from the start. */
async function replayByCatchUp(
  ds: DataSource,
  store: PostgresEventStore,
  projection: Projection,
): Promise<number> {
  await ds.transaction((m) => projection.reset(m));
  await ds.query('DELETE FROM natgw_checkpoints WHERE name = $1', [
    projectionCheckpointName(projection),
  ]);
  return new ProjectionRunner(ds, store, projection, undefined, { batchSize: 500 }).catchUp();
}

interface Row {
  metric: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  vsBaseline: number;
}

async function main(): Promise<void> {
  // Its own server: an atomic rebuild holds one transaction for minutes, which would
  // hold back the transaction horizon every natgw reader on a shared server waits for.
  const pg = await benchPostgres('replay');
  const rows: Row[] = [];
  let baselineRate = 0;
  const row = (metric: string, events: number, seconds: number) => {
    const eventsPerSecond = Math.round(events / seconds);
    if (rows.length === 0) baselineRate = eventsPerSecond;
    rows.push({
      metric,
      events,
      seconds,
      eventsPerSecond,
      vsBaseline: Number((eventsPerSecond / baselineRate).toFixed(3)),
    });
  };
  let counts: { resources: number; slots: number } | undefined;
  let generated = { events: 0, seconds: 0, size: '' };
  try {
    process.stdout.write(`database: ${pg.description}\n`);
    const url = pg.url('replay');
    const ds = await openDatabase({ url, ...NATGW_SCHEMA });
    try {
      const store = new PostgresEventStore(ds);
      const gen = await timed(() => generate(url, EVENTS));
      const [size] = (await ds.query(
        `SELECT pg_size_pretty(pg_total_relation_size('natgw_events')) AS size`,
      )) as Array<{ size: string }>;
      generated = { events: gen.value, seconds: gen.seconds, size: size.size };
      process.stdout.write(
        `generated ${gen.value} events in ${gen.seconds.toFixed(1)} s (natgw_events: ${size.size})\n`,
      );
      const raw = await timed(() => rawRead(url));
      row('raw cursor read (baseline)', raw.value, raw.seconds);
      const paged = await timed(async () => {
        let after = LOG_START;
        let n = 0;
        for (;;) {
          const page = await store.readAll({ after, limit: BATCH });
          if (page.events.length === 0) return n;
          n += page.events.length;
          after = page.checkpoint;
        }
      });
      row('store.readAll pages', paged.value, paged.seconds);
      // What a new replica (or an emptied read model) does: catch up from the start,
      // 500 events a transaction.
      const resources = await timed(() => replayByCatchUp(ds, store, new ResourceProjection()));
      row('replay resources', resources.value, resources.seconds);
      const slots = await timed(() => replayByCatchUp(ds, store, new NatSlotsProjection()));
      row('replay nat-slots', slots.value, slots.seconds);
      row('replay every projection', gen.value, resources.seconds + slots.seconds);
      [counts] = (await ds.query(
        `SELECT (SELECT count(*) FROM natgw_resources)::int AS resources,
                (SELECT count(*) FROM natgw_nat_slots)::int AS slots`,
      )) as Array<{ resources: number; slots: number }>;
    } finally {
      await ds.destroy();
    }
    // projections:rebuild swaps the read model atomically: one transaction for the
    // whole log. Measured on smaller logs of the same shape.
    for (const n of ATOMIC_SIZES) {
      const small = pg.url(`atomic_${n}`);
      const sds = await openDatabase({ url: small, ...NATGW_SCHEMA });
      try {
        const sstore = new PostgresEventStore(sds);
        await generate(small, n);
        const r = await timed(() => rebuildProjection(sds, sstore, new ResourceProjection()));
        const s2 = await timed(() => rebuildProjection(sds, sstore, new NatSlotsProjection()));
        row(`projections:rebuild (atomic), ${n} events`, n, r.seconds + s2.seconds);
      } finally {
        await sds.destroy();
      }
    }
  } finally {
    await pg.cleanup();
  }
  process.stdout.write(`machine: ${machine()}\n`);
  process.stdout.write(
    `${'metric'.padEnd(44)} ${'events'.padStart(9)} ${'seconds'.padStart(8)} ${'events/s'.padStart(9)}  vs baseline\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `${r.metric.padEnd(44)} ${String(r.events).padStart(9)} ${r.seconds.toFixed(1).padStart(8)} ${String(r.eventsPerSecond).padStart(9)}  ${r.vsBaseline}x\n`,
    );
  if (counts)
    process.stdout.write(
      `read models after the replay: ${counts.resources} resources, ${counts.slots} NAT slots\n`,
    );
  writeResult('replay', {
    database: pg.description,
    events: generated.events,
    tableSize: generated.size,
    generateSeconds: generated.seconds,
    rows,
    readModels: counts,
  });
}

main().catch((err: Error) => {
  process.stderr.write(`bench:replay failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
