import { DataSource, EntityManager } from 'typeorm';
import type {
  FieldRequirement,
  LabelSelector,
  ResourceKind,
  ResourceObject,
} from '@natgw/contracts';
import { ResourceChangeType } from '../entities/resource-change.entity';
import { presentObject } from '../resource-objects';
import { findResource, ResourceKey, StoredResource } from '../stored-resource';
import { ResourceVersionTooOldError } from './resource-version-too-old.error';
import { addFieldSelector, addLabelSelector, SqlConditions } from './selector-sql';

/** What to list: one kind, one namespace or all, selectors, and a page. */
export interface ListQuery {
  kind: ResourceKind;
  /** Undefined: every namespace. */
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldRequirement[];
  /** Page size; undefined or 0: everything. */
  limit?: number;
  /** Serve the list as of this resourceVersion (a later page); default: now. */
  snapshot?: string;
  /** Start after this key (a later page). */
  after?: { namespace: string; name: string };
}

/** One page: items in (namespace, name) order, the version they are as of, and where to go on. */
export interface ListPage {
  items: ResourceObject[];
  resourceVersion: string;
  /** The last key of this page, when more items follow. */
  next?: { namespace: string; name: string };
}

/** A change as a watcher reads it. */
export interface StoredChange {
  resourceVersion: string;
  type: ResourceChangeType;
  object: ResourceObject;
  oldLabels: Record<string, string> | null;
}

/** A change of any kind, with its key, as the API's read cache follows them. */
export interface KeyedChange {
  resourceVersion: string;
  type: ResourceChangeType;
  kind: ResourceKind;
  namespace: string;
  name: string;
  object: ResourceObject;
}

/** Every current object with its key, and the counter as of the same snapshot. */
export interface ObjectsSnapshot extends VersionState {
  objects: Array<{ kind: ResourceKind; namespace: string; name: string; object: ResourceObject }>;
}

/** The change counter: the newest version, and the compaction horizon. */
export interface VersionState {
  lastResourceVersion: string;
  compactedResourceVersion: string;
}

/** Changes after a version, with the counter as of the same snapshot. */
export interface ChangesPage extends VersionState {
  changes: StoredChange[];
}

async function versionState(manager: EntityManager): Promise<VersionState> {
  const rows: Array<{ last_rv: string; compacted_rv: string }> = await manager.query(
    `SELECT last_rv::text AS last_rv, compacted_rv::text AS compacted_rv FROM natgw_resource_versions WHERE id = 1`,
  );
  return { lastResourceVersion: rows[0].last_rv, compactedResourceVersion: rows[0].compacted_rv };
}

/** A row of the counter joined to keyed objects (the object columns null when none joined). */
interface KeyedRow {
  last_rv: string;
  compacted_rv: string;
  kind: ResourceKind | null;
  namespace: string | null;
  name: string | null;
  object: ResourceObject | null;
  rv?: string | null;
  type?: ResourceChangeType | null;
}

/** The counter of such rows, and the rows that joined an object, presented. */
function keyedRows(rows: KeyedRow[]): {
  state: VersionState;
  rows: Array<{
    kind: ResourceKind;
    namespace: string;
    name: string;
    object: ResourceObject;
    rv?: string | null;
    type?: ResourceChangeType | null;
  }>;
} {
  return {
    state: {
      lastResourceVersion: rows[0].last_rv,
      compactedResourceVersion: rows[0].compacted_rv,
    },
    rows: rows
      .filter((r) => r.object !== null)
      .map((r) => ({
        kind: r.kind as ResourceKind,
        namespace: r.namespace as string,
        name: r.name as string,
        object: presentObject(r.object as ResourceObject),
        rv: r.rv,
        type: r.type,
      })),
  };
}

/** Reads the resource read model: objects, consistent paged lists, and changes for watches. */
export class ResourceReader {
  constructor(private readonly dataSource: DataSource) {}

  /** One object by key. */
  get(key: ResourceKey): Promise<StoredResource | undefined> {
    return findResource(this.dataSource.manager, key);
  }

  /** The change counter now. */
  versionState(): Promise<VersionState> {
    return versionState(this.dataSource.manager);
  }

  /**
   * One page of a list, as of one resourceVersion: the first page is served as of
   * now, later pages as of the first page's version, so every object present then
   * appears exactly once across the pages, whatever changes meanwhile. Objects
   * changed since are read back from the change log; throws
   * ResourceVersionTooOldError once compaction removed what that needs.
   */
  async list(query: ListQuery): Promise<ListPage> {
    // $2 is the snapshot version: the continue token's, or (null) the newest one.
    const where = new SqlConditions([query.kind, query.snapshot ?? null]);
    const scope = (alias: string) => {
      const parts: string[] = [];
      if (query.namespace !== undefined)
        parts.push(`${alias}.namespace = ${where.param(query.namespace)}`);
      if (query.after) {
        parts.push(
          `(${alias}.namespace, ${alias}.name) > (${where.param(query.after.namespace)}, ${where.param(query.after.name)})`,
        );
      }
      return parts.map((p) => ` AND ${p}`).join('');
    };
    // Objects unchanged since the snapshot come from the current table; the others
    // (changed, deleted or re-created since) from their newest change at or before it.
    const base = `
      SELECT r.namespace, r.name, r.labels, r.object FROM natgw_resources r, snap
       WHERE r.kind = $1 AND r.resource_version <= snap.rv${scope('r')}
      UNION ALL
      SELECT s.namespace, s.name, COALESCE(s.object #> '{metadata,labels}', '{}'::jsonb), s.object FROM (
        SELECT DISTINCT ON (c.namespace, c.name) c.namespace, c.name, c.type, c.object
          FROM natgw_resource_changes c, snap
         WHERE c.kind = $1 AND c.resource_version <= snap.rv${scope('c')}
           AND (c.namespace, c.name) IN (
             SELECT t.namespace, t.name FROM natgw_resource_changes t, snap
              WHERE t.kind = $1 AND t.resource_version > snap.rv${scope('t')})
         ORDER BY c.namespace, c.name, c.resource_version DESC) s
       WHERE s.type <> 'DELETED'`;
    addLabelSelector(where, 'b.labels', query.labelSelector ?? []);
    addFieldSelector(
      where,
      { name: 'b.name', namespace: 'b.namespace' },
      query.fieldSelector ?? [],
    );
    const limit = query.limit && query.limit > 0 ? query.limit : undefined;
    // One statement, so the counter and the rows come from one snapshot.
    const rows: Array<{
      last_rv: string;
      compacted_rv: string;
      snapshot: string;
      namespace: string | null;
      name: string | null;
      object: ResourceObject | null;
    }> = await this.dataSource.query(
      `WITH st AS (SELECT last_rv, compacted_rv FROM natgw_resource_versions WHERE id = 1),
            snap AS (SELECT COALESCE($2::bigint, st.last_rv) AS rv FROM st),
            page AS (
              SELECT b.namespace, b.name, b.object FROM (${base}) b
               WHERE ${where.sql()}
               ORDER BY b.namespace, b.name
               ${limit ? `LIMIT ${where.param(limit + 1)}` : ''})
       SELECT st.last_rv::text AS last_rv, st.compacted_rv::text AS compacted_rv,
              snap.rv::text AS snapshot, p.namespace, p.name, p.object
         FROM st CROSS JOIN snap LEFT JOIN page p ON true
        ORDER BY p.namespace, p.name`,
      where.params,
    );
    const { snapshot, compacted_rv: compacted } = rows[0];
    if (BigInt(snapshot) < BigInt(compacted))
      throw new ResourceVersionTooOldError(snapshot, compacted);
    const items = rows.filter((r) => r.object !== null);
    const more = limit !== undefined && items.length > limit;
    const page = more ? items.slice(0, limit) : items;
    const last = page[page.length - 1];
    return {
      items: page.map((r) => presentObject(r.object as ResourceObject)),
      resourceVersion: snapshot,
      ...(more && last
        ? { next: { namespace: last.namespace as string, name: last.name as string } }
        : {}),
    };
  }

  /** Changes of a kind after a version, in version order, with the counter of the same snapshot. */
  async changesAfter(
    kind: ResourceKind,
    after: string,
    options: { namespace?: string; limit?: number } = {},
  ): Promise<ChangesPage> {
    const params: unknown[] = [kind, after, options.limit ?? 500];
    const ns =
      options.namespace !== undefined ? ` AND namespace = $${params.push(options.namespace)}` : '';
    const rows: Array<{
      last_rv: string;
      compacted_rv: string;
      rv: string | null;
      type: ResourceChangeType | null;
      object: ResourceObject | null;
      old_labels: Record<string, string> | null;
    }> = await this.dataSource.query(
      // One statement: the counter and the changes come from one snapshot. The text
      // alias is not named resource_version, or ORDER BY would sort the text.
      `WITH st AS (SELECT last_rv, compacted_rv FROM natgw_resource_versions WHERE id = 1)
       SELECT st.last_rv::text AS last_rv, st.compacted_rv::text AS compacted_rv,
              c.rv, c.type, c.object, c.old_labels
         FROM st LEFT JOIN LATERAL (
           SELECT resource_version AS pos, resource_version::text AS rv, type, object, old_labels
             FROM natgw_resource_changes
            WHERE kind = $1 AND resource_version > $2${ns}
            ORDER BY resource_version LIMIT $3) c ON true
        ORDER BY c.pos`,
      params,
    );
    return {
      lastResourceVersion: rows[0].last_rv,
      compactedResourceVersion: rows[0].compacted_rv,
      changes: rows
        .filter((r) => r.rv !== null)
        .map((r) => ({
          resourceVersion: r.rv as string,
          type: r.type as ResourceChangeType,
          object: presentObject(r.object as ResourceObject),
          oldLabels: r.old_labels,
        })),
    };
  }

  /**
   * Every current object, with the counter as of the same snapshot (one statement): the
   * starting point of a copy of the read model that then follows `changesOfAllKinds`.
   */
  async allObjects(): Promise<ObjectsSnapshot> {
    const { state, rows } = keyedRows(
      await this.dataSource.query(
        `WITH st AS (SELECT last_rv, compacted_rv FROM natgw_resource_versions WHERE id = 1)
         SELECT st.last_rv::text AS last_rv, st.compacted_rv::text AS compacted_rv,
                r.kind, r.namespace, r.name, r.object
           FROM st LEFT JOIN natgw_resources r ON true`,
      ),
    );
    return {
      ...state,
      objects: rows.map(({ kind, namespace, name, object }) => ({ kind, namespace, name, object })),
    };
  }

  /**
   * Changes of every kind after a version, in version order (at most `limit`), with the
   * counter of the same snapshot. Versions are handed out in commit order under the
   * counter's row lock, so the changes up to the counter are all there, without gaps.
   */
  async changesOfAllKinds(
    after: string,
    limit: number,
  ): Promise<VersionState & { changes: KeyedChange[] }> {
    // Both values are numbers written into the text, so that the query goes out as one
    // simple-protocol message (no parse, bind and describe): it runs before reads from the
    // API's read cache, often once per read.
    if (!/^\d{1,19}$/.test(after) || !Number.isSafeInteger(limit) || limit < 1) {
      throw new Error(`changesOfAllKinds: bad version ${JSON.stringify(after)} or limit ${limit}`);
    }
    const { state, rows } = keyedRows(
      await this.dataSource.query(
        `WITH st AS (SELECT last_rv, compacted_rv FROM natgw_resource_versions WHERE id = 1)
         SELECT st.last_rv::text AS last_rv, st.compacted_rv::text AS compacted_rv,
                c.rv, c.type, c.kind, c.namespace, c.name, c.object
           FROM st LEFT JOIN LATERAL (
             SELECT resource_version AS pos, resource_version::text AS rv, type, kind, namespace,
                    name, object
               FROM natgw_resource_changes
              WHERE resource_version > ${after} AND resource_version <= st.last_rv
              ORDER BY resource_version LIMIT ${limit}) c ON true
          ORDER BY c.pos`,
      ),
    );
    return {
      ...state,
      changes: rows.map(({ rv, type, ...keyed }) => ({
        resourceVersion: rv as string,
        type: type as ResourceChangeType,
        ...keyed,
      })),
    };
  }

  /**
   * Whether lists may be served in JavaScript's string order: the database sorts text
   * byte-wise (collation C or POSIX, or C.UTF-8, which sorts by code point). Under a
   * language's collation (en_US...) the read model's order, and so its `continue`
   * tokens, differ from it.
   */
  async sortsByteWise(): Promise<boolean> {
    const [row]: Array<{ column_collation: string | null; collation: string; provider: string }> =
      await this.dataSource.query(
        `SELECT (SELECT collation_name FROM information_schema.columns
                  WHERE table_name = 'natgw_resources' AND column_name = 'name'
                    AND table_schema = current_schema()) AS column_collation,
                d.datcollate AS collation, d.datlocprovider::text AS provider
           FROM pg_database d WHERE d.datname = current_database()`,
      );
    if (row.column_collation) return /^(C|POSIX|ucs_basic)$/i.test(row.column_collation);
    return row.provider === 'c' && /^(C|POSIX|C\.UTF-?8)$/i.test(row.collation);
  }

  /**
   * NATGateways and NetworkInterfaces that reference a Network, including those being deleted
   * (until the allocator finalized them they may still hold slots programmed with its VNI).
   */
  async networkReferrers(
    namespace: string,
    network: string,
  ): Promise<Array<{ kind: ResourceKind; name: string; deleting: boolean }>> {
    return this.dataSource.query(
      `SELECT kind, name, (object -> 'metadata' ? 'deletionTimestamp') AS deleting
         FROM natgw_resources
        WHERE namespace = $1 AND (object #>> '{spec,networkRef,name}') = $2
          AND kind IN ('NATGateway', 'NetworkInterface')
        ORDER BY kind, name`,
      [namespace, network],
    );
  }
}
