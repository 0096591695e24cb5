import { EntityManager } from 'typeorm';
import type { ResourceObject } from '@natgw/contracts';
import { ResourceChangeType } from './entities/resource-change.entity';
import { presentObject } from './resource-objects';
import { ResourceKey } from './stored-resource';

/** The PostgreSQL channel notified when changes commit; watchers wake on it. */
export const RESOURCE_CHANGES_CHANNEL = 'natgw_resource_changes';

// Every statement below starts by taking the next resourceVersion from the single
// counter row. The row lock is held until commit, so versions commit in order and a
// reader that sees version N sees every change below N.
const NEXT_VERSION = `
  v AS (UPDATE natgw_resource_versions SET last_rv = last_rv + 1 WHERE id = 1 RETURNING last_rv),
  o AS (SELECT last_rv AS rv,
               jsonb_set($5::jsonb, '{metadata,resourceVersion}', to_jsonb(last_rv::text)) AS obj
          FROM v),
  c AS (INSERT INTO natgw_resource_changes
          (resource_version, kind, namespace, name, uid, type, object, old_labels)
        SELECT rv, $1, $2, $3, $4::uuid, $6, obj, $7::jsonb FROM o)`;

const NOTIFY = `SELECT rv::text AS rv, obj, pg_notify('${RESOURCE_CHANGES_CHANNEL}', '') FROM o`;

/** A change to store: the object after it, and for MODIFIED/DELETED the labels before it. */
export interface ResourceChange {
  type: ResourceChangeType;
  object: ResourceObject;
  oldLabels?: Record<string, string>;
  /** For ADDED/MODIFIED: the stream version to remember (the expected version of the next write). */
  streamVersion: number;
}

function keyOf(object: ResourceObject): ResourceKey {
  return {
    kind: object.kind as ResourceKey['kind'],
    namespace: object.metadata.namespace,
    name: object.metadata.name,
  };
}

/**
 * Records a change in the caller's transaction: numbers it with the next
 * resourceVersion, stamps the object with it, stores it in the change log and
 * updates (or, for DELETED, removes) the current object. Returns the stamped object.
 */
export async function recordResourceChange(
  manager: EntityManager,
  change: ResourceChange,
): Promise<ResourceObject> {
  const key = keyOf(change.object);
  const params = [
    key.kind,
    key.namespace,
    key.name,
    change.object.metadata.uid,
    JSON.stringify(change.object),
    change.type,
    change.type === 'ADDED' ? null : JSON.stringify(change.oldLabels ?? {}),
  ];
  const rows: Array<{ rv: string; obj: ResourceObject }> =
    change.type === 'DELETED'
      ? await manager.query(
          `WITH ${NEXT_VERSION},
             r AS (DELETE FROM natgw_resources WHERE kind = $1 AND namespace = $2 AND name = $3)
           ${NOTIFY}`,
          params,
        )
      : await manager.query(
          `WITH ${NEXT_VERSION},
             r AS (INSERT INTO natgw_resources AS cur
                     (kind, namespace, name, uid, resource_version, stream_version, labels, object, subresources)
                   SELECT $1, $2, $3, $4::uuid, rv, $8, $9::jsonb, obj, '{}'::jsonb FROM o
                   ON CONFLICT (kind, namespace, name) DO UPDATE SET
                     resource_version = EXCLUDED.resource_version,
                     stream_version = EXCLUDED.stream_version,
                     labels = EXCLUDED.labels,
                     object = EXCLUDED.object,
                     subresources = CASE WHEN cur.uid = EXCLUDED.uid THEN cur.subresources ELSE '{}'::jsonb END,
                     uid = EXCLUDED.uid)
           ${NOTIFY}`,
          [...params, change.streamVersion, JSON.stringify(change.object.metadata.labels ?? {})],
        );
  return presentObject(rows[0].obj);
}

/** Replaces one subresource document of an object (no new resourceVersion: the object is unchanged). */
export async function setResourceSubresource(
  manager: EntityManager,
  key: ResourceKey,
  subresource: string,
  value: unknown,
): Promise<boolean> {
  // TypeORM answers an UPDATE with [rows, affected count].
  const [, affected]: [unknown[], number] = await manager.query(
    `UPDATE natgw_resources SET subresources = jsonb_set(subresources, ARRAY[$4::text], $5::jsonb)
      WHERE kind = $1 AND namespace = $2 AND name = $3`,
    [key.kind, key.namespace, key.name, subresource, JSON.stringify(value)],
  );
  return affected > 0;
}
