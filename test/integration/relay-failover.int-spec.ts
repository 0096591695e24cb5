import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DataSource } from 'typeorm';
import { LogNotifier, openDatabase, PostgresEventStore } from '@natgw/event-store';
import {
  advisoryLockKey,
  connectNats,
  ensureEventStream,
  JetStreamRelay,
  relayCheckpointName,
} from '@natgw/messaging';
import { createTestDatabase, dropTestDatabase, eventually, testNatsNames } from '@natgw/testing';
import { readWholeStream } from './nats-stream-reader';
import { MESSAGING_MIGRATIONS } from '@natgw/schema';

jest.setTimeout(120_000);

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const ROOT = join(__dirname, '..', '..');

/** A relay in a child process, killed like a crashed pod. */
class RelayProcess {
  readonly lines: Array<{ msg?: string }> = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(env: Record<string, string>) {
    this.child = spawn(
      process.execPath,
      [join(ROOT, 'scripts/run-ts.js'), join(__dirname, 'relay-candidate.fixture.ts')],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    let buffer = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        try {
          this.lines.push(JSON.parse(text) as { msg?: string });
        } catch {
          this.lines.push({ msg: text });
        }
      }
    });
  }

  logged(msg: string): boolean {
    return this.lines.some((l) => l.msg === msg);
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

describe('two relays on one database', () => {
  const names = testNatsNames('relay_failover');
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let notifier: LogNotifier;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let standby: JetStreamRelay;
  let leaderProcess: RelayProcess | undefined;

  beforeAll(async () => {
    url = await createTestDatabase('relay_failover');
    ds = await openDatabase({ url, poolSize: 12, migrations: MESSAGING_MIGRATIONS });
    store = new PostgresEventStore(ds);
    notifier = new LogNotifier(url);
    await notifier.start();
    nc = await connectNats({ servers: NATS_URL, name: 'relay-failover-int-spec' });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await ensureEventStream(jsm, names.stream, names.prefix);
  });

  afterAll(async () => {
    await leaderProcess?.kill();
    await standby?.stop();
    await jsm?.streams.delete(names.stream).catch(() => undefined);
    await nc?.close();
    await notifier?.stop();
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  const lockHolders = async (): Promise<number> => {
    const rows: Array<{ n: string }> = await ds.query(
      `SELECT count(*)::text AS n FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
      [advisoryLockKey(relayCheckpointName(names.stream))],
    );
    return Number(rows[0].n);
  };
  const relayConnections = async (): Promise<number> => {
    const rows: Array<{ n: string }> = await ds.query(
      `SELECT count(*)::text AS n FROM pg_stat_activity
        WHERE application_name = 'natgw-relay' AND datname = current_database()`,
    );
    return Number(rows[0].n);
  };

  it('lets only one relay publish, and another takes over within seconds when it dies', async () => {
    leaderProcess = new RelayProcess({
      DATABASE_URL: url,
      NATS_URL,
      NATS_STREAM: names.stream,
      NATS_SUBJECT_PREFIX: names.prefix,
    });
    await eventually(() => leaderProcess?.logged('relay became leader'), {
      timeoutMs: 30_000,
      what: 'the relay process to lead',
    });
    standby = new JetStreamRelay(
      { dataSource: ds, store, js, notifier },
      {
        streamName: names.stream,
        subjectPrefix: names.prefix,
        source: '/natgw/standby',
        databaseUrl: url,
        pollIntervalMs: 100,
        lockRetryMs: 500,
      },
    );
    standby.start();
    // Both candidates are connected; one lock is held, and not by the standby.
    await eventually(async () => (await relayConnections()) === 2, {
      what: 'both relays to compete for the lock',
    });
    expect(await lockHolders()).toBe(1);
    expect(standby.isLeader).toBe(false);

    let writing = true;
    const appended: string[] = [];
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; writing || i < 100; i++) {
        const r = await store.append(`failover:${(w * 13 + i) % 20}`, [
          { type: 'Tick', data: { w, i } },
          { type: 'Tick', data: { w, i, second: true } },
        ]);
        appended.push(...r.events.map((e) => e.id));
        await new Promise((res) => setTimeout(res, 2));
      }
    });

    await eventually(async () => (await jsm.streams.info(names.stream)).state.messages >= 200, {
      what: 'the leader to publish',
    });
    expect(standby.isLeader).toBe(false);
    expect(standby.published).toBe(0);

    await leaderProcess.kill();
    await eventually(() => standby.isLeader, {
      timeoutMs: 10_000,
      what: 'the standby to take over within a few seconds',
    });
    await eventually(() => standby.published > 0, { what: 'the new leader to publish' });
    writing = false;
    await Promise.all(writers);

    await eventually(async () => (await standby.lag()) === 0, {
      timeoutMs: 30_000,
      what: 'the new leader to catch up',
    });
    const logIds: string[] = (await ds.query(`SELECT event_id::text AS id FROM natgw_events`)).map(
      (r: { id: string }) => r.id,
    );
    expect(new Set(logIds)).toEqual(new Set(appended));
    const stream = await readWholeStream(jsm, js, names.stream);
    // No loss, and no duplicate got past the dedup window.
    expect(stream).toHaveLength(logIds.length);
    expect(new Set(stream.map((m) => m.msgId))).toEqual(new Set(logIds));
    const versions = new Map<string, number>();
    for (const m of stream) {
      const s = String(m.cloudEvent?.natgwstream);
      expect(m.cloudEvent?.natgwversion).toBe((versions.get(s) ?? 0) + 1);
      versions.set(s, Number(m.cloudEvent?.natgwversion));
    }
  });
});
