import * as ipaddr from 'ipaddr.js';
import { IPFamily } from '../network-interface';

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

/** A parsed IP address and its family. */
export interface ParsedIP {
  family: IPFamily;
  address: ipaddr.IPv4 | ipaddr.IPv6;
}

/**
 * Parses an IP address strictly: dotted-quad IPv4 without leading zeros, or IPv6
 * without a zone. Lenient forms (`10.1`, `0x0a.0.0.1`, `::ffff:10.0.0.1`) are refused,
 * because two spellings of one address would defeat the one-per-family rule.
 */
export function parseIP(value: string): ParsedIP | undefined {
  if (IPV4.test(value)) return { family: 'IPv4', address: ipaddr.IPv4.parse(value) };
  if (!value.includes(':') || value.includes('%') || !ipaddr.IPv6.isValid(value)) return undefined;
  const address = ipaddr.IPv6.parse(value);
  if (address.isIPv4MappedAddress()) return undefined;
  return { family: 'IPv6', address };
}

const PRIVATE_RANGES = new Set(['private', 'carrierGradeNat', 'uniqueLocal']);
const NOT_PUBLIC_RANGES = new Set([
  ...PRIVATE_RANGES,
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
]);

/**
 * True for an address a private NIC may hold: RFC 1918 and RFC 6598 (100.64/10)
 * for IPv4, unique-local fc00::/7 for IPv6.
 */
export function isPrivateIP(ip: ParsedIP): boolean {
  return PRIVATE_RANGES.has(ip.address.range());
}

/** True for an address that can serve as a public IP (not private, loopback, link-local, multicast...). */
export function isPublicCapableIP(ip: ParsedIP): boolean {
  return !NOT_PUBLIC_RANGES.has(ip.address.range());
}

/** Orders IP addresses: IPv4 before IPv6, then numerically. */
export function compareIPs(a: string, b: string): number {
  const pa = parseIP(a);
  const pb = parseIP(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  const ba = pa.address.toByteArray();
  const bb = pb.address.toByteArray();
  if (ba.length !== bb.length) return ba.length - bb.length;
  for (let i = 0; i < ba.length; i++) if (ba[i] !== bb[i]) return ba[i] - bb[i];
  return 0;
}
