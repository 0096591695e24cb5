import { EntityManager } from 'typeorm';

/**
 * Records, in the caller's transaction, that `consumer` handles `eventId`.
 * Returns false when it already did: the handler must then be skipped. A
 * concurrent claim of the same event waits for the first to commit or roll back.
 */
export async function claimInbox(
  manager: EntityManager,
  consumer: string,
  eventId: string,
): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `INSERT INTO natgw_inbox (consumer, event_id) VALUES ($1, $2::uuid)
     ON CONFLICT (consumer, event_id) DO NOTHING RETURNING 1 AS claimed`,
    [consumer, eventId],
  );
  return rows.length > 0;
}

/**
 * Records, in the caller's transaction, that `consumer` handles each of `eventIds` (one
 * statement). Returns the ids it claimed now; an id already in the inbox is not returned
 * (its handler must be skipped), and an id listed twice is claimed once.
 */
export async function claimInboxBatch(
  manager: EntityManager,
  consumer: string,
  eventIds: readonly string[],
): Promise<Set<string>> {
  const rows: Array<{ event_id: string }> = await manager.query(
    `INSERT INTO natgw_inbox (consumer, event_id)
     SELECT $1, id FROM unnest($2::uuid[]) AS t(id)
     ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id::text AS event_id`,
    [consumer, eventIds],
  );
  return new Set(rows.map((r) => r.event_id.toLowerCase()));
}
