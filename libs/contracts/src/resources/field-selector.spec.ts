import { FieldSelectorError, matchesFields, parseFieldSelector } from './field-selector';
import { MAX_SELECTOR_LENGTH } from './selector-limits';
import { scalesLinearly, timeAtTwoSizes } from '@natgw/testing';

describe('parseFieldSelector', () => {
  it.each([
    ['', []],
    ['  ', []],
    ['metadata.name=gw', [{ field: 'metadata.name', op: 'eq', value: 'gw' }]],
    [' metadata.name == gw ', [{ field: 'metadata.name', op: 'eq', value: 'gw' }]],
    [
      'metadata.name!=a,metadata.namespace=default',
      [
        { field: 'metadata.name', op: 'neq', value: 'a' },
        { field: 'metadata.namespace', op: 'eq', value: 'default' },
      ],
    ],
    ['metadata.name=', [{ field: 'metadata.name', op: 'eq', value: '' }]],
  ])('parses %j', (selector, expected) => {
    expect(parseFieldSelector(selector)).toEqual(expected);
  });

  it.each([
    'metadata.name',
    'metadata.name=a=b',
    'metadata.name=a!',
    'metadata.name!a',
    'metadata.name=UPPER',
    'spec.type=Public',
    '=x',
    'metadata.name=a,',
    'meta data.name=x',
  ])('refuses %j', (selector) => {
    expect(() => parseFieldSelector(selector)).toThrow(FieldSelectorError);
  });

  it('refuses a selector longer than the cap, naming the cap', () => {
    const long = `metadata.name=${'a'.repeat(MAX_SELECTOR_LENGTH)}`;
    expect(() => parseFieldSelector(long)).toThrow(`at most ${MAX_SELECTOR_LENGTH} characters`);
    expect(() => parseFieldSelector('metadata.name=a'.padEnd(MAX_SELECTOR_LENGTH))).not.toThrow();
  });

  // The regex this parser replaced backtracked in cubic time on these: a few thousand
  // spaces took seconds. Now the largest accepted one takes well under a millisecond.
  it.each([
    ['spaces, then a second operator', (n: number) => `metadata.name=${' '.repeat(n)}!`],
    [
      'spaces around the operator',
      (n: number) => `metadata.name${' '.repeat(n)}=${' '.repeat(n)}x=`,
    ],
    ['tabs and spaces, no operator', (n: number) => `metadata.name${' \t'.repeat(n)}x`],
    ['many empty terms', (n: number) => ','.repeat(n)],
    ['unbalanced operators', (n: number) => '=!'.repeat(n)],
  ])('parses %s in linear time', (_shape, build) => {
    // Each shape is built at most ~2n+20 characters long: the large one stays under the cap.
    const times = timeAtTwoSizes(Math.floor(MAX_SELECTOR_LENGTH / 2) - 16, (n) => {
      try {
        parseFieldSelector(build(n));
      } catch (err) {
        if (!(err instanceof FieldSelectorError)) throw err;
      }
    });
    expect(times.largeMs).toBeLessThan(100);
    expect(scalesLinearly(times)).toBe(true);
  });
});

describe('matchesFields', () => {
  it('matches every requirement', () => {
    const sel = parseFieldSelector('metadata.name=a,metadata.namespace!=kube-system');
    expect(matchesFields(sel, { name: 'a', namespace: 'default' })).toBe(true);
    expect(matchesFields(sel, { name: 'a', namespace: 'kube-system' })).toBe(false);
    expect(matchesFields(sel, { name: 'b', namespace: 'default' })).toBe(false);
  });
});
