/** The fields a field selector may name: the ones every object has. */
export type SelectableField = 'metadata.name' | 'metadata.namespace';

/** One requirement of a field selector. */
export interface FieldRequirement {
  field: SelectableField;
  op: 'eq' | 'neq';
  value: string;
}

/** A field selector that is not valid, or names a field natgw cannot select on. */
export class FieldSelectorError extends Error {
  constructor(
    readonly selector: string,
    reason: string,
  ) {
    super(`invalid field selector ${JSON.stringify(selector)}: ${reason}`);
    this.name = 'FieldSelectorError';
  }
}

const SELECTABLE: readonly SelectableField[] = ['metadata.name', 'metadata.namespace'];
const TERM = /^\s*([A-Za-z0-9.]+)\s*(==|!=|=)\s*([^,=!]*?)\s*$/;

/** Parses `metadata.name=x,metadata.namespace!=y` (the fields kubectl uses). */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  if (selector.trim() === '') return [];
  return selector.split(',').map((term) => {
    const m = TERM.exec(term);
    if (!m) throw new FieldSelectorError(selector, `cannot parse ${JSON.stringify(term)}`);
    const field = m[1] as SelectableField;
    if (!SELECTABLE.includes(field)) {
      throw new FieldSelectorError(
        selector,
        `field ${JSON.stringify(m[1])} is not supported; supported: ${SELECTABLE.join(', ')}`,
      );
    }
    // Names and namespaces are DNS names: any other value matches nothing, and is refused.
    if (!/^[a-z0-9.-]*$/.test(m[3]) || m[3].length > 253) {
      throw new FieldSelectorError(
        selector,
        `${JSON.stringify(m[3])} is not a valid value for ${field}`,
      );
    }
    return { field, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3] };
  });
}

/** True when the object's name and namespace satisfy every requirement. */
export function matchesFields(
  selector: FieldRequirement[],
  meta: { name: string; namespace: string },
): boolean {
  return selector.every((r) => {
    const actual = r.field === 'metadata.name' ? meta.name : meta.namespace;
    return r.op === 'eq' ? actual === r.value : actual !== r.value;
  });
}
