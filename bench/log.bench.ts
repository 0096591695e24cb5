// Event log benchmark: append vs. raw INSERT (batch 1 and 100), readAll, and
// relay vs. raw JetStream publish. Prints a table and writes bench/results/log.json.
// Appends and raw INSERTs alternate in ROUNDS rounds and each side reports its median
// round, so a change in the machine's load mid-run hits both alike.
// Run: npm run bench:log   (uses a PostgreSQL of its own when installed, see
// support/private-postgres, and streams of its own; all removed afterwards)
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DataSource } from 'typeorm';
import { eventSubject, NewEvent, RecordedEvent, toCloudEvent } from '@natgw/contracts';
import { Checkpoint, LOG_START, openDatabase, PostgresEventStore } from '@natgw/event-store';
import { connectNats, ensureEventStream, JetStreamRelay } from '@natgw/messaging';
import { testNatsNames } from '@natgw/testing';
import { EVENT_LOG_MIGRATIONS } from '@natgw/schema';
import { benchPostgres } from './support/private-postgres';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const WRITERS = 4;
const ROUNDS = 3;
const SINGLE_APPENDS = 6_000;
const BATCHED_EVENTS = 120_000;
const BATCH = 100;
const PUBLISH_PIPELINE = 500;

interface Row {
  metric: string;
  natgw: number;
  baseline?: number;
  baselineName?: string;
  unit: string;
  detail: string;
  /** The least natgw/baseline ratio issue 14 asks for. */
  goalRatio?: number;
}

/** Append, batch 1 and batch 100: at least 0.7x the raw INSERT (issue 14). */
const APPEND_GOAL = 0.7;

function payload(i: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'NATSlotAssigned',
    data: { nic: randomUUID(), ip: '203.0.113.7', port: 1024 + (i % 1000) * 64, endPort: 1087 },
    metadata: { correlationId: randomUUID(), causationId: randomUUID(), actor: 'bench' },
  };
}

async function timed(work: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Runs `count` units of work on `writers` concurrent workers. */
async function concurrently(
  writers: number,
  count: number,
  unit: (w: number, i: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = next++; i < count; i = next++) await unit(w, i);
    }),
  );
}

async function appendBench(
  store: PostgresEventStore,
  batch: number,
  events: number,
  round: number,
) {
  const appends = events / batch;
  return timed(() =>
    concurrently(WRITERS, appends, async (w, i) => {
      const evs = Array.from({ length: batch }, (_, k) => payload(i * batch + k));
      await store.append(`bench:${round}-${w}-${i % 10}-${batch}`, evs, {
        expectedVersion: 'any',
      });
    }),
  );
}

async function rawInsertBench(ds: DataSource, batch: number, events: number, round: number) {
  const appends = events / batch;
  const versions = new Map<string, number>();
  return timed(() =>
    concurrently(WRITERS, appends, async (w, i) => {
      const stream = `raw:${round}-${w}-${i % 10}-${batch}`;
      const first = versions.get(stream) ?? 0;
      versions.set(stream, first + batch);
      const evs = Array.from({ length: batch }, (_, k) => payload(i * batch + k));
      // Same shape as natgw_append's insert: one statement, arrays unnested.
      await ds.query(
        `INSERT INTO bench_raw (stream_id, version, event_id, type, data, metadata, recorded_at)
         SELECT $1, $2 + t.ord::int, t.id, t.type, t.data, t.meta, now()
           FROM unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])
                WITH ORDINALITY AS t(id, type, data, meta, ord)`,
        [
          stream,
          first,
          evs.map((e) => e.id),
          evs.map((e) => e.type),
          evs.map((e) => JSON.stringify(e.data)),
          evs.map((e) => JSON.stringify(e.metadata)),
        ],
      );
    }),
  );
}

/**
 * `events` natgw appends and as many raw INSERTs in batches of `batch`, alternating in
 * ROUNDS rounds of events/ROUNDS each; the median round of each side, in seconds.
 */
async function appendVersusInsert(
  ds: DataSource,
  store: PostgresEventStore,
  batch: number,
  events: number,
) {
  const append: number[] = [];
  const insert: number[] = [];
  const perRound = events / ROUNDS;
  for (let round = 0; round < ROUNDS; round++) {
    append.push(await appendBench(store, batch, perRound, round));
    insert.push(await rawInsertBench(ds, batch, perRound, round));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { append: median(append), insert: median(insert), perRound };
}

async function readAllBench(store: PostgresEventStore, expected: number) {
  const events: RecordedEvent[] = [];
  const seconds = await timed(async () => {
    let after: Checkpoint = LOG_START;
    while (events.length < expected) {
      const page = await store.readAll({ after, limit: 1000 });
      if (page.events.length === 0) await new Promise((r) => setTimeout(r, 5));
      events.push(...page.events);
      after = page.checkpoint;
    }
  });
  return { seconds, events };
}

async function relayBench(
  ds: DataSource,
  store: PostgresEventStore,
  js: JetStreamClient,
  url: string,
  names: { stream: string; prefix: string },
  expected: number,
) {
  const relay = new JetStreamRelay(
    { dataSource: ds, store, js },
    {
      streamName: names.stream,
      subjectPrefix: names.prefix,
      source: '/natgw/bench',
      databaseUrl: url,
      batchSize: PUBLISH_PIPELINE,
      pollIntervalMs: 20,
    },
  );
  const seconds = await timed(async () => {
    relay.start();
    while (relay.published < expected) await new Promise((r) => setTimeout(r, 10));
  });
  await relay.stop();
  return seconds;
}

async function rawPublishBench(js: JetStreamClient, prefix: string, events: RecordedEvent[]) {
  const messages = events.map((e) => ({
    subject: eventSubject(prefix, e.streamId, e.type),
    body: JSON.stringify(toCloudEvent(e, '/natgw/bench')),
    id: e.id,
  }));
  return timed(async () => {
    for (let i = 0; i < messages.length; i += PUBLISH_PIPELINE) {
      const acks: Promise<PubAck>[] = messages
        .slice(i, i + PUBLISH_PIPELINE)
        .map((m) => js.publish(m.subject, m.body, { msgID: m.id }));
      await Promise.all(acks);
    }
  });
}

function printTable(rows: Row[]): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const table = rows.map((r) => ({
    metric: r.metric,
    natgw: `${fmt(r.natgw)} ${r.unit}`,
    baseline: r.baseline ? `${fmt(r.baseline)} ${r.unit} (${r.baselineName})` : '-',
    ratio: r.baseline ? `${(r.natgw / r.baseline).toFixed(2)}x` : '-',
    goal:
      r.goalRatio === undefined || !r.baseline
        ? '-'
        : `>= ${r.goalRatio.toFixed(2)}x ${r.natgw / r.baseline >= r.goalRatio ? 'met' : 'missed'}`,
    detail: r.detail,
  }));
  const cols = ['metric', 'natgw', 'baseline', 'ratio', 'goal', 'detail'] as const;
  const width = Object.fromEntries(
    cols.map((c) => [c, Math.max(c.length, ...table.map((t) => t[c].length))]),
  ) as Record<(typeof cols)[number], number>;
  const line = (t: Record<(typeof cols)[number], string>) =>
    `| ${cols.map((c) => t[c].padEnd(width[c])).join(' | ')} |`;
  console.log(
    line({
      metric: 'metric',
      natgw: 'natgw',
      baseline: 'baseline',
      ratio: 'ratio',
      goal: 'goal',
      detail: 'detail',
    }),
  );
  console.log(`|${cols.map((c) => '-'.repeat(width[c] + 2)).join('|')}|`);
  for (const t of table) console.log(line(t));
}

async function main(): Promise<void> {
  const pg = await benchPostgres('log');
  const url = pg.url('log');
  const names = testNatsNames('bench_log');
  const raw = testNatsNames('bench_raw');
  let ds: DataSource | undefined;
  let nc: NatsConnection | undefined;
  let jsm: JetStreamManager | undefined;
  const started = Date.now();
  try {
    ds = await openDatabase({ url, poolSize: WRITERS + 2, migrations: EVENT_LOG_MIGRATIONS });
    await ds.query(`CREATE TABLE bench_raw (
      global_position bigserial PRIMARY KEY, stream_id text NOT NULL, version integer NOT NULL,
      event_id uuid NOT NULL UNIQUE, type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
      recorded_at timestamptz NOT NULL)`);
    const store = new PostgresEventStore(ds);
    nc = await connectNats({ servers: NATS_URL, name: 'natgw-bench' });
    jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await ensureEventStream(jsm, names.stream, names.prefix);
    await ensureEventStream(jsm, raw.stream, raw.prefix);

    const rows: Row[] = [];
    process.stderr.write('append, batch 1 ...\n');
    const one = await appendVersusInsert(ds, store, 1, SINGLE_APPENDS);
    rows.push({
      metric: 'append, batch 1',
      natgw: one.perRound / one.append,
      baseline: one.perRound / one.insert,
      baselineName: 'raw INSERT',
      unit: 'events/s',
      goalRatio: APPEND_GOAL,
      detail: `${one.perRound.toLocaleString('en-US')} appends a round, ${WRITERS} writers, median of ${ROUNDS} alternating rounds`,
    });
    process.stderr.write('append, batch 100 ...\n');
    const hundred = await appendVersusInsert(ds, store, BATCH, BATCHED_EVENTS);
    rows.push({
      metric: `append, batch ${BATCH}`,
      natgw: hundred.perRound / hundred.append,
      baseline: hundred.perRound / hundred.insert,
      baselineName: 'raw INSERT',
      unit: 'events/s',
      goalRatio: APPEND_GOAL,
      detail: `${hundred.perRound.toLocaleString('en-US')} events a round, ${WRITERS} writers, median of ${ROUNDS} alternating rounds`,
    });

    const total = SINGLE_APPENDS + BATCHED_EVENTS;
    process.stderr.write('readAll ...\n');
    const read = await readAllBench(store, total);
    rows.push({
      metric: 'readAll',
      natgw: total / read.seconds,
      unit: 'events/s',
      detail: `${total.toLocaleString('en-US')} events, pages of 1,000`,
    });

    process.stderr.write('relay ...\n');
    const relaySeconds = await relayBench(ds, store, js, url, names, total);
    process.stderr.write('raw JetStream publish ...\n');
    const publishSeconds = await rawPublishBench(js, raw.prefix, read.events);
    rows.push({
      metric: 'relay (published + acked)',
      natgw: total / relaySeconds,
      baseline: total / publishSeconds,
      baselineName: 'raw js.publish',
      unit: 'msgs/s',
      detail: `${total.toLocaleString('en-US')} events, ${PUBLISH_PIPELINE} in flight, msgID set`,
    });

    printTable(rows);
    console.log(
      `database: ${pg.description}; load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    const outDir = join(__dirname, 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      join(outDir, 'log.json'),
      `${JSON.stringify(
        {
          benchmark: 'log',
          date: new Date().toISOString(),
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
          seconds: (Date.now() - started) / 1000,
          loadAverage: loadavg().map((x) => Number(x.toFixed(1))),
          database: pg.description,
          results: rows.map((r) => ({
            ...r,
            ratio: r.baseline ? Number((r.natgw / r.baseline).toFixed(3)) : undefined,
          })),
        },
        null,
        2,
      )}\n`,
    );
    console.log(`\nwrote bench/results/log.json (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } finally {
    await jsm?.streams.delete(names.stream).catch(() => undefined);
    await jsm?.streams.delete(raw.stream).catch(() => undefined);
    await nc?.close();
    await ds?.destroy();
    await pg.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
