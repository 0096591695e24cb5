import { ipLabel } from './ip-state';

describe('ipLabel', () => {
  const now = Date.parse('2026-12-07T18:00:00Z');

  it('shows a draining IP with the time left, a released one, and an active one as its address', () => {
    expect(
      ipLabel(
        {
          name: 'ip1',
          ip: '203.0.113.0',
          state: 'Draining',
          drainDeadline: '2026-12-07T18:05:48Z',
        },
        now,
      ),
    ).toBe('203.0.113.0 (draining, 5m 48s left)');
    expect(
      ipLabel(
        {
          name: 'ip1',
          ip: '203.0.113.0',
          state: 'Draining',
          drainDeadline: '2026-12-07T18:00:42Z',
        },
        now,
      ),
    ).toBe('203.0.113.0 (draining, 42s left)');
    expect(
      ipLabel(
        {
          name: 'ip1',
          ip: '203.0.113.0',
          state: 'Draining',
          drainDeadline: '2026-12-07T17:59:00Z',
        },
        now,
      ),
    ).toBe('203.0.113.0 (draining, due)');
    expect(ipLabel({ name: 'released1', ip: '203.0.113.9', state: 'Released' }, now)).toBe(
      '203.0.113.9 (released)',
    );
    expect(ipLabel({ name: 'ip2', ip: '203.0.113.1', state: 'Active' }, now)).toBe('203.0.113.1');
  });
});
