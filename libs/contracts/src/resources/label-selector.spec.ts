import { LabelSelectorError, matchesLabels, parseLabelSelector } from './label-selector';

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
