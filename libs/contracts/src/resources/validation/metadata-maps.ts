import { StatusCause } from '../k8s-status';
import { isDns1123Subdomain } from './dns';
import { fieldError } from './field-errors';

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Kubernetes' limit on the sum of the sizes of all annotation keys and values. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Why a label or annotation key is not a qualified name (`prefix/name`), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  let name = key;
  if (parts.length === 2) {
    const [prefix, rest] = parts;
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (!isDns1123Subdomain(prefix)) {
      return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    }
    name = rest;
  } else if (parts.length > 2) {
    return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME_PART.test(name)) return QUALIFIED_NAME_MSG;
  return undefined;
}

function entries(
  field: string,
  value: unknown,
): { causes: StatusCause[]; pairs: Array<[string, unknown]> } {
  if (value === undefined || value === null) return { causes: [], pairs: [] };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return {
      causes: [fieldError.typeInvalid(field, value, 'object (a map of strings)')],
      pairs: [],
    };
  }
  return { causes: [], pairs: Object.entries(value as Record<string, unknown>) };
}

/** Validates `metadata.labels` the Kubernetes way: qualified-name keys, label values. */
export function validateLabels(field: string, value: unknown): StatusCause[] {
  const { causes, pairs } = entries(field, value);
  for (const [key, v] of pairs) {
    const problem = qualifiedNameProblem(key);
    if (problem) causes.push(fieldError.invalid(field, key, problem));
    if (typeof v !== 'string') {
      causes.push(fieldError.typeInvalid(`${field}.${key}`, v, 'string'));
    } else if (v.length > 63) {
      causes.push(fieldError.invalid(field, v, 'must be no more than 63 characters'));
    } else if (!LABEL_VALUE.test(v)) {
      causes.push(fieldError.invalid(field, v, LABEL_VALUE_MSG));
    }
  }
  return causes;
}

/** Validates `metadata.annotations`: qualified-name keys, string values, 256 KiB in total. */
export function validateAnnotations(field: string, value: unknown): StatusCause[] {
  const { causes, pairs } = entries(field, value);
  let total = 0;
  for (const [key, v] of pairs) {
    const problem = qualifiedNameProblem(key.toLowerCase());
    if (problem) causes.push(fieldError.invalid(field, key, problem));
    if (typeof v !== 'string') {
      causes.push(fieldError.typeInvalid(`${field}.${key}`, v, 'string'));
      continue;
    }
    total += Buffer.byteLength(key) + Buffer.byteLength(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
    causes.push(fieldError.tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT, 'bytes'));
  }
  return causes;
}
