import type { NatRule, NatRuleBook } from '@natgw/domain';
import {
  NATIP6_MAP,
  NETADDR4_MAP,
  NETADDR6_MAP,
  NETID_MAP,
  NETZONE_MAP,
  NATIPS4_SET,
  NATIPS6_SET,
  NICS4_SET,
  NICS6_SET,
  SNAT4_MAP,
  SNAT6_VMAP,
  snat6RangeChainName,
  snat6RangeRule,
} from './nat-table-layout';
import {
  type NatNetwork,
  type NatTableLayout,
  SHARED_LAYOUT,
  natElementKey,
  natip6Element,
  networkElements,
  replyAddressElement,
  snat4Element,
  snat6Element,
  snat6RangeChains,
  timeoutsElement,
} from './render-nat-ruleset';
import {
  TIMEOUTS4_VMAP,
  TIMEOUTS6_VMAP,
  addTimeoutProfile,
  deleteTimeoutProfile,
  timeoutProfileKeys,
} from './nat-timeouts-layout';

/** Timeout profiles (`IPv4/<profile>`) a change drops and adds: their objects and chains. */
export interface TimeoutProfileChange {
  readonly drop: readonly string[];
  readonly add: readonly string[];
}

/** The profiles in `before` and not in `after` (drop), and the other way round (add). */
export function timeoutProfileChange(
  before: ReadonlySet<string>,
  after: ReadonlySet<string>,
): TimeoutProfileChange {
  return {
    drop: [...before].filter((k) => !after.has(k)).sort(),
    add: [...after].filter((k) => !before.has(k)).sort(),
  };
}

const NO_PROFILE_CHANGE: TimeoutProfileChange = { drop: [], add: [] };

function profileLines(
  table: string,
  keys: readonly string[],
  render: typeof addTimeoutProfile,
): string[] {
  return keys.flatMap((key) => {
    const [family, profile] = key.split('/') as ['IPv4' | 'IPv6', string];
    return render(table, family, profile);
  });
}

/** Rules by what nft keys their elements by: family and element key. */
function byElementKey(rules: readonly NatRule[], layout: NatTableLayout): Map<string, NatRule> {
  return new Map(rules.map((r) => [`${r.family}/${natElementKey(layout, r)}`, r]));
}

function sameElements(a: NatRule, b: NatRule): boolean {
  return (
    a.nicUid === b.nicUid &&
    a.vni === b.vni &&
    a.gatewayUid === b.gatewayUid &&
    (a.nicName ?? '') === (b.nicName ?? '') &&
    a.natIp === b.natIp &&
    a.port === b.port &&
    a.endPort === b.endPort &&
    a.timeouts === b.timeouts
  );
}

/** The addresses of a field in use, per family (`IPv4/10.0.0.2`). */
function inUse(rules: readonly NatRule[], field: 'natIp' | 'privateIp'): Set<string> {
  return new Set(rules.map((r) => `${r.family}/${r[field]}`));
}

function networksOf(layout: NatTableLayout): Map<number, NatNetwork> {
  return layout.mode === 'network' ? new Map(layout.networks) : new Map();
}

class Batch {
  private readonly lists = new Map<string, string[]>();
  constructor(
    private readonly verb: 'add' | 'delete',
    private readonly table: string,
  ) {}
  push(set: string, item: string): void {
    const list = this.lists.get(set) ?? [];
    list.push(item);
    this.lists.set(set, list);
  }
  lines(order: readonly string[]): string[] {
    return order
      .filter((set) => (this.lists.get(set)?.length ?? 0) > 0)
      .map(
        (set) =>
          `${this.verb} element inet ${this.table} ${set} { ${(this.lists.get(set) as string[]).join(', ')} }`,
      );
  }
}

// Map elements before set members and chains: nft refuses to drop a chain still jumped to.
const ORDER = [
  TIMEOUTS4_VMAP,
  TIMEOUTS6_VMAP,
  SNAT4_MAP,
  SNAT6_VMAP,
  NATIP6_MAP,
  NICS4_SET,
  NICS6_SET,
  NATIPS4_SET,
  NATIPS6_SET,
  NETID_MAP,
  NETZONE_MAP,
  NETADDR4_MAP,
  NETADDR6_MAP,
];

/**
 * One `nft -f` transaction that turns natgw's table holding exactly `from` (laid out as
 * `fromLayout`) into one holding exactly `to` (as `toLayout`) by adding and deleting elements
 * (and IPv6 range chains), instead of redefining the table. Both layouts must have the same mode;
 * both lists must be valid for their layout and canonical; order does not matter. Empty text means
 * nothing to do. Deletions come first, so a NIC whose element changes is deleted and re-added in
 * the same transaction; if `from` is not what the kernel holds, nft fails the whole transaction
 * and nothing changes. Work is proportional to the table for the comparison, and to the change
 * for the text.
 */
export function renderNatChanges(
  from: readonly NatRule[],
  to: readonly NatRule[],
  table: string,
  fromLayout: NatTableLayout = SHARED_LAYOUT,
  toLayout: NatTableLayout = fromLayout,
): string {
  const mode = toLayout.mode;
  const before = byElementKey(from, fromLayout);
  const after = byElementKey(to, toLayout);
  const deletes = new Batch('delete', table);
  const adds = new Batch('add', table);
  for (const [key, old] of before) {
    const next = after.get(key);
    if (!next || !sameElements(old, next)) deleteElements(deletes, old, fromLayout);
  }
  for (const [key, next] of after) {
    const old = before.get(key);
    if (!old || !sameElements(old, next)) addElements(adds, next, toLayout);
  }
  // Set members are shared by every rule with the address (in network mode several networks may
  // use one private address): they go when the last user goes, and come with the first.
  for (const [field, v4, v6] of [
    ['privateIp', NICS4_SET, NICS6_SET],
    ['natIp', NATIPS4_SET, NATIPS6_SET],
  ] as const) {
    const usedBefore = inUse(from, field);
    const usedAfter = inUse(to, field);
    for (const key of usedBefore) {
      if (usedAfter.has(key)) continue;
      const [family, address] = key.split(/\/(.*)/s) as [string, string];
      deletes.push(family === 'IPv4' ? v4 : v6, address);
    }
    for (const key of usedAfter) {
      if (usedBefore.has(key)) continue;
      const [family, address] = key.split(/\/(.*)/s) as [string, string];
      adds.push(family === 'IPv4' ? v4 : v6, address);
    }
  }
  networkChanges(fromLayout, toLayout, deletes, adds);

  const fromChains = snat6RangeChains(from);
  const toChains = snat6RangeChains(to);
  const dropChains = [...fromChains.keys()].filter((name) => !toChains.has(name));
  const newChains = [...toChains].filter(([name]) => !fromChains.has(name)).map(([, r]) => r);
  const profiles = timeoutProfileChange(timeoutProfileKeys(from), timeoutProfileKeys(to));
  return transaction(table, mode, deletes, adds, dropChains, newChains, profiles);
}

/** Deletes a rule's map elements (keyed as in `layout`). */
function deleteElements(deletes: Batch, rule: NatRule, layout: NatTableLayout): void {
  const element = natElementKey(layout, rule);
  if (rule.timeouts !== undefined) {
    deletes.push(rule.family === 'IPv4' ? TIMEOUTS4_VMAP : TIMEOUTS6_VMAP, element);
  }
  if (rule.family === 'IPv4') deletes.push(SNAT4_MAP, element);
  else {
    deletes.push(SNAT6_VMAP, element);
    deletes.push(NATIP6_MAP, element);
  }
}

/** Adds a rule's map elements (laid out as `layout`). */
function addElements(adds: Batch, rule: NatRule, layout: NatTableLayout): void {
  // The profile's chain must already be there: the backend redefines the table when a change
  // needs a profile the table does not have (NftablesBackend, timeout profiles).
  if (rule.timeouts !== undefined) {
    adds.push(
      rule.family === 'IPv4' ? TIMEOUTS4_VMAP : TIMEOUTS6_VMAP,
      timeoutsElement(rule, layout),
    );
  }
  if (rule.family === 'IPv4') adds.push(SNAT4_MAP, snat4Element(rule, layout));
  else {
    adds.push(SNAT6_VMAP, snat6Element(rule, layout));
    adds.push(NATIP6_MAP, natip6Element(rule, layout));
  }
}

/** Element edits for the networks that go, come or change id (network mode). */
function networkChanges(
  fromLayout: NatTableLayout,
  toLayout: NatTableLayout,
  deletes: Batch,
  adds: Batch,
): void {
  // An id never changes while its network stays on the node.
  const netsBefore = networksOf(fromLayout);
  const netsAfter = networksOf(toLayout);
  for (const [vni, network] of netsBefore) {
    const next = netsAfter.get(vni);
    if (next && next.id === network.id && next.ifname === network.ifname) continue;
    deletes.push(NETID_MAP, `"${network.ifname}"`);
    deletes.push(NETZONE_MAP, `"${network.ifname}"`);
    deletes.push(NETADDR4_MAP, String(network.id));
    deletes.push(NETADDR6_MAP, String(network.id));
  }
  for (const [vni, network] of netsAfter) {
    const old = netsBefore.get(vni);
    if (old && old.id === network.id && old.ifname === network.ifname) continue;
    adds.push(NETID_MAP, networkElements(network));
    adds.push(NETZONE_MAP, networkElements(network));
    adds.push(NETADDR4_MAP, replyAddressElement(network, 'IPv4'));
    adds.push(NETADDR6_MAP, replyAddressElement(network, 'IPv6'));
  }
}

/** The transaction's text: deletions, dropped chains, new chains, additions ('' for none). */
function transaction(
  table: string,
  mode: NatTableLayout['mode'],
  deletes: Batch,
  adds: Batch,
  dropChains: readonly string[],
  newChains: readonly { port: number; endPort: number }[],
  profiles: TimeoutProfileChange = NO_PROFILE_CHANGE,
): string {
  const lines = [...deletes.lines(ORDER)];
  for (const name of dropChains) {
    lines.push(`flush chain inet ${table} ${name}`, `delete chain inet ${table} ${name}`);
  }
  lines.push(...profileLines(table, profiles.drop, deleteTimeoutProfile));
  lines.push(...profileLines(table, profiles.add, addTimeoutProfile));
  // New chains before the elements that jump to them.
  for (const { port, endPort } of newChains) {
    const name = snat6RangeChainName(port, endPort);
    lines.push(
      `add chain inet ${table} ${name}`,
      `add rule inet ${table} ${name} ${snat6RangeRule(port, endPort, mode).text}`,
    );
  }
  lines.push(...adds.lines(ORDER));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** How many accepted rules use a shared member after a change (NatRuleBook's counts). */
export interface NatMemberUsage {
  /** Rules with this private address of the family (any network). */
  privateIp(family: NatRule['family'], address: string): number;
  /** Rules with this NAT IP of the family. */
  natIp(family: NatRule['family'], address: string): number;
  /** IPv6 rules with this port range. */
  range6(port: number, endPort: number): number;
}

/** A NatRuleBook's counts as NatMemberUsage. */
export function bookUsage(book: NatRuleBook): NatMemberUsage {
  return {
    privateIp: (family, address) => book.privateIpCount(family, address),
    natIp: (family, address) => book.natIpCount(family, address),
    range6: (port, endPort) => book.range6Count(port, endPort),
  };
}

/**
 * renderNatChanges for a change given as the rules that left and came (`removed` laid out as
 * `fromLayout`, `added` as `toLayout`) and the member counts after it: work and text are
 * proportional to the change, not to the table.
 */
export function renderNatDelta(
  removed: readonly NatRule[],
  added: readonly NatRule[],
  usage: NatMemberUsage,
  table: string,
  fromLayout: NatTableLayout,
  toLayout: NatTableLayout,
  profiles: TimeoutProfileChange = NO_PROFILE_CHANGE,
): string {
  const deletes = new Batch('delete', table);
  const adds = new Batch('add', table);
  for (const old of removed) deleteElements(deletes, old, fromLayout);
  for (const next of added) addElements(adds, next, toLayout);
  // A member goes when its last user goes and comes with its first: its count before the change
  // is the count after, minus the rules that came, plus those that left.
  for (const [field, v4, v6] of [
    ['privateIp', NICS4_SET, NICS6_SET],
    ['natIp', NATIPS4_SET, NATIPS6_SET],
  ] as const) {
    const delta = new Map<string, { rule: NatRule; by: number }>();
    const count = (rule: NatRule, by: number) => {
      const key = `${rule.family}/${rule[field]}`;
      const entry = delta.get(key) ?? { rule, by: 0 };
      entry.by += by;
      delta.set(key, entry);
    };
    for (const rule of removed) count(rule, -1);
    for (const rule of added) count(rule, 1);
    for (const { rule, by } of delta.values()) {
      const after = usage[field](rule.family, rule[field]);
      const before = after - by;
      const set = rule.family === 'IPv4' ? v4 : v6;
      if (before > 0 && after === 0) deletes.push(set, rule[field]);
      if (before === 0 && after > 0) adds.push(set, rule[field]);
    }
  }
  networkChanges(fromLayout, toLayout, deletes, adds);
  const ranges = new Map<string, { port: number; endPort: number; by: number }>();
  for (const [rules, by] of [
    [removed, -1],
    [added, 1],
  ] as const) {
    for (const { family, port, endPort } of rules) {
      if (family !== 'IPv6') continue;
      const name = snat6RangeChainName(port, endPort);
      const entry = ranges.get(name) ?? { port, endPort, by: 0 };
      entry.by += by;
      ranges.set(name, entry);
    }
  }
  const dropChains: string[] = [];
  const newChains: { port: number; endPort: number }[] = [];
  for (const [name, range] of ranges) {
    const after = usage.range6(range.port, range.endPort);
    const before = after - range.by;
    if (before > 0 && after === 0) dropChains.push(name);
    if (before === 0 && after > 0) newChains.push(range);
  }
  return transaction(table, toLayout.mode, deletes, adds, dropChains, newChains, profiles);
}
