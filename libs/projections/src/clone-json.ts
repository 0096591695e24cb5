/**
 * A deep copy of a JSON value (plain objects, arrays, strings, numbers, booleans,
 * null), as read from a jsonb column or built from events. Several times faster
 * than structuredClone, which the status appliers would otherwise pay on every
 * event of a rebuild.
 */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value))
    copy[key] = cloneJson((value as Record<string, unknown>)[key]);
  return copy as T;
}
