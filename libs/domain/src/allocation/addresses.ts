import * as ipaddr from 'ipaddr.js';
import { InvalidIpAddressError } from './errors';

/** The address family of a gateway, a NIC IP or a pool prefix. */
export type IpFamily = 'IPv4' | 'IPv6';

/** Both families, IPv4 first (the order addresses sort in). */
export const IP_FAMILIES: readonly IpFamily[] = ['IPv4', 'IPv6'];

/** An address as a family and an unsigned integer, for arithmetic and ordering. */
export interface NumericIp {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** True when the string names an address family. */
export function isIpFamily(value: string): value is IpFamily {
  return value === 'IPv4' || value === 'IPv6';
}

/** The number of bits in an address of the family. */
export function familyBits(family: IpFamily): number {
  switch (family) {
    case 'IPv4':
      return 32;
    case 'IPv6':
      return 128;
    default: {
      const unknown: never = family;
      throw new Error(`unknown IP family ${String(unknown)}`);
    }
  }
}

/**
 * Parses an address. IPv4 must be four-part decimal without leading zeros (ipaddr.js alone would
 * accept `127.1` or hex parts, which would make two spellings of one address); IPv6 may not carry
 * a zone id, since a public address has none.
 */
export function parseIp(text: string): NumericIp {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    const [a, b, c, d] = ipaddr.IPv4.parse(text).octets as [number, number, number, number];
    return { family: 'IPv4', value: BigInt(a * 0x1000000 + b * 0x10000 + c * 0x100 + d) };
  }
  if (!text.includes('%') && ipaddr.IPv6.isValid(text)) {
    let value = 0n;
    for (const part of ipaddr.IPv6.parse(text).parts) value = (value << 16n) | BigInt(part);
    return { family: 'IPv6', value };
  }
  throw new InvalidIpAddressError(text);
}

/** True when the string is an address parseIp accepts. */
export function isValidIp(text: string): boolean {
  try {
    parseIp(text);
    return true;
  } catch {
    return false;
  }
}

/** The family of an address; throws InvalidIpAddressError for a non-address. */
export function ipFamilyOf(text: string): IpFamily {
  return parseIp(text).family;
}

/**
 * The canonical spelling of an address: dotted decimal for IPv4, RFC 5952 for IPv6 (lower case,
 * no leading zeros, the longest run of two or more zero groups as `::`, all hex, no dotted tail).
 */
export function formatIp(ip: NumericIp): string {
  switch (ip.family) {
    case 'IPv4': {
      const v = Number(ip.value);
      return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
    }
    case 'IPv6':
      return formatIpv6(ip.value);
    default: {
      const unknown: never = ip.family;
      throw new Error(`unknown IP family ${String(unknown)}`);
    }
  }
}

function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never shortened (RFC 5952 4.2.2)
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/** The canonical spelling of an address (see formatIp); throws InvalidIpAddressError. */
export function canonicalIp(text: string): string {
  return formatIp(parseIp(text));
}

/** Orders numeric addresses: IPv4 before IPv6, then by value. */
export function compareNumericIps(a: NumericIp, b: NumericIp): number {
  if (a.family !== b.family) return a.family === 'IPv4' ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Orders addresses numerically, IPv4 before IPv6 (so `10.0.0.9` < `10.0.0.10`). */
export function compareIps(a: string, b: string): number {
  return a === b ? 0 : compareNumericIps(parseIp(a), parseIp(b));
}

/** The addresses in ascending numeric order (IPv4 first), as a new array. */
export function sortIps(ips: Iterable<string>): string[] {
  return [...ips]
    .map((text) => ({ text, ip: parseIp(text) }))
    .sort((a, b) => compareNumericIps(a.ip, b.ip))
    .map((entry) => entry.text);
}
