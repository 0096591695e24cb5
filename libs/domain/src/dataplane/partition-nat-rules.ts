import { canonicalNatAddress, natAddressSortKey } from './nat-address';
import { type NatRule, canonicalNatRule, natRuleKey, sameNatRule, sortNatRules } from './nat-rule';
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

/** The address space a rule's private address lives in: the node, or its network. */
function spaceOf(rule: NatRule, addressSpace: NatAddressSpace): string {
  return addressSpace === 'network' ? `vni ${String(rule.vni)}` : 'node';
}

function spaceText(rule: NatRule, addressSpace: NatAddressSpace): string {
  return addressSpace === 'network' ? ` in network vni ${String(rule.vni)}` : ' on this node';
}

function nicText(rule: NatRule): string {
  return rule.nicName ? `NIC ${rule.nicName} (${rule.nicUid})` : `NIC ${rule.nicUid}`;
}

/** Input order never matters: rules are pre-sorted by what the canonical order does not look at. */
function byContent(rules: readonly NatRule[]): NatRule[] {
  return rules
    .map((rule) => ({
      rule,
      key: `${rule.privateIp}|${rule.vni ?? ''}|${rule.gatewayUid}|${rule.nicName ?? ''}`,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
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
  const rejected: RejectedNatRule[] = [];
  const reject = (rule: NatRule, reason: RejectedNatRule['reason'], why: string) =>
    rejected.push({ rule, reason, message: `${describeNatRule(rule)}: ${why}` });

  const incumbentByKey = new Map<string, NatRule>();
  for (const rule of options.incumbents ?? []) {
    incumbentByKey.set(natRuleKey(rule), canonicalNatRule(rule));
  }

  // Ties of the canonical order (two rules for one NIC) are broken by content, never by input order.
  const ordered = sortNatRules(byContent(desired.map(canonicalNatRule)));
  const ranked: NatRule[][] = [[], [], []];
  for (const rule of ordered) {
    const problems = natRuleShapeProblems(rule);
    if (problems.length === 0 && addressSpace === 'network' && rule.vni === undefined) {
      problems.push('the NIC has no network vni, and this node keeps networks apart');
    }
    const own = problems.length === 0 ? options.dataplaneProblem?.(rule) : undefined;
    if (own !== undefined) problems.push(own);
    if (problems.length > 0) {
      reject(rule, 'InvalidRule', problems.join('; '));
      continue;
    }
    if (
      addressSpace === 'network' &&
      options.networkPresent &&
      !options.networkPresent(rule.vni as number)
    ) {
      reject(
        rule,
        'NetworkInterfaceMissing',
        `the interface of network vni ${String(rule.vni)} does not exist on this node`,
      );
      continue;
    }
    const incumbent = incumbentByKey.get(natRuleKey(rule));
    const rank = !incumbent ? 2 : sameNatRule(incumbent, rule) ? 0 : 1;
    (ranked[rank] as NatRule[]).push(rule);
  }

  const byKey = new Map<string, NatRule>();
  const byAddress = new Map<string, NatRule>();
  const slots = new Map<string, PortRanges>();
  const accepted: NatRule[] = [];
  for (const rule of ranked.flat()) {
    const key = natRuleKey(rule);
    const twin = byKey.get(key);
    if (twin) {
      reject(rule, 'InvalidRule', `the NIC has two rules for ${rule.family}; one is programmed`);
      continue;
    }
    const address = `${spaceOf(rule, addressSpace)}|${rule.family}|${rule.privateIp}`;
    const holder = byAddress.get(address);
    if (holder) {
      reject(
        rule,
        'AddressConflict',
        `private IP ${rule.privateIp}${spaceText(rule, addressSpace)} is already ${nicText(holder)}'s`,
      );
      continue;
    }
    const natKey = `${rule.family}|${natAddressSortKey(canonicalNatAddress(rule.family, rule.natIp) as string)}`;
    const ranges = slots.get(natKey) ?? new PortRanges();
    const overlap = ranges.overlap(rule.port, rule.endPort);
    if (overlap) {
      reject(
        rule,
        'SlotConflict',
        `ports ${rule.port}-${rule.endPort} on ${rule.natIp} overlap ${nicText(overlap)}'s ` +
          `(${overlap.port}-${overlap.endPort})`,
      );
      continue;
    }
    ranges.add(rule);
    slots.set(natKey, ranges);
    byKey.set(key, rule);
    byAddress.set(address, rule);
    accepted.push(rule);
  }

  const order = new Map(ordered.map((r, i) => [r, i]));
  const position = (r: NatRule) => order.get(r) ?? 0;
  return {
    accepted: sortNatRules(accepted),
    rejected: rejected.sort((a, b) => position(a.rule) - position(b.rule)),
  };
}
