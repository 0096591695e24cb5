import { advisoryLockKey } from './advisory-leader-lock';

describe('advisoryLockKey', () => {
  it('is a stable signed 64-bit key per name', () => {
    const key = advisoryLockKey('relay:NATGW_EVENTS');
    expect(advisoryLockKey('relay:NATGW_EVENTS')).toBe(key);
    expect(advisoryLockKey('relay:OTHER')).not.toBe(key);
    const n = BigInt(key);
    expect(n >= -(2n ** 63n) && n < 2n ** 63n).toBe(true);
  });
});
