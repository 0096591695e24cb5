import { InvalidPrefixError } from './errors';
import {
  comparePrefixes,
  parsePrefix,
  prefixAddressAt,
  prefixAddresses,
  prefixContains,
  prefixesOverlap,
  prefixSize,
} from './ip-prefix';

describe('IP prefixes', () => {
  it('parses and canonicalises both families', () => {
    expect(parsePrefix('203.0.113.0/24')).toMatchObject({
      cidr: '203.0.113.0/24',
      family: 'IPv4',
      length: 24,
    });
    expect(parsePrefix('2001:DB8:FFFF:0::/120').cidr).toBe('2001:db8:ffff::/120');
  });

  it('rejects host bits set, suggesting the network', () => {
    expect(() => parsePrefix('203.0.113.7/24')).toThrow(InvalidPrefixError);
    expect(() => parsePrefix('203.0.113.7/24')).toThrow('did you mean 203.0.113.0/24?');
    expect(() => parsePrefix('2001:db8::1/64')).toThrow('did you mean 2001:db8::/64?');
  });

  it('rejects malformed prefixes with the reason', () => {
    expect(() => parsePrefix('203.0.113.0')).toThrow('want <address>/<length>');
    expect(() => parsePrefix('203.0.113.0/33')).toThrow('from 0 to 32 for IPv4');
    expect(() => parsePrefix('203.0.113.0/024')).toThrow(InvalidPrefixError);
    expect(() => parsePrefix('2001:db8::/129')).toThrow('from 0 to 128 for IPv6');
    expect(() => parsePrefix('nope/24')).toThrow('"nope" is not an IP address');
  });

  it('counts every address as usable, with bigint for IPv6', () => {
    expect(prefixSize(parsePrefix('203.0.113.0/24'))).toBe(256n);
    expect(prefixSize(parsePrefix('192.0.2.1/32'))).toBe(1n);
    expect(prefixSize(parsePrefix('2001:db8::/64'))).toBe(2n ** 64n);
    expect(prefixSize(parsePrefix('::/0'))).toBe(2n ** 128n);
  });

  it('enumerates addresses lazily in ascending order, network and broadcast included', () => {
    expect([...prefixAddresses(parsePrefix('192.0.2.0/30'))]).toEqual([
      '192.0.2.0',
      '192.0.2.1',
      '192.0.2.2',
      '192.0.2.3',
    ]);
    const huge = prefixAddresses(parsePrefix('2001:db8::/32'));
    expect([huge.next().value, huge.next().value]).toEqual(['2001:db8::', '2001:db8::1']);
    expect(prefixAddressAt(parsePrefix('2001:db8:ffff::/120'), 255n)).toBe('2001:db8:ffff::ff');
    expect(() => prefixAddressAt(parsePrefix('192.0.2.0/30'), 4n)).toThrow(RangeError);
  });

  it('knows containment and overlap', () => {
    const net = parsePrefix('198.51.100.0/24');
    expect(prefixContains(net, '198.51.100.255')).toBe(true);
    expect(prefixContains(net, '198.51.101.0')).toBe(false);
    expect(prefixContains(net, '2001:db8::1')).toBe(false);
    expect(prefixesOverlap(net, parsePrefix('198.51.100.128/25'))).toBe(true);
    expect(prefixesOverlap(parsePrefix('198.51.100.128/25'), net)).toBe(true);
    expect(prefixesOverlap(net, parsePrefix('198.51.101.0/24'))).toBe(false);
    expect(prefixesOverlap(parsePrefix('0.0.0.0/0'), parsePrefix('::/0'))).toBe(false);
  });

  it('orders prefixes with the same start shorter (larger) first', () => {
    const wide = parsePrefix('10.0.0.0/8');
    const narrow = parsePrefix('10.0.0.0/16');
    expect(comparePrefixes(wide, narrow)).toBeLessThan(0);
    expect(comparePrefixes(narrow, wide)).toBeGreaterThan(0);
    expect(comparePrefixes(narrow, parsePrefix('10.0.0.0/16'))).toBe(0);
  });

  it('gives the address at an offset only inside the prefix', () => {
    const prefix = parsePrefix('192.0.2.0/30');
    expect(prefixAddressAt(prefix, 0n)).toBe('192.0.2.0');
    expect(prefixAddressAt(prefix, 3n)).toBe('192.0.2.3');
    expect(() => prefixAddressAt(prefix, 4n)).toThrow(
      new RangeError('offset 4 is outside 192.0.2.0/30'),
    );
    expect(() => prefixAddressAt(prefix, -1n)).toThrow(
      new RangeError('offset -1 is outside 192.0.2.0/30'),
    );
  });

  it('never puts an address of one family inside a prefix of the other', () => {
    // 0.0.0.5 and ::5 have the same numeric value; only the family tells them apart.
    expect(prefixContains(parsePrefix('::/96'), '0.0.0.5')).toBe(false);
    expect(prefixContains(parsePrefix('::/96'), '::5')).toBe(true);
    expect(prefixContains(parsePrefix('0.0.0.0/8'), '::5')).toBe(false);
    expect(prefixesOverlap(parsePrefix('::/96'), parsePrefix('0.0.0.0/8'))).toBe(false);
  });

  it('orders IPv4 first, then by start address', () => {
    const sorted = ['2001:db8::/64', '10.0.0.0/8', '9.0.0.0/8', '10.0.0.0/16']
      .map(parsePrefix)
      .sort(comparePrefixes)
      .map((p) => p.cidr);
    expect(sorted).toEqual(['9.0.0.0/8', '10.0.0.0/8', '10.0.0.0/16', '2001:db8::/64']);
  });
});
