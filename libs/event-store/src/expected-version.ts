/**
 * What a writer expects of a stream before appending: an exact version (the
 * number of events in it), no stream at all, a stream with at least one event,
 * or anything.
 */
export type ExpectedVersion = number | 'no-stream' | 'exists' | 'any';

/** Encodes an expected version for the natgw_append SQL function. */
export function encodeExpectedVersion(expected: ExpectedVersion): string {
  if (typeof expected === 'number') {
    if (!Number.isInteger(expected) || expected < 0) {
      throw new RangeError(`expectedVersion must be a non-negative integer, got ${expected}`);
    }
    return String(expected);
  }
  return expected;
}
