/**
 * Go's `strconv` parsing, which the Kubernetes apiserver applies to query parameters
 * (`watch=True`, `limit=+10`): a client that works against the apiserver must work here.
 */

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** `strconv.ParseBool`: the boolean `text` spells, or undefined when Go rejects it. */
export function parseGoBool(text: string): boolean | undefined {
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  return undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL = /^[+-]?[0-9]+$/;

/** Why `strconv.ParseInt(text, 10, 64)` rejects `text`, as Go names it. */
export type GoIntError = 'invalid syntax' | 'value out of range';

/** `strconv.ParseInt(text, 10, 64)`: an optional sign, then decimal digits, within int64. */
export function parseGoInt64(text: string): bigint | GoIntError {
  if (!DECIMAL.test(text)) return 'invalid syntax';
  const value = BigInt(text);
  if (value < INT64_MIN || value > INT64_MAX) return 'value out of range';
  return value;
}
