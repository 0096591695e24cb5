import { DataSource, EntityManager } from 'typeorm';

/** A stored snapshot of one stream: its folded state as JSON, at a version. */
export interface StoredStreamSnapshot {
  streamId: string;
  /** The layout of `state` (the reader's codec decides whether it knows it). */
  schemaVersion: number;
  /** The state folds the stream's events 1..streamVersion. */
  streamVersion: number;
  /** The event at streamVersion: its id, position in the log and time. */
  lastEventId: string;
  globalPosition: string;
  transactionId: string;
  recordedAt: Date;
  state: unknown;
}

/** What a writer gives: the state after the event `lastEventId` at `streamVersion`. */
export interface StreamSnapshotWrite {
  streamId: string;
  schemaVersion: number;
  streamVersion: number;
  lastEventId: string;
  state: unknown;
}

interface Row {
  stream_id: string;
  schema_version: number;
  stream_version: number;
  last_event_id: string;
  global_position: string;
  transaction_id: string;
  recorded_at: Date;
  state: unknown;
}

/**
 * natgw_stream_snapshots (the StreamSnapshots migration): the newest snapshot per
 * stream. A cache of the log, never its source: a write only lands when the event it
 * claims to end at is committed with that id, and only when it is newer than the
 * stored one, so concurrent writers (two allocators) keep the highest version.
 */
export class StreamSnapshotStore {
  constructor(private readonly db: DataSource) {}

  /** The stream's snapshot, or undefined. */
  async read(streamId: string, manager?: EntityManager): Promise<StoredStreamSnapshot | undefined> {
    const [row]: Row[] = await (manager ?? this.db.manager).query(
      `SELECT stream_id, schema_version, stream_version, last_event_id::text AS last_event_id,
              global_position::text AS global_position, transaction_id::text AS transaction_id,
              recorded_at, state
         FROM natgw_stream_snapshots WHERE stream_id = $1`,
      [streamId],
    );
    if (!row) return undefined;
    return {
      streamId: row.stream_id,
      schemaVersion: row.schema_version,
      streamVersion: row.stream_version,
      lastEventId: row.last_event_id,
      globalPosition: row.global_position,
      transactionId: row.transaction_id,
      recordedAt: row.recorded_at,
      state: row.state,
    };
  }

  /**
   * Stores the snapshot in its own statement (never inside a caller's transaction: a
   * snapshot of a state that a rollback undoes must not exist). True when it was stored;
   * false when the event is not committed with that id (a rolled-back or foreign append)
   * or a snapshot at the same or a higher version is already there.
   */
  async write(snapshot: StreamSnapshotWrite): Promise<boolean> {
    const rows: Array<{ stream_id: string }> = await this.db.query(
      `INSERT INTO natgw_stream_snapshots AS s
              (stream_id, schema_version, stream_version, last_event_id, global_position,
               transaction_id, recorded_at, state, taken_at)
       SELECT e.stream_id, $3, e.version, e.event_id, e.global_position, e.transaction_id,
              e.recorded_at, $5::jsonb, now()
         FROM natgw_events e
        WHERE e.stream_id = $1 AND e.version = $2 AND e.event_id = $4::uuid
       ON CONFLICT (stream_id) DO UPDATE SET
              schema_version = EXCLUDED.schema_version, stream_version = EXCLUDED.stream_version,
              last_event_id = EXCLUDED.last_event_id, global_position = EXCLUDED.global_position,
              transaction_id = EXCLUDED.transaction_id, recorded_at = EXCLUDED.recorded_at,
              state = EXCLUDED.state, taken_at = EXCLUDED.taken_at
        WHERE s.stream_version < EXCLUDED.stream_version
       RETURNING s.stream_id`,
      [
        snapshot.streamId,
        snapshot.streamVersion,
        snapshot.schemaVersion,
        snapshot.lastEventId,
        JSON.stringify(snapshot.state),
      ],
    );
    return rows.length > 0;
  }

  /** Deletes the snapshots of streams starting with `prefix` (all with ''); returns how many. */
  async deleteWithPrefix(prefix: string): Promise<number> {
    const [, count]: [unknown, number] = await this.db.query(
      `DELETE FROM natgw_stream_snapshots WHERE starts_with(stream_id, $1)`,
      [prefix],
    );
    return count;
  }
}
