import { Logger } from '@nestjs/common';
import { NetworkKey, ReconcileCause } from './reconcile-network';

/**
 * How soon a queued network is worked on: networks an event named go before those
 * queued by a resync, so a resync of every network never delays a user's change.
 */
export type ReconcilePriority = 'event' | 'resync';

const PRIORITIES: readonly ReconcilePriority[] = ['event', 'resync'];

interface Entry {
  key: NetworkKey;
  cause: ReconcileCause;
  priority: ReconcilePriority;
}

/**
 * A work queue of networks to reconcile, in the controller-runtime manner: a
 * network queued many times is reconciled once with the latest cause, never by
 * two workers at once, and a failure requeues it with per-key exponential backoff.
 * Event-triggered networks are taken before resync ones (see ReconcilePriority).
 */
export class ReconcileQueue {
  private readonly logger = new Logger('ReconcileQueue');
  private readonly pending = new Map<string, Entry>();
  private readonly order: Record<ReconcilePriority, string[]> = { event: [], resync: [] };
  private readonly active = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private workers = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly reconcile: (key: NetworkKey, cause: ReconcileCause) => Promise<void>,
    private readonly concurrency = 4,
    private readonly maxBackoffMs = 60_000,
  ) {}

  /** Queues a network (again); the newest cause and the most urgent priority win. */
  add(key: NetworkKey, cause: ReconcileCause = {}, priority: ReconcilePriority = 'event'): void {
    if (this.stopped) return;
    const id = `${key.namespace}/${key.network}`;
    const queued = this.pending.get(id);
    if (!queued) {
      this.order[priority].push(id);
    } else if (queued.priority === 'resync' && priority === 'event') {
      this.order.resync.splice(this.order.resync.indexOf(id), 1);
      this.order.event.push(id);
    }
    this.pending.set(id, {
      key,
      cause,
      priority: queued?.priority === 'event' ? 'event' : priority,
    });
    this.pump();
  }

  /** Networks queued or running. */
  get depth(): number {
    return this.pending.size + this.active.size;
  }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.depth === 0 && this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
    for (const p of PRIORITIES) this.order[p].length = 0;
    while (this.active.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private pump(): void {
    while (this.workers < this.concurrency) {
      const id = this.next();
      if (id === undefined) break;
      const entry = this.pending.get(id);
      if (!entry) continue;
      this.pending.delete(id);
      this.active.add(id);
      this.workers++;
      void this.work(id, entry);
    }
    if (this.depth === 0 && this.timers.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** The first queued network no worker holds, most urgent first. */
  private next(): string | undefined {
    for (const p of PRIORITIES) {
      const index = this.order[p].findIndex((id) => !this.active.has(id));
      if (index >= 0) return this.order[p].splice(index, 1)[0];
    }
    return undefined;
  }

  private async work(id: string, entry: Entry): Promise<void> {
    try {
      await this.reconcile(entry.key, entry.cause);
      this.failures.delete(id);
    } catch (err) {
      const failures = (this.failures.get(id) ?? 0) + 1;
      this.failures.set(id, failures);
      const delay =
        Math.min(this.maxBackoffMs, 250 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
      this.logger.warn(
        `reconcile ${id} failed (attempt ${failures}), retrying in ${Math.round(delay)}ms: ${(err as Error).message}`,
      );
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.add(entry.key, entry.cause, entry.priority);
      }, delay);
      this.timers.add(timer);
    } finally {
      this.active.delete(id);
      this.workers--;
      this.pump();
    }
  }
}
