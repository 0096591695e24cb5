import { MAX_SELECTOR_LENGTH } from './selector-limits';

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
const FIELD = /^[A-Za-z0-9.]+$/;
const DNS_VALUE = /^[a-z0-9.-]*$/;

/** `field op value` with the operator found by one left-to-right scan (no backtracking). */
function splitTerm(
  term: string,
): { field: string; op: '==' | '!=' | '='; value: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    const c = term[i];
    if (c === '!' || c === '=') {
      const op =
        c === '!' ? (term[i + 1] === '=' ? '!=' : undefined) : term[i + 1] === '=' ? '==' : '=';
      if (op === undefined) return undefined;
      const value = term.slice(i + op.length);
      // A second operator in the value is a malformed term, as in Kubernetes.
      if (value.includes('=') || value.includes('!')) return undefined;
      return { field: term.slice(0, i).trim(), op, value: value.trim() };
    }
  }
  return undefined;
}

/**
 * Parses `metadata.name=x,metadata.namespace!=y` (the fields kubectl uses), in time
 * linear in the selector, which may be at most MAX_SELECTOR_LENGTH characters.
 */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  if (selector.length > MAX_SELECTOR_LENGTH) {
    throw new FieldSelectorError(
      `${selector.slice(0, 64)}...`,
      `a field selector may be at most ${MAX_SELECTOR_LENGTH} characters long, got ${selector.length}`,
    );
  }
  if (selector.trim() === '') return [];
  return selector.split(',').map((term) => {
    const parts = splitTerm(term);
    if (!parts || !FIELD.test(parts.field))
      throw new FieldSelectorError(selector, `cannot parse ${JSON.stringify(term)}`);
    const field = parts.field as SelectableField;
    if (!SELECTABLE.includes(field)) {
      throw new FieldSelectorError(
        selector,
        `field ${JSON.stringify(parts.field)} is not supported; supported: ${SELECTABLE.join(', ')}`,
      );
    }
    // Names and namespaces are DNS names: any other value matches nothing, and is refused.
    if (parts.value.length > 253 || !DNS_VALUE.test(parts.value)) {
      throw new FieldSelectorError(
        selector,
        `${JSON.stringify(parts.value)} is not a valid value for ${field}`,
      );
    }
    return { field, op: parts.op === '!=' ? 'neq' : 'eq', value: parts.value };
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
