import {
  FieldRequirement,
  LabelSelector,
  matchesFields,
  matchesLabels,
  ResourceKind,
  ResourceObject,
} from '@natgw/contracts';
import { rememberJson } from '../http/preserialized-json';

/** One object as the read cache holds it: frozen, with its JSON text made once. */
export interface IndexedObject {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  object: ResourceObject;
}

/** One change of the read model: the object a key now has (or had, for DELETED). */
export interface IndexedChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: ResourceKind;
  namespace: string;
  name: string;
  object: ResourceObject;
}

/** What a cached list returns: the items of one page and, when more follow, the last key. */
export interface IndexedPage {
  items: ResourceObject[];
  next?: { namespace: string; name: string };
}

/** A cached list: one kind, one namespace or all, selectors, a page size (0 or undefined: all). */
export interface IndexQuery {
  kind: ResourceKind;
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldRequirement[];
  limit?: number;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** Byte (code point) order of names, as PostgreSQL's "C" collation sorts them. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The objects of one namespace of one kind, with their names sorted once per change of the set. */
class NamespaceObjects {
  readonly byName = new Map<string, IndexedObject>();
  private sorted?: string[];

  set(entry: IndexedObject): void {
    if (!this.byName.has(entry.name)) this.sorted = undefined;
    this.byName.set(entry.name, entry);
  }

  delete(name: string): void {
    if (this.byName.delete(name)) this.sorted = undefined;
  }

  *inOrder(): Generator<IndexedObject> {
    this.sorted ??= [...this.byName.keys()].sort(byteOrder);
    for (const name of this.sorted) yield this.byName.get(name)!;
  }
}

/**
 * The current objects of the resource read model, in memory: the state a fold of the
 * change log gives (an object is set by ADDED and MODIFIED, removed by DELETED). Lists
 * come out in (namespace, name) byte order, as the read model's queries sort them under
 * a "C" collation. Objects are frozen: callers share them, and their JSON text (made
 * once, see preserialized-json) must stay the text of the object. No I/O.
 */
export class ObjectIndex {
  private readonly kinds = new Map<ResourceKind, Map<string, NamespaceObjects>>();
  private sortedNamespaces = new Map<ResourceKind, string[]>();
  private count = 0;

  /** How many objects the index holds. */
  get size(): number {
    return this.count;
  }

  /** Sets (ADDED, MODIFIED) or removes (DELETED) the object of a key. */
  apply(change: IndexedChange): void {
    if (change.type === 'DELETED') this.delete(change.kind, change.namespace, change.name);
    else this.set(change);
  }

  get(kind: ResourceKind, namespace: string, name: string): ResourceObject | undefined {
    return this.kinds.get(kind)?.get(namespace)?.byName.get(name)?.object;
  }

  /** One page of a list, in (namespace, name) order. */
  list(query: IndexQuery): IndexedPage {
    const namespaces = this.kinds.get(query.kind);
    if (!namespaces) return { items: [] };
    const limit = query.limit && query.limit > 0 ? query.limit : Infinity;
    const names =
      query.namespace !== undefined ? [query.namespace] : this.namespacesInOrder(query.kind);
    const items: ResourceObject[] = [];
    let last: IndexedObject | undefined;
    for (const ns of names) {
      for (const entry of namespaces.get(ns)?.inOrder() ?? []) {
        if (!matchesLabels(query.labelSelector, entry.labels)) continue;
        if (!matchesFields(query.fieldSelector, entry)) continue;
        if (last && items.length === limit) {
          return { items, next: { namespace: last.namespace, name: last.name } };
        }
        items.push(entry.object);
        last = entry;
      }
    }
    return { items };
  }

  /** Forgets everything (before a reload). */
  clear(): void {
    this.kinds.clear();
    this.sortedNamespaces.clear();
    this.count = 0;
  }

  private set({ kind, namespace, name, object }: IndexedChange): void {
    deepFreeze(object);
    rememberJson(object);
    let namespaces = this.kinds.get(kind);
    if (!namespaces) {
      namespaces = new Map();
      this.kinds.set(kind, namespaces);
    }
    let objects = namespaces.get(namespace);
    if (!objects) {
      objects = new NamespaceObjects();
      namespaces.set(namespace, objects);
      this.sortedNamespaces.delete(kind);
    }
    if (!objects.byName.has(name)) this.count++;
    objects.set({ namespace, name, labels: object.metadata.labels ?? {}, object });
  }

  private delete(kind: ResourceKind, namespace: string, name: string): void {
    const namespaces = this.kinds.get(kind);
    const objects = namespaces?.get(namespace);
    if (!namespaces || !objects?.byName.has(name)) return;
    objects.delete(name);
    this.count--;
    if (objects.byName.size === 0) {
      namespaces.delete(namespace);
      this.sortedNamespaces.delete(kind);
    }
  }

  private namespacesInOrder(kind: ResourceKind): string[] {
    let names = this.sortedNamespaces.get(kind);
    if (!names) {
      names = [...(this.kinds.get(kind)?.keys() ?? [])].sort(byteOrder);
      this.sortedNamespaces.set(kind, names);
    }
    return names;
  }
}
