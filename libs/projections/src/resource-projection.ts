import { EntityManager } from 'typeorm';
import {
  asResourceEvent,
  parseResourceStreamId,
  RecordedEvent,
  ResourceEvent,
  ResourceObject,
} from '@natgw/contracts';
import type { Projection } from '@natgw/event-store';
import { recordResourceChange } from './resource-change-log';
import { objectAfterUpdate, objectBeingDeleted, objectFromCreated } from './resource-objects';
import { StatusApplierRegistration, statusApplierContext } from './status/status-applier';
import { RESOURCE_STATUS_APPLIERS } from './status/resource-status-appliers';
import { findResource, ResourceKey, StoredResource } from './stored-resource';

/** The projection's name: its checkpoint is `projection:resources`. */
export const RESOURCE_PROJECTION_NAME = 'resources';

/**
 * The resource read model: objects from their `<Kind>Created|Updated|
 * DeletionRequested|Deleted` events, and status from the events the registered
 * status appliers handle. Every change gets the next resourceVersion.
 */
export class ResourceProjection implements Projection {
  readonly name = RESOURCE_PROJECTION_NAME;
  private readonly appliers = new Map<string, StatusApplierRegistration[]>();

  constructor(statusAppliers: readonly StatusApplierRegistration[] = RESOURCE_STATUS_APPLIERS) {
    for (const reg of statusAppliers) {
      for (const type of reg.eventTypes)
        this.appliers.set(type, [...(this.appliers.get(type) ?? []), reg]);
    }
  }

  async apply(event: RecordedEvent, manager: EntityManager): Promise<void> {
    const resourceEvent = asResourceEvent(event);
    if (resourceEvent) {
      await this.applyResourceEvent(resourceEvent, manager);
      return;
    }
    const appliers = this.appliers.get(event.type);
    if (!appliers) return;
    const ctx = statusApplierContext(manager);
    for (const reg of appliers) await reg.apply(event, ctx);
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query('DELETE FROM natgw_resources');
    await manager.query('DELETE FROM natgw_resource_changes');
    // Versions keep counting up, and every version handed out so far is now too old:
    // watchers and paged lists from before the rebuild get 410 and start over.
    await manager.query('UPDATE natgw_resource_versions SET compacted_rv = last_rv WHERE id = 1');
  }

  private async applyResourceEvent(re: ResourceEvent, manager: EntityManager): Promise<void> {
    const where = parseResourceStreamId(re.event.streamId);
    if (!where || where.kind !== re.kind) return;
    const key: ResourceKey = where;
    const current = await findResource(manager, key);
    const version = re.event.version;
    if (re.action === 'Created') {
      if (current && current.uid !== re.data.uid) await this.remove(manager, current);
      await recordResourceChange(manager, {
        type: 'ADDED',
        object: objectFromCreated(re.kind, {
          ...re.data,
          namespace: key.namespace,
          name: key.name,
        }),
        streamVersion: version,
      });
      return;
    }
    // Events of an incarnation this read model does not hold change nothing.
    if (!current || current.uid !== re.data.uid) return;
    switch (re.action) {
      case 'Updated':
        return this.modify(manager, current, objectAfterUpdate(current.object, re.data), version);
      case 'DeletionRequested':
        // Without finalizers the API appends Deleted in the same append: the object
        // goes at once, as in Kubernetes (one DELETED, no MODIFIED before it).
        if ((current.object.metadata.finalizers ?? []).length === 0) return;
        return this.modify(
          manager,
          current,
          objectBeingDeleted(current.object, re.data.deletionTimestamp),
          version,
        );
      case 'Deleted':
        return this.remove(manager, current);
      default: {
        const never: never = re;
        throw new Error(`unhandled resource event ${JSON.stringify(never)}`);
      }
    }
  }

  private async modify(
    manager: EntityManager,
    current: StoredResource,
    object: ResourceObject,
    streamVersion: number,
  ): Promise<void> {
    await recordResourceChange(manager, {
      type: 'MODIFIED',
      object,
      oldLabels: current.object.metadata.labels ?? {},
      streamVersion,
    });
  }

  private async remove(manager: EntityManager, current: StoredResource): Promise<void> {
    await recordResourceChange(manager, {
      type: 'DELETED',
      object: current.object,
      oldLabels: current.object.metadata.labels ?? {},
      streamVersion: current.streamVersion,
    });
  }
}
