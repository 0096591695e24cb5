import { LabelSelectorError, matchesLabels, parseLabelSelector } from './label-selector';
import { MAX_SELECTOR_LENGTH } from './selector-limits';
import { scalesLinearly, timeAtTwoSizes } from '@natgw/testing';

describe('parseLabelSelector', () => {
  it.each([
    ['', []],
    ['app=web', [{ key: 'app', op: 'eq', value: 'web' }]],
    ['app==web', [{ key: 'app', op: 'eq', value: 'web' }]],
    ['app != web', [{ key: 'app', op: 'neq', value: 'web' }]],
    [
      'tier in (a, b),x',
      [
        { key: 'tier', op: 'in', values: ['a', 'b'] },
        { key: 'x', op: 'exists' },
      ],
    ],
    ['tier notin (a)', [{ key: 'tier', op: 'notin', values: ['a'] }]],
    ['!example.com/x', [{ key: 'example.com/x', op: 'notexists' }]],
    ['a=', [{ key: 'a', op: 'eq', value: '' }]],
  ])('parses %j', (selector, expected) => {
    expect(parseLabelSelector(selector)).toEqual(expected);
  });

  it.each([
    'a=b,',
    '=b',
    'a in b',
    'a in (b',
    'a > 3',
    'a=b=c',
    'a b',
    'a=-x-',
    '!',
    'a in (b c)',
    'Bad Key=x',
  ])('refuses %j', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(LabelSelectorError);
  });

  it('refuses a selector longer than the cap, naming the cap', () => {
    expect(() => parseLabelSelector('a,'.repeat(MAX_SELECTOR_LENGTH))).toThrow(
      `at most ${MAX_SELECTOR_LENGTH} characters`,
    );
    expect(() => parseLabelSelector('app=web'.padEnd(MAX_SELECTOR_LENGTH))).not.toThrow();
  });

  it.each([
    ['thousands of spaces, then junk', (n: number) => `app${' '.repeat(n)}=${' '.repeat(n)}>`],
    ['nested parentheses', (n: number) => `a in ${'('.repeat(n)}b${')'.repeat(n)}`],
    ['unbalanced parentheses', (n: number) => `a in (${'b,'.repeat(n)}`],
    ['a long value set', (n: number) => `a in (${'b, '.repeat(n)}c)`],
    ['many operators', (n: number) => '!='.repeat(n)],
    ['many requirements', (n: number) => 'a,'.repeat(n) + 'b'],
  ])('parses %s in linear time', (_shape, build) => {
    // Each shape is built at most ~2n+20 characters long: the large one stays under the cap.
    const times = timeAtTwoSizes(Math.floor(MAX_SELECTOR_LENGTH / 2) - 16, (n) => {
      try {
        parseLabelSelector(build(n));
      } catch (err) {
        if (!(err instanceof LabelSelectorError)) throw err;
      }
    });
    expect(times.largeMs).toBeLessThan(100);
    expect(scalesLinearly(times)).toBe(true);
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each([
    ['app=web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['tier in (front,back)', true],
    ['tier notin (front)', false],
    ['missing notin (x)', true],
    ['missing in (x)', false],
    ['app', true],
    ['!app', false],
    ['app=web,tier=back', false],
  ])('%s -> %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });
});
