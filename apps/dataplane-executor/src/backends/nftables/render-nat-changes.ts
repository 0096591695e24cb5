import type { NatRule } from '@natgw/domain';
import {
  NATIP6_MAP,
  NATIPS4_SET,
  NATIPS6_SET,
  NICS4_SET,
  NICS6_SET,
  SNAT4_MAP,
  SNAT6_VMAP,
  snat6RangeRule,
} from './nat-table-layout';
import { natip6Element, snat4Element, snat6Element, snat6RangeChains } from './render-nat-ruleset';

/** Rules by what nft keys their elements by: family and private address. */
function byAddress(rules: readonly NatRule[]): Map<string, NatRule> {
  return new Map(rules.map((r) => [`${r.family}/${r.privateIp}`, r]));
}

function sameElements(a: NatRule, b: NatRule): boolean {
  return (
    a.nicUid === b.nicUid &&
    a.gatewayUid === b.gatewayUid &&
    (a.nicName ?? '') === (b.nicName ?? '') &&
    a.natIp === b.natIp &&
    a.port === b.port &&
    a.endPort === b.endPort
  );
}

/** How many rules use each NAT IP, per family. */
function natIpUse(rules: readonly NatRule[]): Map<string, number> {
  const use = new Map<string, number>();
  for (const r of rules)
    use.set(`${r.family}/${r.natIp}`, (use.get(`${r.family}/${r.natIp}`) ?? 0) + 1);
  return use;
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
const ORDER = [SNAT4_MAP, SNAT6_VMAP, NATIP6_MAP, NICS4_SET, NICS6_SET, NATIPS4_SET, NATIPS6_SET];

/**
 * One `nft -f` transaction that turns natgw's table holding exactly `from` into one holding
 * exactly `to` by adding and deleting elements (and IPv6 range chains), instead of redefining the
 * table. Both lists must be valid and canonical; order does not matter. Empty text means nothing
 * to do. Deletions come first, so a NIC whose element changes is deleted and re-added in the same
 * transaction; if `from` is not what the kernel holds, nft fails the whole transaction and
 * nothing changes. Work is proportional to the table for the comparison, and to the change for
 * the text.
 */
export function renderNatChanges(
  from: readonly NatRule[],
  to: readonly NatRule[],
  table: string,
): string {
  const before = byAddress(from);
  const after = byAddress(to);
  const deletes = new Batch('delete', table);
  const adds = new Batch('add', table);
  for (const [key, old] of before) {
    const next = after.get(key);
    if (next && sameElements(old, next)) continue;
    if (old.family === 'IPv4') deletes.push(SNAT4_MAP, old.privateIp);
    else {
      deletes.push(SNAT6_VMAP, old.privateIp);
      deletes.push(NATIP6_MAP, old.privateIp);
    }
    if (!next) deletes.push(old.family === 'IPv4' ? NICS4_SET : NICS6_SET, old.privateIp);
  }
  for (const [key, next] of after) {
    const old = before.get(key);
    if (old && sameElements(old, next)) continue;
    if (next.family === 'IPv4') adds.push(SNAT4_MAP, snat4Element(next));
    else {
      adds.push(SNAT6_VMAP, snat6Element(next));
      adds.push(NATIP6_MAP, natip6Element(next));
    }
    if (!old) adds.push(next.family === 'IPv4' ? NICS4_SET : NICS6_SET, next.privateIp);
  }
  const usedBefore = natIpUse(from);
  const usedAfter = natIpUse(to);
  for (const key of usedBefore.keys()) {
    if (usedAfter.has(key)) continue;
    const [family, natIp] = key.split('/') as [string, string];
    deletes.push(family === 'IPv4' ? NATIPS4_SET : NATIPS6_SET, natIp);
  }
  for (const key of usedAfter.keys()) {
    if (usedBefore.has(key)) continue;
    const [family, natIp] = key.split('/') as [string, string];
    adds.push(family === 'IPv4' ? NATIPS4_SET : NATIPS6_SET, natIp);
  }

  const fromChains = snat6RangeChains(from);
  const toChains = snat6RangeChains(to);
  const dropChains: string[] = [];
  const newChains: string[] = [];
  for (const name of fromChains.keys()) {
    if (!toChains.has(name)) {
      dropChains.push(`flush chain inet ${table} ${name}`, `delete chain inet ${table} ${name}`);
    }
  }
  for (const [name, { port, endPort }] of toChains) {
    if (fromChains.has(name)) continue;
    newChains.push(
      `add chain inet ${table} ${name}`,
      `add rule inet ${table} ${name} ${snat6RangeRule(port, endPort).text}`,
    );
  }
  // New chains before the elements that jump to them.
  const lines = [...deletes.lines(ORDER), ...dropChains, ...newChains, ...adds.lines(ORDER)];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
