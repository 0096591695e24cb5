import { DataSource } from 'typeorm';
import type { RecordedEvent } from '@natgw/contracts';
import { Checkpoint, compareCheckpoints, LOG_START } from '../checkpoint';
import { LogNotifier } from '../log-notifier';
import { PostgresEventStore } from '../postgres-event-store';
import { applyEvents, Projection, projectionCheckpointName } from './projection';
import { rebuildProjections } from './rebuild-projection';
import { assertLogReadableFrom } from '../retention/log-retention';

export interface ProjectionRunnerOptions {
  batchSize?: number;
  /** Poll interval, the fallback for missed notifications and held-back transactions. */
  pollIntervalMs?: number;
  onError?: (err: Error, projection: Projection) => void;
  /**
   * Build a read model that never applied an event with one rebuild (in memory,
   * see rebuildProjections) before applying batches, checked once per runner.
   */
  foldNewReadModel?: boolean;
  /** Events a page when a new read model is first built from the log (default 5,000). */
  rebuildBatchSize?: number;
  /** Progress of that first build (events read, of about how many). */
  onRebuildProgress?: (done: number, total: number) => void;
}

/**
 * Retries after a read the visibility horizon held back: the first after 1 ms, doubling
 * up to 64 ms (or the poll interval, if shorter), as long as events stay held back. Such
 * a read costs two index probes, and the transaction in the way usually ends in a few ms.
 */
export const HELD_BACK_RETRY_MS = { first: 1, max: 64 } as const;

/** Told of each batch this runner applied, after its commit (see ProjectionRunner.onApplied). */
export type AppliedListener = (events: readonly RecordedEvent[]) => void;

interface Waiter {
  target: Checkpoint;
  resolve: () => void;
}

/**
 * Keeps one projection up to date: woken by LISTEN/NOTIFY, polling as a fallback.
 * Each batch is applied and checkpointed in one transaction, under a row lock on
 * the checkpoint, so several processes may run the same projection safely.
 */
export class ProjectionRunner {
  private running = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private unsubscribe?: () => void;
  private position: Checkpoint = LOG_START;
  private waiters: Waiter[] = [];
  private readonly appliedListeners = new Set<AppliedListener>();
  private notified = false;
  /** The last read found nothing visible, but committed events behind an older transaction. */
  private heldBack = false;
  private startChecked = false;
  private retentionChecked = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    readonly projection: Projection,
    private readonly notifier?: LogNotifier,
    private readonly options: ProjectionRunnerOptions = {},
  ) {}

  /** The last checkpoint this runner has applied or seen. */
  get checkpoint(): Checkpoint {
    return this.position;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.notifier?.subscribe(() => {
      // A commit during a batch must not wait for the next poll: remember it.
      this.notified = true;
      this.wake?.();
    });
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
  }

  /**
   * Processes everything visible now; returns the number of events applied. With
   * `foldNewReadModel`, a projection that can fold and never applied an event (a
   * new read model on an existing log) is first rebuilt in one transaction, from
   * its snapshot when it has one, instead of batch by batch.
   */
  async catchUp(): Promise<number> {
    return this.catchUpWith('wait');
  }

  /**
   * `skip`: when another process is applying a batch of this projection (it holds the
   * checkpoint's row), do not queue behind it: stop, and look again shortly (its commit moves
   * the stored checkpoint, which waitFor's callers are then released by). The run loop skips;
   * an explicit catchUp waits, so everything visible is applied when it returns.
   */
  private async catchUpWith(contended: 'wait' | 'skip'): Promise<number> {
    let total = 0;
    if (this.options.foldNewReadModel && this.projection.fold && !this.startChecked) {
      this.startChecked = true;
      const [done] = await rebuildProjections(this.dataSource, this.store, [this.projection], {
        onlyFromStart: true,
        batchSize: this.options.rebuildBatchSize,
        onProgress: this.options.onRebuildProgress,
      });
      if (done) {
        total += done.applied;
        this.advance(done.checkpoint);
      }
    }
    if (!this.retentionChecked) {
      // Once per runner: a checkpoint before a pruned log's boundary (a new read model
      // that cannot fold from a snapshot) would apply a log with holes.
      await assertLogReadableFrom(
        this.dataSource,
        await this.store.loadCheckpoint(projectionCheckpointName(this.projection)),
        `projection ${this.projection.name}`,
      );
      this.retentionChecked = true;
    }
    for (;;) {
      const applied = await this.processBatch(contended);
      total += applied;
      if (applied === 0) return total;
    }
  }

  /**
   * Calls `listener` with the events of every batch this runner applies, right after the
   * batch's commit (so the read model shows them), before the runner reads on. Batches that
   * another process applies are not reported: use waitFor for a particular event. A listener
   * must not throw (one that does is ignored). Returns the unsubscribe function.
   */
  onApplied(listener: AppliedListener): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  /** Resolves once the projection has applied the event at `target` (or beyond). */
  waitFor(target: Checkpoint, timeoutMs = 10_000): Promise<void> {
    if (compareCheckpoints(this.position, target) >= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `projection ${this.projection.name} did not reach the event within ${timeoutMs}ms`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
      this.wake?.();
    });
  }

  private async processBatch(contended: 'wait' | 'skip'): Promise<number> {
    const name = projectionCheckpointName(this.projection);
    const limit = this.options.batchSize ?? 500;
    // Look before locking: a transaction that locks the checkpoint row gets a
    // transaction id, and while it runs it holds back every reader's horizon. Most
    // wake-ups find nothing new (another process applied it, or it is not visible yet).
    const stored = await this.store.loadCheckpoint(name);
    const peek = await this.store.readAll({ after: stored, limit: 1 });
    if (peek.events.length === 0) {
      this.heldBack = await this.store.heldBack(stored);
      this.advance(stored);
      return 0;
    }
    this.heldBack = false;
    const batch = await this.dataSource.transaction(async (manager) => {
      const from =
        contended === 'skip'
          ? await this.store.tryLockCheckpoint(name, manager)
          : await this.store.lockCheckpoint(name, manager);
      if (!from) return undefined;
      const read = await this.store.readAll({ after: from, limit, manager });
      await applyEvents(this.projection, read.events, manager);
      if (read.events.length > 0) await this.store.storeCheckpoint(name, read.checkpoint, manager);
      return { events: read.events, checkpoint: read.checkpoint };
    });
    if (!batch) {
      // Another process is applying these events: look again as soon as it may have committed.
      this.heldBack = true;
      return 0;
    }
    this.advance(batch.checkpoint);
    if (batch.events.length > 0) this.tellApplied(batch.events);
    return batch.events.length;
  }

  private tellApplied(events: readonly RecordedEvent[]): void {
    for (const listener of this.appliedListeners) {
      try {
        listener(events);
      } catch {
        // A listener's failure is its own; the projection has applied the batch.
      }
    }
  }

  private advance(to: Checkpoint): void {
    if (compareCheckpoints(to, this.position) > 0) this.position = to;
    const [done, waiting] = partition(
      this.waiters,
      (w) => compareCheckpoints(this.position, w.target) >= 0,
    );
    this.waiters = waiting;
    for (const w of done) w.resolve();
  }

  private async run(): Promise<void> {
    const poll = this.options.pollIntervalMs ?? 500;
    let backoff = poll;
    let heldBackDelay: number = HELD_BACK_RETRY_MS.first;
    while (this.running) {
      this.notified = false;
      this.heldBack = false;
      try {
        await this.catchUpWith('skip');
        backoff = poll;
      } catch (err) {
        this.options.onError?.(err as Error, this.projection);
        backoff = Math.min(backoff * 2, 10_000);
      }
      if (!this.running) break;
      if (this.notified && backoff === poll) continue;
      // Events wait behind an older transaction: look again as soon as it may have ended.
      let delay = this.waiters.length > 0 ? Math.min(backoff, 50) : backoff;
      if (this.heldBack && backoff === poll) {
        delay = Math.min(delay, heldBackDelay);
        heldBackDelay = Math.min(heldBackDelay * 2, HELD_BACK_RETRY_MS.max);
      } else {
        heldBackDelay = HELD_BACK_RETRY_MS.first;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}

function partition<T>(items: T[], pred: (t: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const i of items) (pred(i) ? yes : no).push(i);
  return [yes, no];
}
