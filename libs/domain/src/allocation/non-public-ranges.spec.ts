import { parsePrefix } from './ip-prefix';
import { NON_PUBLIC_RANGES, nonPublicRangeOf } from './non-public-ranges';

describe('nonPublicRangeOf', () => {
  it.each([
    ['0.0.0.0/0', '0.0.0.0/8'],
    ['0.0.0.0/1', '0.0.0.0/8'],
    ['::/0', '::/8'],
    ['10.1.0.0/16', '10.0.0.0/8'],
    ['172.31.255.0/24', '172.16.0.0/12'],
    ['192.168.1.0/24', '192.168.0.0/16'],
    ['100.64.0.0/24', '100.64.0.0/10'],
    ['127.0.0.1/32', '127.0.0.0/8'],
    ['169.254.169.254/32', '169.254.0.0/16'],
    ['224.0.0.0/24', '224.0.0.0/4'],
    ['255.255.255.255/32', '240.0.0.0/4'],
    ['::1/128', '::/8'],
    ['::ffff:203.0.113.0/120', '::/8'],
    ['fd00::/64', 'fc00::/7'],
    ['fe80::/64', 'fe80::/10'],
    ['ff02::/16', 'ff00::/8'],
    ['2002::/24', '2002::/16'],
  ])('refuses %s (inside or around %s)', (cidr, block) => {
    expect(nonPublicRangeOf(parsePrefix(cidr))?.prefix.cidr).toBe(block);
  });

  it.each([
    '203.0.113.0/24',
    '192.0.2.0/24',
    '198.51.100.0/24',
    '198.18.0.0/21',
    '2001:db8::/32',
    '2001:db8:ffff::/120',
    '8.8.8.0/24',
    '2a00:1450::/32',
  ])('allows %s', (cidr) => {
    expect(nonPublicRangeOf(parsePrefix(cidr))).toBeUndefined();
  });

  it('says why each block is not public, citing its RFC (the API repeats it in the refusal)', () => {
    for (const block of NON_PUBLIC_RANGES) expect(block.why).toMatch(/^\S.* \(RFC \d{3,4}\)/);
    expect(nonPublicRangeOf(parsePrefix('10.1.0.0/16'))?.why).toBe('private (RFC 1918)');
    expect(nonPublicRangeOf(parsePrefix('fe80::/64'))?.why).toBe('link-local (RFC 4291)');
  });
});
