// Edge cases that the mutation run (npm run test:mutation) showed no test pinned down.
import { canonicalIp, familyBits, type IpFamily, isValidIp, parseIp } from './addresses';

describe('familyBits', () => {
  it('is 32 for IPv4, 128 for IPv6, and names a family it does not know', () => {
    expect(familyBits('IPv4')).toBe(32);
    expect(familyBits('IPv6')).toBe(128);
    // A value from outside the type (e.g. an unchecked event) is refused by name.
    expect(() => familyBits('IPv5' as IpFamily)).toThrow('unknown IP family IPv5');
  });
});

describe('an IPv6 address that ends in a dotted IPv4 part', () => {
  it('is the address whose last two groups are the four octets', () => {
    // 192.0.2.1 = c0.00.02.01: groups c000 and 201.
    expect(parseIp('::ffff:192.0.2.1')).toEqual({
      family: 'IPv6',
      value: (0xffffn << 32n) | (0xc000n << 16n) | 0x201n,
    });
    expect(canonicalIp('64:ff9b::203.0.113.255')).toBe('64:ff9b::cb00:71ff');
    expect(canonicalIp('1:2:3:4:5:6:0.0.0.1')).toBe('1:2:3:4:5:6:0:1');
  });

  it('is refused when the dotted part is no IPv4 address', () => {
    for (const text of ['::ffff:256.0.2.1', '::ffff:192.0.2', '::ffff:01.0.2.1', '::1.2.3.4.5']) {
      expect(isValidIp(text)).toBe(false);
    }
  });
});
