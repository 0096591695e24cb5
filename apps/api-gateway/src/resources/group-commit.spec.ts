import type { DataSource, EntityManager } from 'typeorm';
import type { AppendResult, PostgresEventStore, StreamAppend } from '@natgw/event-store';
import { GroupCommit } from './group-commit';

/**
 * A fake database: a transaction runs its work, then commits what it appended, or keeps
 * nothing when the work throws (or when the commit is told to fail). Appends to a stream
 * named `fail:<code>` throw an error with that code.
 */
class FakeDatabase {
  readonly committed: string[] = [];
  /** The streams of each transaction that committed, in order. */
  readonly transactions: string[][] = [];
  /** The number (from 1) of a transaction whose commit fails. */
  failCommitOf = 0;
  begun = 0;
  private gate?: Promise<void>;
  private open?: () => void;
  /** Failures left per stream, after which its appends succeed. */
  readonly failuresLeft = new Map<string, number>();

  /** Holds the next transaction's commit until `release()`. */
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  readonly dataSource = {
    transaction: async <T>(work: (m: EntityManager) => Promise<T>): Promise<T> => {
      const manager = { pending: [] as string[] } as unknown as EntityManager & {
        pending: string[];
      };
      const number = ++this.begun;
      const result = await work(manager);
      await this.gate;
      if (number === this.failCommitOf) {
        throw new Error('commit failed');
      }
      this.committed.push(...manager.pending);
      this.transactions.push(manager.pending);
      return result;
    },
  } as unknown as DataSource;

  readonly store = {
    appendToStreams: async (appends: StreamAppend[], manager: { pending: string[] }) => {
      await Promise.resolve();
      return appends.map((a): AppendResult => {
        const left =
          this.failuresLeft.get(a.streamId) ?? (a.streamId.startsWith('fail:') ? 1e9 : 0);
        if (left > 0) {
          this.failuresLeft.set(a.streamId, left - 1);
          throw Object.assign(new Error(`refused ${a.streamId}`), {
            code: a.streamId.split(':')[1],
          });
        }
        manager.pending.push(a.streamId);
        return { streamId: a.streamId, duplicate: false, nextExpectedVersion: 1, events: [] };
      });
    },
  } as unknown as PostgresEventStore;
}

const append = (streamId: string): StreamAppend[] => [
  { streamId, events: [{ type: 'T', data: {} }], expectedVersion: 'no-stream' },
];

describe('GroupCommit', () => {
  it('runs a lone write in its own transaction, and the writes that arrive meanwhile together in the next', async () => {
    const db = new FakeDatabase();
    const group = new GroupCommit(db.dataSource, db.store, 64, 1);
    db.hold();
    const first = group.write(append('a'));
    await new Promise((r) => setImmediate(r));
    const rest = ['b', 'c', 'd'].map((s) => group.write(append(s)));
    db.release();
    const results = await Promise.all([first, ...rest]);
    expect(results.map((r) => r[0].streamId)).toEqual(['a', 'b', 'c', 'd']);
    expect(db.transactions).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('takes at most maxWrites writes a transaction', async () => {
    const db = new FakeDatabase();
    const group = new GroupCommit(db.dataSource, db.store, 2, 1);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((s) => group.write(append(s))));
    expect(db.transactions).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  it("answers a failed write with its own error, keeps nothing of its transaction, and commits the others' in the next", async () => {
    const db = new FakeDatabase();
    const group = new GroupCommit(db.dataSource, db.store, 64, 1);
    db.hold();
    const first = group.write(append('a'));
    await new Promise((r) => setImmediate(r));
    const b = group.write(append('b'));
    const bad = group.write(append('fail:NG409'));
    const refused = group.write([], async () => {
      throw new Error('quota exceeded');
    });
    const d = group.write(append('d'));
    db.release();
    await expect(bad).rejects.toThrow('refused fail:NG409');
    await expect(refused).rejects.toThrow('quota exceeded');
    await Promise.all([first, b, d]);
    // In stream id order the refused admission (no stream) fails first; then b and d go
    // through before fail:NG409 fails, and commit on their own right after.
    expect(db.committed).toEqual(['a', 'b', 'd']);
    expect(db.transactions).toEqual([['a'], ['b', 'd']]);
  });

  it('runs the admission in the transaction, before the appends', async () => {
    const db = new FakeDatabase();
    const group = new GroupCommit(db.dataSource, db.store, 64, 1);
    const seen: string[][] = [];
    await group.write(append('x'), async (m) => {
      seen.push([...(m as unknown as { pending: string[] }).pending]);
    });
    expect(seen).toEqual([[]]);
    expect(db.committed).toEqual(['x']);
  });

  it('tries a deadlock victim again, and gives up after a few attempts', async () => {
    const db = new FakeDatabase();
    const group = new GroupCommit(db.dataSource, db.store, 64, 1);
    db.failuresLeft.set('dl:40P01', 2);
    await expect(group.write(append('dl:40P01'))).resolves.toHaveLength(1);
    db.failuresLeft.set('again:40001', 100);
    await expect(group.write(append('again:40001'))).rejects.toThrow('refused again:40001');
    expect(db.failuresLeft.get('again:40001')).toBe(95);
  });

  it('fails every write of a transaction whose commit failed, and goes on with the next', async () => {
    const db = new FakeDatabase();
    const group = new GroupCommit(db.dataSource, db.store, 64, 1);
    db.hold();
    const first = group.write(append('a'));
    await new Promise((r) => setImmediate(r));
    db.failCommitOf = 2;
    const lost = [group.write(append('b')), group.write(append('c'))];
    db.release();
    await first;
    for (const w of lost) await expect(w).rejects.toThrow('commit failed');
    await group.write(append('e'));
    expect(db.committed).toEqual(['a', 'e']);
  });

  it('takes the writes of a group in stream id order', async () => {
    const db = new FakeDatabase();
    const group = new GroupCommit(db.dataSource, db.store, 64, 1);
    db.hold();
    const first = group.write(append('z'));
    await new Promise((r) => setImmediate(r));
    const rest = ['natgateway:b/x', 'natgateway:a/y', 'natgateway:a/x'].map((s) =>
      group.write(append(s)),
    );
    db.release();
    await Promise.all([first, ...rest]);
    expect(db.transactions).toEqual([
      ['z'],
      ['natgateway:a/x', 'natgateway:a/y', 'natgateway:b/x'],
    ]);
  });

  it('runs one transaction at a time per lane, and the lanes side by side', async () => {
    const db = new FakeDatabase();
    const group = new GroupCommit(db.dataSource, db.store, 64, 4);
    db.hold();
    const streams = Array.from({ length: 12 }, (_, i) => `natgateway:ns/gw-${i}`);
    const writes = streams.map((s) => group.write(append(s)));
    await new Promise((r) => setImmediate(r));
    // Each lane began its first transaction; every other write waits for its lane's next.
    expect(db.begun).toBeGreaterThan(1);
    expect(db.begun).toBeLessThanOrEqual(4);
    db.release();
    await Promise.all(writes);
    expect([...db.committed].sort()).toEqual([...streams].sort());
    // Per lane: its first write alone, then the ones that waited together.
    expect(db.transactions.length).toBeLessThanOrEqual(2 * db.begun);
  });

  it('shares one group per data source', () => {
    const db = new FakeDatabase();
    expect(GroupCommit.for(db.dataSource, db.store)).toBe(GroupCommit.for(db.dataSource, db.store));
  });
});
