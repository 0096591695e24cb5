import type { RecordedEvent } from '@natgw/contracts';
import type { PostgresEventStore } from '@natgw/event-store';
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
});
