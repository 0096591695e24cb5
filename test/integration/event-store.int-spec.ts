import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import {
  ConcurrencyError,
  LOG_START,
  openDatabase,
  PostgresEventStore,
  Checkpoint,
} from '@natgw/event-store';
import { createTestDatabase, dropTestDatabase } from '@natgw/testing';
import { EVENT_LOG_MIGRATIONS } from '@natgw/schema';

jest.setTimeout(120_000);

// An empty page means "nothing visible yet", not "caught up": any transaction in
// flight on the server (autovacuum included) holds later commits back. So read
// until the expected number of events has arrived.
async function readUntil(
  store: PostgresEventStore,
  from: Checkpoint,
  want: (all: RecordedEvent[]) => boolean,
) {
  const all: RecordedEvent[] = [];
  let after = from;
  const deadline = Date.now() + 30_000;
  while (!want(all)) {
    if (Date.now() > deadline) throw new Error(`readAll stalled after ${all.length} events`);
    const { events, checkpoint } = await store.readAll({ after, limit: 1000 });
    if (events.length === 0) await new Promise((r) => setTimeout(r, 20));
    all.push(...events);
    after = checkpoint;
  }
  return { events: all, checkpoint: after };
}

async function readEverything(store: PostgresEventStore, from: Checkpoint = LOG_START) {
  const total = Number(await store.countAfter(from));
  return readUntil(store, from, (all) => all.length >= total);
}

describe('PostgresEventStore', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;

  beforeAll(async () => {
    url = await createTestDatabase('event_store');
    ds = await openDatabase({ url, poolSize: 12, migrations: EVENT_LOG_MIGRATIONS });
    store = new PostgresEventStore(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropTestDatabase(url);
  });

  it('appends atomically and reads a stream back in version order', async () => {
    const r = await store.append(
      'thing:a',
      [
        { type: 'ThingCreated', data: { n: 1 } },
        { type: 'ThingUpdated', data: { n: 2 }, metadata: { correlationId: 'c-1' } },
      ],
      { expectedVersion: 'no-stream' },
    );
    expect(r.duplicate).toBe(false);
    expect(r.nextExpectedVersion).toBe(2);
    expect(r.events.map((e) => e.version)).toEqual([1, 2]);
    const events = await store.readStream('thing:a');
    expect(events.map((e) => [e.type, e.version, e.data])).toEqual([
      ['ThingCreated', 1, { n: 1 }],
      ['ThingUpdated', 2, { n: 2 }],
    ]);
    expect(events[1].metadata.correlationId).toBe('c-1');
    expect(await store.readStream('thing:a', { fromVersion: 2 })).toHaveLength(1);
  });

  it('throws ConcurrencyError on a stale expected version and writes nothing', async () => {
    await store.append('thing:b', [{ type: 'ThingCreated', data: {} }], {
      expectedVersion: 'no-stream',
    });
    await expect(
      store.append('thing:b', [{ type: 'ThingCreated', data: {} }], {
        expectedVersion: 'no-stream',
      }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    const stale = store.append(
      'thing:b',
      [
        { type: 'ThingUpdated', data: {} },
        { type: 'ThingUpdated', data: {} },
      ],
      {
        expectedVersion: 0,
      },
    );
    await expect(stale).rejects.toMatchObject({ name: 'ConcurrencyError', actual: 1, expected: 0 });
    await expect(
      store.append('thing:nothing', [{ type: 'X', data: {} }], { expectedVersion: 'exists' }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.streamVersion('thing:b')).toBe(1);
    expect(await store.streamVersion('thing:nothing')).toBe(0);
    const ok = await store.append('thing:b', [{ type: 'ThingUpdated', data: {} }], {
      expectedVersion: 1,
    });
    expect(ok.nextExpectedVersion).toBe(2);
  });

  it('stores an event id once, and reports the second append as a duplicate', async () => {
    const id = randomUUID();
    const first = await store.append('thing:c', [{ id, type: 'ThingCreated', data: { v: 1 } }]);
    expect(first.duplicate).toBe(false);
    // A retry with the now-stale expected version is still recognised as a duplicate.
    const again = await store.append('thing:c', [{ id, type: 'ThingCreated', data: { v: 1 } }], {
      expectedVersion: 'no-stream',
    });
    expect(again.duplicate).toBe(true);
    expect(again.events).toEqual([]);
    const rows = await ds.query('SELECT count(*)::int AS n FROM natgw_events WHERE event_id = $1', [
      id,
    ]);
    expect(rows[0].n).toBe(1);
    // Racing the same id into two streams stores it once.
    const raced = randomUUID();
    const results = await Promise.all(
      ['thing:r1', 'thing:r2', 'thing:r3'].map((s) =>
        store.append(s, [{ id: raced, type: 'T', data: {} }]),
      ),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
  });

  it('rejects bad appends with a clear error and writes nothing', async () => {
    await expect(store.append('thing:d', [])).rejects.toThrow('at least one event');
    await expect(store.append('thing:d', [{ id: 'nope', type: 'T', data: {} }])).rejects.toThrow(
      'not a UUID',
    );
    await expect(store.append('thing:d', [{ type: '', data: {} }])).rejects.toThrow(
      'non-empty type',
    );
    expect(await store.streamVersion('thing:d')).toBe(0);
  });

  it('8 concurrent appenders x 2,000 events over 50 streams: readAll returns each once, in contiguous stream order', async () => {
    const start = (await readEverything(store)).checkpoint;
    const writers = 8;
    const perWriter = 2000;
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
    const read = await readEverything(store, start);
    const events = read.events.filter((e) => e.streamId.startsWith('load:'));
    expect(events).toHaveLength(writers * perWriter);
    expect(new Set(read.events.map((e) => e.id)).size).toBe(read.events.length);
    expect(new Set(events.map((e) => e.id)).size).toBe(writers * perWriter);
    const seen = new Map<string, number>();
    for (const e of events) {
      const prev = seen.get(e.streamId) ?? 0;
      expect(e.version).toBe(prev + 1);
      seen.set(e.streamId, e.version);
    }
    expect(seen.size).toBe(50);
    for (const [stream, version] of seen) expect(await store.streamVersion(stream)).toBe(version);
  });

  it('never skips a transaction that commits after later ones were read', async () => {
    const { checkpoint: start } = await readEverything(store);
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      // An append in a transaction that stays open: it takes its xid now, commits last.
      await client.query('BEGIN');
      await client.query(
        `SELECT * FROM natgw_append('late:1', 'any', ARRAY[$1::uuid], ARRAY['Late'], ARRAY['{}'::jsonb], ARRAY['{}'::jsonb], now())`,
        [randomUUID()],
      );
      for (let i = 0; i < 5; i++) await store.append('early:1', [{ type: 'Early', data: { i } }]);
      // The reader must not pass the open transaction: the early events stay held back.
      const during = await store.readAll({ after: start, limit: 1000 });
      expect(during.events.filter((e) => e.type === 'Late' || e.type === 'Early')).toHaveLength(0);
      await client.query('COMMIT');
      const after = await readUntil(
        store,
        during.checkpoint,
        (all) => all.filter((e) => e.type === 'Early').length >= 5,
      );
      const types = [...during.events, ...after.events].map((e) => e.type);
      expect(types.filter((t) => t === 'Late')).toHaveLength(1);
      expect(types.filter((t) => t === 'Early')).toHaveLength(5);
    } finally {
      await client.end();
    }
  });

  it('lists the streams of a prefix in byte order with their last event type, and nothing beyond the prefix', async () => {
    const add = (stream: string, ...types: string[]) =>
      store.append(
        stream,
        types.map((type) => ({ type, data: {} })),
        { expectedVersion: 'no-stream' },
      );
    await add('pfx:team-a/b', 'Created', 'Deleted');
    await add('pfx:team-a/a', 'Created');
    await add('pfx:team-a/a.b', 'Created', 'Updated');
    // Neighbours in byte order that must not match: same namespace prefix, another one.
    await add('pfx:team-a0/x', 'Created');
    await add('pfx:team-ab/x', 'Created');
    await add('pfx:team-/x', 'Created');
    await add('pfx2:team-a/x', 'Created');
    expect(await store.streamsWithPrefix('pfx:team-a/')).toEqual([
      { streamId: 'pfx:team-a/a', version: 1, lastType: 'Created' },
      { streamId: 'pfx:team-a/a.b', version: 2, lastType: 'Updated' },
      { streamId: 'pfx:team-a/b', version: 2, lastType: 'Deleted' },
    ]);
    expect((await store.streamsWithPrefix('pfx:')).map((s) => s.streamId)).toEqual([
      'pfx:team-/x',
      'pfx:team-a/a',
      'pfx:team-a/a.b',
      'pfx:team-a/b',
      'pfx:team-a0/x',
      'pfx:team-ab/x',
    ]);
    expect(await store.streamsWithPrefix('nothing:')).toEqual([]);
    await expect(store.streamsWithPrefix('')).rejects.toThrow(RangeError);
  });

  it('appends inside a caller transaction, rolled back with it', async () => {
    await expect(
      ds.transaction(async (manager: EntityManager) => {
        await store.append('tx:1', [{ type: 'T', data: {} }], { manager });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await store.streamVersion('tx:1')).toBe(0);
  });
});
