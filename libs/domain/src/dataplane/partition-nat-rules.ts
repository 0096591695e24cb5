import { NAT_RULE_COMPARED_FIELDS, type NatRule, canonicalNatRule, natRuleKey } from './nat-rule';
import { NatRuleBook, compareNatRulesInOrder, natIpOrderKey } from './nat-rule-book';
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

/**
 * The canonical rules in sortNatRules order, ties (two rules for one NIC) broken by the fields
 * that order does not look at, so that input order never matters. One sort.
 */
function ordered(rules: readonly NatRule[]): OrderEntry[] {
  return rules
    .map((rule): OrderEntry => {
      const canonical = canonicalNatRule(rule);
      return { rule: canonical, nat: natIpOrderKey(canonical) };
    })
    .sort((x, y) => compareNatRulesInOrder(x.rule, x.nat, y.rule, y.nat));
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
  return new IncrementalNatPartition().full(desired, options);
}

/**
 * Places canonical rules in order into `book` as partitionNatRules does (malformed ones rejected
 * first; the rest by rank 0, 1, 2, each in order, unless they clash with one placed before);
 * returns the rules accepted and the rejections, each in order.
 */
function placeAll(
  book: NatRuleBook,
  entries: readonly OrderEntry[],
  options: Omit<NatRulePartitionOptions, 'incumbents'>,
  rankOf: (rule: NatRule) => 0 | 1 | 2,
): { accepted: NatRule[]; rejected: RejectedNatRule[] } {
  const { addressSpace } = options;
  const perNetwork = addressSpace === 'network';
  const rank = new Uint8Array(entries.length);
  const outcome: (RejectedNatRule | 'accepted' | undefined)[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i += 1) {
    const rule = (entries[i] as OrderEntry).rule;
    rank[i] = rankOf(rule);
    const problems = natRuleShapeProblems(rule);
    if (problems.length === 0 && perNetwork && rule.vni === undefined) {
      problems.push('the NIC has no network vni, and this node keeps networks apart');
    }
    const own = problems.length === 0 ? options.dataplaneProblem?.(rule) : undefined;
    if (own !== undefined) problems.push(own);
    if (problems.length > 0) outcome[i] = rejection(rule, 'InvalidRule', problems.join('; '));
  }

  const present = new Map<number, boolean>();
  /** Whether network vni's interface exists, asked once per network. */
  const networkPresent = (vni: number): boolean => {
    const check = options.networkPresent;
    if (!check) return true;
    let known = present.get(vni);
    if (known === undefined) {
      known = check(vni);
      present.set(vni, known);
    }
    return known;
  };

  // Only well-formed rules get here: family is IPv4 or IPv6, and in network mode vni is set.
  for (const pass of [0, 1, 2]) {
    for (let i = 0; i < entries.length; i += 1) {
      if (rank[i] !== pass || outcome[i] !== undefined) continue;
      const { rule, nat } = entries[i] as OrderEntry;
      if (perNetwork && !networkPresent(rule.vni as number)) {
        outcome[i] = rejection(
          rule,
          'NetworkInterfaceMissing',
          `the interface of network vni ${String(rule.vni)} does not exist on this node`,
        );
        continue;
      }
      const clash = book.clash(rule);
      if (!clash) {
        book.add(rule, nat);
        outcome[i] = 'accepted';
        continue;
      }
      const other = clash.holder;
      outcome[i] =
        clash.kind === 'SameNic'
          ? rejection(
              rule,
              'InvalidRule',
              `the NIC has two rules for ${rule.family}; one is programmed`,
            )
          : clash.kind === 'AddressConflict'
            ? rejection(
                rule,
                'AddressConflict',
                `private IP ${rule.privateIp}${spaceText(rule, addressSpace)} is already ${nicText(other)}'s`,
              )
            : rejection(
                rule,
                'SlotConflict',
                `ports ${rule.port}-${rule.endPort} on ${rule.natIp} overlap ${nicText(other)}'s ` +
                  `(${other.port}-${other.endPort})`,
              );
    }
  }
  const accepted: NatRule[] = [];
  const rejected: RejectedNatRule[] = [];
  for (let i = 0; i < entries.length; i += 1) {
    const result = outcome[i];
    if (result === 'accepted') accepted.push((entries[i] as OrderEntry).rule);
    else if (result) rejected.push(result);
  }
  return { accepted, rejected };
}

/** A partition, and how its accepted rules differ from the previous partition's. */
export interface NatPartitionChange {
  readonly partition: NatRulePartition;
  /** Accepted now and not before, or now with other values or name (canonical, in order). */
  readonly added: readonly NatRule[];
  /** Accepted before and not now, or before with other values or name. */
  readonly removed: readonly NatRule[];
}

/** The desired rules by family and NIC uid; undefined when a key is there twice. */
function keyed(
  desired: readonly NatRule[],
): Record<'IPv4' | 'IPv6', Map<string, NatRule>> | undefined {
  const maps = { IPv4: new Map<string, NatRule>(), IPv6: new Map<string, NatRule>() };
  for (const rule of desired) {
    const map = maps[rule.family];
    if (!map || map.has(rule.nicUid)) return undefined;
    map.set(rule.nicUid, rule);
  }
  return maps;
}

/**
 * What changed between two desired tables: rules new or different, rules gone, and rules that
 * differ only in their NIC's name (the name is rendered, but never moves a rule's placement).
 */
interface InputDiff {
  readonly changed: NatRule[];
  readonly gone: NatRule[];
  /** Renamed rules as they are now, and as they were (same index). */
  readonly renamed: NatRule[];
  readonly renamedFrom: NatRule[];
}

/** Orders desired rules by family, then NIC uid (the order the node's table is read in). */
function compareKeys(a: NatRule, b: NatRule): number {
  return a.family === b.family
    ? a.nicUid === b.nicUid
      ? 0
      : a.nicUid < b.nicUid
        ? -1
        : 1
    : a.family < b.family
      ? -1
      : 1;
}

/**
 * The diff of two tables that are both strictly in compareKeys order, in one merge walk with no
 * allocation per rule; undefined when either is not (then diffKeyed), or past `limit` changes
 * (renames not counted).
 */
function diffSorted(
  before: readonly NatRule[],
  now: readonly NatRule[],
  limit: number,
): InputDiff | undefined | 'over' {
  const changed: NatRule[] = [];
  const gone: NatRule[] = [];
  const renamed: NatRule[] = [];
  const renamedFrom: NatRule[] = [];
  let i = 0;
  let j = 0;
  while (i < now.length || j < before.length) {
    const next = now[i];
    const old = before[j];
    if (next && i > 0 && compareKeys(now[i - 1] as NatRule, next) >= 0) return undefined;
    if (old && j > 0 && compareKeys(before[j - 1] as NatRule, old) >= 0) return undefined;
    const order = !next ? 1 : !old ? -1 : compareKeys(next, old);
    if (order === 0) {
      if (!samePlacement(old as NatRule, next as NatRule)) changed.push(next as NatRule);
      else if (old?.nicName !== next?.nicName) {
        renamed.push(next as NatRule);
        renamedFrom.push(old as NatRule);
      }
      i += 1;
      j += 1;
    } else if (order < 0) {
      changed.push(next as NatRule);
      i += 1;
    } else {
      gone.push(old as NatRule);
      j += 1;
    }
    if (changed.length + gone.length > limit) return 'over';
  }
  return { changed, gone, renamed, renamedFrom };
}

/**
 * The diff of two tables in any order; undefined for a NIC twice or past `limit` changes (renames
 * not counted).
 */
function diffKeyed(
  before: readonly NatRule[],
  now: readonly NatRule[],
  limit: number,
): InputDiff | undefined {
  const old = keyed(before);
  const next = keyed(now);
  if (!old || !next) return undefined;
  const changed: NatRule[] = [];
  const gone: NatRule[] = [];
  const renamed: NatRule[] = [];
  const renamedFrom: NatRule[] = [];
  for (const family of ['IPv4', 'IPv6'] as const) {
    for (const [uid, rule] of next[family]) {
      const previous = old[family].get(uid);
      if (!previous || !samePlacement(previous, rule)) changed.push(rule);
      else if (previous.nicName !== rule.nicName) {
        renamed.push(rule);
        renamedFrom.push(previous);
      }
    }
    for (const [uid, rule] of old[family]) if (!next[family].has(uid)) gone.push(rule);
  }
  return changed.length + gone.length > limit ? undefined : { changed, gone, renamed, renamedFrom };
}

/**
 * Whether two desired rules of one NIC and family are the same input in everything but the NIC's
 * name (which is rendered, so a rename is a change too, but never moves the rule).
 */
function samePlacement(a: NatRule, b: NatRule): boolean {
  return (
    a.privateIp === b.privateIp &&
    a.natIp === b.natIp &&
    a.port === b.port &&
    a.endPort === b.endPort &&
    a.gatewayUid === b.gatewayUid &&
    a.vni === b.vni &&
    a.timeouts === b.timeouts
  );
}

/**
 * partitionNatRules kept between calls, for a dataplane that applies one table after another:
 * after a full partition, update() partitions the next desired table in time proportional to
 * what changed, with the same result partitionNatRules gives with the previous partition's
 * accepted rules as incumbents. That holds because those rules are conflict-free, so the unchanged
 * ones (rank 0) are all accepted again; only changed, new and previously rejected rules are
 * placed, in the same ranks and order, against the same rules.
 */
export class IncrementalNatPartition {
  private book: NatRuleBook | undefined;
  /** The last desired table as given, and the rules rejected from it. */
  private input: readonly NatRule[] | undefined;
  private rejected: readonly RejectedNatRule[] = [];

  /** The accepted rules of the last partition, in order. */
  get accepted(): NatRule[] {
    return this.book?.rules() ?? [];
  }

  /** The last partition's accepted rules with their indexes and counts (read only). */
  get current(): NatRuleBook | undefined {
    return this.book;
  }

  /** partitionNatRules, remembered for update(). */
  full(desired: readonly NatRule[], options: NatRulePartitionOptions): NatRulePartition {
    const book = new NatRuleBook(options.addressSpace === 'network');
    const incumbentOf = byFamily<NatRule>();
    for (const rule of options.incumbents ?? []) incumbentOf[rule.family]?.set(rule.nicUid, rule);
    const { rejected } = placeAll(book, ordered(desired), options, (rule) => {
      const incumbent = incumbentOf[rule.family]?.get(rule.nicUid);
      return !incumbent ? 2 : sameValues(canonicalNatRule(incumbent), rule) ? 0 : 1;
    });
    this.book = book;
    this.input = desired.slice();
    this.rejected = rejected;
    return { accepted: book.rules(), rejected };
  }

  /**
   * The partition of `desired` with the last partition's accepted rules as incumbents, and what
   * changed; undefined (nothing changed here) when it cannot be done incrementally: no partition
   * yet, a NIC twice in `desired`, or more than `limit` rules changed. The caller guarantees that
   * the options are the last call's, and that networkPresent answers as before for every network
   * that has accepted rules.
   */
  update(
    desired: readonly NatRule[],
    options: Omit<NatRulePartitionOptions, 'incumbents'>,
    limit: number,
  ): NatPartitionChange | undefined {
    const book = this.book;
    const before = this.input;
    if (!book || !before || (options.addressSpace === 'network') !== book.perNetwork) {
      return undefined;
    }
    const sorted = diffSorted(before, desired, limit);
    if (sorted === 'over') return undefined;
    const diff = sorted ?? diffKeyed(before, desired, limit);
    if (!diff) return undefined;
    const { changed: toPlace, gone } = diff;
    if (this.rejected.length > 0) {
      // Rules rejected last time and still wanted as they were are placed again: the clash may
      // be gone.
      const handled = new Set([...toPlace, ...gone, ...diff.renamed].map(natRuleKey));
      for (const { rule } of this.rejected) if (!handled.has(natRuleKey(rule))) toPlace.push(rule);
    }
    // From here on the book changes. A rule renamed and accepted last time is accepted again,
    // where it was: with every other unchanged rule it is one of the conflict-free incumbents
    // placed first (rank 0). It only takes its new name, however many there are. An accepted
    // rule given canonical is in the book as given, and the renamed one is canonical too (unless
    // its name is empty); the rest are placed again (a rule rejected last time, and any other).
    const renamedTo = diff.renamed.map((rule) =>
      rule.nicName === '' ? canonicalNatRule(rule) : rule,
    );
    const { relabelled, skipped } = book.relabel(diff.renamedFrom, renamedTo);
    const skippedFrom = new Set(skipped);
    const renamedFrom =
      skipped.length === 0
        ? diff.renamedFrom
        : diff.renamedFrom.filter((_, i) => !skippedFrom.has(i));
    for (const i of skipped) toPlace.push(diff.renamed[i] as NatRule);
    const removed: NatRule[] = renamedFrom;
    const incumbentOf = byFamily<NatRule>();
    for (const rule of [...gone, ...toPlace]) {
      const old = book.get(rule.family, rule.nicUid);
      if (!old) continue;
      incumbentOf[rule.family]?.set(rule.nicUid, old);
      book.delete(old);
      removed.push(old);
    }
    const { accepted, rejected } = placeAll(book, ordered(toPlace), options, (rule) => {
      const incumbent = incumbentOf[rule.family]?.get(rule.nicUid);
      return !incumbent ? 2 : sameValues(incumbent, rule) ? 0 : 1;
    });
    const all = book.rules();
    // Renamed rules are neither gone nor placed again (their keys are in neither list).
    const added = mergeInOrder(relabelled, accepted);
    this.input = desired.slice();
    this.rejected = rejected;
    return { partition: { accepted: all, rejected }, added, removed };
  }

  /** Forgets the last partition: the next must be full(). */
  reset(): void {
    this.book = undefined;
    this.input = undefined;
    this.rejected = [];
  }
}

/** Two lists of canonical rules, each in order, as one list in order. */
function mergeInOrder(a: readonly NatRule[], b: readonly NatRule[]): NatRule[] {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  const merged: NatRule[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as NatRule;
    const y = b[j] as NatRule;
    if (compareNatRulesInOrder(x, natIpOrderKey(x), y, natIpOrderKey(y)) <= 0) {
      merged.push(x);
      i += 1;
    } else {
      merged.push(y);
      j += 1;
    }
  }
  return merged.concat(a.slice(i), b.slice(j));
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
