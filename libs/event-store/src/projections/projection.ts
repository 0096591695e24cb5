import { EntityManager } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';

/**
 * A read model kept from the log. `apply` runs in the same transaction as the
 * projection's checkpoint, so an event is applied exactly once.
 */
export interface Projection {
  /** Unique name; also the checkpoint name and the `projections:rebuild` argument. */
  readonly name: string;
  /** Applies one event (ignore event types you do not care about). */
  apply(event: RecordedEvent, manager: EntityManager): Promise<void>;
  /**
   * Applies consecutive events in one go (optional): a projection that can write
   * a batch's changes together implements it; without it each event is applied.
   */
  applyBatch?(events: readonly RecordedEvent[], manager: EntityManager): Promise<void>;
  /** Deletes every row of the read model, before a rebuild. */
  reset(manager: EntityManager): Promise<void>;
}

/** The checkpoint name a projection stores its position under. */
export function projectionCheckpointName(projection: Projection): string {
  return `projection:${projection.name}`;
}

/** Applies events in order, as a batch when the projection can. */
export async function applyEvents(
  projection: Projection,
  events: readonly RecordedEvent[],
  manager: EntityManager,
): Promise<void> {
  if (events.length === 0) return;
  if (projection.applyBatch) return projection.applyBatch(events, manager);
  for (const event of events) await projection.apply(event, manager);
}
