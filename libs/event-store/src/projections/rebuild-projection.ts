import { DataSource } from 'typeorm';
import { LOG_START } from '../checkpoint';
import { PostgresEventStore } from '../postgres-event-store';
import { applyEvents, Projection, projectionCheckpointName } from './projection';

/**
 * Rebuilds a projection from the start of the log in one transaction: readers see
 * the old read model until the new one commits, and live runners wait on the
 * checkpoint lock, then continue from where the rebuild stopped. `onProgress` hears
 * how many events are applied of how many the log holds, after every batch.
 */
export async function rebuildProjection(
  dataSource: DataSource,
  store: PostgresEventStore,
  projection: Projection,
  batchSize = 5000,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const name = projectionCheckpointName(projection);
  return dataSource.transaction(async (manager) => {
    await store.lockCheckpoint(name, manager);
    await projection.reset(manager);
    // The log is append-only: what this transaction sees is what it will apply.
    const expected = onProgress
      ? Number(
          (
            (await manager.query('SELECT count(*)::text AS n FROM natgw_events')) as [{ n: string }]
          )[0].n,
        )
      : 0;
    onProgress?.(0, expected);
    let after = LOG_START;
    let total = 0;
    for (;;) {
      const { events, checkpoint } = await store.readAll({ after, limit: batchSize, manager });
      if (events.length === 0) break;
      await applyEvents(projection, events, manager);
      total += events.length;
      after = checkpoint;
      onProgress?.(total, Math.max(total, expected));
    }
    await store.storeCheckpoint(name, after, manager);
    return total;
  });
}
