// JSON text made once per object of the read cache, so that a GET or a LIST of many
// objects does not stringify the same unchanged objects on every request. Only frozen
// objects are remembered: their text can never go stale.
const TEXTS = new WeakMap<object, string>();

/** Makes and remembers the JSON text of a frozen object (an unfrozen one is refused). */
export function rememberJson(object: object): void {
  if (!Object.isFrozen(object))
    throw new Error('rememberJson: only frozen objects may be remembered');
  if (!TEXTS.has(object)) TEXTS.set(object, JSON.stringify(object));
}

/**
 * `JSON.stringify(value)`, with the remembered text of any remembered object that is the
 * value itself or an element of its top-level `items` array (a list): the same text
 * JSON.stringify would make, as the object cannot have changed.
 */
export function toJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const whole = TEXTS.get(value);
  if (whole !== undefined) return whole;
  const items = (value as { items?: unknown }).items;
  if (!Array.isArray(items) || items.length === 0 || !TEXTS.has(items[0] as object)) {
    return JSON.stringify(value);
  }
  // The envelope key by key, as JSON.stringify writes a plain object (keys whose value it
  // leaves out are left out), with the items' texts in place of the items.
  const fields: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const text =
      key === 'items'
        ? `[${items.map((item) => TEXTS.get(item as object) ?? JSON.stringify(item) ?? 'null').join(',')}]`
        : (JSON.stringify(v) as string | undefined);
    if (text !== undefined) fields.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${fields.join(',')}}`;
}
