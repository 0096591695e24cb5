/**
 * How a folded state is written into a stream snapshot and read back. `decode` must
 * give back exactly the state `encode` was given (the same entries in the same order),
 * and throw SnapshotFormatError for anything it did not write: a snapshot it cannot read
 * is ignored and the stream folded from its events.
 */
export interface SnapshotCodec<S> {
  /** The layout `encode` writes; a snapshot of another layout is not read. */
  readonly schemaVersion: number;
  encode(state: S): unknown;
  decode(json: unknown): S;
}

/** A snapshot's state is not in the layout its schema version names. */
export class SnapshotFormatError extends Error {
  constructor(what: string) {
    super(`snapshot state: ${what}`);
    this.name = 'SnapshotFormatError';
  }
}

/** Checks read from a snapshot's JSON, each throwing SnapshotFormatError naming the field. */
export const read = {
  object(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new SnapshotFormatError(`${field} must be an object`);
    return value as Record<string, unknown>;
  },
  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) throw new SnapshotFormatError(`${field} must be an array`);
    return value;
  },
  string(value: unknown, field: string): string {
    if (typeof value !== 'string') throw new SnapshotFormatError(`${field} must be a string`);
    return value;
  },
  integer(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      throw new SnapshotFormatError(`${field} must be an integer`);
    return value;
  },
  oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
    if (!allowed.includes(value as T))
      throw new SnapshotFormatError(`${field} must be one of ${allowed.join(', ')}`);
    return value as T;
  },
  /** `[key, value]` pairs into a Map in their order, each value read by `item`. */
  entries<V>(
    value: unknown,
    field: string,
    item: (v: unknown, field: string) => V,
  ): Map<string, V> {
    const map = new Map<string, V>();
    read.array(value, field).forEach((pair, i) => {
      const [key, v] = read.array(pair, `${field}[${i}]`);
      const k = read.string(key, `${field}[${i}][0]`);
      if (map.has(k)) throw new SnapshotFormatError(`${field} has the key ${k} twice`);
      map.set(k, item(v, `${field}[${i}][1]`));
    });
    return map;
  },
};
