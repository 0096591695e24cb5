import { EntityManager } from 'typeorm';
import type { ResourceKind, ResourceObject } from '@natgw/contracts';
import { presentObject } from './resource-objects';

/** Names one object: kind, namespace and name. */
export interface ResourceKey {
  kind: ResourceKind;
  namespace: string;
  name: string;
}

/** One object of the read model with its bookkeeping. */
export interface StoredResource extends ResourceKey {
  uid: string;
  resourceVersion: string;
  /** The stream version after the last resource event applied: the expected version of the next write. */
  streamVersion: number;
  object: ResourceObject;
  subresources: Record<string, unknown>;
}

interface ResourceRow {
  kind: ResourceKind;
  namespace: string;
  name: string;
  uid: string;
  resource_version: string;
  stream_version: number;
  object: ResourceObject;
  subresources: Record<string, unknown>;
}

// Every query reads the table as `r`.
const COLUMNS = `r.kind, r.namespace, r.name, r.uid, r.resource_version::text AS resource_version,
  r.stream_version, r.object, r.subresources`;

function toStored(row: ResourceRow): StoredResource {
  return {
    kind: row.kind,
    namespace: row.namespace,
    name: row.name,
    uid: row.uid,
    resourceVersion: row.resource_version,
    streamVersion: row.stream_version,
    object: presentObject(row.object),
    subresources: row.subresources ?? {},
  };
}

/** Reads one object by key (undefined when there is none). */
export async function findResource(
  manager: EntityManager,
  key: ResourceKey,
): Promise<StoredResource | undefined> {
  const rows: ResourceRow[] = await manager.query(
    `SELECT ${COLUMNS} FROM natgw_resources r WHERE kind = $1 AND namespace = $2 AND name = $3`,
    [key.kind, key.namespace, key.name],
  );
  return rows.length > 0 ? toStored(rows[0]) : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads one object by uid (undefined when there is none). */
export async function findResourceByUid(
  manager: EntityManager,
  uid: string,
): Promise<StoredResource | undefined> {
  if (!UUID.test(uid)) return undefined;
  const rows: ResourceRow[] = await manager.query(
    `SELECT ${COLUMNS} FROM natgw_resources r WHERE uid = $1`,
    [uid],
  );
  return rows.length > 0 ? toStored(rows[0]) : undefined;
}

/** Reads many objects by key in one query (the ones that exist). */
export async function findResources(
  manager: EntityManager,
  keys: readonly ResourceKey[],
): Promise<StoredResource[]> {
  if (keys.length === 0) return [];
  const rows: ResourceRow[] = await manager.query(
    `SELECT ${COLUMNS}
       FROM natgw_resources r
       JOIN jsonb_to_recordset($1::jsonb) AS k(kind text, namespace text, name text)
         ON r.kind = k.kind AND r.namespace = k.namespace AND r.name = k.name`,
    [JSON.stringify(keys.map(({ kind, namespace, name }) => ({ kind, namespace, name })))],
  );
  return rows.map(toStored);
}
