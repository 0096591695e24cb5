import { DataSource, EntityManager } from 'typeorm';
import { Checkpoint, compareCheckpoints } from '../checkpoint';

/** What `npm run log:prune` left: see the LogRetention migration. */
export interface LogRetention {
  /** Audit lookups at or after this instant are exact; earlier ones are refused. */
  retainedSince: Date;
  /** Events at or before this position may be gone: nothing may start reading before it. */
  boundary: Checkpoint;
  /** Events removed by every prune so far. */
  prunedEvents: number;
  prunedAt: Date;
}

/** A reader or rebuild would start before the retention boundary, where events are gone. */
export class LogPrunedError extends Error {
  constructor(
    readonly what: string,
    readonly start: Checkpoint,
    readonly retention: LogRetention,
  ) {
    super(
      `${what} would read the log from ${start.transactionId}/${start.globalPosition}, but the log was pruned up to ${retention.boundary.transactionId}/${retention.boundary.globalPosition} (events recorded before ${retention.retainedSince.toISOString()} are gone): continue from a snapshot taken at or after that point (projections:rebuild without --from-log)`,
    );
    this.name = 'LogPrunedError';
  }
}

interface RetentionRow {
  retained_since: Date;
  transaction_id: string;
  global_position: string;
  pruned_events: string;
  pruned_at: Date;
}

/** The log's retention horizon, or undefined when it was never pruned. */
export async function readLogRetention(
  db: DataSource | EntityManager,
): Promise<LogRetention | undefined> {
  const [row]: RetentionRow[] = await db.query(
    `SELECT retained_since, transaction_id::text AS transaction_id,
            global_position::text AS global_position, pruned_events::text AS pruned_events,
            pruned_at
       FROM natgw_log_retention WHERE id = 1`,
  );
  if (!row) return undefined;
  return {
    retainedSince: row.retained_since,
    boundary: { transactionId: row.transaction_id, globalPosition: row.global_position },
    prunedEvents: Number(row.pruned_events),
    prunedAt: row.pruned_at,
  };
}

/**
 * Throws LogPrunedError when reading the log after `start` would miss pruned
 * events: `start` lies before the retention boundary. Reading from the boundary
 * itself or later is whole (every event after it is kept).
 */
export async function assertLogReadableFrom(
  db: DataSource | EntityManager,
  start: Checkpoint,
  what: string,
): Promise<void> {
  const retention = await readLogRetention(db);
  if (retention && compareCheckpoints(start, retention.boundary) < 0)
    throw new LogPrunedError(what, start, retention);
}
