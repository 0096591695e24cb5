import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { LogNotifier, openDatabase, PostgresEventStore } from '@natgw/event-store';
import {
  connectNats,
  ensureEventStream,
  JetStreamRelay,
  relayCheckpointName,
} from '@natgw/messaging';
import { createTestDatabase, dropTestDatabase, eventually, testNatsNames } from '@natgw/testing';
import { readWholeStream, StoredMessage } from './nats-stream-reader';
import { MESSAGING_MIGRATIONS } from '@natgw/schema';

jest.setTimeout(120_000);

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

describe('JetStreamRelay', () => {
  const names = testNatsNames('relay');
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let notifier: LogNotifier;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let relay: JetStreamRelay;

  const streamMessages = async () => (await jsm.streams.info(names.stream)).state.messages;

  beforeAll(async () => {
    url = await createTestDatabase('relay');
    ds = await openDatabase({ url, poolSize: 12, migrations: MESSAGING_MIGRATIONS });
    store = new PostgresEventStore(ds);
    notifier = new LogNotifier(url);
    await notifier.start();
    nc = await connectNats({ servers: NATS_URL, name: 'relay-int-spec' });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await ensureEventStream(jsm, names.stream, names.prefix);
    relay = new JetStreamRelay(
      { dataSource: ds, store, js, notifier },
      {
        streamName: names.stream,
        subjectPrefix: names.prefix,
        source: '/natgw/test',
        databaseUrl: url,
        pollIntervalMs: 100,
      },
    );
    relay.start();
    await eventually(() => relay.isLeader, { what: 'the only relay to lead' });
  });

  afterAll(async () => {
    await relay?.stop();
    await jsm?.streams.delete(names.stream).catch(() => undefined);
    await nc?.close();
    await notifier?.stop();
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  it('creates the stream idempotently, and leaves a tunable setting of an existing one alone', async () => {
    const again = await ensureEventStream(jsm, names.stream, names.prefix);
    expect(again.config.subjects).toEqual([`${names.prefix}.events.>`]);
    expect(again.config.duplicate_window).toBe(120_000_000_000);
    const reported: unknown[] = [];
    const kept = await ensureEventStream(jsm, names.stream, names.prefix, {
      duplicateWindowMs: 90_000,
      onDifference: (d) => reported.push(...d),
    });
    expect(kept.config.duplicate_window).toBe(120_000_000_000);
    expect(reported).toEqual([
      { setting: 'duplicate_window', stream: 120_000_000_000, config: 90_000_000_000 },
    ]);
  });

  it('keeps the stream append-only: no purge, no message delete, also on a stream made without those rules', async () => {
    const current = await jsm.streams.info(names.stream);
    expect(current.config).toMatchObject({ deny_delete: true, deny_purge: true });
    const old = testNatsNames('relay-deny');
    try {
      await jsm.streams.add({ name: old.stream, subjects: [`${old.prefix}.events.>`] });
      await js.publish(`${old.prefix}.events.x.Y`, '{}');
      const kept = await ensureEventStream(jsm, old.stream, old.prefix);
      expect(kept.config).toMatchObject({ deny_delete: true, deny_purge: true });
      await expect(jsm.streams.purge(old.stream)).rejects.toThrow(/purge not permitted|denied/i);
      await expect(jsm.streams.deleteMessage(old.stream, 1)).rejects.toThrow(
        /delete not permitted|denied/i,
      );
      expect((await jsm.streams.info(old.stream)).state.messages).toBe(1);
    } finally {
      await jsm.streams.delete(old.stream).catch(() => undefined);
    }
  });

  it('publishes 8 concurrent appenders x 2,000 events over 50 streams exactly once, in stream order', async () => {
    const writers = 8;
    const perWriter = 2000;
    const before = await streamMessages();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i += 10) {
          const stream = `load:${(w * 7 + i / 10) % 50}`;
          const batch = Array.from({ length: 10 }, (_, k) => ({
            type: 'Loaded',
            data: { w, i: i + k },
          }));
          await store.append(stream, batch, { expectedVersion: 'any' });
        }
      }),
    );
    const total = writers * perWriter;
    await eventually(async () => (await streamMessages()) >= before + total, {
      timeoutMs: 60_000,
      what: `${total} messages in JetStream`,
    });
    const logIds = (
      await ds.query(`SELECT event_id::text AS id FROM natgw_events WHERE stream_id LIKE 'load:%'`)
    ).map((r: { id: string }) => r.id);
    expect(logIds).toHaveLength(total);

    const all = await readWholeStream(jsm, js, names.stream);
    const load = all.filter((m) => String(m.cloudEvent?.natgwstream).startsWith('load:'));
    expect(load).toHaveLength(total);
    // Exactly once: the ids published are the ids in the log, none twice.
    expect(new Set(load.map((m) => m.msgId)).size).toBe(total);
    expect(new Set(load.map((m) => m.msgId))).toEqual(new Set(logIds));
    for (const m of load) expect(m.cloudEvent?.id).toBe(m.msgId);
    // Per log stream, versions arrive contiguous and in order.
    const versions = new Map<string, number>();
    for (const m of load) {
      const stream = String(m.cloudEvent?.natgwstream);
      const prev = versions.get(stream) ?? 0;
      expect(m.cloudEvent?.natgwversion).toBe(prev + 1);
      versions.set(stream, prev + 1);
    }
    expect(versions.size).toBe(50);
    // Subjects follow <prefix>.events.<category>.<Type>.
    expect(new Set(load.map((m) => m.subject))).toEqual(
      new Set([`${names.prefix}.events.load.Loaded`]),
    );
    // The whole stream is in log commit order.
    assertCommitOrder(all);
    await eventually(async () => (await relay.lag()) === 0, { what: 'relay lag 0' });
    expect(relay.published).toBeGreaterThanOrEqual(total);
  });

  it('does not skip a transaction that commits late', async () => {
    const early = new Client({ connectionString: url });
    const late = new Client({ connectionString: url });
    await early.connect();
    await late.connect();
    const lateId = randomUUID();
    const earlyId = randomUUID();
    try {
      // `early` takes its xid first but appends after `late`: its event gets a
      // higher global position than the late one and still commits (and is
      // relayed) while `late` is open. A position-only reader would now have
      // passed the late event's position for good.
      await early.query('BEGIN');
      await early.query('SELECT pg_current_xact_id()');
      await late.query('BEGIN');
      await late.query(
        `SELECT * FROM natgw_append('late:1','any',ARRAY[$1::uuid],ARRAY['Late'],ARRAY['{}'::jsonb],ARRAY['{}'::jsonb],now())`,
        [lateId],
      );
      await early.query(
        `SELECT * FROM natgw_append('early:1','any',ARRAY[$1::uuid],ARRAY['Early'],ARRAY['{}'::jsonb],ARRAY['{}'::jsonb],now())`,
        [earlyId],
      );
      await early.query('COMMIT');
      const positions = await ds.query(
        `SELECT event_id::text AS id, global_position::text AS pos FROM natgw_events WHERE event_id = $1`,
        [earlyId],
      );
      expect(positions).toHaveLength(1);
      await eventually(async () => (await lastIdOn('early.Early')) === earlyId, {
        what: 'the early event to be relayed while the late transaction is open',
      });
      // The checkpoint is stored right after the publish ack: wait for it, too.
      await eventually(
        async () => {
          const checkpoint = await store.loadCheckpoint(relayCheckpointName(names.stream));
          return BigInt(checkpoint.globalPosition) >= BigInt(positions[0].pos);
        },
        { what: 'the relay checkpoint to pass the early event' },
      );

      // Later appends commit while `late` is still open.
      const later = await store.append('later:1', [
        { type: 'Later', data: { n: 1 } },
        { type: 'Later', data: { n: 2 } },
      ]);
      expect(await lastIdOn('late.Late')).toBeUndefined();
      await late.query('COMMIT');

      const laterIds = later.events.map((e) => e.id);
      await eventually(
        async () =>
          (await lastIdOn('late.Late')) === lateId &&
          (await lastIdOn('later.Later')) === laterIds[1],
        { what: 'the late and later events to be relayed' },
      );
      const all = await readWholeStream(jsm, js, names.stream);
      const relevant = all.filter((m) => [lateId, earlyId, ...laterIds].includes(m.msgId ?? ''));
      expect(relevant.map((m) => m.msgId)).toEqual([earlyId, lateId, ...laterIds]);
      assertCommitOrder(all);
    } finally {
      await early.end();
      await late.end();
    }
  });

  it('keeps log order when a publish in the middle of a pipelined batch is lost', async () => {
    const lossyNames = testNatsNames('relay_lossy');
    for (let i = 0; i < 20; i++) {
      await store.append(
        `lossy:${i % 3}`,
        Array.from({ length: 100 }, (_, k) => ({ type: 'Lossy', data: { i, k } })),
      );
    }
    await ensureEventStream(jsm, lossyNames.stream, lossyNames.prefix);
    // A connection that loses two publishes mid-batch while later ones get through:
    // without the last-msg-id expectation those later events would land first.
    let calls = 0;
    const lost: string[] = [];
    const lossy = Object.create(js) as JetStreamClient;
    lossy.publish = (subject, payload, opts) => {
      calls++;
      if (calls === 250 || calls === 1700) {
        lost.push(opts?.msgID ?? '');
        return Promise.reject(new Error('lost on the wire'));
      }
      return js.publish(subject, payload, opts);
    };
    const lossyRelay = new JetStreamRelay(
      { dataSource: ds, store, js: lossy, notifier },
      {
        streamName: lossyNames.stream,
        subjectPrefix: lossyNames.prefix,
        source: '/natgw/test',
        databaseUrl: url,
        batchSize: 500,
        pollIntervalMs: 100,
        retryBackoff: { initialMs: 10, maxMs: 50 },
      },
    );
    try {
      lossyRelay.start();
      await eventually(async () => (await lossyRelay.lag()) === 0, {
        timeoutMs: 60_000,
        what: 'the lossy relay to catch up',
      });
      expect(lost).toHaveLength(2);
      expect(lossyRelay.failures).toBeGreaterThanOrEqual(2);
      const logCount = Number((await ds.query(`SELECT count(*) AS n FROM natgw_events`))[0].n);
      const all = await readWholeStream(jsm, js, lossyNames.stream);
      expect(all).toHaveLength(logCount);
      expect(new Set(all.map((m) => m.msgId)).size).toBe(logCount);
      for (const id of lost) expect(all.some((m) => m.msgId === id)).toBe(true);
      assertCommitOrder(all);
    } finally {
      await lossyRelay.stop();
      await jsm.streams.delete(lossyNames.stream).catch(() => undefined);
    }
  });

  it('reports its lag from the stored checkpoint', async () => {
    await eventually(async () => (await relay.lag()) === 0, { what: 'lag 0' });
    const checkpoint = await store.loadCheckpoint(relayCheckpointName(names.stream));
    expect(await store.countAfter(checkpoint)).toBe(0);
  });

  /** The Nats-Msg-Id of the last message on `<prefix>.events.<suffix>`, if any. */
  async function lastIdOn(suffix: string): Promise<string | undefined> {
    const m = await jsm.streams.getMessage(names.stream, {
      last_by_subj: `${names.prefix}.events.${suffix}`,
    });
    return m?.header.get('Nats-Msg-Id') || undefined;
  }
});

/** Messages appear in the order of their (transaction id, global position) pairs. */
function assertCommitOrder(messages: StoredMessage[]): void {
  let prev: [bigint, bigint] = [0n, 0n];
  for (const m of messages) {
    const tx = BigInt(String(m.cloudEvent?.natgwtxid));
    const pos = BigInt(String(m.cloudEvent?.natgwposition));
    const after = tx > prev[0] || (tx === prev[0] && pos > prev[1]);
    if (!after) {
      throw new Error(
        `message ${m.seq} (${tx}/${pos}) is out of commit order after ${prev[0]}/${prev[1]}`,
      );
    }
    prev = [tx, pos];
  }
}
