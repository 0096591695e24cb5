import { DataSource } from 'typeorm';
import { LOG_START } from '../checkpoint';
import { PostgresEventStore } from '../postgres-event-store';
import { applyEvents, Projection, projectionCheckpointName } from './projection';

/**
 * Rebuilds a projection from the start of the log in one transaction: readers see
 * the old read model until the new one commits, and live runners wait on the
 * checkpoint lock, then continue from where the rebuild stopped.
 */
export async function rebuildProjection(
  dataSource: DataSource,
  store: PostgresEventStore,
  projection: Projection,
  batchSize = 5000,
): Promise<number> {
  const name = projectionCheckpointName(projection);
  return dataSource.transaction(async (manager) => {
    await store.lockCheckpoint(name, manager);
    await projection.reset(manager);
    let after = LOG_START;
    let total = 0;
    for (;;) {
      const { events, checkpoint } = await store.readAll({ after, limit: batchSize, manager });
      if (events.length === 0) break;
      await applyEvents(projection, events, manager);
      total += events.length;
      after = checkpoint;
    }
    await store.storeCheckpoint(name, after, manager);
    return total;
  });
}
