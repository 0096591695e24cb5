import { CauseType, StatusCause } from '../k8s-status';

/** Renders a value the way Kubernetes quotes it in error messages. */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'null';
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return String(value);
  }
}

function cause(field: string, reason: CauseType, message: string): StatusCause {
  return { field, reason, message };
}

/**
 * Builders for field errors, with Kubernetes' message shapes
 * (`Required value: ...`, `Unsupported value: "x": supported values: ...`).
 */
export const fieldError = {
  required: (field: string, detail: string): StatusCause =>
    cause(field, 'FieldValueRequired', `Required value: ${detail}`),
  notSupported: (field: string, value: unknown, supported: readonly string[]): StatusCause =>
    cause(
      field,
      'FieldValueNotSupported',
      `Unsupported value: ${renderValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
    ),
  invalid: (field: string, value: unknown, detail: string): StatusCause =>
    cause(field, 'FieldValueInvalid', `Invalid value: ${renderValue(value)}: ${detail}`),
  typeInvalid: (field: string, value: unknown, type: string): StatusCause =>
    cause(
      field,
      'FieldValueTypeInvalid',
      `Invalid value: ${renderValue(value)}: must be of type ${type}`,
    ),
  forbidden: (field: string, detail: string): StatusCause =>
    cause(field, 'FieldValueForbidden', `Forbidden: ${detail}`),
  duplicate: (field: string, value: unknown, detail: string): StatusCause =>
    cause(field, 'FieldValueDuplicate', `Duplicate value: ${renderValue(value)}: ${detail}`),
  tooLong: (field: string, max: number, unit = 'characters'): StatusCause =>
    cause(field, 'FieldValueTooLong', `Too long: must have at most ${max} ${unit}`),
  tooMany: (field: string, actual: number, max: number): StatusCause =>
    cause(field, 'FieldValueTooMany', `Too many: ${actual}: must have at most ${max} items`),
  unknown: (field: string): StatusCause =>
    cause(field, 'FieldValueUnknown', `unknown field "${field}"`),
};

/** The one-line form of a cause, as in a Status message: `spec.type: Required value: ...`. */
export function describeCause(c: StatusCause): string {
  return c.field ? `${c.field}: ${c.message}` : c.message;
}
