import { cloneJson } from './clone-json';

describe('cloneJson', () => {
  it('copies every level, so changing the copy leaves the original alone', () => {
    const original = {
      ips: [{ ip: '203.0.113.1', sections: [{ port: 1024, targetRef: { name: 'a' } }] }],
      n: 1,
      flag: false,
      none: null,
      text: 'x',
    };
    const copy = cloneJson(original);
    expect(copy).toEqual(original);
    copy.ips[0].sections[0].targetRef.name = 'b';
    copy.ips.push({ ip: '203.0.113.2', sections: [] });
    expect(original.ips).toHaveLength(1);
    expect(original.ips[0].sections[0].targetRef.name).toBe('a');
    expect(copy.ips[0]).not.toBe(original.ips[0]);
  });

  it('returns scalars as they are', () => {
    expect(cloneJson(null)).toBeNull();
    expect(cloneJson(3)).toBe(3);
    expect(cloneJson('s')).toBe('s');
    expect(cloneJson([])).toEqual([]);
  });
});
