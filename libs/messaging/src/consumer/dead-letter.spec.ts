import {
  DEAD_LETTER_RAW_LIMIT,
  deadLetterEventId,
  deadLetterStreamId,
  describeRawBody,
  jsonbSafeText,
  uuidV5,
} from './dead-letter';

describe('dead letters', () => {
  it('derives RFC 4122 version 5 UUIDs', () => {
    const dns = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');
    expect(uuidV5('www.example.com', dns)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('gives one message one dead-letter id, different per consumer, stream and sequence', () => {
    const id = deadLetterEventId('NATGW_EVENTS', 'allocator', 42);
    expect(deadLetterEventId('NATGW_EVENTS', 'allocator', 42)).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(
      new Set([
        id,
        deadLetterEventId('NATGW_EVENTS', 'allocator', 43),
        deadLetterEventId('NATGW_EVENTS', 'executor', 42),
        deadLetterEventId('OTHER', 'allocator', 42),
      ]).size,
    ).toBe(4);
    expect(deadLetterStreamId('allocator')).toBe('deadletter:allocator');
  });

  it('keeps UTF-8 text as text and cuts it at the limit', () => {
    expect(describeRawBody(Buffer.from('{"a":1}'))).toEqual({
      raw: '{"a":1}',
      rawEncoding: 'utf8',
      rawBytes: 7,
      rawTruncated: false,
    });
    const big = describeRawBody(Buffer.from('x'.repeat(DEAD_LETTER_RAW_LIMIT + 10)));
    expect(big.raw).toHaveLength(DEAD_LETTER_RAW_LIMIT);
    expect(big.rawTruncated).toBe(true);
    expect(big.rawBytes).toBe(DEAD_LETTER_RAW_LIMIT + 10);
  });

  it('never cuts a surrogate pair in half', () => {
    const text = 'x'.repeat(DEAD_LETTER_RAW_LIMIT - 1) + '😀' + 'tail';
    const body = describeRawBody(Buffer.from(text));
    expect(body.raw).toBe('x'.repeat(DEAD_LETTER_RAW_LIMIT - 1));
    expect(body.rawTruncated).toBe(true);
  });

  it('stores bytes that are not UTF-8, or contain NUL, as base64', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0xfe]);
    expect(describeRawBody(bytes)).toEqual({
      raw: Buffer.from(bytes).toString('base64'),
      rawEncoding: 'base64',
      rawBytes: 3,
      rawTruncated: false,
    });
    expect(describeRawBody(Buffer.from('a\u0000b')).rawEncoding).toBe('base64');
  });

  it('makes reasons safe for jsonb', () => {
    expect(jsonbSafeText('bad \u0000 byte')).toBe('bad \ufffd byte');
    expect(jsonbSafeText('lone \ud800 surrogate')).toBe('lone \ufffd surrogate');
    expect(jsonbSafeText('pair 😀 kept')).toBe('pair 😀 kept');
    expect(jsonbSafeText('abcdef', 3)).toBe('abc…');
  });
});
