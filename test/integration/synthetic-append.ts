import { DataSource } from 'typeorm';
import { PostgresEventStore } from '@natgw/event-store';
import { eventually, SyntheticEvent } from '@natgw/testing';

/**
 * Appends synthetic events one by one (each to its stream, any version), then waits
 * until the log holds `total` events that readers can see: they are committed, but a
 * transaction open elsewhere on the server can hold them back (the log's visibility
 * horizon) for a while.
 */
export async function appendVisible(
  ds: DataSource,
  store: PostgresEventStore,
  events: readonly SyntheticEvent[],
  total: number,
  timeoutMs = 30_000,
): Promise<void> {
  for (const e of events)
    await store.append(e.stream, [{ type: e.type, data: e.data, metadata: e.metadata }], {
      expectedVersion: 'any',
    });
  await eventually(
    async () => {
      const [{ n }]: Array<{ n: number }> = await ds.query(
        `SELECT count(*)::int AS n FROM natgw_events
          WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())`,
      );
      return n === total;
    },
    { what: 'every appended event visible', timeoutMs },
  );
}
