import { EntityManager } from 'typeorm';
import { PostgresEventStore, StreamSnapshotStore } from '@natgw/event-store';
import { SnapshotCodec } from './snapshot-codec';

/** A stream folded into a state, with the version it was folded to. */
export interface Folded<S> {
  streamId: string;
  version: number;
  state: S;
  /** The id of the event at `version`, when known: a snapshot of the state names it. */
  lastEventId?: string;
}

/** How a cache reads and writes stream snapshots (natgw_stream_snapshots). */
export interface StreamSnapshotting<S> {
  store: StreamSnapshotStore;
  codec: SnapshotCodec<S>;
  /**
   * A snapshot is written once a stream's folded state is this many events past its last
   * snapshot (ALLOCATOR_SNAPSHOT_EVERY); 0 writes none (stored ones are still read).
   */
  every: number;
  /** Told when a stored snapshot is ignored or a snapshot write failed. */
  warn?: (message: string) => void;
}

/**
 * Folds streams into states and keeps them, so a later read only fetches the
 * events appended since. A cached state is only a head start: every read checks
 * the stream for newer events, and appends still carry the expected version.
 * With snapshots, a stream not cached starts from its snapshot (when it is readable)
 * and the events after it, and the fold is snapshotted every `every` events.
 */
export class FoldedStreamCache<S, E> {
  private readonly cache = new Map<string, Folded<S>>();
  /** Per cached stream, the version of its newest snapshot this cache knows (read or written). */
  private readonly snapshotAt = new Map<string, number>();
  /** Snapshot writes, one after the other, never awaited by a load. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: PostgresEventStore,
    private readonly initial: () => S,
    private readonly fold: (state: S, events: E[]) => S,
    private readonly maxEntries = 50_000,
    private readonly snapshots?: StreamSnapshotting<S>,
  ) {}

  /**
   * The stream's state as of now (inside the caller's transaction when given). With
   * `version`, the stream's current version read in that transaction, a cached state
   * that is up to date is returned without a read.
   */
  async load(streamId: string, manager?: EntityManager, version?: number): Promise<Folded<S>> {
    const cached = this.cache.get(streamId);
    if (cached && version !== undefined && cached.version === version) return cached;
    if (!cached && version === 0) {
      // No such stream: no events and no snapshot to read.
      const empty = this.empty(streamId);
      this.remember(empty);
      return empty;
    }
    const base = cached ?? (await this.fromSnapshot(streamId, manager)) ?? this.empty(streamId);
    if (!cached && version !== undefined && base.version === version) {
      this.remember(base);
      return base;
    }
    // `log:prune` may have removed events before the snapshot's version, only ones whose removal
    // leaves the fold unchanged (compactableVersions): versions may jump, the state does not.
    const events = await this.store.readStream(streamId, {
      fromVersion: base.version + 1,
      manager,
    });
    if (events.length === 0) {
      if (base !== cached) this.remember(base);
      return base;
    }
    const last = events[events.length - 1];
    const folded: Folded<S> = {
      streamId,
      version: last.version,
      state: this.fold(base.state, events as unknown as E[]),
      lastEventId: last.id,
    };
    this.remember(folded);
    return folded;
  }

  /**
   * Several streams as of now, in the caller's transaction: their versions in one round trip,
   * then only the streams whose cached state is behind are read (see load).
   */
  async loadMany(streamIds: readonly string[], manager: EntityManager): Promise<Folded<S>[]> {
    const rows: Array<{ stream_id: string; version: number }> =
      streamIds.length === 0
        ? []
        : await manager.query(
            `SELECT stream_id, version FROM natgw_streams WHERE stream_id = ANY($1::text[])`,
            [streamIds],
          );
    const versions = new Map(rows.map((r) => [r.stream_id, r.version]));
    const folded: Folded<S>[] = [];
    for (const streamId of streamIds)
      folded.push(await this.load(streamId, manager, versions.get(streamId) ?? 0));
    return folded;
  }

  /** Records the state after our own successful (committed) append. */
  remember(folded: Folded<S>): void {
    if (this.cache.size >= this.maxEntries && !this.cache.has(folded.streamId)) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
    this.cache.set(folded.streamId, folded);
    this.snapshotIfDue(folded);
  }

  /** Drops a cached state (after a failed transaction it may be ahead of the log). */
  forget(streamId: string): void {
    this.cache.delete(streamId);
    this.snapshotAt.delete(streamId);
  }

  /** Resolves once every snapshot write started so far has ended (tests, shutdown). */
  async flushSnapshots(): Promise<void> {
    await this.writes;
  }

  private empty(streamId: string): Folded<S> {
    return { streamId, version: 0, state: this.initial() };
  }

  /** The stream's snapshot as a fold start, or undefined (none, another layout, unreadable). */
  private async fromSnapshot(
    streamId: string,
    manager?: EntityManager,
  ): Promise<Folded<S> | undefined> {
    const s = this.snapshots;
    if (!s) return undefined;
    const stored = await s.store.read(streamId, manager);
    if (!stored) return undefined;
    if (stored.schemaVersion !== s.codec.schemaVersion) {
      s.warn?.(
        `snapshot of ${streamId} has layout ${stored.schemaVersion}, not ${s.codec.schemaVersion}: folding its events instead`,
      );
      return undefined;
    }
    let state: S;
    try {
      state = s.codec.decode(stored.state);
    } catch (err) {
      s.warn?.(`snapshot of ${streamId} ignored: ${(err as Error).message}`);
      return undefined;
    }
    this.snapshotAt.set(streamId, stored.streamVersion);
    return {
      streamId,
      version: stored.streamVersion,
      state,
      lastEventId: stored.lastEventId,
    };
  }

  /** Starts a snapshot write when the state is `every` events past the last snapshot. */
  private snapshotIfDue(folded: Folded<S>): void {
    const s = this.snapshots;
    const lastEventId = folded.lastEventId;
    if (!s || s.every <= 0 || lastEventId === undefined) return;
    const at = this.snapshotAt.get(folded.streamId) ?? 0;
    if (folded.version - at < s.every) return;
    this.snapshotAt.set(folded.streamId, folded.version);
    const write = {
      streamId: folded.streamId,
      schemaVersion: s.codec.schemaVersion,
      streamVersion: folded.version,
      lastEventId,
      state: s.codec.encode(folded.state),
    };
    this.writes = this.writes.then(async () => {
      try {
        await s.store.write(write);
      } catch (err) {
        s.warn?.(`snapshot of ${write.streamId} not written: ${(err as Error).message}`);
      }
    });
  }
}
