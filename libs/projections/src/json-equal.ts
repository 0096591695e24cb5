/**
 * Whether two JSON values (plain objects, arrays, strings, numbers, booleans, null)
 * are equal, object keys in any order (jsonb reorders them). What
 * `util.isDeepStrictEqual` answers for such values, several times faster: the
 * status appliers compare a status before and after every event of a rebuild.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object')
    return Object.is(a, b);
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const key of keys)
    if (!Object.prototype.hasOwnProperty.call(y, key) || !jsonEqual(x[key], y[key])) return false;
  return true;
}
