// Replay: rebuilding every projection (resources, nat-slots) from a log of
// 1,000,000 events, against a raw sequential read of the same table through a
// cursor as the baseline, in the same run. The rebuild is what
// `npm run projections:rebuild -- --all --from-log` does: one transaction, the log
// read once for both projections, each folded in memory and its final state
// written once. On the same log it then measures the audit lookups (natlookup and
// nattable?at=, p99 over random instants). The log is generated in a scratch
// database with the shapes the real services append (taken from a real run): per
// tenant a Network, a NATGateway with its public IP claim, 20 NICs with their
// slots, label updates, 4 deletions with slot releases, and the node's
// NATTableProgrammed reports - 71 events a tenant.
// Prints a table and writes bench/results/replay.json. Run: npm run bench:replay
// Settings: BENCH_REPLAY_EVENTS (1000000), BENCH_AUDIT_QUERIES (300).
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import {
  LOG_START,
  openDatabase,
  PostgresEventStore,
  rebuildProjections,
} from '@natgw/event-store';
import {
  AllocationHistoryReader,
  NatSlotsProjection,
  ResourceProjection,
} from '@natgw/projections';
import { GetNatTableAt } from '../apps/api-gateway/src/audit/nat-table-at';
import { NatLookup } from '../apps/api-gateway/src/audit/nat-lookup';
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
import { SyntheticLogWriter, writeTenants } from './support/synthetic-log';
import { NATGW_SCHEMA } from '@natgw/schema';
import { createProgress } from '@natgw/platform';

const EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const AUDIT_QUERIES = Number(process.env.BENCH_AUDIT_QUERIES ?? 300);
const BATCH = 5000;

async function generate(url: string, count: number): Promise<number> {
  const writer = await SyntheticLogWriter.open(url);
  const progress = createProgress({ label: 'write the log', unit: 'events' });
  await writeTenants(writer, count, progress.onProgress);
  progress.finish();
  await writer.close();
  return writer.total;
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

/**
 * Random audit questions: a tenant's public IP and a port of its slots, at an
 * instant between the tenant's creation (when the events were recorded) and the
 * end of the log, when its 16 surviving NICs hold their slots or a NIC deleted
 * since held one.
 */
async function auditSample(ds: DataSource, tenants: number, queries: number) {
  const pick = (n: number) => Math.floor(Math.random() * n);
  const [{ last }]: Array<{ last: Date }> = await ds.query(
    `SELECT max(recorded_at) AS last FROM natgw_events`,
  );
  const sample = [];
  for (let i = 0; i < queries; i++) {
    const c = pick(tenants);
    const [{ created }]: Array<{ created: Date }> = await ds.query(
      `SELECT recorded_at AS created FROM natgw_events WHERE stream_id = $1 AND version = 1`,
      [`natgateway:t${c}/gw`],
    );
    const span = last.getTime() - created.getTime();
    const at = new Date(created.getTime() + Math.random() * span + 1);
    const ip = [24, 16, 8, 0].map((s) => ((0x0b000000 + c) >>> s) & 255).join('.');
    sample.push({ namespace: `t${c}`, ip, port: 1024 + pick(20 * 64), at });
  }
  return sample;
}

async function auditLatencies(
  ds: DataSource,
  tenants: number,
  queries: number,
): Promise<{ natlookup: number[]; nattable: number[]; found: number }> {
  const reader = new AllocationHistoryReader(ds);
  const lookup = new NatLookup(reader);
  const tableAt = new GetNatTableAt(reader);
  const natlookup: number[] = [];
  const nattable: number[] = [];
  let found = 0;
  for (const q of await auditSample(ds, tenants, queries)) {
    const a = await timed(() => lookup.execute({ ip: q.ip, port: q.port, at: q.at }));
    natlookup.push(a.seconds * 1000);
    if (a.value.found) found += 1;
    const b = await timed(() => tableAt.execute(q.namespace, 'gw', q.at));
    nattable.push(b.seconds * 1000);
  }
  natlookup.sort((x, y) => x - y);
  nattable.sort((x, y) => x - y);
  return { natlookup, nattable, found };
}

interface Row {
  metric: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  vsBaseline: number;
}

async function main(): Promise<void> {
  // Its own server: an atomic rebuild holds one transaction for its whole length,
  // which would hold back the transaction horizon every natgw reader on a shared
  // server waits for.
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
  let audit: Awaited<ReturnType<typeof auditLatencies>> | undefined;
  let rebuildSeconds = 0;
  let phases: Array<{ projection: string; foldCpuSeconds: number; writeSeconds: number }> = [];
  let rebuildCpuSeconds = 0;
  let rawCpuSeconds = 0;
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
      const rawCpu = process.cpuUsage();
      const raw = await timed(() => rawRead(url));
      const rawUsed = process.cpuUsage(rawCpu);
      rawCpuSeconds = (rawUsed.user + rawUsed.system) / 1e6;
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
      // What `projections:rebuild --all --from-log` does.
      const rebuilding = createProgress({ label: 'rebuild', unit: 'events' });
      const cpu = process.cpuUsage();
      const all = await timed(() =>
        rebuildProjections(ds, store, [new ResourceProjection(), new NatSlotsProjection()], {
          useSnapshots: false,
          onProgress: rebuilding.onProgress,
        }),
      );
      rebuilding.finish();
      const used = process.cpuUsage(cpu);
      rebuildCpuSeconds = (used.user + used.system) / 1e6;
      phases = all.value.map((r) => ({
        projection: r.projection,
        foldCpuSeconds: r.applyCpuSeconds,
        writeSeconds: r.writeSeconds,
      }));
      rebuildSeconds = all.seconds;
      row('rebuild every projection (one transaction)', gen.value, all.seconds);
      [counts] = (await ds.query(
        `SELECT (SELECT count(*) FROM natgw_resources)::int AS resources,
                (SELECT count(*) FROM natgw_nat_slots)::int AS slots`,
      )) as Array<{ resources: number; slots: number }>;
      audit = await auditLatencies(ds, Math.floor(gen.value / 71), AUDIT_QUERIES);
    } finally {
      await ds.destroy();
    }
  } finally {
    await pg.cleanup();
  }
  process.stdout.write(`machine: ${machine()}; load average ${loadAverage()}\n`);
  process.stdout.write(
    `${'metric'.padEnd(44)} ${'events'.padStart(9)} ${'seconds'.padStart(8)} ${'events/s'.padStart(9)}  vs baseline\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `${r.metric.padEnd(44)} ${String(r.events).padStart(9)} ${r.seconds.toFixed(1).padStart(8)} ${String(r.eventsPerSecond).padStart(9)}  ${r.vsBaseline}x\n`,
    );
  process.stdout.write(
    `Node CPU: raw read ${rawCpuSeconds.toFixed(2)} s, rebuild ${rebuildCpuSeconds.toFixed(2)} s; ${phases
      .map(
        (p) =>
          `${p.projection}: fold ${p.foldCpuSeconds.toFixed(2)} s CPU, write ${p.writeSeconds.toFixed(2)} s`,
      )
      .join('; ')}\n`,
  );
  if (counts)
    process.stdout.write(
      `read models after the rebuild: ${counts.resources} resources, ${counts.slots} NAT slots\n`,
    );
  const rebuild = rows.find((r) => r.metric.startsWith('rebuild every'));
  const base = rows[0];
  const checks: GoalCheck[] = [];
  if (rebuild && base) {
    checks.push({
      figure: `replay/rebuild of ${count(rebuild.events)} events, every projection`,
      goal: '>= 0.5x raw read and < 15 s',
      now: `${count(rebuild.eventsPerSecond)} events/s, ${rebuildSeconds.toFixed(1)} s`,
      ratio: `${ratio(rebuild.eventsPerSecond, base.eventsPerSecond)} raw cursor read (${count(base.eventsPerSecond)}/s)`,
      met: rebuild.vsBaseline >= 0.5 && rebuildSeconds < 15,
    });
  }
  if (audit) {
    const p99a = quantile(audit.natlookup, 0.99);
    const p99b = quantile(audit.nattable, 0.99);
    const detail = (xs: number[]) =>
      `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms`;
    checks.push(
      {
        figure: `natlookup on a ${count(generated.events)}-event log (${audit.natlookup.length} queries, ${audit.found} found)`,
        goal: 'p99 <= 50 ms',
        now: detail(audit.natlookup),
        ratio: `${(p99a / 50).toFixed(2)}x the goal`,
        met: p99a <= 50,
      },
      {
        figure: `nattable?at= on a ${count(generated.events)}-event log (${audit.nattable.length} queries)`,
        goal: 'p99 <= 50 ms',
        now: detail(audit.nattable),
        ratio: `${(p99b / 50).toFixed(2)}x the goal`,
        met: p99b <= 50,
      },
    );
  }
  const goals = printGoals(checks);
  writeResult('replay', {
    database: pg.description,
    events: generated.events,
    tableSize: generated.size,
    generateSeconds: generated.seconds,
    rows,
    readModels: counts,
    rawCpuSeconds,
    rebuildCpuSeconds,
    phases,
    audit: audit && {
      natlookupP50: quantile(audit.natlookup, 0.5),
      natlookupP99: quantile(audit.natlookup, 0.99),
      nattableP50: quantile(audit.nattable, 0.5),
      nattableP99: quantile(audit.nattable, 0.99),
      queries: audit.natlookup.length,
    },
    goals,
  });
}

main().catch((err: Error) => {
  process.stderr.write(`bench:replay failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
