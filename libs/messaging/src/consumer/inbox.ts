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
