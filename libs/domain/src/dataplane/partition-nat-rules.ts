import { canonicalNatAddress, natAddressSortKey } from './nat-address';
import { NAT_RULE_COMPARED_FIELDS, type NatRule, canonicalNatRule } from './nat-rule';
import { describeNatRule, natRuleShapeProblems } from './nat-rule-problems';

/** Why a dataplane leaves one rule of the desired table out (every other rule is programmed). */
export type NatRuleRejectionReason =
  /** Another NIC on the node uses the same private address in the same address space. */
  | 'AddressConflict'
  /** The rule's port range on its NAT IP overlaps another NIC's. */
  | 'SlotConflict'
  /** The rule is malformed (address, ports, family, vni), or the NIC has two rules for one family. */
  | 'InvalidRule'
  /** The network's interface (DATAPLANE_NETWORK_INTERFACE) is missing on the node. */
  | 'NetworkInterfaceMissing';

/** One rule that cannot be programmed, and why. */
export interface RejectedNatRule {
  readonly rule: NatRule;
  readonly reason: NatRuleRejectionReason;
  readonly message: string;
}

/**
 * How a node tells NICs apart. `node`: by private address alone, one address space for the whole
 * node (a rule's vni is ignored). `network`: by (vni, private address), every network its own
 * address space; a rule must then carry its vni.
 */
export type NatAddressSpace = 'node' | 'network';

export interface NatRulePartitionOptions {
  readonly addressSpace: NatAddressSpace;
  /**
   * The rules in effect now (read back or last applied). A desired rule equal to one of them is
   * placed first, then rules of NICs that are in effect with other values, then newcomers: the
   * incumbent keeps its address and slot, and a newcomer that clashes with it is the one rejected.
   */
  readonly incumbents?: readonly NatRule[];
  /** Network mode: whether the network's interface exists on the node (all exist when unset). */
  readonly networkPresent?: (vni: number) => boolean;
  /** A dataplane's own limit on single rules (e.g. an encoding that does not fit): a message. */
  readonly dataplaneProblem?: (rule: NatRule) => string | undefined;
}

/** The desired table split into what a dataplane programs and what it leaves out. */
export interface NatRulePartition {
  /** Canonical rules, conflict-free, in sortNatRules order. */
  readonly accepted: NatRule[];
  /** In sortNatRules order of their rules. */
  readonly rejected: RejectedNatRule[];
}

function spaceText(rule: NatRule, addressSpace: NatAddressSpace): string {
  return addressSpace === 'network' ? ` in network vni ${String(rule.vni)}` : ' on this node';
}

function nicText(rule: NatRule): string {
  return rule.nicName ? `NIC ${rule.nicName} (${rule.nicUid})` : `NIC ${rule.nicUid}`;
}

interface OrderEntry {
  readonly rule: NatRule;
  readonly nat: string;
}

function compareStrings(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** sortNatRules' order, field by field; ties broken by what that order does not look at. */
function compareEntries(x: OrderEntry, y: OrderEntry): number {
  const a = x.rule;
  const b = y.rule;
  return (
    compareStrings(a.family, b.family) ||
    compareStrings(x.nat, y.nat) ||
    a.port - b.port ||
    a.endPort - b.endPort ||
    compareStrings(a.nicUid, b.nicUid) ||
    compareStrings(a.privateIp, b.privateIp) ||
    (a.vni ?? 0) - (b.vni ?? 0) ||
    compareStrings(a.gatewayUid, b.gatewayUid) ||
    compareStrings(a.nicName ?? '', b.nicName ?? '')
  );
}

/**
 * The canonical rules in sortNatRules order, ties (two rules for one NIC) broken by the fields
 * that order does not look at, so that input order never matters. One sort.
 */
function ordered(rules: readonly NatRule[]): NatRule[] {
  return rules
    .map((rule): OrderEntry => {
      const canonical = canonicalNatRule(rule);
      const nat = canonicalNatAddress(canonical.family, canonical.natIp);
      return {
        rule: canonical,
        nat: nat === undefined ? `~${canonical.natIp}` : natAddressSortKey(nat),
      };
    })
    .sort(compareEntries)
    .map((entry) => entry.rule);
}

/** The accepted port ranges on one NAT IP, disjoint and sorted by first port. */
class PortRanges {
  private readonly rules: NatRule[] = [];

  /** The accepted rule whose range overlaps port..endPort, if any. */
  overlap(port: number, endPort: number): NatRule | undefined {
    // First range whose end is at or above port: ranges are disjoint, so ends are sorted too.
    let lo = 0;
    let hi = this.rules.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.rules[mid] as NatRule).endPort < port) lo = mid + 1;
      else hi = mid;
    }
    const candidate = this.rules[lo];
    return candidate && candidate.port <= endPort ? candidate : undefined;
  }

  add(rule: NatRule): void {
    let index = this.rules.length;
    // Usually appended: rules arrive in canonical (port) order within each rank.
    while (index > 0 && (this.rules[index - 1] as NatRule).port > rule.port) index -= 1;
    this.rules.splice(index, 0, rule);
  }
}

/**
 * Splits a node's desired NAT table into the rules a dataplane programs and the ones it rejects,
 * one by one, so that one bad or clashing rule never blocks the others. Deterministic (the order
 * of `desired` does not matter) and "incumbent wins":
 *
 * - a malformed rule (natRuleShapeProblems, a missing vni in network mode, dataplaneProblem) is
 *   rejected with InvalidRule; in network mode a rule whose network interface is missing with
 *   NetworkInterfaceMissing;
 * - the rest are taken in rank order (equal to an incumbent, then NICs in effect with other
 *   values, then newcomers), each rank in sortNatRules order, and each is accepted unless it
 *   clashes with a rule accepted before it: a second rule for the NIC and family (InvalidRule),
 *   the same private address of the family in the same address space (AddressConflict), or a port
 *   range overlapping another on the same NAT IP (SlotConflict). Messages name the other NIC.
 */
export function partitionNatRules(
  desired: readonly NatRule[],
  options: NatRulePartitionOptions,
): NatRulePartition {
  const { addressSpace } = options;
  const perNetwork = addressSpace === 'network';

  // Everything below is keyed by the rule's own fields (family, then uid, address or NAT IP):
  // no key strings are built, so a table of 50,000 rules costs one pass and no garbage per rule.
  const incumbentOf = byFamily<NatRule>();
  for (const rule of options.incumbents ?? []) incumbentOf[rule.family]?.set(rule.nicUid, rule);

  const rules = ordered(desired);
  const rank = new Uint8Array(rules.length);
  const outcome: (RejectedNatRule | 'accepted' | undefined)[] = new Array(rules.length);
  for (let i = 0; i < rules.length; i += 1) {
    const rule = rules[i] as NatRule;
    const incumbent = incumbentOf[rule.family]?.get(rule.nicUid);
    rank[i] = !incumbent ? 2 : sameValues(canonicalNatRule(incumbent), rule) ? 0 : 1;
    const problems = natRuleShapeProblems(rule);
    if (problems.length === 0 && perNetwork && rule.vni === undefined) {
      problems.push('the NIC has no network vni, and this node keeps networks apart');
    }
    const own = problems.length === 0 ? options.dataplaneProblem?.(rule) : undefined;
    if (own !== undefined) problems.push(own);
    if (problems.length > 0) outcome[i] = rejection(rule, 'InvalidRule', problems.join('; '));
  }

  // Only well-formed rules get here: family is IPv4 or IPv6, and in network mode vni is set.
  const byKey = { IPv4: new Set<string>(), IPv6: new Set<string>() };
  /** Family -> address space (the vni, or 0 for the node) -> private address -> holder. */
  const byAddress = {
    IPv4: new Map<number, Map<string, NatRule>>(),
    IPv6: new Map<number, Map<string, NatRule>>(),
  };
  /** Family -> NAT IP -> accepted port ranges. */
  const slots = { IPv4: new Map<string, PortRanges>(), IPv6: new Map<string, PortRanges>() };
  const present = new Map<number, boolean>();
  for (const pass of [0, 1, 2]) {
    for (let i = 0; i < rules.length; i += 1) {
      if (rank[i] !== pass || outcome[i] !== undefined) continue;
      outcome[i] = place(rules[i] as NatRule);
    }
  }

  /** Whether network vni's interface exists, asked once per network. */
  function networkPresent(vni: number): boolean {
    const check = options.networkPresent;
    if (!check) return true;
    let known = present.get(vni);
    if (known === undefined) {
      known = check(vni);
      present.set(vni, known);
    }
    return known;
  }

  /** Accepts the rule unless it clashes with one accepted before; the rejection otherwise. */
  function place(rule: NatRule): RejectedNatRule | 'accepted' {
    if (perNetwork && !networkPresent(rule.vni as number)) {
      return rejection(
        rule,
        'NetworkInterfaceMissing',
        `the interface of network vni ${String(rule.vni)} does not exist on this node`,
      );
    }
    const family = rule.family;
    const keys = byKey[family];
    if (keys.has(rule.nicUid)) {
      return rejection(
        rule,
        'InvalidRule',
        `the NIC has two rules for ${rule.family}; one is programmed`,
      );
    }
    const space = perNetwork ? (rule.vni as number) : 0;
    let addresses = byAddress[family].get(space);
    const holder = addresses?.get(rule.privateIp);
    if (holder) {
      return rejection(
        rule,
        'AddressConflict',
        `private IP ${rule.privateIp}${spaceText(rule, addressSpace)} is already ${nicText(holder)}'s`,
      );
    }
    let ranges = slots[family].get(rule.natIp);
    const overlap = ranges?.overlap(rule.port, rule.endPort);
    if (overlap) {
      return rejection(
        rule,
        'SlotConflict',
        `ports ${rule.port}-${rule.endPort} on ${rule.natIp} overlap ${nicText(overlap)}'s ` +
          `(${overlap.port}-${overlap.endPort})`,
      );
    }
    if (!ranges) {
      ranges = new PortRanges();
      slots[family].set(rule.natIp, ranges);
    }
    if (!addresses) {
      addresses = new Map();
      byAddress[family].set(space, addresses);
    }
    ranges.add(rule);
    keys.add(rule.nicUid);
    addresses.set(rule.privateIp, rule);
    return 'accepted';
  }

  const accepted: NatRule[] = [];
  const rejected: RejectedNatRule[] = [];
  for (let i = 0; i < rules.length; i += 1) {
    const rule = rules[i] as NatRule;
    const result = outcome[i];
    if (result === 'accepted') accepted.push(rule);
    else if (result) rejected.push(result);
  }
  return { accepted, rejected };
}

/** One map per family (undefined for a family that is neither, as a malformed rule may have). */
function byFamily<V>(): Partial<Record<string, Map<string, V>>> {
  return { IPv4: new Map<string, V>(), IPv6: new Map<string, V>() };
}

/** sameNatRule for two rules already known to share family and NIC uid. */
function sameValues(a: NatRule, b: NatRule): boolean {
  for (const field of NAT_RULE_COMPARED_FIELDS) if (a[field] !== b[field]) return false;
  return true;
}

function rejection(rule: NatRule, reason: RejectedNatRule['reason'], why: string): RejectedNatRule {
  return { rule, reason, message: `${describeNatRule(rule)}: ${why}` };
}
