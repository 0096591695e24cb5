import { DataSource, EntityManager } from 'typeorm';
import { RecordedEvent, RESOURCE_KINDS } from '@natgw/contracts';
import { Checkpoint, compareCheckpoints, LOG_START } from '../checkpoint';
import { EVENT_COLUMNS, EventRow, PostgresEventStore, toRecorded } from '../postgres-event-store';
import { Projection } from '../projections/projection';
import { snapshotProjections } from '../projections/rebuild-projection';
import { compactWriteStreams } from './compact-streams';
import { readLogRetention } from './log-retention';

export interface PruneOptions {
  /** Events recorded before this instant may go; audit lookups stay exact from it on. */
  retainedSince: Date;
  /** Count what would go, change nothing (no snapshot is taken either). */
  dryRun?: boolean;
  /** Positions scanned per transaction (default 20,000). */
  batchSize?: number;
  /**
   * Receives each batch's removed events before that batch commits (an archive:
   * when it throws, the batch is rolled back and the prune stops).
   */
  archive?: (events: readonly RecordedEvent[]) => Promise<void>;
  onProgress?: (done: number, total: number) => void;
}

export interface PruneReport {
  retainedSince: Date;
  /** The last position a removed event may have: the earliest snapshot or reader checkpoint. */
  boundary: Checkpoint;
  /** What holds the boundary where it is: `snapshot:<projection>` or a checkpoint's name. */
  heldBy: string;
  /** Events removed (or, for a dry run, that would be), compacted ones included. */
  pruned: number;
  /** Of those, events of pool and allocation streams below their snapshots (compactWriteStreams). */
  compacted: number;
  /** Events left in the log. */
  remaining: number;
}

/** Resource streams (`<category>:<ns>/<name>`) and the types that open and close an incarnation. */
const RESOURCE_CATEGORIES = RESOURCE_KINDS.map((k) => `${k.streamCategory}:`);
const LIFECYCLE_TYPES = RESOURCE_KINDS.flatMap((k) => [`${k.kind}Created`, `${k.kind}Deleted`]);
const DELETED_TYPES = RESOURCE_KINDS.map((k) => `${k.kind}Deleted`);
/** Streams whose writers and readers only ever look at the last event. */
const LAST_EVENT_ONLY = ['vni:', 'networkaddress:', 'dataplane:'];

/**
 * Which events may go, as a condition on `e` (natgw_events) joined with `s`
 * (natgw_streams): $1 the retention instant, $2/$3 the boundary; $4 resource
 * categories, $5 lifecycle types, $6 Deleted types, $7 last-event-only categories.
 * Never a stream's last event (stream versions, name reuse and the node list read
 * it), nor the newest transaction's (a restore into another cluster detects that it
 * must re-base the commit order by the highest id stored, natgw_rebase_commit_order);
 * only what no reader can need at or after the instant:
 * - a resource stream: its updates, status requests and deletion requests (the
 *   snapshot holds the object; `nattable?at=` needs only Created and Deleted); once
 *   its last incarnation was deleted before the instant, everything but that
 *   Deleted, except a NATGatewayCreated whose allocation stream is still kept (the
 *   gateway's name in natlookup answers);
 * - a claim stream and a node's `dataplane:` stream: everything but the last event;
 * - an allocation stream closed before the instant: everything but AllocationClosed;
 * - anything else: nothing here (quotas are folded whole; pools and live allocations are
 *   compacted below their stream snapshots by compactWriteStreams).
 */
const PRUNABLE = `
  e.recorded_at < $1
  AND (e.transaction_id, e.global_position) <= ($2::text::xid8, $3::bigint)
  AND e.transaction_id < (SELECT max(m.transaction_id) FROM natgw_events m)
  AND e.version < s.version
  AND (
    (split_part(e.stream_id, ':', 1) || ':' = ANY($7::text[]))
    OR (e.stream_id LIKE 'allocation:%' AND EXISTS (
      SELECT 1 FROM natgw_events l
       WHERE l.stream_id = e.stream_id AND l.version = s.version
         AND l.type = 'AllocationClosed' AND l.recorded_at < $1))
    OR (split_part(e.stream_id, ':', 1) || ':' = ANY($4::text[]) AND (
      NOT (e.type = ANY($5::text[]))
      OR (EXISTS (
            SELECT 1 FROM natgw_events l
             WHERE l.stream_id = e.stream_id AND l.version = s.version
               AND l.type = ANY($6::text[]) AND l.recorded_at < $1)
          AND NOT (e.type = 'NATGatewayCreated' AND EXISTS (
            SELECT 1 FROM natgw_streams a
              JOIN natgw_events l ON l.stream_id = a.stream_id AND l.version = a.version
             WHERE a.stream_id = 'allocation:' || (e.data->>'uid')
               AND NOT (l.type = 'AllocationClosed' AND l.recorded_at < $1))))))
  )`;

/** The earliest of every projection snapshot and every reader's checkpoint. */
async function boundaryOf(
  db: DataSource | EntityManager,
  projections: readonly Projection[],
): Promise<{ boundary: Checkpoint; heldBy: string }> {
  const rows: Array<{ name: string; transaction_id: string; global_position: string }> =
    await db.query(
      `SELECT name, transaction_id::text AS transaction_id, global_position::text AS global_position
         FROM (SELECT 'snapshot:' || projection AS name, transaction_id, global_position
                 FROM natgw_projection_snapshots WHERE projection = ANY($1::text[])
               UNION ALL
               SELECT name, transaction_id, global_position FROM natgw_checkpoints) c
        ORDER BY transaction_id, global_position LIMIT 1`,
      [projections.map((p) => p.name)],
    );
  const [first] = rows;
  if (!first) throw new Error('the log has no checkpoint and no snapshot: nothing can be pruned');
  return {
    boundary: { transactionId: first.transaction_id, globalPosition: first.global_position },
    heldBy: first.name,
  };
}

/** Every projection must fold into a snapshot: a pruned log can only be rebuilt from one. */
function checkFoldable(projections: readonly Projection[]): void {
  const missing = projections.filter((p) => !p.fold);
  if (missing.length > 0)
    throw new Error(
      `projections ${missing.map((p) => p.name).join(', ')} cannot fold into a snapshot: a pruned log could not rebuild them`,
    );
}

/**
 * Removes the events of the log that nothing can need any more (see PRUNABLE, and
 * compactWriteStreams for pools and live allocations): only
 * events recorded before `retainedSince` and at or before the boundary — the
 * earliest of the projections' snapshots (taken fresh first) and of every reader's
 * checkpoint (the relay, the projections, any other) — so every reader continues
 * from its position without a gap, and a rebuild from the snapshots gives the same
 * read models as before. The retention horizon is stored first, in its own
 * transaction: while events go, a lookup before the instant is already refused
 * rather than answered from a half-pruned log. Run it as the schema's owner (no
 * service role may DELETE from natgw_events).
 */
export async function pruneLog(
  dataSource: DataSource,
  store: PostgresEventStore,
  projections: readonly Projection[],
  options: PruneOptions,
): Promise<PruneReport> {
  checkFoldable(projections);
  const since = options.retainedSince;
  if (!options.dryRun) {
    const taken = await snapshotProjections(dataSource, store, projections);
    if (taken.length !== projections.length)
      throw new Error('every projection needs a snapshot before the log is pruned');
  }
  const { boundary, heldBy } = await boundaryOf(dataSource, projections);
  const params = [
    since,
    boundary.transactionId,
    boundary.globalPosition,
    RESOURCE_CATEGORIES,
    LIFECYCLE_TYPES,
    DELETED_TYPES,
    LAST_EVENT_ONLY,
  ];
  const [range]: Array<{ lo: string | null; hi: string | null }> = await dataSource.query(
    `SELECT min(global_position)::text AS lo, max(global_position)::text AS hi
       FROM natgw_events WHERE recorded_at < $1`,
    [since],
  );
  let pruned = 0;
  let compacted = 0;
  // A reader at the start of the log (a checkpoint never advanced) holds everything.
  const held = compareCheckpoints(boundary, LOG_START) === 0;
  if (range.lo !== null && range.hi !== null && !held) {
    if (!options.dryRun) await storeHorizon(dataSource, since, boundary);
    const lo = BigInt(range.lo);
    const hi = BigInt(range.hi);
    const step = BigInt(options.batchSize ?? 20_000);
    const total = Number(hi - lo + 1n);
    options.onProgress?.(0, total);
    for (let from = lo; from <= hi; from += step) {
      const to = from + step;
      pruned += await dataSource.transaction(async (m) => {
        const where = `FROM natgw_events e JOIN natgw_streams s ON s.stream_id = e.stream_id
          WHERE e.global_position >= $8::bigint AND e.global_position < $9::bigint AND ${PRUNABLE}`;
        const bounds = [...params, String(from), String(to)];
        if (options.dryRun) {
          const [{ n }]: Array<{ n: number }> = await m.query(
            `SELECT count(*)::int AS n ${where}`,
            bounds,
          );
          return n;
        }
        // TypeORM answers a DELETE ... RETURNING with [rows, count].
        const [rows]: [EventRow[], number] = await m.query(
          `DELETE FROM natgw_events d WHERE d.global_position IN (SELECT e.global_position ${where})
           RETURNING ${EVENT_COLUMNS.replace(/\be\./g, 'd.')}`,
          bounds,
        );
        if (rows.length > 0) {
          await options.archive?.(rows.map(toRecorded));
          await m.query(
            `UPDATE natgw_log_retention SET pruned_events = pruned_events + $1 WHERE id = 1`,
            [rows.length],
          );
        }
        return rows.length;
      });
      options.onProgress?.(Math.min(total, Number(to - lo)), total);
    }
    compacted = await compactWriteStreams(dataSource, {
      retainedSince: since,
      boundary,
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.archive ? { archive: options.archive } : {}),
    });
    pruned += compacted;
  }
  const [{ n }]: Array<{ n: number }> = await dataSource.query(
    'SELECT count(*)::int AS n FROM natgw_events',
  );
  return { retainedSince: since, boundary, heldBy, pruned, compacted, remaining: n };
}

/**
 * Moves the retention horizon forward (never back: an earlier prune may have gone
 * further) before any event goes.
 */
async function storeHorizon(
  dataSource: DataSource,
  since: Date,
  boundary: Checkpoint,
): Promise<void> {
  const current = await readLogRetention(dataSource);
  const keep = current && compareCheckpoints(current.boundary, boundary) > 0;
  const b = keep ? current.boundary : boundary;
  await dataSource.query(
    `INSERT INTO natgw_log_retention (id, retained_since, transaction_id, global_position, pruned_at)
     VALUES (1, $1, $2::text::xid8, $3::bigint, now())
     ON CONFLICT (id) DO UPDATE SET
       retained_since = GREATEST(natgw_log_retention.retained_since, EXCLUDED.retained_since),
       transaction_id = EXCLUDED.transaction_id,
       global_position = EXCLUDED.global_position,
       pruned_at = now()`,
    [since, b.transactionId, b.globalPosition],
  );
}
