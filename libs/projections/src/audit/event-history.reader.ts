import { DataSource, EntityManager } from 'typeorm';
import type { RecordedEvent } from '@natgw/contracts';

interface Row {
  position_text: string;
  txid_text: string;
  stream_id: string;
  version: number;
  event_id: string;
  type: string;
  data: unknown;
  metadata: Record<string, string> | null;
  recorded_at: Date;
}

const COLUMNS = `global_position::text AS position_text, transaction_id::text AS txid_text,
  stream_id, version, event_id, type, data, metadata, recorded_at`;

function recorded(r: Row): RecordedEvent {
  return {
    id: r.event_id,
    streamId: r.stream_id,
    version: r.version,
    type: r.type,
    data: r.data,
    metadata: r.metadata ?? {},
    globalPosition: r.position_text,
    transactionId: r.txid_text,
    recordedAt: r.recorded_at,
  };
}

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
    const rows: Row[] = await this.db.query(
      `SELECT ${COLUMNS} FROM natgw_events
        WHERE stream_id = $1 AND (cardinality($2::text[]) = 0 OR type = ANY($2::text[]))
        ORDER BY version DESC LIMIT $3`,
      [streamId, types, limit],
    );
    return rows.reverse().map(recorded);
  }

  /** One event by its id, or undefined. */
  async byId(id: string): Promise<RecordedEvent | undefined> {
    const rows: Row[] = await this.db.query(
      `SELECT ${COLUMNS} FROM natgw_events WHERE event_id = $1`,
      [id],
    );
    return rows.length === 0 ? undefined : recorded(rows[0]);
  }

  /**
   * The events recorded between `from` and `to` whose correlation id or causation id is
   * `id`, in log order, at most `limit`.
   */
  async related(id: string, from: Date, to: Date, limit: number): Promise<RecordedEvent[]> {
    const rows: Row[] = await this.db.query(
      `SELECT ${COLUMNS} FROM natgw_events
        WHERE recorded_at >= $2 AND recorded_at <= $3
          AND (metadata->>'correlationId' = $1 OR metadata->>'causationId' = $1)
        ORDER BY transaction_id, global_position LIMIT $4`,
      [id, from, to, limit],
    );
    return rows.map(recorded);
  }
}
