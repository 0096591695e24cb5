import { DataSource } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import { CompactableStream, compactableVersions } from '@natgw/domain';
import { Checkpoint, checkpointOf, compareCheckpoints } from '../checkpoint';
import { EVENT_COLUMNS, EventRow, toRecorded } from '../postgres-event-store';

/** The write-side streams log:prune compacts, by stream id prefix. */
const COMPACTED: ReadonlyArray<[prefix: string, kind: CompactableStream]> = [
  ['ippool:', 'ippool'],
  ['allocation:', 'allocation'],
];

export interface CompactOptions {
  retainedSince: Date;
  boundary: Checkpoint;
  dryRun?: boolean;
  archive?: (events: readonly RecordedEvent[]) => Promise<void>;
}

/**
 * Removes from every pool and allocation stream that has a stream snapshot the events
 * `compactableVersions` finds among the stream's first kept events that may go: at or
 * below the snapshot's version (the allocator starts from the snapshot, never needs them),
 * below the stream's last version (natgw_streams keeps the version appends expect),
 * recorded before `retainedSince`, at or before `boundary` (every reader and projection
 * snapshot is past them) and not in the log's newest transaction. Their removal changes
 * no fold of the stream and no audit lookup at or after `retainedSince`, so the stream
 * still folds whole without the snapshot. One transaction per stream; returns how many
 * events went (or would go).
 */
export async function compactWriteStreams(
  dataSource: DataSource,
  options: CompactOptions,
): Promise<number> {
  const streams: Array<{ stream_id: string; upto: number }> = await dataSource.query(
    `SELECT n.stream_id, LEAST(n.stream_version, s.version - 1) AS upto
       FROM natgw_stream_snapshots n JOIN natgw_streams s ON s.stream_id = n.stream_id
      WHERE starts_with(n.stream_id, $1) OR starts_with(n.stream_id, $2)
      ORDER BY n.stream_id`,
    COMPACTED.map(([prefix]) => prefix),
  );
  const [{ newest }]: Array<{ newest: string | null }> = await dataSource.query(
    `SELECT max(transaction_id)::text AS newest FROM natgw_events`,
  );
  if (newest === null) return 0;
  const since = options.retainedSince.getTime();
  let removed = 0;
  for (const { stream_id: streamId, upto } of streams) {
    const kind = COMPACTED.find(([prefix]) => streamId.startsWith(prefix))?.[1];
    if (!kind || upto < 1) continue;
    removed += await dataSource.transaction(async (m) => {
      const rows: EventRow[] = await m.query(
        `SELECT ${EVENT_COLUMNS} FROM natgw_events e
          WHERE e.stream_id = $1 AND e.version <= $2 ORDER BY e.version`,
        [streamId, upto],
      );
      const events = rows.map(toRecorded);
      const end = events.findIndex(
        (e) =>
          e.recordedAt.getTime() >= since ||
          compareCheckpoints(checkpointOf(e), options.boundary) > 0 ||
          BigInt(e.transactionId) >= BigInt(newest),
      );
      const run = end < 0 ? events : events.slice(0, end);
      const versions = compactableVersions(kind, run);
      if (versions.length === 0 || options.dryRun) return versions.length;
      const [gone]: [EventRow[], number] = await m.query(
        `DELETE FROM natgw_events d WHERE d.stream_id = $1 AND d.version = ANY($2::int[])
         RETURNING ${EVENT_COLUMNS.replace(/\be\./g, 'd.')}`,
        [streamId, versions],
      );
      await options.archive?.(gone.map(toRecorded));
      await m.query(
        `UPDATE natgw_log_retention SET pruned_events = pruned_events + $1 WHERE id = 1`,
        [gone.length],
      );
      return gone.length;
    });
  }
  return removed;
}
