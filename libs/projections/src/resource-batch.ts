import { EntityManager } from 'typeorm';
import type { ResourceObject } from '@natgw/contracts';
import { copyRows, CopyValue } from './copy-rows';
import { jsonEqual } from './json-equal';
import { ResourceChangeType } from './entities/resource-change.entity';
import { findResourceByUid, findResources, ResourceKey, StoredResource } from './stored-resource';

/** The PostgreSQL channel notified when changes commit; watchers wake on it. */
export const RESOURCE_CHANGES_CHANNEL = 'natgw_resource_changes';

/** A change to record: the object after it, and for MODIFIED/DELETED the labels before it. */
export interface ResourceChange {
  type: ResourceChangeType;
  object: ResourceObject;
  oldLabels?: Record<string, string>;
  /** For ADDED/MODIFIED: the stream version to remember (the expected version of the next write). */
  streamVersion: number;
}

/**
 * Computes an object's next status from its current one (return it unchanged for no
 * change). `status` is a shallow copy: set, replace or delete its keys, but never
 * change a value inside it in place (an array, a condition, an entry): that value is
 * the stored status's too.
 */
export type StatusMutation = (
  status: Record<string, unknown>,
  object: ResourceObject,
) => Record<string, unknown>;

function keyOf(key: ResourceKey): string {
  return `${key.kind}\u0000${key.namespace}\u0000${key.name}`;
}

function objectKey(object: ResourceObject): ResourceKey {
  return {
    kind: object.kind as ResourceKey['kind'],
    namespace: object.metadata.namespace,
    name: object.metadata.name,
  };
}

function shallowCopy(status: Record<string, unknown>): Record<string, unknown> {
  return status !== null && typeof status === 'object' ? { ...status } : status;
}

function withResourceVersion(object: ResourceObject, resourceVersion: string): ResourceObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion } };
}

/**
 * The objects one projection batch reads and changes, in the caller's transaction.
 * Reads go to the table once per object and are then served from here; changes
 * are kept in order and written back by `flush` in a few statements: one counter
 * update reserving a resourceVersion for every change, one insert of every change
 * into the change log (watchers see each of them, in order), and one delete and
 * one upsert of the objects' final states. Replaying the log this way writes
 * exactly what applying its events one at a time writes, with far fewer round
 * trips. Use one instance per transaction and flush it before commit.
 */
export class ResourceBatch {
  /** Objects this batch knows, by key; null: known to be absent. */
  private readonly objects = new Map<string, StoredResource | null>();
  /** The key every uid this batch has seen belongs to. */
  private readonly keysByUid = new Map<string, string>();
  private readonly changes: ResourceChange[] = [];
  /** Keys whose row must be written back (changed, or a subresource replaced). */
  private readonly dirty = new Set<string>();
  /** Fold mode: the last change of each present object, numbered in change order. */
  private readonly lastChanges = new Map<string, FoldedChange>();
  /** Fold mode: changes recorded so far (including those of the snapshot it started from). */
  private folded = 0;

  /**
   * `fold`: the batch holds the whole read model (a rebuild folding the log in
   * memory): what it does not know does not exist, so it never reads the table,
   * and it keeps each object's last change instead of every change (see `writeFold`).
   */
  constructor(
    readonly manager: EntityManager,
    readonly fold = false,
  ) {}

  /** Reads the objects with these keys that this batch does not know yet, in one query. */
  async load(keys: readonly ResourceKey[]): Promise<void> {
    const unknown = new Map<string, ResourceKey>();
    for (const key of keys) if (!this.objects.has(keyOf(key))) unknown.set(keyOf(key), key);
    if (unknown.size === 0) return;
    if (this.fold) {
      for (const k of unknown.keys()) this.objects.set(k, null);
      return;
    }
    for (const found of await findResources(this.manager, [...unknown.values()]))
      this.remember(keyOf(found), found);
    for (const k of unknown.keys()) if (!this.objects.has(k)) this.objects.set(k, null);
  }

  /** Reads one object by key (undefined when there is none). */
  async find(key: ResourceKey): Promise<StoredResource | undefined> {
    // A fold knows every object: no load (a Map and a loop per call, in a rebuild's profile).
    if (!this.fold) await this.load([key]);
    return this.objects.get(keyOf(key)) ?? undefined;
  }

  /** Reads one object by uid (undefined when there is none, or it is gone in this batch). */
  async findByUid(uid: string): Promise<StoredResource | undefined> {
    const id = uid.toLowerCase();
    const known = this.keysByUid.get(id);
    if (known !== undefined) return this.holding(known, id);
    if (this.fold) return undefined;
    const found = await findResourceByUid(this.manager, uid);
    if (!found) return undefined;
    const k = keyOf(found);
    // The table's row is older than what this batch holds for that key.
    if (this.objects.has(k)) return this.holding(k, id);
    this.remember(k, found);
    return found;
  }

  /** True when this batch changed the object with this uid (the table does not show it yet). */
  changed(uid: string): boolean {
    const k = this.keysByUid.get(uid.toLowerCase());
    return k !== undefined && this.dirty.has(k);
  }

  /**
   * Records a change: it gets the next resourceVersion at flush, is stored in the
   * change log, and sets (or, for DELETED, removes) the current object.
   */
  record(change: ResourceChange): void {
    const key = objectKey(change.object);
    const k = keyOf(key);
    const uid = change.object.metadata.uid;
    const previous = this.objects.get(k);
    if (this.fold) {
      this.folded += 1;
      if (change.type === 'DELETED') this.lastChanges.delete(k);
      else
        this.lastChanges.set(k, {
          seq: this.folded,
          type: change.type,
          oldLabels: change.type === 'ADDED' ? null : (change.oldLabels ?? {}),
        });
    } else {
      this.changes.push(change);
      this.dirty.add(k);
    }
    this.keysByUid.set(uid.toLowerCase(), k);
    if (change.type === 'DELETED') {
      this.objects.set(k, null);
      return;
    }
    // Fields named one by one: a spread of `key` here cost more than the rest of a
    // fold's record (profile of 2026-12-07), and every stored object gets one shape.
    this.objects.set(k, {
      kind: key.kind,
      namespace: key.namespace,
      name: key.name,
      uid,
      resourceVersion: '',
      streamVersion: change.streamVersion,
      object: change.object,
      // Subresources belong to one incarnation: a new uid starts without them.
      subresources: previous && previous.uid === uid ? previous.subresources : {},
    });
  }

  /**
   * Sets an object's status. When it changed, the object gets a new
   * resourceVersion and watchers see MODIFIED; `generation` stays (only spec
   * changes bump it). Returns the object, or undefined when there is none.
   */
  async updateStatus(
    key: ResourceKey,
    mutate: StatusMutation,
  ): Promise<ResourceObject | undefined> {
    const current = await this.find(key);
    if (!current) return undefined;
    const before = current.object.status as Record<string, unknown>;
    // A shallow copy (see StatusMutation): a deep one at every event, and comparing it
    // key by key, was most of a rebuild's fold (its profile of 2026-12-08); unchanged
    // parts stay the same values, which jsonEqual passes at once.
    const after = mutate(shallowCopy(before), current.object);
    // Key order is no change: jsonb reorders keys, so compare by value.
    if (jsonEqual(after, before)) return current.object;
    const object = { ...current.object, status: after };
    this.record({
      type: 'MODIFIED',
      object,
      oldLabels: current.object.metadata.labels ?? {},
      streamVersion: current.streamVersion,
    });
    return object;
  }

  /** Replaces one document served beside an object (no new resourceVersion: the object is unchanged). */
  async setSubresource(key: ResourceKey, subresource: string, value: unknown): Promise<boolean> {
    const current = await this.find(key);
    if (!current) return false;
    const k = keyOf(key);
    this.objects.set(k, {
      ...current,
      subresources: { ...current.subresources, [subresource]: value },
    });
    this.dirty.add(k);
    return true;
  }

  /**
   * Fold mode: replaces the whole read model with the folded objects. Every
   * version handed out before is too old afterwards (as after any rebuild), and so
   * are the new versions below the end of the fold, which no client has seen: the
   * objects get fresh versions in the order of their last change, and the change
   * log keeps just each object's last change, which is what compacting it up to
   * the new counter leaves (paged lists as of that version stay exact).
   */
  async writeFold(manager: EntityManager): Promise<number> {
    const present: Array<{ stored: StoredResource; last: FoldedChange }> = [];
    for (const [k, stored] of this.objects) {
      const last = this.lastChanges.get(k);
      if (stored && last) present.push({ stored, last });
    }
    present.sort((a, b) => a.last.seq - b.last.seq);
    await manager.query('DELETE FROM natgw_resources');
    await manager.query('DELETE FROM natgw_resource_changes');
    const [{ last_rv }]: Array<{ last_rv: string }> = await manager.query(
      `WITH v AS (UPDATE natgw_resource_versions
                     SET last_rv = last_rv + $1, compacted_rv = last_rv + $1 WHERE id = 1
                   RETURNING last_rv)
       SELECT last_rv::text AS last_rv FROM v`,
      [present.length],
    );
    const first = BigInt(last_rv) - BigInt(present.length) + 1n;
    // The objects go in with COPY, each serialized, sent and parsed once (PostgreSQL
    // parsing the objects' JSON is most of the write); the change log's rows (each
    // object's last change) copy the stored object and labels from the new rows, and
    // only the type and, where they differ from the labels, the old labels are sent.
    const types: ResourceChangeType[] = [];
    const oldLabels: Array<Record<string, string> | null> = [];
    await copyRows(manager, 'natgw_resources', FOLD_COLUMNS, foldRows(present, first));
    for (const { stored, last } of present) {
      types.push(last.type);
      const labels = stored.object.metadata.labels ?? {};
      oldLabels.push(last.oldLabels && !jsonEqual(last.oldLabels, labels) ? last.oldLabels : null);
    }
    if (present.length > 0)
      await manager.query(
        `INSERT INTO natgw_resource_changes
           (resource_version, kind, namespace, name, uid, type, object, old_labels)
         SELECT r.resource_version, r.kind, r.namespace, r.name, r.uid, c.type, r.object,
                CASE WHEN c.type = 'ADDED' THEN NULL ELSE coalesce(c.old_labels, r.labels) END
           FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS c(type, old_labels, i)
           JOIN natgw_resources r ON r.resource_version = $1::bigint + c.i - 1`,
        [String(first), types, oldLabels],
      );
    await manager.query(`SELECT pg_notify('${RESOURCE_CHANGES_CHANNEL}', '')`);
    return present.length;
  }

  /** Fold mode: the folded state in parts of `size` objects, for a snapshot. */
  snapshotParts(size = 500): unknown[] {
    const entries: FoldSnapshotEntry[] = [];
    for (const [k, stored] of this.objects) {
      const last = this.lastChanges.get(k);
      if (stored && last) entries.push({ ...stored, last });
    }
    const parts: unknown[] = [{ folded: this.folded }];
    for (let i = 0; i < entries.length; i += size) parts.push(entries.slice(i, i + size));
    return parts;
  }

  /** Fold mode: continues from a snapshot's parts (see `snapshotParts`); call before any event. */
  restoreSnapshot(parts: readonly unknown[]): void {
    const [head, ...rest] = parts as [{ folded: number }, ...FoldSnapshotEntry[][]];
    this.folded = head.folded;
    for (const part of rest) {
      for (const { last, ...stored } of part) {
        const k = keyOf(stored);
        this.remember(k, stored);
        this.lastChanges.set(k, last);
      }
    }
  }

  /** Writes every change in order, then the objects' final states. */
  async flush(): Promise<void> {
    await this.writeObjects(await this.writeChanges());
    this.changes.length = 0;
    this.dirty.clear();
  }

  /** Numbers and stores the changes; returns each changed key's last resourceVersion. */
  private async writeChanges(): Promise<Map<string, string>> {
    const lastVersions = new Map<string, string>();
    if (this.changes.length === 0) return lastVersions;
    // The counter row stays locked until commit, so versions commit in order and a
    // reader that sees version N sees every change below N.
    const [{ last_rv }]: Array<{ last_rv: string }> = await this.manager.query(
      `WITH v AS (UPDATE natgw_resource_versions SET last_rv = last_rv + $1 WHERE id = 1
                   RETURNING last_rv)
       SELECT last_rv::text AS last_rv FROM v`,
      [this.changes.length],
    );
    const first = BigInt(last_rv) - BigInt(this.changes.length) + 1n;
    const rows = this.changes.map((change, i) => {
      const rv = String(first + BigInt(i));
      const object = withResourceVersion(change.object, rv);
      lastVersions.set(keyOf(objectKey(object)), rv);
      return {
        resource_version: rv,
        ...objectKey(object),
        uid: object.metadata.uid,
        type: change.type,
        object,
        old_labels: change.type === 'ADDED' ? null : (change.oldLabels ?? {}),
      };
    });
    await this.manager.query(
      `INSERT INTO natgw_resource_changes
         (resource_version, kind, namespace, name, uid, type, object, old_labels)
       SELECT resource_version, kind, namespace, name, uid, type, object, old_labels
         FROM jsonb_to_recordset($1::jsonb) AS c(resource_version bigint, kind text,
              namespace text, name text, uid uuid, type text, object jsonb, old_labels jsonb)`,
      [JSON.stringify(rows)],
    );
    await this.manager.query(`SELECT pg_notify('${RESOURCE_CHANGES_CHANNEL}', '')`);
    return lastVersions;
  }

  /** Writes the final state of every dirty key; a changed object carries its last resourceVersion. */
  private async writeObjects(lastVersions: Map<string, string>): Promise<void> {
    const gone: ResourceKey[] = [];
    const present: StoredResource[] = [];
    for (const k of this.dirty) {
      const stored = this.objects.get(k);
      const rv = lastVersions.get(k);
      if (stored)
        present.push(
          rv
            ? { ...stored, resourceVersion: rv, object: withResourceVersion(stored.object, rv) }
            : stored,
        );
      else if (stored === null) gone.push(parseKey(k));
    }
    if (gone.length > 0) {
      await this.manager.query(
        `DELETE FROM natgw_resources r
          USING jsonb_to_recordset($1::jsonb) AS g(kind text, namespace text, name text)
          WHERE r.kind = g.kind AND r.namespace = g.namespace AND r.name = g.name`,
        [JSON.stringify(gone)],
      );
    }
    if (present.length > 0) {
      await this.manager.query(
        `INSERT INTO natgw_resources
           (kind, namespace, name, uid, resource_version, stream_version, labels, object, subresources)
         SELECT kind, namespace, name, uid, resource_version, stream_version, labels, object, subresources
           FROM jsonb_to_recordset($1::jsonb) AS o(kind text, namespace text, name text, uid uuid,
                resource_version bigint, stream_version integer, labels jsonb, object jsonb,
                subresources jsonb)
         ON CONFLICT (kind, namespace, name) DO UPDATE SET
           uid = EXCLUDED.uid,
           resource_version = EXCLUDED.resource_version,
           stream_version = EXCLUDED.stream_version,
           labels = EXCLUDED.labels,
           object = EXCLUDED.object,
           subresources = EXCLUDED.subresources`,
        [
          JSON.stringify(
            present.map((s) => ({
              kind: s.kind,
              namespace: s.namespace,
              name: s.name,
              uid: s.uid,
              resource_version: s.resourceVersion,
              stream_version: s.streamVersion,
              labels: s.object.metadata.labels ?? {},
              object: s.object,
              subresources: s.subresources,
            })),
          ),
        ],
      );
    }
  }

  private remember(k: string, stored: StoredResource | null): void {
    this.objects.set(k, stored);
    if (stored) this.keysByUid.set(stored.uid.toLowerCase(), k);
  }

  private holding(k: string, uid: string): StoredResource | undefined {
    const stored = this.objects.get(k);
    return stored && stored.uid.toLowerCase() === uid ? stored : undefined;
  }
}

/** Fold mode: an object's last change, numbered in the order of the fold's changes. */
interface FoldedChange {
  seq: number;
  type: ResourceChangeType;
  oldLabels: Record<string, string> | null;
}

type FoldSnapshotEntry = StoredResource & { last: FoldedChange };

const FOLD_COLUMNS = [
  'kind',
  'namespace',
  'name',
  'uid',
  'resource_version',
  'stream_version',
  'labels',
  'object',
  'subresources',
];

/** The rows of natgw_resources a fold writes: its objects numbered from `first`, in order. */
function* foldRows(
  present: ReadonlyArray<{ stored: StoredResource }>,
  first: bigint,
): Generator<CopyValue[]> {
  for (let j = 0; j < present.length; j++) {
    const { stored } = present[j];
    const rv = String(first + BigInt(j));
    const object = withResourceVersion(stored.object, rv);
    yield [
      stored.kind,
      stored.namespace,
      stored.name,
      stored.uid,
      rv,
      stored.streamVersion,
      object.metadata.labels ?? {},
      object,
      stored.subresources,
    ];
  }
}

function parseKey(k: string): ResourceKey {
  const [kind, namespace, name] = k.split('\u0000');
  return { kind: kind as ResourceKey['kind'], namespace, name };
}
