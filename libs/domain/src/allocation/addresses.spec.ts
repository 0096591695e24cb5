import { canonicalIp, compareIps, ipFamilyOf, isValidIp, parseIp, sortIps } from './addresses';
import { InvalidIpAddressError } from './errors';

describe('addresses', () => {
  it('tells the family of an address', () => {
    expect(ipFamilyOf('203.0.113.7')).toBe('IPv4');
    expect(ipFamilyOf('2001:db8::1')).toBe('IPv6');
    expect(ipFamilyOf('::ffff:192.0.2.1')).toBe('IPv6');
  });

  it('spells IPv6 canonically (RFC 5952)', () => {
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(canonicalIp('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(canonicalIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalIp('0:0:0:0:0:0:0:0')).toBe('::');
    expect(canonicalIp('::1')).toBe('::1');
    expect(canonicalIp('1::')).toBe('1::');
    expect(canonicalIp('::ffff:192.0.2.1')).toBe('::ffff:c000:201');
  });

  it('keeps IPv4 in dotted decimal', () => {
    expect(canonicalIp('203.0.113.255')).toBe('203.0.113.255');
    expect(canonicalIp('0.0.0.0')).toBe('0.0.0.0');
  });

  it('refuses ambiguous or foreign spellings', () => {
    for (const bad of [
      '127.1',
      '010.0.0.1',
      '0x7f.0.0.1',
      '1.2.3.256',
      'fe80::1%eth0',
      '',
      ' 1.2.3.4',
    ]) {
      expect(isValidIp(bad)).toBe(false);
      expect(() => parseIp(bad)).toThrow(InvalidIpAddressError);
    }
  });

  it('compares numerically, IPv4 before IPv6', () => {
    expect(compareIps('10.0.0.9', '10.0.0.10')).toBeLessThan(0);
    expect(compareIps('255.255.255.255', '::')).toBeLessThan(0);
    expect(compareIps('2001:db8::10', '2001:db8::9')).toBeGreaterThan(0);
    expect(compareIps('2001:db8::1', '2001:DB8::1')).toBe(0);
    expect(sortIps(['2001:db8::2', '10.0.0.10', '10.0.0.9', '2001:db8::1'])).toEqual([
      '10.0.0.9',
      '10.0.0.10',
      '2001:db8::1',
      '2001:db8::2',
    ]);
  });
});
