import { DataSource } from 'typeorm';

/** A day: the margin kept beyond the stream's max age. */
const MARGIN_MS = 86_400_000;

/** How long inbox rows are kept, and why. */
export type InboxRetention =
  { prune: true; retentionMs: number; raised: boolean } | { prune: false; reason: string };

/**
 * The inbox retention that is safe for a stream. A message can be redelivered as long
 * as the stream holds it (a consumer removed for inactivity is recreated and reads the
 * stream again), so rows must outlive the stream's max age: the configured retention
 * is raised to max age + 1 day when shorter, and nothing is pruned when the stream
 * keeps messages forever (max age 0) or the configuration says never (0).
 */
export function inboxRetention(configuredMs: number, streamMaxAgeMs: number): InboxRetention {
  if (configuredMs <= 0) return { prune: false, reason: 'INBOX_RETENTION_SECONDS is 0' };
  if (streamMaxAgeMs <= 0) {
    return {
      prune: false,
      reason:
        'the event stream has no max age, so any event may be redelivered: inbox rows are kept',
    };
  }
  const floor = streamMaxAgeMs + MARGIN_MS;
  return configuredMs >= floor
    ? { prune: true, retentionMs: configuredMs, raised: false }
    : { prune: true, retentionMs: floor, raised: true };
}

/**
 * Deletes the inbox rows of these consumers handled more than `retentionMs` ago, in
 * batches (short transactions, no long lock); returns how many were deleted.
 */
export async function pruneInbox(
  dataSource: DataSource,
  consumers: readonly string[],
  retentionMs: number,
  batchSize = 10_000,
): Promise<number> {
  if (consumers.length === 0) return 0;
  let total = 0;
  for (;;) {
    const rows: Array<{ n: string }> = await dataSource.query(
      `WITH doomed AS (
         SELECT consumer, event_id FROM natgw_inbox
          WHERE consumer = ANY($1::text[])
            AND handled_at < now() - make_interval(secs => $2::double precision / 1000)
          LIMIT $3
       ), gone AS (
         DELETE FROM natgw_inbox i USING doomed d
          WHERE i.consumer = d.consumer AND i.event_id = d.event_id
         RETURNING 1
       )
       SELECT count(*)::text AS n FROM gone`,
      [consumers, retentionMs, batchSize],
    );
    const n = Number(rows[0]?.n ?? 0);
    total += n;
    if (n < batchSize) return total;
  }
}
