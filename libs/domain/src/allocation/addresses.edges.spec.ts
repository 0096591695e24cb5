// Edge cases that the mutation run (npm run test:mutation) showed no test pinned down.
import { familyBits, type IpFamily } from './addresses';

describe('familyBits', () => {
  it('is 32 for IPv4, 128 for IPv6, and names a family it does not know', () => {
    expect(familyBits('IPv4')).toBe(32);
    expect(familyBits('IPv6')).toBe(128);
    // A value from outside the type (e.g. an unchecked event) is refused by name.
    expect(() => familyBits('IPv5' as IpFamily)).toThrow('unknown IP family IPv5');
  });
});
