// natgw on a 3-node JetStream cluster, named by a NATS_URL list, with the event stream
// at 3 replicas. While events are appended, one node is killed with SIGKILL (first the
// stream's leader, then the new leader) and restarted. Afterwards: every acknowledged
// append is in the stream exactly once and in log order, the durable consumer handled
// each exactly once, and an external subscriber (examples/subscriber.ts, given the
// same URL list) saw every event.
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DataSource } from 'typeorm';
import { LogNotifier, openDatabase, PostgresEventStore } from '@natgw/event-store';
import {
  connectNats,
  DurableEventConsumer,
  ensureEventStream,
  JetStreamRelay,
} from '@natgw/messaging';
import { MESSAGING_MIGRATIONS } from '@natgw/schema';
import {
  createTestDatabase,
  dropTestDatabase,
  eventually,
  PrivateNatsCluster,
  sleep,
  testNatsNames,
} from '@natgw/testing';
import { readWholeStream } from '../integration/nats-stream-reader';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
/** At least this many events; writes go on until both faults are over. */
const MIN_EVENTS = 400;
const WRITERS = 3;

/** examples/subscriber.ts in its own process, as an external user runs it. */
class ExternalSubscriber {
  readonly ids = new Set<string>();
  deliveries = 0;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(natsUrl: string, stream: string, prefix: string) {
    this.child = spawn(
      process.execPath,
      [
        'scripts/run-ts.js',
        'examples/subscriber.ts',
        '--url',
        natsUrl,
        '--from-start',
        '--durable',
        'ext-cluster',
        '--json',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, NATS_STREAM: stream, NATS_SUBJECT_PREFIX: prefix },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    let buffer = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (!line.startsWith('{')) continue;
        this.deliveries++;
        this.ids.add((JSON.parse(line) as { id: string }).id);
      }
    });
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

describe('a 3-node NATS cluster (NATS_URL list, NATS_STREAM_REPLICAS=3) losing nodes under writes', () => {
  const names = testNatsNames('nats-cluster');
  let cluster: PrivateNatsCluster;
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let notifier: LogNotifier;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let relay: JetStreamRelay;
  let consumer: DurableEventConsumer;
  let subscriber: ExternalSubscriber;
  const faults: string[] = [];

  beforeAll(async () => {
    cluster = await PrivateNatsCluster.start(3);
    url = await createTestDatabase('nats-cluster');
    ds = await openDatabase({ url, poolSize: 8, migrations: MESSAGING_MIGRATIONS });
    await ds.query(`CREATE TABLE effects (event_id uuid NOT NULL)`);
    store = new PostgresEventStore(ds);
    notifier = new LogNotifier(url);
    await notifier.start();
    nc = await connectNats({ servers: cluster.url, name: 'nats-cluster-int-spec' });
    // No API check now: a new cluster answers JetStream requests once it has a meta leader.
    jsm = await jetstreamManager(nc, { checkAPI: false });
    js = jetstream(nc);
    // The cluster answers JetStream requests once it has elected its meta leader.
    await eventually(() => ensureEventStream(jsm, names.stream, names.prefix, { replicas: 3 }), {
      what: 'the R3 stream on the new cluster',
      timeoutMs: 60_000,
      intervalMs: 500,
    });
  });

  afterAll(async () => {
    await subscriber?.stop();
    await consumer?.stop();
    await relay?.stop();
    await nc?.close();
    await notifier?.stop();
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
    await cluster?.destroy();
  });

  /** The stream leader's server name, asked until the cluster answers. */
  const leader = () =>
    eventually(async () => (await jsm.streams.info(names.stream)).cluster?.leader, {
      what: 'a stream leader',
      timeoutMs: 60_000,
      intervalMs: 250,
    });

  /** True once every replica is current again. */
  const healed = async () => {
    const info = await jsm.streams.info(names.stream);
    const replicas = info.cluster?.replicas ?? [];
    return replicas.length === 2 && replicas.every((r) => r.current && !r.offline);
  };

  it('loses nothing acknowledged; consumers continue; the external subscriber sees every event', async () => {
    const info = await jsm.streams.info(names.stream);
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas).toHaveLength(2);

    relay = new JetStreamRelay(
      { dataSource: ds, store, js, notifier },
      {
        streamName: names.stream,
        subjectPrefix: names.prefix,
        source: '/natgw/test',
        databaseUrl: url,
        pollIntervalMs: 100,
        publishTimeoutMs: 2_000,
      },
    );
    relay.start();
    consumer = new DurableEventConsumer(
      { dataSource: ds, store, js, jsm },
      {
        streamName: names.stream,
        durable: 'cluster-consumer',
        filterSubject: `${names.prefix}.events.>`,
        ackWaitMs: 5_000,
        handler: async (event, ctx) => {
          await ctx.manager.query(`INSERT INTO effects (event_id) VALUES ($1)`, [event.id]);
        },
      },
    );
    await consumer.start();
    subscriber = new ExternalSubscriber(cluster.url, names.stream, names.prefix);
    // Faults begin once the subscriber runs (it has seen a first event).
    const acked: string[] = [];
    const first = await store.append('cluster:warmup', [{ type: 'ClusterTick', data: { n: -1 } }]);
    acked.push(...first.events.map((e) => e.id));
    await eventually(() => subscriber.ids.size > 0, {
      what: 'the external subscriber to start',
      timeoutMs: 60_000,
      intervalMs: 100,
    });

    let written = 0;
    let chaosOver = false;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      while (!chaosOver || written < MIN_EVENTS) {
        const n = written++;
        const r = await store.append(`cluster:${(n * 7 + w) % 30}`, [
          { type: 'ClusterTick', data: { n } },
        ]);
        acked.push(...r.events.map((e) => e.id));
        await sleep(25);
      }
    });

    const t0 = Date.now();
    const at = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    const chaos = (async () => {
      // The stream leader, then whoever leads after it, each killed and restarted.
      for (let round = 0; round < 2; round++) {
        await sleep(1_500);
        const victim = await leader();
        faults.push(`SIGKILL ${victim} (stream leader) at ${at()}, ${acked.length} acked`);
        await cluster.node(victim).stop('SIGKILL');
        await sleep(2_000);
        expect(await leader()).not.toBe(victim);
        await cluster.node(victim).start();
        faults.push(`${victim} restarted at ${at()}`);
        await eventually(healed, {
          what: `${victim} to catch up`,
          timeoutMs: 60_000,
          intervalMs: 500,
        });
      }
      faults.push(`both caught up at ${at()}, ${acked.length} acked`);
      chaosOver = true;
    })();

    await Promise.all([...writers, chaos]);
    expect(faults).toHaveLength(5);
    const EVENTS = acked.length;
    expect(EVENTS).toBeGreaterThanOrEqual(MIN_EVENTS);

    // The log's order of the acknowledged events: the order the relay must keep.
    const logOrder: string[] = (
      await ds.query(`SELECT event_id FROM natgw_events ORDER BY transaction_id, global_position`)
    ).map((r: { event_id: string }) => r.event_id);
    expect(new Set(logOrder)).toEqual(new Set(acked));

    const stored = await eventually(
      async () => {
        const all = await readWholeStream(jsm, js, names.stream);
        return all.length >= EVENTS ? all : undefined;
      },
      { what: 'every acknowledged event in the stream', timeoutMs: 60_000, intervalMs: 500 },
    );
    const streamIds = stored.map((m) => m.msgId);
    expect(streamIds).toEqual(logOrder);

    await eventually(
      async () => {
        const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM effects`);
        return n >= EVENTS;
      },
      { what: 'the consumer to handle every event', timeoutMs: 60_000, intervalMs: 250 },
    );
    const effects: Array<{ event_id: string; n: number }> = await ds.query(
      `SELECT event_id, count(*)::int AS n FROM effects GROUP BY event_id`,
    );
    expect(effects).toHaveLength(EVENTS);
    expect(effects.filter((e) => e.n !== 1)).toEqual([]);
    expect(new Set(effects.map((e) => e.event_id))).toEqual(new Set(acked));

    await eventually(() => subscriber.ids.size >= EVENTS, {
      what: 'the external subscriber to see every event',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    expect(subscriber.ids).toEqual(new Set(acked));
    process.stderr.write(
      `[nats-cluster] ${faults.join('; ')}; subscriber deliveries ${subscriber.deliveries} for ${EVENTS} events\n`,
    );
  });
});
