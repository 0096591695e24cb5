/**
 * Field paths of an object's managed part (labels, annotations, spec), and their
 * FieldsV1 encoding, following structured-merge-diff: maps are granular (each key a
 * field of its own), every natgw list is atomic (`x-kubernetes-list-type: atomic`: the
 * whole list is one field), scalars and empty maps are leaves.
 */

/** A path of keys, e.g. `['spec', 'networkRef', 'name']`. */
export type FieldPath = readonly string[];

/** A set of field paths (keyed by their JSON text). */
export class FieldSet {
  private readonly byKey = new Map<string, FieldPath>();

  constructor(paths: Iterable<FieldPath> = []) {
    for (const p of paths) this.add(p);
  }

  add(path: FieldPath): void {
    this.byKey.set(JSON.stringify(path), path);
  }

  delete(path: FieldPath): void {
    this.byKey.delete(JSON.stringify(path));
  }

  has(path: FieldPath): boolean {
    return this.byKey.has(JSON.stringify(path));
  }

  get size(): number {
    return this.byKey.size;
  }

  paths(): FieldPath[] {
    return [...this.byKey.values()];
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function leaves(value: unknown, at: string[], out: FieldSet): void {
  if (value === undefined || value === null) return;
  if (isMap(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) leaves(v, [...at, k], out);
    return;
  }
  out.add(at);
}

/** The managed fields an object (or an apply configuration) sets. */
export function fieldsOf(object: Record<string, unknown> | undefined): FieldSet {
  const out = new FieldSet();
  if (!object) return out;
  const meta = isMap(object.metadata) ? object.metadata : {};
  for (const map of ['labels', 'annotations']) {
    const m = meta[map];
    if (isMap(m)) for (const k of Object.keys(m)) out.add(['metadata', map, k]);
  }
  // An empty spec (a Network's) sets no field: only what is inside it counts.
  if (isMap(object.spec))
    for (const [k, v] of Object.entries(object.spec)) leaves(v, ['spec', k], out);
  return out;
}

/** The value at a path, or undefined when the path does not lead to one. */
export function valueAt(object: unknown, path: FieldPath): unknown {
  let v: unknown = object;
  for (const k of path) {
    if (!isMap(v) || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
    v = v[k];
  }
  return v;
}

/** Removes the field at a path (in place); a missing one is fine. */
export function removeAt(object: Record<string, unknown>, path: FieldPath): void {
  let v: unknown = object;
  for (const k of path.slice(0, -1)) {
    if (!isMap(v)) return;
    v = v[k];
  }
  if (isMap(v)) delete v[path[path.length - 1]];
}

/** `{"f:spec":{"f:portsPerNetworkInterface":{}}}`: the FieldsV1 form Kubernetes stores. */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const sorted = set.paths().sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  for (const path of sorted) {
    let node = root;
    for (const k of path) {
      const key = `f:${k}`;
      if (!isMap(node[key])) {
        Object.defineProperty(node, key, {
          value: {},
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      node = node[key] as Record<string, unknown>;
    }
  }
  return root;
}

/** The paths of a FieldsV1 document (fields only: natgw's lists are atomic, so no `k:`/`v:`). */
export function fromFieldsV1(fields: unknown): FieldSet {
  const out = new FieldSet();
  const walk = (node: unknown, at: string[]) => {
    if (!isMap(node)) return;
    const children = Object.keys(node).filter((k) => k.startsWith('f:'));
    if (children.length === 0 && at.length > 0) out.add(at);
    for (const k of children) walk(node[k], [...at, k.slice(2)]);
  };
  walk(fields, []);
  return out;
}

/** `.spec.portsPerNetworkInterface`, `.metadata.labels.app`: a path as conflict messages name it. */
export function describePath(path: FieldPath): string {
  return path.map((k) => `.${k}`).join('');
}
