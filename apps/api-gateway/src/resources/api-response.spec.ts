import { MAX_WARNING_CHARS, MAX_WARNINGS, warningHeader } from './api-response';

// What Node's http module accepts in a header value (it throws on anything else).
const VALID_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

describe('warningHeader', () => {
  it('quotes each warning as 299 - "text"', () => {
    expect(warningHeader(['unknown field "x"'])).toBe('299 - "unknown field \\"x\\""');
  });

  it('escapes what a header may not carry: non-Latin-1, control characters, lone surrogates', () => {
    const header = warningHeader(['unknown field "ключ"', 'tab\there\nnewline\u0000', '\ud800']);
    expect(header).toMatch(VALID_HEADER_VALUE);
    expect(header).toContain('\\u043a\\u043b\\u044e\\u0447');
    expect(header).toContain('\\u0000');
    expect(header).toContain('\\ud800');
  });

  it('caps the length of each warning and their number', () => {
    const header = warningHeader(Array.from({ length: 1000 }, () => 'w'.repeat(10_000)));
    const values = header.split(', 299 - ');
    expect(values).toHaveLength(MAX_WARNINGS + 1);
    expect(values[values.length - 1]).toContain(`${1000 - MAX_WARNINGS} more warnings not shown`);
    expect(header.length).toBeLessThan((MAX_WARNINGS + 1) * (MAX_WARNING_CHARS + 64));
  });
});
