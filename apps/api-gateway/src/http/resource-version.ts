/** The largest resourceVersion: a PostgreSQL bigint (the log's positions), 2^63 - 1. */
export const MAX_RESOURCE_VERSION = 9_223_372_036_854_775_807n;

const DIGITS = /^[0-9]{1,19}$/;

/**
 * True for a resourceVersion as a client may send it: decimal digits, at most
 * 2^63 - 1. Nineteen digits alone let 9999999999999999999 through, which the
 * database then refused (a 500).
 */
export function isResourceVersionText(value: string): boolean {
  return DIGITS.test(value) && BigInt(value) <= MAX_RESOURCE_VERSION;
}
