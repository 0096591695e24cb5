// PostgresEventStore.readAllPages (a rebuild's read: one cursor in the caller's
// transaction) returns exactly what paging with readAll returns — the same events in
// the same order, from any checkpoint, whatever the page size — and, like readAll,
// never passes a transaction that is still open: events it holds back stay unread,
// and the returned checkpoint lies before them.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import { Checkpoint, LOG_START, openDatabase, PostgresEventStore } from '@natgw/event-store';
import { createTestDatabase, dropTestDatabase, eventually } from '@natgw/testing';
import { NATGW_SCHEMA } from '@natgw/schema';

jest.setTimeout(300_000);

describe('PostgresEventStore.readAllPages', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;

  /** The oracle: readAll page by page until it returns nothing. */
  async function pagedReadAll(after: Checkpoint): Promise<RecordedEvent[]> {
    const all: RecordedEvent[] = [];
    for (;;) {
      const page = await store.readAll({ after, limit: 4 });
      if (page.events.length === 0) return all;
      all.push(...page.events);
      after = page.checkpoint;
    }
  }

  async function cursorRead(
    after: Checkpoint,
    pageSize: number,
  ): Promise<{ events: RecordedEvent[]; pages: number[]; checkpoint: Checkpoint }> {
    const events: RecordedEvent[] = [];
    const pages: number[] = [];
    const checkpoint = await ds.transaction((m) =>
      store.readAllPages(m, after, pageSize, async (page) => {
        pages.push(page.length);
        events.push(...page);
      }),
    );
    return { events, pages, checkpoint };
  }

  beforeAll(async () => {
    url = await createTestDatabase('read_all_pages');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds);
    // Single appends and multi-event appends, interleaved over streams.
    for (let i = 0; i < 12; i++)
      await store.append(`s:${i % 3}`, [
        { type: 'One', data: { i }, metadata: { correlationId: String(i) } },
        ...(i % 4 === 0 ? [{ type: 'Two', data: { i, more: [1, 2] } }] : []),
      ]);
    await eventually(async () => (await pagedReadAll(LOG_START)).length === 15, {
      what: 'every appended event visible',
      timeoutMs: 180_000,
    });
  });

  afterAll(async () => {
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  it('returns what paged readAll returns, from the start or any checkpoint, at any page size', async () => {
    const all = await pagedReadAll(LOG_START);
    expect(all).toHaveLength(15);
    for (const pageSize of [1, 4, 15, 1000]) {
      const read = await cursorRead(LOG_START, pageSize);
      expect(read.events).toEqual(all);
      expect(read.pages.every((n) => n <= pageSize)).toBe(true);
      expect(read.pages.reduce((a, b) => a + b, 0)).toBe(15);
      const last = all[all.length - 1];
      expect(read.checkpoint).toEqual({
        transactionId: last.transactionId,
        globalPosition: last.globalPosition,
      });
    }
    const middle = all[6];
    const from = { transactionId: middle.transactionId, globalPosition: middle.globalPosition };
    expect((await cursorRead(from, 4)).events).toEqual(await pagedReadAll(from));
    expect((await cursorRead(from, 4)).events).toEqual(all.slice(7));
    // After the last event: nothing, and the checkpoint stays where it was.
    const end = (await cursorRead(LOG_START, 100)).checkpoint;
    expect(await cursorRead(end, 3)).toEqual({ events: [], pages: [], checkpoint: end });
  });

  it('refuses a page size that is not a positive integer', async () => {
    for (const bad of [0, -1, 2.5, Number.NaN])
      await expect(
        ds.transaction((m) => store.readAllPages(m, LOG_START, bad, async () => undefined)),
      ).rejects.toThrow(/pageSize must be a positive integer/);
  });

  it('never passes a transaction still open: what it holds back stays unread', async () => {
    const start = (await cursorRead(LOG_START, 100)).checkpoint;
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `SELECT * FROM natgw_append('late:1', 'any', ARRAY[$1::uuid], ARRAY['Late'], ARRAY['{}'::jsonb], ARRAY['{}'::jsonb], now())`,
        [randomUUID()],
      );
      for (let i = 0; i < 3; i++) await store.append('early:1', [{ type: 'Early', data: { i } }]);
      const during = await cursorRead(start, 2);
      expect(during.events.filter((e) => e.type === 'Late' || e.type === 'Early')).toEqual([]);
      expect(during.checkpoint).toEqual(start);
      await client.query('COMMIT');
      const after = await eventually(
        async () => {
          const read = await cursorRead(during.checkpoint, 2);
          return read.events.length === 4 ? read : undefined;
        },
        { what: 'the late and the early events', timeoutMs: 180_000 },
      );
      expect(after.events).toEqual(await pagedReadAll(during.checkpoint));
      expect(after.events.map((e) => e.type).sort()).toEqual(['Early', 'Early', 'Early', 'Late']);
    } finally {
      await client.end();
    }
  });
});
