import { mergePatch } from './apply-patch';

describe('mergePatch (RFC 7386)', () => {
  it('merges objects, replaces arrays and scalars, and removes keys set to null', () => {
    expect(
      mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { b: { c: null, x: 1 }, e: [2], f: 'n' }),
    ).toEqual({
      a: 1,
      b: { d: 3, x: 1 },
      e: [2],
      f: 'n',
    });
  });

  it('never reaches a prototype, and keeps keys named like Object methods', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "hasOwnProperty": "x"}');
    const out = mergePatch({ a: 1 }, patch) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.hasOwnProperty).toBe('x');
    expect(mergePatch({ hasOwnProperty: 'x', a: 1 }, { hasOwnProperty: null })).toEqual({ a: 1 });
  });

  it('a non-object patch replaces the target', () => {
    expect(mergePatch({ a: 1 }, [1, 2])).toEqual([1, 2]);
  });
});
