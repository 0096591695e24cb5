import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { NewEvent, RecordedEvent } from '@natgw/contracts';
import { Checkpoint, LOG_START } from './checkpoint';
import { CommitAnnouncer } from './commit-announcer';
import { ConcurrencyError, InvalidAppendError } from './errors';
import { encodeExpectedVersion, ExpectedVersion } from './expected-version';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AppendOptions {
  expectedVersion?: ExpectedVersion;
  /** Append inside the caller's transaction. */
  manager?: EntityManager;
}

export interface AppendResult {
  streamId: string;
  /** True when the event ids were already stored: nothing new was written. */
  duplicate: boolean;
  /** The stream's version after the append (the number of events in it). */
  nextExpectedVersion: number;
  /** The appended events as stored (empty for a duplicate). */
  events: RecordedEvent[];
}

/** One stream's part of an append to several streams (see appendToStreams). */
export interface StreamAppend {
  streamId: string;
  events: NewEvent[];
  expectedVersion: ExpectedVersion;
}

export interface ReadAllOptions {
  after?: Checkpoint;
  limit?: number;
  manager?: EntityManager;
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /** Where the next read continues: the last event returned, or `after` if none. */
  checkpoint: Checkpoint;
}

export interface ReadStreamOptions {
  fromVersion?: number;
  toVersion?: number;
  manager?: EntityManager;
}

/** A row of natgw_events as EVENT_COLUMNS selects it (alias `e`). */
export interface EventRow {
  position_text: string;
  txid_text: string;
  stream_id: string;
  version: number;
  event_id: string;
  type: string;
  data: unknown;
  metadata: Record<string, string>;
  recorded_at: Date;
}

// Output names differ from the columns: ORDER BY would otherwise sort the text aliases.
export const EVENT_COLUMNS = `e.global_position::text AS position_text, e.transaction_id::text AS txid_text,
  e.stream_id, e.version, e.event_id, e.type, e.data, e.metadata, e.recorded_at`;

/** A selected row as a RecordedEvent. */
export function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    version: row.version,
    type: row.type,
    data: row.data,
    metadata: row.metadata ?? {},
    globalPosition: row.position_text,
    transactionId: row.txid_text,
    recordedAt: row.recorded_at,
  };
}

/**
 * readAll's condition and order: the events after the checkpoint ($1 transaction id,
 * $2 position) that every older transaction has committed before, in commit order.
 */
const VISIBLE_AFTER = `(e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)
    AND e.transaction_id < natgw_visible_horizon()
  ORDER BY e.transaction_id, e.global_position`;

/** Where a read continues after these events: the last one's position, or `after` if none. */
function checkpointAfter(events: readonly RecordedEvent[], after: Checkpoint): Checkpoint {
  const last = events[events.length - 1];
  return last ? { transactionId: last.transactionId, globalPosition: last.globalPosition } : after;
}

/** Numbers the cursors of readAllPages (unique names within a session). */
let cursors = 0;

/** A clock, injected so tests control recorded times. */
export type Clock = () => Date;

/** Observes successful appends (metrics). */
export type AppendObserver = (events: readonly RecordedEvent[]) => void;

/** The PostgreSQL event log: optimistic appends, stream reads and gap-free reads in commit order. */
export class PostgresEventStore {
  private readonly announcer: CommitAnnouncer;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock = () => new Date(),
    private readonly onAppended?: AppendObserver,
  ) {
    this.announcer = CommitAnnouncer.for(dataSource);
  }

  /** Appends events atomically to one stream; see AppendOptions and AppendResult. */
  async append(
    streamId: string,
    events: NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (!streamId) throw new InvalidAppendError('streamId must not be empty');
    if (events.length === 0) throw new InvalidAppendError('append needs at least one event');
    const expected = options.expectedVersion ?? 'any';
    const ids = events.map((e) => e.id ?? randomUUID());
    const badId = ids.find((id) => !UUID.test(id));
    if (badId !== undefined) throw new InvalidAppendError(`event id "${badId}" is not a UUID`);
    if (new Set(ids).size !== ids.length)
      throw new InvalidAppendError('event ids in one append must differ');
    const badType = events.find((e) => typeof e.type !== 'string' || e.type.length === 0);
    if (badType) throw new InvalidAppendError('every event needs a non-empty type');
    const recordedAt = this.clock();
    const q = options.manager ?? this.dataSource.manager;
    let rows: Array<{
      result: string;
      stream_version: number;
      global_positions: string[] | null;
      commit_id: string;
      recorded_at: Date | null;
    }>;
    try {
      rows = await q.query(
        // natgw_append's transaction_id is the raw counter; the id stored is the counter plus
        // the commit-order base (natgw_current_commit_id, the CommitOrderBase migration).
        `SELECT a.*, natgw_current_commit_id()::text AS commit_id
           FROM natgw_append($1, $2, $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7) a`,
        [
          streamId,
          encodeExpectedVersion(expected),
          ids,
          events.map((e) => e.type),
          events.map((e) => JSON.stringify(e.data ?? null)),
          events.map((e) => JSON.stringify(e.metadata ?? {})),
          recordedAt,
        ],
      );
    } catch (err) {
      const pgErr = err as { code?: string; detail?: string; constraint?: string };
      if (pgErr.code === 'NG409') {
        throw new ConcurrencyError(streamId, expected, Number(pgErr.detail));
      }
      // The same event id raced into another stream: it is stored, so this is a duplicate.
      if (
        pgErr.code === '23505' &&
        pgErr.constraint === 'natgw_events_event_id_key' &&
        !options.manager
      ) {
        const version = await this.streamVersion(streamId);
        return { streamId, duplicate: true, nextExpectedVersion: version, events: [] };
      }
      throw err;
    }
    const row = rows[0];
    if (row.result === 'duplicate') {
      return { streamId, duplicate: true, nextExpectedVersion: row.stream_version, events: [] };
    }
    const first = row.stream_version - events.length + 1;
    const positions = row.global_positions ?? [];
    const recorded: RecordedEvent[] = events.map((e, i) => ({
      id: ids[i],
      streamId,
      version: first + i,
      type: e.type,
      data: e.data ?? null,
      metadata: e.metadata ?? {},
      globalPosition: String(positions[i]),
      transactionId: row.commit_id,
      recordedAt: row.recorded_at ?? recordedAt,
    }));
    // Inside a caller's transaction the append may still roll back: count it anyway,
    // as an attempt the service made (the usual case is a committed append).
    this.onAppended?.(recorded);
    // Readers are woken after the commit (in the caller's transaction: once it commits).
    this.announcer.appended(options.manager);
    return {
      streamId,
      duplicate: false,
      nextExpectedVersion: row.stream_version,
      events: recorded,
    };
  }

  /**
   * Every stream whose id starts with `prefix`, in byte order, with its version and the type of
   * its last event (e.g. to count the live objects of a namespace: `natgateway:team-a/`). Reads
   * in the caller's transaction when a manager is given. Cost: the streams of the prefix.
   */
  async streamsWithPrefix(
    prefix: string,
    manager?: EntityManager,
  ): Promise<Array<{ streamId: string; version: number; lastType: string }>> {
    if (prefix.length === 0) throw new RangeError('a stream prefix must not be empty');
    const last = prefix.charCodeAt(prefix.length - 1);
    const end = prefix.slice(0, -1) + String.fromCharCode(last + 1);
    const rows: Array<{ stream_id: string; version: number; type: string }> = await (
      manager ?? this.dataSource.manager
    ).query(
      `SELECT s.stream_id, s.version, e.type
         FROM natgw_streams s
         JOIN natgw_events e ON e.stream_id = s.stream_id AND e.version = s.version
        WHERE (s.stream_id COLLATE "C") >= $1 AND (s.stream_id COLLATE "C") < $2
        ORDER BY (s.stream_id COLLATE "C")`,
      [prefix, end],
    );
    return rows.map((r) => ({ streamId: r.stream_id, version: r.version, lastType: r.type }));
  }

  /**
   * Appends to several streams in the caller's transaction, in the given order: all of it
   * commits or none. Every append locks its stream's row until the commit, so writers that
   * append to several streams must take them in one global order (e.g. the object's own stream
   * first, then the others sorted by id), or two of them can deadlock.
   */
  async appendToStreams(
    appends: readonly StreamAppend[],
    manager: EntityManager,
  ): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (const a of appends) {
      results.push(
        await this.append(a.streamId, a.events, { expectedVersion: a.expectedVersion, manager }),
      );
    }
    return results;
  }

  /** The number of events in a stream (0 when it does not exist). */
  async streamVersion(streamId: string, manager?: EntityManager): Promise<number> {
    const rows: Array<{ version: number }> = await (manager ?? this.dataSource.manager).query(
      'SELECT version FROM natgw_streams WHERE stream_id = $1',
      [streamId],
    );
    return rows.length === 0 ? 0 : rows[0].version;
  }

  /** The events of one stream in version order, from `fromVersion` (1-based, inclusive). */
  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const rows: EventRow[] = await (options.manager ?? this.dataSource.manager).query(
      `SELECT ${EVENT_COLUMNS} FROM natgw_events e
        WHERE e.stream_id = $1 AND e.version >= $2 AND e.version <= $3 ORDER BY e.version`,
      [streamId, options.fromVersion ?? 1, options.toVersion ?? 2_147_483_647],
    );
    return rows.map(toRecorded);
  }

  /**
   * Reads events after a checkpoint in commit order. Only transactions older than
   * every transaction still in flight are visible, so a transaction that commits
   * late can never land behind a checkpoint a reader has already passed. The horizon
   * is the snapshot's xmin plus the log's commit-order base (0 unless the log was
   * restored into another cluster: see the CommitOrderBase migration).
   */
  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const after = options.after ?? LOG_START;
    const limit = options.limit ?? 1000;
    const rows: EventRow[] = await (options.manager ?? this.dataSource.manager).query(
      `SELECT ${EVENT_COLUMNS} FROM natgw_events e WHERE ${VISIBLE_AFTER} LIMIT $3`,
      [after.transactionId, after.globalPosition, limit],
    );
    const events = rows.map(toRecorded);
    return { events, checkpoint: checkpointAfter(events, after) };
  }

  /**
   * Reads every event after `after` that readAll would return, in the same order,
   * `pageSize` at a time, through a cursor in the caller's transaction: one plan and
   * one snapshot (the horizon as the read starts) for the whole read instead of a
   * planned query per page (bench:replay's 1M-event log: 38.8 s paged, 27.8 s for a
   * cursor's read of the table). The next page is fetched while `onPage` handles this one.
   * Returns the checkpoint of the last event read (`after` when none).
   */
  async readAllPages(
    manager: EntityManager,
    after: Checkpoint,
    pageSize: number,
    onPage: (events: RecordedEvent[]) => Promise<void>,
  ): Promise<Checkpoint> {
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
    const cursor = `natgw_read_all_${(cursors += 1)}`;
    await manager.query(
      `DECLARE ${cursor} NO SCROLL CURSOR FOR
         SELECT ${EVENT_COLUMNS} FROM natgw_events e WHERE ${VISIBLE_AFTER}`,
      [after.transactionId, after.globalPosition],
    );
    const fetch = (): Promise<EventRow[]> => manager.query(`FETCH ${pageSize} FROM ${cursor}`);
    let next = fetch();
    let checkpoint = after;
    for (;;) {
      const rows = await next;
      if (rows.length === 0) break;
      // PostgreSQL reads and sends the next page while this one is handled.
      next = fetch();
      next.catch(() => undefined);
      const events = rows.map(toRecorded);
      checkpoint = checkpointAfter(events, checkpoint);
      await onPage(events);
    }
    await manager.query(`CLOSE ${cursor}`);
    return checkpoint;
  }

  /**
   * True when committed events after `after` exist that readAll does not return yet:
   * an older transaction is still in flight (the visibility horizon holds them back).
   * A reader whose read came back empty asks this to retry soon instead of sleeping
   * until its next poll. Cost: one index probe.
   */
  async heldBack(after: Checkpoint, manager?: EntityManager): Promise<boolean> {
    const rows: Array<{ held: boolean }> = await (manager ?? this.dataSource.manager).query(
      `SELECT EXISTS (SELECT 1 FROM natgw_events e
         WHERE (e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)) AS held`,
      [after.transactionId, after.globalPosition],
    );
    return rows[0].held;
  }

  /** Reads a stored checkpoint by name (LOG_START when none). */
  async loadCheckpoint(
    name: string,
    manager?: EntityManager,
    forUpdate = false,
  ): Promise<Checkpoint> {
    const rows: Array<{ transaction_id: string; global_position: string }> = await (
      manager ?? this.dataSource.manager
    ).query(
      `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
         FROM natgw_checkpoints WHERE name = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [name],
    );
    return rows.length === 0
      ? LOG_START
      : { transactionId: rows[0].transaction_id, globalPosition: rows[0].global_position };
  }

  /**
   * Locks a named checkpoint row for the rest of the caller's transaction and returns
   * it. The row is created first when missing, so two processes can never both read
   * "no checkpoint yet" and process the same events.
   */
  async lockCheckpoint(name: string, manager: EntityManager): Promise<Checkpoint> {
    await manager.query(
      `INSERT INTO natgw_checkpoints (name, transaction_id, global_position)
       VALUES ($1, '0'::xid8, 0) ON CONFLICT (name) DO NOTHING`,
      [name],
    );
    return this.loadCheckpoint(name, manager, true);
  }

  /**
   * Like lockCheckpoint, but without waiting: undefined when another transaction holds the
   * row (another process is applying a batch of the same projection right now).
   */
  async tryLockCheckpoint(name: string, manager: EntityManager): Promise<Checkpoint | undefined> {
    // Not an insert-if-missing first: its conflict check waits for the holder's update.
    const rows: Array<{ transaction_id: string; global_position: string }> = await manager.query(
      `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
         FROM natgw_checkpoints WHERE name = $1 FOR UPDATE SKIP LOCKED`,
      [name],
    );
    if (rows.length > 0)
      return { transactionId: rows[0].transaction_id, globalPosition: rows[0].global_position };
    const exists = await manager.query(`SELECT 1 FROM natgw_checkpoints WHERE name = $1`, [name]);
    // No row yet (the projection's first batch): create it and lock it, as lockCheckpoint does.
    return exists.length > 0 ? undefined : this.lockCheckpoint(name, manager);
  }

  /** Stores a named checkpoint (in the caller's transaction when a manager is given). */
  async storeCheckpoint(
    name: string,
    checkpoint: Checkpoint,
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO natgw_checkpoints (name, transaction_id, global_position, updated_at)
       VALUES ($1, $2::text::xid8, $3::bigint, now())
       ON CONFLICT (name) DO UPDATE
         SET transaction_id = EXCLUDED.transaction_id,
             global_position = EXCLUDED.global_position, updated_at = now()`,
      [name, checkpoint.transactionId, checkpoint.globalPosition],
    );
  }

  /**
   * Moves a named checkpoint forward to `to`, never backwards (a stale writer's older
   * position is ignored), in one statement: no transaction stays open between a read
   * and a write, holding back readers' horizon. True when it moved.
   */
  async advanceCheckpoint(name: string, to: Checkpoint): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO natgw_checkpoints AS c (name, transaction_id, global_position, updated_at)
       VALUES ($1, $2::text::xid8, $3::bigint, now())
       ON CONFLICT (name) DO UPDATE
         SET transaction_id = EXCLUDED.transaction_id,
             global_position = EXCLUDED.global_position, updated_at = now()
         WHERE (c.transaction_id, c.global_position)
             < (EXCLUDED.transaction_id, EXCLUDED.global_position)
       RETURNING 1`,
      [name, to.transactionId, to.globalPosition],
    );
    return rows.length > 0;
  }

  /** Events visible to readAll that come after a checkpoint (for lag metrics). */
  async countAfter(after: Checkpoint): Promise<number> {
    const rows: Array<{ n: string }> = await this.dataSource.query(
      `SELECT count(*)::text AS n FROM natgw_events
        WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)`,
      [after.transactionId, after.globalPosition],
    );
    return Number(rows[0].n);
  }
}
