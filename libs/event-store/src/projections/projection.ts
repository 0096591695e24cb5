import { EntityManager } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import type { Checkpoint } from '../checkpoint';

/**
 * A read model folded in memory during a rebuild: events go in page by page,
 * nothing is written until `write` replaces the whole read model with the final
 * state, in the rebuild's transaction. Writing the end state once instead of every
 * intermediate one is what makes a rebuild follow the live state, not the log.
 */
export interface ProjectionFold {
  /** Folds consecutive events (the whole log after the fold's start, in order). */
  apply(events: readonly RecordedEvent[]): Promise<void>;
  /** Empties the read model and writes the folded state instead. */
  write(manager: EntityManager): Promise<void>;
  /**
   * The folded state as plain JSON values (each of a bounded size), to store as a
   * snapshot; `Projection.fold` given them back continues from the same state.
   */
  snapshot?(): unknown[];
}

/** Where a fold starts: the empty read model, or a snapshot's state at a checkpoint. */
export interface FoldStart {
  /** The parts `ProjectionFold.snapshot` returned; absent: the empty read model. */
  snapshot?: readonly unknown[];
  checkpoint: Checkpoint;
}

/**
 * A read model kept from the log. `apply` runs in the same transaction as the
 * projection's checkpoint, so an event is applied exactly once.
 */
export interface Projection {
  /** Unique name; also the checkpoint name and the `projections:rebuild` argument. */
  readonly name: string;
  /**
   * The version of what the projection derives from events: bump it whenever the
   * same events would give a different read model, so snapshots of the older
   * code are never continued from (only used with `fold`'s snapshots).
   */
  readonly foldVersion?: number;
  /** Applies one event (ignore event types you do not care about). */
  apply(event: RecordedEvent, manager: EntityManager): Promise<void>;
  /**
   * Applies consecutive events in one go (optional): a projection that can write
   * a batch's changes together implements it; without it each event is applied.
   */
  applyBatch?(events: readonly RecordedEvent[], manager: EntityManager): Promise<void>;
  /**
   * Starts an in-memory fold for a rebuild (optional): without it a rebuild
   * applies every event to the tables, batch by batch. `manager` is the rebuild's
   * (the read model's tables are still the old ones while it folds).
   */
  fold?(manager: EntityManager, start: FoldStart): ProjectionFold;
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
