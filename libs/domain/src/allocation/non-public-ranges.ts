import { IpPrefix, parsePrefix, prefixesOverlap } from './ip-prefix';

/** An address block that cannot hold public IPs, and why. */
export interface NonPublicRange {
  readonly prefix: IpPrefix;
  readonly why: string;
}

const range = (cidr: string, why: string): NonPublicRange => ({ prefix: parsePrefix(cidr), why });

/**
 * The blocks a public IP pool may not overlap (RFC 6890's special-purpose
 * registries): addresses that are not globally routable, mean something else on
 * the wire, or would hand out a tenant's traffic to a local network. Overlap
 * catches the covering prefixes too: `0.0.0.0/0` and `::/0` (default routes) and
 * `0.0.0.0/1` overlap these. The documentation ranges (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and the benchmarking ranges
 * (198.18.0.0/15, 2001:2::/48) stay allowed: the examples and tests use them.
 */
export const NON_PUBLIC_RANGES: readonly NonPublicRange[] = [
  range('0.0.0.0/8', '"this network" (RFC 791), incl. the unspecified address'),
  range('10.0.0.0/8', 'private (RFC 1918)'),
  range('100.64.0.0/10', 'shared carrier-grade NAT space (RFC 6598)'),
  range('127.0.0.0/8', 'loopback (RFC 1122)'),
  range('169.254.0.0/16', 'link-local (RFC 3927)'),
  range('172.16.0.0/12', 'private (RFC 1918)'),
  range('192.0.0.0/24', 'IETF protocol assignments (RFC 6890)'),
  range('192.168.0.0/16', 'private (RFC 1918)'),
  range('224.0.0.0/4', 'multicast (RFC 5771)'),
  range('240.0.0.0/4', 'reserved (RFC 1112), incl. the broadcast address'),
  range('::/8', 'reserved (RFC 4291): unspecified, loopback, IPv4-mapped and IPv4-compatible'),
  range('64:ff9b::/96', 'IPv4/IPv6 translation (RFC 6052)'),
  range('64:ff9b:1::/48', 'local-use IPv4/IPv6 translation (RFC 8215)'),
  range('100::/64', 'discard-only (RFC 6666)'),
  range('2001::/32', 'Teredo (RFC 4380)'),
  range('2002::/16', '6to4 (RFC 3056)'),
  range('fc00::/7', 'unique-local (RFC 4193)'),
  range('fe80::/10', 'link-local (RFC 4291)'),
  range('fec0::/10', 'site-local, deprecated (RFC 3879)'),
  range('ff00::/8', 'multicast (RFC 4291)'),
];

/** The first non-public block the prefix overlaps, if any. */
export function nonPublicRangeOf(prefix: IpPrefix): NonPublicRange | undefined {
  return NON_PUBLIC_RANGES.find((r) => prefixesOverlap(prefix, r.prefix));
}
