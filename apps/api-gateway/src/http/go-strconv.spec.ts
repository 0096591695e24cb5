import { parseGoBool, parseGoInt64 } from './go-strconv';

// The oracle is Go's strconv documentation: ParseBool "accepts 1, t, T, TRUE, true, True,
// 0, f, F, FALSE, false, False. Any other value returns an error."; ParseInt(s, 10, 64)
// takes an optional sign and decimal digits, and ranges over int64.
describe('parseGoBool', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('%s is true', (text) => {
    expect(parseGoBool(text)).toBe(true);
  });
  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('%s is false', (text) => {
    expect(parseGoBool(text)).toBe(false);
  });
  it.each(['', 'yes', 'no', 'tRUE', 'fAlse', ' true', 'true ', '2', '01', 'on', 'TrUe', 'tt'])(
    '%j is rejected',
    (text) => {
      expect(parseGoBool(text)).toBeUndefined();
    },
  );
});

describe('parseGoInt64', () => {
  it.each([
    ['0', 0n],
    ['42', 42n],
    ['+42', 42n],
    ['-42', -42n],
    ['007', 7n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
  ])('%s is %s', (text, value) => {
    expect(parseGoInt64(text)).toBe(value);
  });
  it.each(['', '+', '-', '1.5', '1e3', '0x10', '1_000', ' 1', '1 ', '--1', 'ten', '١'])(
    '%j is invalid syntax',
    (text) => {
      expect(parseGoInt64(text)).toBe('invalid syntax');
    },
  );
  it.each(['9223372036854775808', '-9223372036854775809', '1'.repeat(400)])(
    '%s is out of range',
    (text) => {
      expect(parseGoInt64(text)).toBe('value out of range');
    },
  );
});
