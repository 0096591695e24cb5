import {
  compareNumericIps,
  familyBits,
  formatIp,
  parseIp,
  type IpFamily,
  type NumericIp,
} from './addresses';
import { InvalidIpAddressError, InvalidPrefixError } from './errors';

/** A parsed CIDR prefix. Every address in it is usable, network and broadcast included. */
export interface IpPrefix {
  /** Canonical spelling, e.g. `203.0.113.0/24` or `2001:db8:ffff::/120`. */
  readonly cidr: string;
  readonly family: IpFamily;
  /** The first address, as an unsigned integer. */
  readonly network: bigint;
  readonly length: number;
}

/**
 * Parses a CIDR prefix. A prefix with host bits set (`203.0.113.7/24`) is rejected rather than
 * normalised: a typo there would otherwise silently hand out a whole different range of addresses.
 */
export function parsePrefix(text: string): IpPrefix {
  const parts = text.split('/');
  if (parts.length !== 2) throw new InvalidPrefixError(text, 'want <address>/<length>');
  const [addressText, lengthText] = parts as [string, string];
  let address: NumericIp;
  try {
    address = parseIp(addressText);
  } catch (error) {
    if (error instanceof InvalidIpAddressError) {
      throw new InvalidPrefixError(text, `${JSON.stringify(addressText)} is not an IP address`);
    }
    throw error;
  }
  const bits = familyBits(address.family);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText) || Number(lengthText) > bits) {
    throw new InvalidPrefixError(
      text,
      `the length must be an integer from 0 to ${bits} for ${address.family}`,
    );
  }
  const length = Number(lengthText);
  const hostBits = BigInt(bits - length);
  const network = (address.value >> hostBits) << hostBits;
  if (network !== address.value) {
    const suggestion = `${formatIp({ family: address.family, value: network })}/${length}`;
    throw new InvalidPrefixError(text, `host bits are set; did you mean ${suggestion}?`);
  }
  return { cidr: `${formatIp(address)}/${length}`, family: address.family, network, length };
}

/** The canonical spelling of a CIDR prefix; throws InvalidPrefixError. */
export function canonicalPrefix(text: string): string {
  return parsePrefix(text).cidr;
}

/** How many addresses the prefix holds (all usable): 2^(bits - length). */
export function prefixSize(prefix: IpPrefix): bigint {
  return 1n << BigInt(familyBits(prefix.family) - prefix.length);
}

/** True when the numeric address lies inside the prefix. */
export function prefixContainsNumeric(prefix: IpPrefix, ip: NumericIp): boolean {
  if (ip.family !== prefix.family) return false;
  const hostBits = BigInt(familyBits(prefix.family) - prefix.length);
  return ip.value >> hostBits === prefix.network >> hostBits;
}

/** True when the address lies inside the prefix; throws InvalidIpAddressError. */
export function prefixContains(prefix: IpPrefix, ip: string): boolean {
  return prefixContainsNumeric(prefix, parseIp(ip));
}

/** True when two prefixes share at least one address (one then contains the other). */
export function prefixesOverlap(a: IpPrefix, b: IpPrefix): boolean {
  // Stryker disable next-line ConditionalExpression: equivalent, prefixContainsNumeric below refuses the other family too
  if (a.family !== b.family) return false;
  // Stryker disable next-line EqualityOperator: equivalent, two prefixes of one length overlap only when equal
  const shorter = a.length <= b.length ? a : b;
  const longer = shorter === a ? b : a;
  return prefixContainsNumeric(shorter, { family: longer.family, value: longer.network });
}

/** Orders prefixes: IPv4 first, then by first address, then shorter (larger) first. */
export function comparePrefixes(a: IpPrefix, b: IpPrefix): number {
  const byStart = compareNumericIps(
    { family: a.family, value: a.network },
    { family: b.family, value: b.network },
  );
  return byStart !== 0 ? byStart : a.length - b.length;
}

/** The address at an offset from the start of the prefix (0 is the network address). */
export function prefixAddressAt(prefix: IpPrefix, offset: bigint): string {
  if (offset < 0n || offset >= prefixSize(prefix)) {
    throw new RangeError(`offset ${offset} is outside ${prefix.cidr}`);
  }
  return formatIp({ family: prefix.family, value: prefix.network + offset });
}

/** Every address of the prefix in ascending order, produced lazily (an IPv6 /64 is 2^64 addresses). */
export function* prefixAddresses(prefix: IpPrefix): Generator<string, void, undefined> {
  const end = prefix.network + prefixSize(prefix);
  for (let value = prefix.network; value < end; value++) {
    yield formatIp({ family: prefix.family, value });
  }
}
