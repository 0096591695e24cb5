import { EntityManager } from 'typeorm';
import {
  asResourceEvent,
  parseResourceStreamId,
  RecordedEvent,
  ResourceEvent,
  ResourceObject,
} from '@natgw/contracts';
import type { FoldStart, Projection, ProjectionFold } from '@natgw/event-store';
import { ResourceBatch } from './resource-batch';
import { objectAfterUpdate, objectBeingDeleted, objectFromCreated } from './resource-objects';
import {
  StatusApplierContext,
  StatusApplierRegistration,
  statusApplierContext,
} from './status/status-applier';
import { RESOURCE_STATUS_APPLIERS } from './status/resource-status-appliers';
import { ResourceKey, StoredResource } from './stored-resource';

/** The projection's name: its checkpoint is `projection:resources`. */
export const RESOURCE_PROJECTION_NAME = 'resources';

/**
 * The resource read model: objects from their `<Kind>Created|Updated|
 * DeletionRequested|Deleted` events, and status from the events the registered
 * status appliers handle. Every change gets the next resourceVersion. A batch of
 * events is applied to a ResourceBatch and written back once at its end.
 */
export class ResourceProjection implements Projection {
  readonly name = RESOURCE_PROJECTION_NAME;
  /** Bump when the same events would give other objects or status (snapshots of older code are then not used). */
  readonly foldVersion: number = 1;
  private readonly appliers = new Map<string, StatusApplierRegistration[]>();

  constructor(statusAppliers: readonly StatusApplierRegistration[] = RESOURCE_STATUS_APPLIERS) {
    for (const reg of statusAppliers) {
      for (const type of reg.eventTypes)
        this.appliers.set(type, [...(this.appliers.get(type) ?? []), reg]);
    }
  }

  apply(event: RecordedEvent, manager: EntityManager): Promise<void> {
    return this.applyBatch([event], manager);
  }

  async applyBatch(events: readonly RecordedEvent[], manager: EntityManager): Promise<void> {
    const batch = new ResourceBatch(manager);
    const ctx = statusApplierContext(batch);
    // One read for the objects the batch's resource events name, instead of one each.
    await batch.load(
      events.flatMap((event) => {
        const re = asResourceEvent(event);
        const key = re && keyOfStream(re);
        return key ? [key] : [];
      }),
    );
    for (const event of events) await this.applyOne(event, batch, ctx);
    await batch.flush();
  }

  /**
   * A rebuild's fold: the same rules applied to one ResourceBatch holding the whole
   * read model in memory, written once at the end (see ResourceBatch.writeFold).
   */
  fold(manager: EntityManager, start: FoldStart): ProjectionFold {
    const batch = new ResourceBatch(manager, true);
    if (start.snapshot) batch.restoreSnapshot(start.snapshot);
    const ctx = statusApplierContext(batch);
    return {
      apply: async (events) => {
        for (const event of events) await this.applyOne(event, batch, ctx);
      },
      write: async (m) => {
        await batch.writeFold(m);
      },
      snapshot: () => batch.snapshotParts(),
    };
  }

  private async applyOne(
    event: RecordedEvent,
    batch: ResourceBatch,
    ctx: StatusApplierContext,
  ): Promise<void> {
    const resourceEvent = asResourceEvent(event);
    if (resourceEvent) {
      const key = keyOfStream(resourceEvent);
      if (key) this.applyResourceEvent(resourceEvent, key, await batch.find(key), batch);
      return;
    }
    for (const reg of this.appliers.get(event.type) ?? []) await reg.apply(event, ctx);
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query('DELETE FROM natgw_resources');
    await manager.query('DELETE FROM natgw_resource_changes');
    // Versions keep counting up, and every version handed out so far is now too old:
    // watchers, paged lists and the api-gateway's read cache from before the rebuild get 410
    // (or reload) and start over. One version is skipped so that the horizon lies above even
    // the newest one handed out (a watcher there would otherwise miss what the rebuild drops).
    await manager.query(
      'UPDATE natgw_resource_versions SET last_rv = last_rv + 1, compacted_rv = last_rv + 1 WHERE id = 1',
    );
  }

  private applyResourceEvent(
    re: ResourceEvent,
    key: ResourceKey,
    current: StoredResource | undefined,
    batch: ResourceBatch,
  ): void {
    const version = re.event.version;
    if (re.action === 'Created') {
      if (current && current.uid !== re.data.uid) remove(batch, current);
      batch.record({
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
        return modify(batch, current, objectAfterUpdate(current.object, re.data), version);
      case 'DeletionRequested':
        // Without finalizers the API appends Deleted in the same append: the object
        // goes at once, as in Kubernetes (one DELETED, no MODIFIED before it).
        if ((current.object.metadata.finalizers ?? []).length === 0) return;
        return modify(
          batch,
          current,
          objectBeingDeleted(current.object, re.data.deletionTimestamp),
          version,
        );
      case 'Deleted':
        return remove(batch, current);
      default: {
        const never: never = re;
        throw new Error(`unhandled resource event ${JSON.stringify(never)}`);
      }
    }
  }
}

/** The object a resource event's stream names, when it is of the event's kind. */
function keyOfStream(re: ResourceEvent): ResourceKey | undefined {
  const where = parseResourceStreamId(re.event.streamId);
  return where && where.kind === re.kind ? where : undefined;
}

function modify(
  batch: ResourceBatch,
  current: StoredResource,
  object: ResourceObject,
  streamVersion: number,
): void {
  batch.record({
    type: 'MODIFIED',
    object,
    oldLabels: current.object.metadata.labels ?? {},
    streamVersion,
  });
}

function remove(batch: ResourceBatch, current: StoredResource): void {
  batch.record({
    type: 'DELETED',
    object: current.object,
    oldLabels: current.object.metadata.labels ?? {},
    streamVersion: current.streamVersion,
  });
}
