import { canonicalNatAddress, natAddressSortKey } from './nat-address';

describe('canonicalNatAddress', () => {
  it('spells an address of the family canonically, the same on every call', () => {
    for (let round = 0; round < 2; round += 1) {
      expect(canonicalNatAddress('IPv4', '192.0.2.7')).toBe('192.0.2.7');
      expect(canonicalNatAddress('IPv6', '2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
      expect(canonicalNatAddress('IPv6', '::FFFF:10.0.0.1')).toBe('::ffff:a00:1');
    }
  });

  it('rejects text that is not an address of the family, the same on every call', () => {
    for (let round = 0; round < 2; round += 1) {
      expect(canonicalNatAddress('IPv4', '2001:db8::1')).toBeUndefined();
      expect(canonicalNatAddress('IPv4', '010.0.0.1')).toBeUndefined();
      expect(canonicalNatAddress('IPv6', '192.0.2.7')).toBeUndefined();
      expect(canonicalNatAddress('IPv6', 'not-an-address')).toBeUndefined();
    }
  });

  it('rejects an IPv6 address with a zone id: it names a link, never a NAT endpoint', () => {
    expect(canonicalNatAddress('IPv6', 'fe80::1%eth0')).toBeUndefined();
    expect(canonicalNatAddress('IPv6', 'fe80::1')).toBe('fe80::1');
  });
});

describe('natAddressSortKey', () => {
  // The oracle: the address as a number, from its dotted or colon parts.
  const ipv4Value = (text: string): bigint =>
    text.split('.').reduce((value, part) => value * 256n + BigInt(part), 0n);
  const ipv6Value = (canonical: string): bigint => {
    const [head = '', tail = ''] = canonical.split('::');
    const headParts = head === '' ? [] : head.split(':');
    const tailParts = tail === '' ? [] : tail.split(':');
    const parts = canonical.includes('::')
      ? [...headParts, ...Array(8 - headParts.length - tailParts.length).fill('0'), ...tailParts]
      : headParts;
    return parts.reduce((value, part) => value * 65536n + BigInt(`0x${part}`), 0n);
  };
  const sortedByKey = (addresses: string[]): string[] =>
    [...addresses].sort((a, b) =>
      natAddressSortKey(a) < natAddressSortKey(b)
        ? -1
        : natAddressSortKey(a) > natAddressSortKey(b)
          ? 1
          : 0,
    );

  it('orders IPv4 addresses numerically, whatever their digit counts', () => {
    const addresses = ['16.0.0.0', '15.255.255.255', '9.0.0.1', '10.0.0.0', '0.16.0.0', '1.0.0.0'];
    const numeric = [...addresses].sort((a, b) => (ipv4Value(a) < ipv4Value(b) ? -1 : 1));
    expect(sortedByKey(addresses)).toEqual(numeric);
    expect(sortedByKey([...addresses].reverse())).toEqual(numeric);
  });

  it('orders IPv6 addresses numerically, whatever their group widths', () => {
    const addresses = [
      '2001:db8::10',
      '2001:db8::f',
      '2001:db8::1:0',
      'fe80::1',
      '::1',
      '2001:db8::a',
    ];
    const numeric = [...addresses].sort((a, b) => (ipv6Value(a) < ipv6Value(b) ? -1 : 1));
    expect(sortedByKey(addresses)).toEqual(numeric);
    expect(sortedByKey([...addresses].reverse())).toEqual(numeric);
  });
});
