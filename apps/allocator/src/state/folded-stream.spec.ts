import type { RecordedEvent } from '@natgw/contracts';
import type { PostgresEventStore, StreamSnapshotStore } from '@natgw/event-store';
import type { EntityManager } from 'typeorm';
import { FoldedStreamCache } from './folded-stream';

/** A store of one stream of numbers, counting its reads. */
function fakeStore(values: number[]) {
  const reads: number[] = [];
  const store = {
    readStream: async (_streamId: string, options: { fromVersion?: number }) => {
      const from = options.fromVersion ?? 1;
      reads.push(from);
      return values
        .slice(from - 1)
        .map((value, i) => ({ version: from + i, data: value }) as unknown as RecordedEvent);
    },
  } as unknown as PostgresEventStore;
  return { store, reads };
}

const sum = (state: number, events: Array<{ data: number }>) =>
  events.reduce((total, e) => total + e.data, state);

describe('FoldedStreamCache', () => {
  it('reads only the events after the cached version', async () => {
    const values = [1, 2, 3];
    const { store, reads } = fakeStore(values);
    const cache = new FoldedStreamCache<number, { data: number }>(store, () => 0, sum);
    expect((await cache.load('s')).state).toBe(6);
    values.push(4);
    expect(await cache.load('s')).toEqual({ streamId: 's', version: 4, state: 10 });
    expect(reads).toEqual([1, 4]);
  });

  it('skips the read when the known current version is the cached one, and reads when it is not', async () => {
    const values = [5, 6];
    const { store, reads } = fakeStore(values);
    const cache = new FoldedStreamCache<number, { data: number }>(store, () => 0, sum);
    await cache.load('s');
    expect((await cache.load('s', undefined, 2)).state).toBe(11);
    expect(reads).toEqual([1]);
    values.push(7);
    expect((await cache.load('s', undefined, 3)).state).toBe(18);
    expect(reads).toEqual([1, 3]);
    // A stream never read: version 0 is the empty stream's, nothing to read.
    expect((await cache.load('empty', undefined, 0)).state).toBe(0);
    expect(reads).toEqual([1, 3]);
  });

  it('reads no snapshot for a stream that does not exist (version 0)', async () => {
    const { store, reads } = fakeStore([]);
    const snapshotReads: string[] = [];
    const snapshots = {
      read: async (streamId: string) => {
        snapshotReads.push(streamId);
        return undefined;
      },
    } as unknown as StreamSnapshotStore;
    const cache = new FoldedStreamCache<number, { data: number }>(store, () => 0, sum, 10, {
      store: snapshots,
      codec: { schemaVersion: 1, encode: (s) => s, decode: (s) => s as number },
      every: 0,
    });
    expect(await cache.load('new', undefined, 0)).toEqual({
      streamId: 'new',
      version: 0,
      state: 0,
    });
    expect(snapshotReads).toEqual([]);
    expect(reads).toEqual([]);
  });

  it('loads several streams with one version query, reading only those behind', async () => {
    const values = [1, 2];
    const { store, reads } = fakeStore(values);
    const cache = new FoldedStreamCache<number, { data: number }>(store, () => 0, sum);
    await cache.load('a');
    expect(reads).toEqual([1]);
    const queries: unknown[][] = [];
    const manager = {
      query: async (_sql: string, params: unknown[]) => {
        queries.push(params);
        return [
          { stream_id: 'a', version: 2 },
          { stream_id: 'b', version: 2 },
        ];
      },
    } as unknown as EntityManager;
    const folded = await cache.loadMany(['a', 'b', 'none'], manager);
    expect(queries).toEqual([[['a', 'b', 'none']]]);
    expect(folded.map((f) => [f.streamId, f.version, f.state])).toEqual([
      ['a', 2, 3],
      ['b', 2, 3],
      ['none', 0, 0],
    ]);
    // 'a' was current in the cache; 'b' was read from its start; 'none' was not read at all.
    expect(reads).toEqual([1, 1]);
    expect(await cache.loadMany([], manager)).toEqual([]);
    expect(queries).toHaveLength(1);
  });
});
