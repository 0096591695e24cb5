/**
 * The size of `value` as compact JSON, in UTF-16 code units, counted without
 * serializing it, and only up to `limit`: past it the walk stops and answers
 * `limit + 1`. So measuring costs at most as much as `limit` bytes of JSON, however
 * large the value. Strings count their characters and quotes, not their escapes:
 * the count is a lower bound, exact for the plain text objects hold.
 */
export function jsonSizeUpTo(value: unknown, limit: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') size += v.length + 2;
    else if (typeof v === 'number' || typeof v === 'boolean') size += String(v).length;
    else if (v === null || v === undefined) size += 4;
    else if (Array.isArray(v)) {
      size += 2 + Math.max(0, v.length - 1);
      for (const item of v) stack.push(item);
    } else if (typeof v === 'object') {
      const keys = Object.keys(v);
      size += 2 + Math.max(0, keys.length - 1);
      for (const key of keys) {
        size += key.length + 3;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
    if (size > limit) return limit + 1;
  }
  return size;
}
