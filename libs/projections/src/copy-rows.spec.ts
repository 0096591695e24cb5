import { copyField } from './copy-rows';

describe('copyField', () => {
  it('writes NULL as \\N and booleans as t/f', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined)).toBe('\\N');
    expect(copyField(true)).toBe('t');
    expect(copyField(false)).toBe('f');
  });

  it('writes numbers and bigints as decimals', () => {
    expect(copyField(42)).toBe('42');
    expect(copyField(12345678901234567890n)).toBe('12345678901234567890');
  });

  it('escapes backslash, tab, newline and carriage return in text', () => {
    expect(copyField('plain')).toBe('plain');
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
  });

  it('writes objects as JSON whose escapes survive COPY', () => {
    const value = { s: 'line\nnext "q" \\ tab\t', n: [1, null] };
    const field = copyField(value);
    expect(field).not.toMatch(/[\t\n\r]/);
    // COPY turns \\ back into \, giving JSON.stringify's text.
    expect(field.replace(/\\\\/g, '\\')).toBe(JSON.stringify(value));
    expect(JSON.parse(field.replace(/\\\\/g, '\\'))).toEqual(value);
  });
});
