import { canonicalIp } from '../allocation/addresses';

/** A private address a NIC wants, with its place in `spec.ips` (for the field of an error). */
export interface WantedAddress {
  /** Index in the NIC's `spec.ips`. */
  readonly index: number;
  /** Canonical spelling, so `2001:db8::1` and `2001:0db8::0001` are one address. */
  readonly ip: string;
}

/** How a NIC's claimed private addresses change when its `spec.ips` does. */
export interface AddressChanges {
  /** Addresses the new spec has and the old one had not, to claim (canonical, in spec order). */
  readonly claim: readonly WantedAddress[];
  /** Addresses the old spec had and the new one has not, to release (canonical). */
  readonly release: readonly string[];
}

/**
 * The addresses to claim and release when a NIC's private addresses go from `before` to `after`
 * (a create is `before = []`; the final delete is `after = []`). Compared canonically, so a
 * respelling changes nothing. Addresses must be valid (the API validated them).
 */
export function addressChanges(
  before: readonly string[],
  after: readonly string[],
): AddressChanges {
  const old = new Set(before.map(canonicalIp));
  const next = after.map((ip, index) => ({ index, ip: canonicalIp(ip) }));
  const kept = new Set(next.map((a) => a.ip));
  const seen = new Set<string>();
  const claim = next.filter((a) => {
    if (old.has(a.ip) || seen.has(a.ip)) return false;
    seen.add(a.ip);
    return true;
  });
  return { claim, release: [...old].filter((ip) => !kept.has(ip)) };
}
