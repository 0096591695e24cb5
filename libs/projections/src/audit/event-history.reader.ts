import { DataSource, EntityManager } from 'typeorm';
import type { RecordedEvent } from '@natgw/contracts';
import { EVENT_COLUMNS, EventRow, toRecorded } from '@natgw/event-store';

/**
 * Reads events for people (the console's timelines): the newest events of one
 * stream, one event by id, the events of one correlation within a time window.
 * Each query goes through an index of natgw_events: (stream_id, version), the
 * unique event id, and recorded_at (a correlation is searched only within its
 * window, so no index on metadata is needed and appends pay for none).
 */
export class EventHistoryReader {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** The newest `limit` events of a stream (of the given types, when some are given), oldest first. */
  async streamEvents(
    streamId: string,
    types: readonly string[],
    limit: number,
  ): Promise<RecordedEvent[]> {
    const rows: EventRow[] = await this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM natgw_events e
        WHERE e.stream_id = $1 AND (cardinality($2::text[]) = 0 OR e.type = ANY($2::text[]))
        ORDER BY e.version DESC LIMIT $3`,
      [streamId, types, limit],
    );
    return rows.reverse().map(toRecorded);
  }

  /** One event by its id, or undefined. */
  async byId(id: string): Promise<RecordedEvent | undefined> {
    const rows: EventRow[] = await this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM natgw_events e WHERE e.event_id = $1`,
      [id],
    );
    return rows.length === 0 ? undefined : toRecorded(rows[0]);
  }

  /**
   * The events recorded between `from` and `to` whose correlation id or causation id is
   * `id`, in log order, at most `limit`.
   */
  async related(id: string, from: Date, to: Date, limit: number): Promise<RecordedEvent[]> {
    const rows: EventRow[] = await this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM natgw_events e
        WHERE e.recorded_at >= $2 AND e.recorded_at <= $3
          AND (e.metadata->>'correlationId' = $1 OR e.metadata->>'causationId' = $1)
        ORDER BY e.transaction_id, e.global_position LIMIT $4`,
      [id, from, to, limit],
    );
    return rows.map(toRecorded);
  }
}
