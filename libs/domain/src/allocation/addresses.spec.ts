import fc from 'fast-check';
import * as ipaddr from 'ipaddr.js';
import {
  canonicalIp,
  compareIps,
  formatIp,
  IP_FAMILIES,
  ipFamilyOf,
  isIpFamily,
  isValidIp,
  parseIp,
  sortIps,
} from './addresses';
import { InvalidIpAddressError } from './errors';

describe('addresses', () => {
  it('tells the family of an address', () => {
    expect(ipFamilyOf('203.0.113.7')).toBe('IPv4');
    expect(ipFamilyOf('2001:db8::1')).toBe('IPv6');
    expect(ipFamilyOf('::ffff:192.0.2.1')).toBe('IPv6');
  });

  it('knows exactly two families, IPv4 first, spelled as in the API', () => {
    expect(IP_FAMILIES).toEqual(['IPv4', 'IPv6']);
    for (const family of IP_FAMILIES) expect(isIpFamily(family)).toBe(true);
    for (const other of ['ipv4', 'IPV6', 'IPv5', 'IP', '', 'IPv4 ', 'inet']) {
      expect(isIpFamily(other)).toBe(false);
    }
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
    expect(canonicalIp('::13.1.68.3')).toBe('::d01:4403');
    expect(canonicalIp('64:ff9b::192.0.2.33')).toBe('64:ff9b::c000:221');
    expect(canonicalIp('1:2:3:4:5:6:7.8.9.10')).toBe('1:2:3:4:5:6:708:90a');
  });

  it('keeps IPv4 in dotted decimal', () => {
    expect(canonicalIp('203.0.113.255')).toBe('203.0.113.255');
    expect(canonicalIp('0.0.0.0')).toBe('0.0.0.0');
  });

  it('refuses ambiguous or foreign spellings', () => {
    for (const bad of [
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '1::2::3',
      ':::',
      '1:2:3:4:5:6:7:8::',
      '12345::',
      '::1.2.3',
      '::01.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',

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

  describe('agrees with ipaddr.js', () => {
    const valueOf = (parts: number[]) => parts.reduce((v, p) => (v << 16n) | BigInt(p), 0n);

    // ipaddr.js reads `::a.b.c.d` as IPv4-mapped (`::ffff:a.b.c.d`); RFC 4291 says IPv4-compatible
    // (`::a.b.c.d` = `::xxxx:yyyy`), as parseIp does, so dotted tails are checked by example above.
    it('on every hex IPv6 spelling fast-check generates, value and canonical form', () => {
      fc.assert(
        fc.property(
          fc.ipV6().filter((text) => !text.includes('.')),
          (text) => {
            const theirs = ipaddr.IPv6.parse(text);
            expect(parseIp(text)).toEqual({ family: 'IPv6', value: valueOf(theirs.parts) });
            expect(canonicalIp(text)).toBe(theirs.toRFC5952String());
          },
        ),
        { numRuns: 2000 },
      );
    });

    it('on IPv6 values with runs of zero groups (the RFC 5952 `::` choice)', () => {
      const group = fc.constantFrom(0, 0, 0, 1, 0xabc, 0xffff);
      fc.assert(
        fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (parts) => {
          const text = formatIp({ family: 'IPv6', value: valueOf(parts) });
          expect(text).toBe(new ipaddr.IPv6(parts).toRFC5952String());
          expect(parseIp(text).value).toBe(valueOf(parts));
        }),
        { numRuns: 2000 },
      );
    });

    it('on IPv4: four-part decimal only', () => {
      fc.assert(
        fc.property(fc.oneof(fc.ipV4(), fc.ipV4Extended()), (text) => {
          expect(isValidIp(text)).toBe(ipaddr.IPv4.isValidFourPartDecimal(text));
          if (isValidIp(text)) expect(canonicalIp(text)).toBe(ipaddr.IPv4.parse(text).toString());
        }),
        { numRuns: 2000 },
      );
    });
  });
});
