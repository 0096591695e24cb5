import { EntityManager } from 'typeorm';
import type { ResourceObject } from '@natgw/contracts';
import { recordResourceChange } from '../resource-change-log';
import { findResource, ResourceKey } from '../stored-resource';

/** Computes an object's next status from its current one (return it unchanged for no change). */
export type StatusMutation = (
  status: Record<string, unknown>,
  object: ResourceObject,
) => Record<string, unknown>;

/**
 * Sets an object's status in the caller's transaction. When the status changed,
 * the object gets a new resourceVersion and watchers see MODIFIED; `generation`
 * stays (only spec changes bump it). Returns the object as stored, or undefined
 * when there is no such object. Run it inside the resource projection's apply
 * (a status applier), so status follows the log and survives a rebuild.
 */
export async function updateResourceStatus(
  manager: EntityManager,
  key: ResourceKey,
  mutate: StatusMutation,
): Promise<ResourceObject | undefined> {
  const current = await findResource(manager, key);
  if (!current) return undefined;
  const before = current.object.status as Record<string, unknown>;
  const after = mutate(structuredClone(before), current.object);
  if (JSON.stringify(after) === JSON.stringify(before)) return current.object;
  return recordResourceChange(manager, {
    type: 'MODIFIED',
    object: { ...current.object, status: after },
    oldLabels: current.object.metadata.labels ?? {},
    streamVersion: current.streamVersion,
  });
}
