import { EntityManager } from 'typeorm';
import { PostgresEventStore } from '@natgw/event-store';

/** A stream folded into a state, with the version it was folded to. */
export interface Folded<S> {
  streamId: string;
  version: number;
  state: S;
}

/**
 * Folds streams into states and keeps them, so a later read only fetches the
 * events appended since. A cached state is only a head start: every read checks
 * the stream for newer events, and appends still carry the expected version.
 */
export class FoldedStreamCache<S, E> {
  private readonly cache = new Map<string, Folded<S>>();

  constructor(
    private readonly store: PostgresEventStore,
    private readonly initial: () => S,
    private readonly fold: (state: S, events: E[]) => S,
    private readonly maxEntries = 50_000,
  ) {}

  /**
   * The stream's state as of now (inside the caller's transaction when given). With
   * `version`, the stream's current version read in that transaction, a cached state
   * that is up to date is returned without a read.
   */
  async load(streamId: string, manager?: EntityManager, version?: number): Promise<Folded<S>> {
    const cached = this.cache.get(streamId) ?? { streamId, version: 0, state: this.initial() };
    if (version !== undefined && cached.version === version) return cached;
    const events = await this.store.readStream(streamId, {
      fromVersion: cached.version + 1,
      manager,
    });
    if (events.length === 0) return cached;
    const folded: Folded<S> = {
      streamId,
      version: events[events.length - 1].version,
      state: this.fold(cached.state, events as unknown as E[]),
    };
    this.remember(folded);
    return folded;
  }

  /** Records the state after our own successful append. */
  remember(folded: Folded<S>): void {
    if (this.cache.size >= this.maxEntries && !this.cache.has(folded.streamId)) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(folded.streamId, folded);
  }

  /** Drops a cached state (after a failed transaction it may be ahead of the log). */
  forget(streamId: string): void {
    this.cache.delete(streamId);
  }
}
