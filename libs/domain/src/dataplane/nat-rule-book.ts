import { canonicalNatAddress, natAddressSortKey } from './nat-address';
import type { NatRule } from './nat-rule';

/** Why a rule clashes with an accepted one (partitionNatRules words the message). */
export type NatRuleClash =
  | { readonly kind: 'SameNic'; readonly holder: NatRule }
  | { readonly kind: 'AddressConflict'; readonly holder: NatRule }
  | { readonly kind: 'SlotConflict'; readonly holder: NatRule };

function compareStrings(a: string, b: string): number {
  // Stryker disable next-line EqualityOperator: equivalent, a <= b is only asked when a !== b
  return a === b ? 0 : a < b ? -1 : 1;
}

/** The sort key of a rule's NAT IP: numeric order for an address, after them for anything else. */
export function natIpOrderKey(rule: NatRule): string {
  const nat = canonicalNatAddress(rule.family, rule.natIp);
  return nat === undefined ? `~${rule.natIp}` : natAddressSortKey(nat);
}

/**
 * sortNatRules' order, field by field (`nat` is natIpOrderKey), ties broken by what that order
 * does not look at, so that input order never matters.
 */
export function compareNatRulesInOrder(a: NatRule, aNat: string, b: NatRule, bNat: string): number {
  return (
    compareStrings(a.family, b.family) ||
    compareStrings(aNat, bNat) ||
    a.port - b.port ||
    a.endPort - b.endPort ||
    compareStrings(a.nicUid, b.nicUid) ||
    compareStrings(a.privateIp, b.privateIp) ||
    (a.vni ?? 0) - (b.vni ?? 0) ||
    compareStrings(a.gatewayUid, b.gatewayUid) ||
    compareStrings(a.nicName ?? '', b.nicName ?? '')
  );
}

/** The accepted port ranges on one NAT IP, disjoint and sorted by first port. */
class PortRanges {
  private readonly rules: NatRule[] = [];

  get size(): number {
    return this.rules.length;
  }

  /** The index of the first range whose end is at or above port (ends are sorted too). */
  private firstEndingFrom(port: number): number {
    let lo = 0;
    let hi = this.rules.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.rules[mid] as NatRule).endPort < port) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The accepted rule whose range overlaps port..endPort, if any. */
  overlap(port: number, endPort: number): NatRule | undefined {
    const candidate = this.rules[this.firstEndingFrom(port)];
    return candidate && candidate.port <= endPort ? candidate : undefined;
  }

  add(rule: NatRule): void {
    let index = this.rules.length;
    // Usually appended: rules arrive in canonical (port) order.
    // Stryker disable next-line EqualityOperator: equivalent, accepted ranges on one NAT IP are disjoint, so no two start at one port
    while (index > 0 && (this.rules[index - 1] as NatRule).port > rule.port) index -= 1;
    this.rules.splice(index, 0, rule);
  }

  delete(rule: NatRule): void {
    const index = this.firstEndingFrom(rule.port);
    // Stryker disable next-line ConditionalExpression: equivalent, NatRuleBook only deletes a rule it holds, which is at that index
    if (this.rules[index] === rule) this.rules.splice(index, 1);
  }

  /** Puts `next`, with the same ports, in the place of `rule`. */
  replace(rule: NatRule, next: NatRule): void {
    const index = this.firstEndingFrom(rule.port);
    if (this.rules[index] === rule) this.rules[index] = next;
  }
}

/** A count per key; the key is gone at zero. */
class Counts<K> {
  private readonly counts = new Map<K, number>();

  /** Adds one. */
  add(key: K): void {
    this.counts.set(key, this.count(key) + 1);
  }

  /** Takes one away. */
  delete(key: K): void {
    const n = this.count(key);
    // Stryker disable next-line EqualityOperator: equivalent to callers, n < 1 keeps a count of 0, which count() reads as absent
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
  }

  /** How many (0 for an unknown key). */
  count(key: K): number {
    return this.counts.get(key) ?? 0;
  }
}

/**
 * The rules a node's dataplane has accepted, canonical and conflict-free, with what
 * partitionNatRules checks a newcomer against (the NIC's uid, its private address in its address
 * space, its port range on its NAT IP) and what a dataplane shares between rules (set members:
 * private and NAT addresses per family; IPv6 port ranges; networks). Kept between applies, it lets
 * a small change be partitioned and rendered in time proportional to the change.
 */
export class NatRuleBook {
  private readonly byUid = { IPv4: new Map<string, NatRule>(), IPv6: new Map<string, NatRule>() };
  /** Family -> address space (the vni, or 0 for the node) -> private address -> holder. */
  private readonly byAddress = {
    IPv4: new Map<number, Map<string, NatRule>>(),
    IPv6: new Map<number, Map<string, NatRule>>(),
  };
  /** Family -> NAT IP -> accepted port ranges. */
  private readonly slots = {
    IPv4: new Map<string, PortRanges>(),
    IPv6: new Map<string, PortRanges>(),
  };
  /** Rules per private address of a family, across address spaces (`IPv4/10.0.0.2`). */
  private readonly privateIps = new Counts<string>();
  /** IPv6 rules per port range (`port * 65536 + endPort`). */
  private readonly ranges6 = new Counts<number>();
  /** Rules per network vni (network mode). */
  private readonly vnis = new Counts<number>();
  /** The rules in order, and the order key of each one's NAT IP. */
  private readonly sorted: NatRule[] = [];
  private readonly natKeys: string[] = [];

  /** `perNetwork`: private addresses are per vni; otherwise one space for the node. */
  constructor(readonly perNetwork: boolean) {}

  get size(): number {
    return this.sorted.length;
  }

  /** The accepted rule of a NIC and family. */
  get(family: NatRule['family'], nicUid: string): NatRule | undefined {
    return this.byUid[family]?.get(nicUid);
  }

  /** How many rules have this private address of the family, in any address space. */
  privateIpCount(family: NatRule['family'], address: string): number {
    return this.privateIps.count(`${family}/${address}`);
  }

  /** How many IPv6 rules have this port range. */
  range6Count(port: number, endPort: number): number {
    return this.ranges6.count(port * 65536 + endPort);
  }

  /** How many rules network vni has (network mode). */
  vniCount(vni: number): number {
    return this.vnis.count(vni);
  }

  /** The accepted rules in sortNatRules order (a copy). */
  rules(): NatRule[] {
    return this.sorted.slice();
  }

  /** How many rules have this NAT IP of the family. */
  natIpCount(family: NatRule['family'], natIp: string): number {
    return this.slots[family]?.get(natIp)?.size ?? 0;
  }

  /** What an accepted rule clashes with; the rule must be well-formed (and carry its vni). */
  clash(rule: NatRule): NatRuleClash | undefined {
    const family = rule.family;
    const sameNic = this.byUid[family].get(rule.nicUid);
    if (sameNic) return { kind: 'SameNic', holder: sameNic };
    const holder = this.byAddress[family].get(this.space(rule))?.get(rule.privateIp);
    if (holder) return { kind: 'AddressConflict', holder };
    const overlap = this.slots[family].get(rule.natIp)?.overlap(rule.port, rule.endPort);
    if (overlap) return { kind: 'SlotConflict', holder: overlap };
    return undefined;
  }

  /** Accepts a rule that does not clash (clash() said so); `nat` is its natIpOrderKey. */
  add(rule: NatRule, nat: string = natIpOrderKey(rule)): void {
    const family = rule.family;
    this.byUid[family].set(rule.nicUid, rule);
    const space = this.space(rule);
    let addresses = this.byAddress[family].get(space);
    if (!addresses) {
      addresses = new Map();
      this.byAddress[family].set(space, addresses);
    }
    addresses.set(rule.privateIp, rule);
    let ranges = this.slots[family].get(rule.natIp);
    if (!ranges) {
      ranges = new PortRanges();
      this.slots[family].set(rule.natIp, ranges);
    }
    ranges.add(rule);
    this.privateIps.add(`${family}/${rule.privateIp}`);
    if (family === 'IPv6') this.ranges6.add(rule.port * 65536 + rule.endPort);
    if (this.perNetwork) this.vnis.add(rule.vni as number);
    const index = this.position(rule, nat);
    this.sorted.splice(index, 0, rule);
    this.natKeys.splice(index, 0, nat);
  }

  /** Takes an accepted rule (the very object that was added) out. */
  delete(rule: NatRule): void {
    const family = rule.family;
    if (this.byUid[family].get(rule.nicUid) !== rule) return;
    this.byUid[family].delete(rule.nicUid);
    const space = this.space(rule);
    const addresses = this.byAddress[family].get(space);
    addresses?.delete(rule.privateIp);
    if (addresses?.size === 0) this.byAddress[family].delete(space);
    const ranges = this.slots[family].get(rule.natIp);
    ranges?.delete(rule);
    if (ranges?.size === 0) this.slots[family].delete(rule.natIp);
    this.privateIps.delete(`${family}/${rule.privateIp}`);
    if (family === 'IPv6') this.ranges6.delete(rule.port * 65536 + rule.endPort);
    if (this.perNetwork) this.vnis.delete(rule.vni as number);
    const nat = natIpOrderKey(rule);
    const index = this.position(rule, nat);
    if (this.sorted[index] === rule) {
      this.sorted.splice(index, 1);
      this.natKeys.splice(index, 1);
    }
  }

  /**
   * Puts each rule of `next` in the place of the rule of `old` at the same index when that very
   * object is accepted here; returns the new rules put in, in order, and the indexes of the ones
   * that were not. A new rule must equal its old one in everything the book indexes and orders by
   * (family, NIC uid, addresses, ports, vni, gateway), so differ only in its name (or timeouts):
   * the book stays conflict-free and in order. Looks up only by the old rules' strings (hashed
   * before, unlike a new rule's), in one pass over the rules.
   */
  relabel(
    old: readonly NatRule[],
    next: readonly NatRule[],
  ): { relabelled: NatRule[]; skipped: number[] } {
    const skipped: number[] = [];
    for (let i = 0; i < old.length; i += 1) {
      const from = old[i] as NatRule;
      const to = next[i] as NatRule;
      const family = from.family;
      const uids = this.byUid[family];
      if (uids?.get(from.nicUid) !== from) {
        skipped.push(i);
        continue;
      }
      uids.set(from.nicUid, to);
      this.byAddress[family].get(this.space(from))?.set(from.privateIp, to);
      this.slots[family].get(from.natIp)?.replace(from, to);
    }
    const changed = old.length - skipped.length;
    const relabelled: NatRule[] = [];
    for (let i = 0; i < this.sorted.length && relabelled.length < changed; i += 1) {
      const rule = this.sorted[i] as NatRule;
      const now = this.byUid[rule.family].get(rule.nicUid) as NatRule;
      if (now !== rule) {
        this.sorted[i] = now;
        relabelled.push(now);
      }
    }
    return { relabelled, skipped };
  }

  private space(rule: NatRule): number {
    return this.perNetwork ? (rule.vni as number) : 0;
  }

  /** The first index whose rule is not before `rule` in order. */
  private position(rule: NatRule, nat: string): number {
    const last = this.sorted.length - 1;
    // Most additions come in order: at the end.
    if (
      last < 0 ||
      compareNatRulesInOrder(
        this.sorted[last] as NatRule,
        this.natKeys[last] as string,
        rule,
        nat,
      ) < 0
    ) {
      return last + 1;
    }
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = compareNatRulesInOrder(
        this.sorted[mid] as NatRule,
        this.natKeys[mid] as string,
        rule,
        nat,
      );
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
