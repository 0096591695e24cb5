import * as ipaddr from 'ipaddr.js';
import type { NatRule } from './nat-rule';

/** The canonical spelling of an address of the family, or undefined when it is not one. */
export function canonicalNatAddress(family: NatRule['family'], text: string): string | undefined {
  if (family === 'IPv4') {
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
    return ipaddr.IPv4.parse(text).toString();
  }
  // A zone id (`fe80::1%eth0`) names a link, never a NAT endpoint.
  if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
  return ipaddr.IPv6.parse(text).toRFC5952String();
}

/**
 * A string that sorts like the address does numerically: fixed-width hex of its bytes. Only for
 * addresses canonicalNatAddress accepted.
 */
export function natAddressSortKey(text: string): string {
  return ipaddr
    .parse(text)
    .toByteArray()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}
