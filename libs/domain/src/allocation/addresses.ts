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
 * Parses an address. IPv4 must be four-part decimal without leading zeros (`127.1`, `0x7f.0.0.1`
 * or `010.0.0.1` would be a second spelling of an address); IPv6 may end in a dotted IPv4 part but
 * may not carry a zone id, since a public address has none. Hand-written rather than ipaddr.js,
 * whose validity checks throw and catch internally and dominate the cost of planning.
 */
export function parseIp(text: string): NumericIp {
  const cached = parsedIps.get(text);
  if (cached !== undefined) return cached;
  const v4 = parseIpv4(text);
  // Stryker disable next-line ConditionalExpression: equivalent, parseIpv6 refuses every IPv4 text (it has no colon)
  const v6 = v4 === undefined ? parseIpv6(text) : undefined;
  let ip: NumericIp;
  if (v4 !== undefined) ip = { family: 'IPv4', value: BigInt(v4) };
  else if (v6 !== undefined) ip = { family: 'IPv6', value: v6 };
  else throw new InvalidIpAddressError(text);
  // Planning parses the same few thousand addresses over and over; a bounded memo keeps that
  // cheap. It is invisible to callers: parsing is a pure function and results are immutable.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the bound only limits memory; every answer is the same
  if (parsedIps.size >= PARSED_IPS_LIMIT) parsedIps.clear();
  parsedIps.set(text, Object.freeze(ip));
  return ip;
}

const PARSED_IPS_LIMIT = 65536;
const parsedIps = new Map<string, NumericIp>();

const IPV4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): number | undefined {
  const match = IPV4.exec(text);
  if (match === null) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === undefined) return undefined;
    hex = `${text.slice(0, lastColon + 1)}${Math.floor(v4 / 0x10000).toString(16)}:${(v4 % 0x10000).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] as string);
  const rest = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (head === undefined || rest === undefined) return undefined;
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...rest];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value;
}

function groupsOf(part: string): number[] | undefined {
  if (part === '') return [];
  const groups: number[] = [];
  for (const group of part.split(':')) {
    if (!HEX_GROUP.test(group)) return undefined;
    groups.push(parseInt(group, 16));
  }
  return groups;
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
  // Stryker disable next-line ConditionalExpression: equivalent for addresses, equal texts parse to equal values
  return a === b ? 0 : compareNumericIps(parseIp(a), parseIp(b));
}

/** The addresses in ascending numeric order (IPv4 first), as a new array. */
export function sortIps(ips: Iterable<string>): string[] {
  return [...ips]
    .map((text) => ({ text, ip: parseIp(text) }))
    .sort((a, b) => compareNumericIps(a.ip, b.ip))
    .map((entry) => entry.text);
}
