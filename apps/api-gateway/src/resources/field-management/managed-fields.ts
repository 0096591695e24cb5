import { ManagedFieldsEntry } from '@natgw/contracts';
import { canonicalJson } from '../canonical-json';
import {
  describePath,
  FieldPath,
  FieldSet,
  fieldsOf,
  fromFieldsV1,
  removeAt,
  toFieldsV1,
  valueAt,
} from './field-paths';

export type { ManagedFieldsEntry };

/** A field another manager owns with a different value than the applier wants. */
export interface FieldConflict {
  manager: string;
  field: string;
}

/** Apply refused: the conflicts, as `FieldManagerConflict` causes name them. */
export class FieldManagerConflictError extends Error {
  constructor(readonly conflicts: FieldConflict[]) {
    super(
      `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${conflicts
        .map((c) => `conflict with "${c.manager}": ${c.field}`)
        .join(', ')}`,
    );
    this.name = 'FieldManagerConflictError';
  }
}

/** At most this many Update entries are kept; older ones merge into "ancient-changes" (as in Kubernetes). */
export const MAX_UPDATE_MANAGERS = 10;
/** The manager older Update entries merge into. */
export const ANCIENT_CHANGES = 'ancient-changes';
/** At most this many Apply entries: a new applier past it is refused (bounds the object's size). */
export const MAX_APPLY_MANAGERS = 100;

/** A new applier would exceed MAX_APPLY_MANAGERS. */
export class TooManyFieldManagersError extends Error {
  constructor(readonly max: number) {
    super(`must have at most ${max} server-side apply field managers`);
    this.name = 'TooManyFieldManagersError';
  }
}

/** What is being written, by whom, when. */
export interface ManagerOfWrite {
  manager: string;
  apiVersion: string;
  now: string;
}

const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

interface Owner {
  entry: ManagedFieldsEntry;
  fields: FieldSet;
}

function ownersOf(managedFields: readonly ManagedFieldsEntry[] | undefined): Owner[] {
  return (managedFields ?? []).map((entry) => ({ entry, fields: fromFieldsV1(entry.fieldsV1) }));
}

function isEntry(o: Owner, manager: string, operation: 'Apply' | 'Update'): boolean {
  return o.entry.manager === manager && o.entry.operation === operation;
}

/** The entries again, without empty ones, with `changed` ones re-encoded. */
function entriesOf(owners: Owner[], changed: Set<Owner>): ManagedFieldsEntry[] {
  return owners
    .filter((o) => o.fields.size > 0)
    .map((o) => (changed.has(o) ? { ...o.entry, fieldsV1: toFieldsV1(o.fields) } : o.entry));
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Sets the value at a path (in place), creating maps on the way. */
function setAt(object: Record<string, unknown>, path: FieldPath, value: unknown): void {
  let node = object;
  for (const k of path.slice(0, -1)) {
    if (!isMap(node[k])) define(node, k, {});
    node = node[k] as Record<string, unknown>;
  }
  define(node, path[path.length - 1], structuredClone(value));
}

function define(node: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Server-side apply of `applied` (the applier's whole intent for its fields) onto `live`
 * (undefined: create-on-apply), with structured-merge-diff's rules:
 * - a field the applier sets that another manager owns with a different value is a
 *   conflict (FieldManagerConflictError) unless `force`, which takes it over;
 *   the same value is shared ownership;
 * - a field the applier owned and no longer applies is removed, unless another
 *   manager owns it too;
 * - the applier's Apply entry then owns exactly the fields it applied.
 * Returns the object to validate and write, and its managedFields.
 */
export function applyConfiguration(
  live: Record<string, unknown> | undefined,
  applied: Record<string, unknown>,
  write: ManagerOfWrite,
  force: boolean,
): { object: Record<string, unknown>; managedFields: ManagedFieldsEntry[] } {
  const meta = isMap(live?.metadata) ? live.metadata : {};
  const owners = ownersOf(meta.managedFields as ManagedFieldsEntry[] | undefined);
  const appliedFields = fieldsOf(applied);
  const changed = new Set<Owner>();
  const conflicts: FieldConflict[] = [];
  const others = owners.filter((o) => !isEntry(o, write.manager, 'Apply'));
  for (const other of others) {
    for (const path of appliedFields.paths()) {
      if (!other.fields.has(path)) continue;
      if (same(valueAt(live, path), valueAt(applied, path))) continue;
      if (force) {
        other.fields.delete(path);
        changed.add(other);
      } else {
        conflicts.push({ manager: other.entry.manager, field: describePath(path) });
      }
    }
  }
  if (conflicts.length > 0) throw new FieldManagerConflictError(conflicts);

  const object = structuredClone(live ?? {}) as Record<string, unknown>;
  let mine = owners.find((o) => isEntry(o, write.manager, 'Apply'));
  for (const path of mine?.fields.paths() ?? []) {
    if (appliedFields.has(path)) continue;
    if (others.some((o) => o.fields.has(path))) continue;
    removeAt(object, path);
  }
  for (const path of appliedFields.paths()) setAt(object, path, valueAt(applied, path));
  // What identifies the object comes from the applied configuration (create-on-apply).
  for (const key of ['apiVersion', 'kind'])
    if (applied[key] !== undefined) object[key] = applied[key];
  const appliedMeta = isMap(applied.metadata) ? applied.metadata : {};
  const objectMeta = isMap(object.metadata) ? object.metadata : {};
  for (const key of ['name', 'namespace', 'resourceVersion', 'uid']) {
    if (appliedMeta[key] !== undefined) objectMeta[key] = appliedMeta[key];
  }
  object.metadata = objectMeta;

  if (!mine && owners.filter((o) => o.entry.operation === 'Apply').length >= MAX_APPLY_MANAGERS)
    throw new TooManyFieldManagersError(MAX_APPLY_MANAGERS);
  if (!mine) {
    mine = {
      entry: {
        manager: write.manager,
        operation: 'Apply',
        apiVersion: write.apiVersion,
        time: write.now,
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      },
      fields: new FieldSet(),
    };
    owners.push(mine);
  }
  if (!same(toFieldsV1(mine.fields), toFieldsV1(appliedFields)) || !live) {
    mine.fields = appliedFields;
    mine.entry = { ...mine.entry, time: write.now, apiVersion: write.apiVersion };
    changed.add(mine);
  }
  return { object, managedFields: entriesOf(owners, changed) };
}

/**
 * The managedFields after a create, PUT or non-apply PATCH (`before` undefined for a
 * create): the writer's Update entry takes every field whose value it changed (or
 * set), and the other managers lose those fields, as in Kubernetes. Unchanged when
 * no managed field changed.
 */
export function recordUpdate(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
  managedFields: readonly ManagedFieldsEntry[] | undefined,
  write: ManagerOfWrite,
): ManagedFieldsEntry[] {
  const owners = ownersOf(managedFields);
  const afterFields = fieldsOf(after);
  const all = new FieldSet([...fieldsOf(before).paths(), ...afterFields.paths()]);
  const changedPaths = all.paths().filter((p) => !same(valueAt(before, p), valueAt(after, p)));
  if (changedPaths.length === 0) return [...(managedFields ?? [])];
  const changed = new Set<Owner>();
  for (const owner of owners) {
    for (const path of changedPaths) {
      if (owner.fields.has(path)) {
        owner.fields.delete(path);
        changed.add(owner);
      }
    }
  }
  let mine = owners.find((o) => isEntry(o, write.manager, 'Update'));
  if (!mine) {
    mine = {
      entry: {
        manager: write.manager,
        operation: 'Update',
        apiVersion: write.apiVersion,
        time: write.now,
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      },
      fields: new FieldSet(),
    };
    owners.push(mine);
  }
  for (const path of changedPaths) if (afterFields.has(path)) mine.fields.add(path);
  mine.entry = { ...mine.entry, time: write.now, apiVersion: write.apiVersion };
  changed.add(mine);
  return capUpdateManagers(entriesOf(owners, changed), write.apiVersion);
}

/**
 * Keeps at most MAX_UPDATE_MANAGERS Update entries: the oldest ones (by time) merge into
 * one `ancient-changes` entry owning all their fields, as Kubernetes caps them.
 */
export function capUpdateManagers(
  entries: ManagedFieldsEntry[],
  apiVersion: string,
): ManagedFieldsEntry[] {
  const updates = entries.filter((e) => e.operation === 'Update');
  if (updates.length <= MAX_UPDATE_MANAGERS) return entries;
  const oldestFirst = [...updates].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const merged = new Set(oldestFirst.slice(0, updates.length - MAX_UPDATE_MANAGERS + 1));
  const fields = new FieldSet();
  let time = '';
  for (const e of merged) {
    for (const p of fromFieldsV1(e.fieldsV1).paths()) fields.add(p);
    if (e.time > time) time = e.time;
  }
  return [
    ...entries.filter((e) => !merged.has(e)),
    {
      manager: ANCIENT_CHANGES,
      operation: 'Update',
      apiVersion,
      time,
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(fields),
    },
  ];
}

/**
 * The field manager of a write: `fieldManager` when given, else the User-Agent's
 * product (what comes before its first "/"), as the apiserver names it.
 */
export function defaultFieldManager(userAgent: string | undefined): string {
  const product = (userAgent ?? '').split('/')[0].trim();
  return product.slice(0, 128) || 'unknown';
}
