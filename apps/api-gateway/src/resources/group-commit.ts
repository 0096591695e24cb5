import type { DataSource, EntityManager } from 'typeorm';
import type { AppendResult, PostgresEventStore, StreamAppend } from '@natgw/event-store';

/** A check run first in a write's part of the transaction (e.g. a quota); it throws to refuse the write. */
export type Admission = (manager: EntityManager) => Promise<void>;

/** Writes one transaction takes at most. */
export const GROUP_COMMIT_MAX_WRITES = 64;

/** Transactions of one process at once (lanes), each taking the writes of its share of the streams. */
export const GROUP_COMMIT_LANES = 4;

/**
 * How often a write that PostgreSQL chose as a deadlock or serialization victim is tried
 * again. Writes of one process never wait on each other (one group at a time), but writes
 * of two api-gateways' groups can.
 */
const VICTIM_ATTEMPTS = 5;

const VICTIM_CODES = new Set(['40P01', '40001']);

interface Write {
  appends: StreamAppend[];
  admit?: Admission;
  attempts: number;
  resolve: (results: AppendResult[]) => void;
  reject: (err: unknown) => void;
}

const groups = new WeakMap<DataSource, GroupCommit>();

/**
 * Group commit of the API's transactional writes (an admission and/or appends to several
 * streams): the writes that arrive while a transaction runs wait, then go together in the
 * next one, each as it would have run alone (its admission, then its appends, in order),
 * so a burst of N creates costs one BEGIN and one COMMIT (one WAL flush) instead of N.
 * Writes are spread over a few lanes by their first stream (GROUP_COMMIT_LANES), one
 * transaction at a time per lane, so a write never waits for more than its lane's group.
 *
 * A write that fails (its version check, its quota, a lost claim race) aborts the
 * transaction: it is rolled back and that write gets its error; the writes before it run
 * again in a transaction of their own, those after it in the next group, so no write ever
 * sees another's failure and nothing of a failed transaction stays. A write is answered
 * only after the COMMIT that holds it; a failed COMMIT fails every write of it (as it would
 * have failed each alone).
 *
 * Locks: a group takes its writes in stream id order (`<kind>:<namespace>/<name>` first),
 * so two lanes take the quota locks (per kind and namespace) and the object streams in one
 * order and cannot deadlock on them; a deadlock over claim streams is broken by PostgreSQL,
 * and its victim is tried again.
 */
export class GroupCommit {
  private readonly lanes: CommitLane[];

  constructor(
    dataSource: DataSource,
    store: PostgresEventStore,
    maxWrites = GROUP_COMMIT_MAX_WRITES,
    lanes = GROUP_COMMIT_LANES,
  ) {
    this.lanes = Array.from({ length: lanes }, () => new CommitLane(dataSource, store, maxWrites));
  }

  /** The group commit of a data source (one per data source, so its writes share transactions). */
  static for(dataSource: DataSource, store: PostgresEventStore): GroupCommit {
    let group = groups.get(dataSource);
    if (!group) {
      group = new GroupCommit(dataSource, store);
      groups.set(dataSource, group);
    }
    return group;
  }

  /** Runs `admit`, then the appends (see PostgresEventStore.appendToStreams), in a group's transaction. */
  write(appends: StreamAppend[], admit?: Admission): Promise<AppendResult[]> {
    const key = appends[0]?.streamId ?? '';
    return this.lanes[laneOf(key, this.lanes.length)].write(appends, admit);
  }
}

/** The lane of a stream: a hash of its id (FNV-1a). */
function laneOf(streamId: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) h = Math.imul(h ^ streamId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

const byFirstStream = (a: Write, b: Write): number => {
  const x = a.appends[0]?.streamId ?? '';
  const y = b.appends[0]?.streamId ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
};

/** One lane of a GroupCommit: its writes, one transaction at a time. */
class CommitLane {
  private queue: Write[] = [];
  private running = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly maxWrites: number,
  ) {}

  write(appends: StreamAppend[], admit?: Admission): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ appends, admit, attempts: 0, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        await this.commit(this.queue.splice(0, this.maxWrites).sort(byFirstStream));
      }
    } finally {
      this.running = false;
    }
  }
  private async commit(group: Write[]): Promise<void> {
    const results: AppendResult[][] = [];
    let failed: { write: Write; error: unknown } | undefined;
    try {
      await this.dataSource.transaction(async (manager) => {
        for (const write of group) {
          try {
            await write.admit?.(manager);
            results.push(await this.store.appendToStreams(write.appends, manager));
          } catch (error) {
            failed = { write, error };
            throw error;
          }
        }
      });
    } catch (error) {
      if (!failed) {
        // BEGIN or COMMIT failed: every write of the group shares that fate.
        for (const write of group) write.reject(error);
        return;
      }
      const { write, error: own } = failed;
      const at = group.indexOf(write);
      const untried = group.slice(at + 1);
      if (isVictim(own) && ++write.attempts < VICTIM_ATTEMPTS) untried.push(write);
      else write.reject(own);
      this.queue.unshift(...untried);
      // The writes before the failed one went through: commit them at once, on their own, so
      // a failure costs each of them one more run at most.
      if (at > 0) await this.commit(group.slice(0, at));
      return;
    }
    group.forEach((write, i) => write.resolve(results[i]));
  }
}

function isVictim(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && VICTIM_CODES.has(code);
}
