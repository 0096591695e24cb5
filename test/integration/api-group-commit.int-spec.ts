// The api-gateway's group commit (apps/api-gateway/src/resources/group-commit.ts) against a
// real PostgreSQL: concurrent writes share transactions, a write that fails (a version
// conflict, a refused admission) is answered with its own error and leaves nothing in the
// log, and every other write is in the log exactly once, in one gap-free commit order.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ConcurrencyError, openDatabase, PostgresEventStore } from '@natgw/event-store';
import { EVENT_LOG_MIGRATIONS } from '@natgw/schema';
import { createTestDatabase, dropTestDatabase } from '@natgw/testing';
import { GroupCommit } from '../../apps/api-gateway/src/resources/group-commit';

jest.setTimeout(120_000);

describe('GroupCommit on PostgreSQL', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;

  beforeAll(async () => {
    url = await createTestDatabase('group_commit');
    ds = await openDatabase({ url, poolSize: 8, migrations: EVENT_LOG_MIGRATIONS });
    store = new PostgresEventStore(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropTestDatabase(url);
  });

  it('commits 200 concurrent writes in few transactions; the failed ones alone get their errors and leave nothing', async () => {
    const group = new GroupCommit(ds, store);
    await store.append('gc:taken', [{ type: 'Created', data: {} }], {
      expectedVersion: 'no-stream',
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => {
        const streamId = i % 50 === 7 ? 'gc:taken' : `gc:w-${i}`;
        const admit =
          i % 50 === 13
            ? async () => {
                throw new Error(`refused ${i}`);
              }
            : undefined;
        return group.write(
          [
            { streamId, events: [{ type: 'Created', data: { i } }], expectedVersion: 'no-stream' },
            {
              streamId: `gc:claim-${i}`,
              events: [{ type: 'Claimed', data: { i } }],
              expectedVersion: 'any',
            },
          ],
          admit,
        );
      }),
    );
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [[i, o.reason]] : []));
    expect(failed.map(([i]) => i)).toEqual([7, 13, 57, 63, 107, 113, 157, 163]);
    for (const [i, reason] of failed) {
      if (Number(i) % 50 === 7) expect(reason).toBeInstanceOf(ConcurrencyError);
      else expect((reason as Error).message).toBe(`refused ${i}`);
    }

    const rows: Array<{ stream_id: string; tx: string; pos: string; i: number }> = await ds.query(
      `SELECT stream_id, transaction_id::text AS tx, global_position::text AS pos, (data->>'i')::int AS i
         FROM natgw_events WHERE stream_id <> 'gc:taken' ORDER BY transaction_id, global_position`,
    );
    // Every write that succeeded is there exactly once, with its claim, in the same transaction.
    const ok = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    expect(
      rows
        .filter((r) => r.stream_id.startsWith('gc:w-'))
        .map((r) => r.i)
        .sort((a, b) => a - b),
    ).toEqual(ok);
    expect(
      rows
        .filter((r) => r.stream_id.startsWith('gc:claim-'))
        .map((r) => r.i)
        .sort((a, b) => a - b),
    ).toEqual(ok);
    const txOf = new Map(rows.map((r) => [r.stream_id, r.tx]));
    for (const i of ok) expect(txOf.get(`gc:claim-${i}`)).toBe(txOf.get(`gc:w-${i}`));
    // Grouped: far fewer transactions than writes.
    expect(new Set(rows.map((r) => r.tx)).size).toBeLessThan(ok.length / 2);
    // Each write's answer names the events as stored.
    for (const i of ok) {
      const o = outcomes[i] as PromiseFulfilledResult<
        Array<{ events: Array<{ globalPosition: string }> }>
      >;
      const stored = rows.find((r) => r.stream_id === `gc:w-${i}`);
      expect(o.value[0].events[0].globalPosition).toBe(stored?.pos);
    }
    // Readers see them all, in commit order (no gap, nothing twice).
    const seen: string[] = [];
    let after;
    for (let tries = 0; seen.length < rows.length && tries < 500; tries++) {
      const page = await store.readAll({ after, limit: 1000 });
      seen.push(
        ...page.events.filter((e) => e.streamId !== 'gc:taken').map((e) => e.globalPosition),
      );
      after = page.checkpoint;
      if (page.events.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toEqual(rows.map((r) => r.pos));
  });

  it('answers a write only after its COMMIT: a reader that starts then sees it', async () => {
    const group = new GroupCommit(ds, store);
    const ids = Array.from({ length: 30 }, () => `gc:rw-${randomUUID()}`);
    await Promise.all(
      ids.map(async (streamId) => {
        await group.write(
          [{ streamId, events: [{ type: 'Created', data: {} }], expectedVersion: 'no-stream' }],
          async () => undefined,
        );
        expect(await store.streamVersion(streamId)).toBe(1);
      }),
    );
  });
});
