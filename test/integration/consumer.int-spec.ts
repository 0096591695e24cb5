import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DataSource } from 'typeorm';
import { InvalidMessageError, RecordedEvent } from '@natgw/contracts';
import { LogNotifier, openDatabase, PostgresEventStore } from '@natgw/event-store';
import {
  connectNats,
  DEAD_LETTER_EVENT_TYPE,
  deadLetterStreamId,
  DurableEventConsumer,
  DurableEventConsumerOptions,
  ensureDurableConsumer,
  ensureEventStream,
  EventHandler,
  JetStreamRelay,
  MessageDeadLetteredData,
} from '@natgw/messaging';
import { createTestDatabase, dropTestDatabase, eventually, testNatsNames } from '@natgw/testing';
import { MESSAGING_MIGRATIONS } from '@natgw/schema';

jest.setTimeout(120_000);

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const FAST_NAK = { initialMs: 50, maxMs: 200 };
const log = (level: string) => (f: object, m: string) =>
  process.env.TEST_LOG && process.stderr.write(`${level} ${m} ${JSON.stringify(f)}\n`);
const testLogger = {
  debug: log('debug'),
  info: log('info'),
  warn: log('warn'),
  error: log('error'),
};

describe('DurableEventConsumer', () => {
  const names = testNatsNames('consumer');
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let notifier: LogNotifier;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let relay: JetStreamRelay;
  const consumers: DurableEventConsumer[] = [];
  const connections: NatsConnection[] = [];

  beforeAll(async () => {
    url = await createTestDatabase('consumer');
    ds = await openDatabase({ url, poolSize: 12, migrations: MESSAGING_MIGRATIONS });
    await ds.query(`CREATE TABLE effects (consumer text NOT NULL, event_id uuid NOT NULL)`);
    store = new PostgresEventStore(ds);
    notifier = new LogNotifier(url);
    await notifier.start();
    nc = await connectNats({ servers: NATS_URL, name: 'consumer-int-spec' });
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
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await relay?.stop();
    await jsm?.streams.delete(names.stream).catch(() => undefined);
    for (const c of connections) await c.close().catch(() => undefined);
    await nc?.close();
    await notifier?.stop();
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  /** A handler that records its effect in the same transaction. */
  const recordEffect: EventHandler = async (event, ctx) => {
    await ctx.manager.query(`INSERT INTO effects (consumer, event_id) VALUES ($1, $2)`, [
      ctx.consumer,
      event.id,
    ]);
  };

  async function effects(consumer: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await ds.query(
      `SELECT event_id::text AS id FROM effects WHERE consumer = $1`,
      [consumer],
    );
    return rows.map((r) => r.id);
  }

  async function startConsumer(
    options: Omit<DurableEventConsumerOptions, 'streamName'>,
    connection: NatsConnection = nc,
  ): Promise<DurableEventConsumer> {
    const c = new DurableEventConsumer(
      {
        dataSource: ds,
        store,
        js: jetstream(connection),
        jsm: await jetstreamManager(connection),
      },
      { streamName: names.stream, nakBackoff: FAST_NAK, logger: testLogger, ...options },
    );
    consumers.push(c);
    await c.start();
    return c;
  }

  const subject = (category: string) => `${names.prefix}.events.${category}.>`;

  it('creates and updates a durable consumer idempotently, also when raced', async () => {
    const config = {
      durable: 'ensured',
      filterSubject: subject('ensured'),
      maxDeliver: 5,
      ackWaitMs: 1_000,
      maxAckPending: 100,
    };
    const raced = await Promise.all(
      [1, 2, 3].map(() => ensureDurableConsumer(jsm, names.stream, config)),
    );
    expect(raced.map((i) => i.name)).toEqual(['ensured', 'ensured', 'ensured']);
    const updated = await ensureDurableConsumer(jsm, names.stream, {
      ...config,
      filterSubject: `${names.prefix}.events.ensured.Only`,
      maxDeliver: 7,
      ackWaitMs: 2_000,
    });
    expect(updated.config).toMatchObject({
      durable_name: 'ensured',
      ack_policy: AckPolicy.Explicit,
      filter_subject: `${names.prefix}.events.ensured.Only`,
      max_deliver: 7,
      ack_wait: 2_000_000_000,
      max_ack_pending: 100,
    });
  });

  it('acks only after commit: a consumer killed before its ack changes nothing on redelivery', async () => {
    const killed = await connectNats({ servers: NATS_URL, name: 'doomed-consumer' });
    connections.push(killed);
    let handlerRuns = 0;
    const first = await startConsumer(
      {
        durable: 'killed-before-ack',
        filterSubject: subject('kill'),
        ackWaitMs: 2_000,
        handler: async (event, ctx) => {
          handlerRuns++;
          await recordEffect(event, ctx);
        },
        // The process "dies" between the commit and the ack.
        hooks: { beforeAck: () => killed.close() },
      },
      killed,
    );
    const [event] = (await store.append('kill:1', [{ type: 'KillMe', data: {} }])).events;
    await eventually(async () => (await effects('killed-before-ack')).length === 1, {
      what: 'the first delivery to commit',
    });
    await eventually(() => !first.isConsuming, { what: 'the killed consumer to stop' });
    expect(first.stats.handled).toBe(1);

    const seen: number[] = [];
    const second = await startConsumer({
      durable: 'killed-before-ack',
      filterSubject: subject('kill'),
      ackWaitMs: 2_000,
      handler: async (e, ctx) => {
        seen.push(ctx.deliveryCount);
        await recordEffect(e, ctx);
      },
    });
    // The server may redeliver more than once meanwhile; every redelivery is skipped.
    await eventually(() => second.stats.duplicates >= 1, {
      what: 'the redelivery to be skipped by the inbox',
    });
    expect(await effects('killed-before-ack')).toEqual([event.id]);
    expect(handlerRuns).toBe(1);
    expect(seen).toEqual([]);
    expect(second.stats.handled).toBe(0);
    const info = await jsm.consumers.info(names.stream, 'killed-before-ack');
    expect(info.num_ack_pending).toBe(0);
    expect(info.delivered.consumer_seq).toBeGreaterThanOrEqual(2);
  });

  it('retries a transient handler failure with delayed naks and applies the event once', async () => {
    const attempts: number[] = [];
    const c = await startConsumer({
      durable: 'flaky',
      filterSubject: subject('flaky'),
      handler: async (event, ctx) => {
        attempts.push(ctx.deliveryCount);
        await recordEffect(event, ctx);
        if (attempts.length <= 2) throw new Error('database hiccup');
      },
    });
    const [event] = (await store.append('flaky:1', [{ type: 'Flaky', data: {} }])).events;
    await eventually(() => c.stats.handled === 1, { what: 'the third attempt to succeed' });
    expect(attempts).toEqual([1, 2, 3]);
    expect(c.stats.naks).toBe(2);
    // The failed attempts rolled back with their transaction.
    expect(await effects('flaky')).toEqual([event.id]);
  });

  it('dead-letters poison messages and keeps processing the messages behind them', async () => {
    const c = await startConsumer({
      durable: 'poison',
      filterSubject: subject('poison'),
      handler: async (event, ctx) => {
        if ((event.data as { bad?: boolean }).bad) {
          throw new InvalidMessageError('field "bad" must not be set');
        }
        await recordEffect(event, ctx);
      },
    });
    const before = await store.append('poison:1', [{ type: 'Valid', data: { n: 0 } }]);
    await eventually(async () => (await effects('poison')).length === 1, {
      what: 'the first valid event',
    });
    // Foreign publishes straight onto the subject: not JSON, and JSON missing attributes.
    await js.publish(`${names.prefix}.events.poison.Garbage`, new Uint8Array([0xff, 0x00, 0xfe]));
    await js.publish(
      `${names.prefix}.events.poison.Partial`,
      JSON.stringify({ specversion: '1.0', id: 'x' }),
    );
    const rejected = await store.append('poison:2', [{ type: 'Valid', data: { bad: true } }]);
    const after = await store.append(
      'poison:1',
      Array.from({ length: 5 }, (_, n) => ({ type: 'Valid', data: { n: n + 1 } })),
    );
    const valid = [...before.events, ...after.events].map((e) => e.id).sort();
    await eventually(async () => (await effects('poison')).length === 6, {
      what: 'the valid events after the poison',
    });
    expect((await effects('poison')).sort()).toEqual(valid);

    const letters = await eventually(
      async () => {
        const events = await store.readStream(deadLetterStreamId('poison'));
        return events.length === 3 ? events : undefined;
      },
      { what: 'three dead letters' },
    );
    expect(letters.every((e) => e.type === DEAD_LETTER_EVENT_TYPE)).toBe(true);
    const data = letters.map((e) => e.data as MessageDeadLetteredData);
    const bySubject = new Map(data.map((d) => [d.subject.split('.').pop(), d]));
    expect(bySubject.get('Garbage')).toMatchObject({
      consumer: 'poison',
      stream: names.stream,
      rawEncoding: 'base64',
      raw: Buffer.from([0xff, 0x00, 0xfe]).toString('base64'),
      deliveryCount: 1,
    });
    expect(bySubject.get('Garbage')?.reason).toMatch(/^unparseable: message is not JSON/);
    expect(bySubject.get('Partial')).toMatchObject({
      rawEncoding: 'utf8',
      raw: JSON.stringify({ specversion: '1.0', id: 'x' }),
    });
    expect(bySubject.get('Partial')?.reason).toMatch(/^unparseable: CloudEvent attribute/);
    expect(bySubject.get('Valid')).toMatchObject({ eventId: rejected.events[0].id });
    expect(bySubject.get('Valid')?.reason).toBe(
      'rejected by the handler: field "bad" must not be set',
    );
    expect(letters.find((e) => e.data === bySubject.get('Valid'))?.metadata.causationId).toBe(
      rejected.events[0].id,
    );
    expect(c.stats.deadLettered).toBe(3);
    // Terminated, not left pending: nothing is redelivered.
    const info = await jsm.consumers.info(names.stream, 'poison');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('dead-letters a message that fails on every allowed delivery', async () => {
    const c = await startConsumer({
      durable: 'hopeless',
      filterSubject: subject('hopeless'),
      maxDeliver: 3,
      handler: async () => {
        throw new Error('always down');
      },
    });
    const [event] = (await store.append('hopeless:1', [{ type: 'Hopeless', data: {} }])).events;
    const [letter] = await eventually(
      async () => {
        const events = await store.readStream(deadLetterStreamId('hopeless'));
        return events.length === 1 ? events : undefined;
      },
      { what: 'the dead letter' },
    );
    const data = letter.data as MessageDeadLetteredData;
    expect(data.eventId).toBe(event.id);
    expect(data.deliveryCount).toBe(3);
    expect(data.reason).toBe('failed on all 3 deliveries (max_deliver); last error: always down');
    expect(c.stats.naks).toBe(2);
    expect(c.stats.deadLettered).toBe(1);
  });

  it('passes only the selected types to the handler and acks the others', async () => {
    const got: RecordedEvent[] = [];
    const c = await startConsumer({
      durable: 'typed',
      filterSubject: subject('typed'),
      types: ['Wanted'],
      handler: async (event) => {
        got.push(event);
      },
    });
    await store.append('typed:1', [
      { type: 'Unwanted', data: {} },
      { type: 'Wanted', data: { n: 1 }, metadata: { correlationId: 'corr-1' } },
      { type: 'Unwanted', data: {} },
    ]);
    await eventually(() => c.stats.handled + c.stats.ignored === 3, { what: 'three messages' });
    expect(got.map((e) => [e.type, e.data, e.metadata.correlationId])).toEqual([
      ['Wanted', { n: 1 }, 'corr-1'],
    ]);
    expect(c.stats.ignored).toBe(2);
  });

  it('handles a burst in few transactions, exactly once, and isolates a poison message in a batch', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const transactions = new Set<string>();
    let held = false;
    const c = await startConsumer({
      durable: 'burst',
      filterSubject: subject('burst'),
      types: ['Burst'],
      handler: async (event, ctx) => {
        if ((event.data as { n: number }).n === 0) {
          held = true;
          await gate;
        }
        if ((event.data as { bad?: boolean }).bad) {
          throw new InvalidMessageError('field "bad" must not be set');
        }
        const [{ txid }] = (await ctx.manager.query(
          `SELECT txid_current()::text AS txid`,
        )) as Array<{
          txid: string;
        }>;
        transactions.add(txid);
        await recordEffect(event, ctx);
      },
    });
    const [first] = (await store.append('burst:0', [{ type: 'Burst', data: { n: 0 } }])).events;
    await eventually(() => held, { what: 'the first message to be held' });
    // While the first is held, a burst arrives: 60 events, a poison one among them, and
    // events the handler does not select.
    const burst = await store.append(
      'burst:1',
      Array.from({ length: 60 }, (_, i) =>
        i === 30
          ? { type: 'Burst', data: { n: i + 1, bad: true } }
          : i % 10 === 5
            ? { type: 'Other', data: {} }
            : { type: 'Burst', data: { n: i + 1 } },
      ),
    );
    release();
    const wanted = [first, ...burst.events].filter(
      (e) => e.type === 'Burst' && !(e.data as { bad?: boolean }).bad,
    );
    await eventually(async () => (await effects('burst')).length === wanted.length, {
      what: 'every valid event of the burst',
    });
    await eventually(() => c.stats.deadLettered === 1, { what: 'the poison event dead-lettered' });
    expect((await effects('burst')).sort()).toEqual(wanted.map((e) => e.id).sort());
    expect(c.stats.handled).toBe(wanted.length);
    expect(c.stats.ignored).toBe(6);
    // The 48 valid events after the first came in a handful of transactions, not 48 (the
    // batch with the poison event was rolled back and redone one at a time).
    expect(transactions.size).toBeLessThanOrEqual(10);
    const [letter] = await store.readStream(deadLetterStreamId('burst'));
    expect((letter.data as MessageDeadLetteredData).eventId).toBe(burst.events[30].id);
    const info = await jsm.consumers.info(names.stream, 'burst');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('stops gracefully: the message in flight commits and is acked before stop() returns', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered = false;
    const c = await startConsumer({
      durable: 'graceful',
      filterSubject: subject('graceful'),
      handler: async (event, ctx) => {
        entered = true;
        await gate;
        await recordEffect(event, ctx);
      },
    });
    await store.append('graceful:1', [{ type: 'Slow', data: {} }]);
    await eventually(() => entered, { what: 'the handler to start' });
    const stopping = c.stop();
    release();
    await stopping;
    expect(c.isConsuming).toBe(false);
    expect(await effects('graceful')).toHaveLength(1);
    expect(c.stats.handled).toBe(1);
    expect(c.stats.ackFailures).toBe(0);
    const info = await jsm.consumers.info(names.stream, 'graceful');
    expect(info.num_ack_pending).toBe(0);
  });
});
