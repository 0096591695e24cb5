import { isDeepStrictEqual } from 'node:util';
import { jsonEqual } from './json-equal';

describe('jsonEqual', () => {
  const cases: Array<[unknown, unknown]> = [
    [1, 1],
    [1, 2],
    ['a', 'a'],
    ['1', 1],
    [null, null],
    [null, {}],
    [true, true],
    [true, false],
    [NaN, NaN],
    [0, -0],
    [[], []],
    [[], {}],
    [{}, []],
    [
      [1, 2],
      [1, 2],
    ],
    [
      [1, 2],
      [2, 1],
    ],
    [[1], [1, 1]],
    [
      { a: 1, b: { c: [1, { d: 'x' }] } },
      { b: { c: [1, { d: 'x' }] }, a: 1 },
    ],
    [
      { a: 1, b: { c: [1, { d: 'x' }] } },
      { b: { c: [1, { d: 'y' }] }, a: 1 },
    ],
    [{ a: undefined }, {}],
    [{ a: 1 }, { b: 1 }],
    [{ a: 1 }, { a: 1, b: 2 }],
    [
      { conditions: [{ type: 'Ready', status: 'True' }] },
      { conditions: [{ status: 'True', type: 'Ready' }] },
    ],
  ];

  it.each(cases)('answers as util.isDeepStrictEqual for %j and %j', (a, b) => {
    expect(jsonEqual(a, b)).toBe(isDeepStrictEqual(a, b));
    expect(jsonEqual(b, a)).toBe(isDeepStrictEqual(b, a));
  });
});
