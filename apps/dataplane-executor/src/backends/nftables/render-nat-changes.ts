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

/** Keyed by what nft keys the element by (the private address), with its rendered text. */
function elements(
  rules: readonly NatRule[],
  family: NatRule['family'],
  render: (rule: NatRule) => string,
): Map<string, string> {
  const map = new Map<string, string>();
  for (const rule of rules) if (rule.family === family) map.set(rule.privateIp, render(rule));
  return map;
}

function members(
  rules: readonly NatRule[],
  family: NatRule['family'],
  field: 'privateIp' | 'natIp',
) {
  return new Set(rules.filter((r) => r.family === family).map((r) => r[field]));
}

interface Changes {
  readonly deletes: string[];
  readonly adds: string[];
}

function diffMap(
  table: string,
  name: string,
  from: Map<string, string>,
  to: Map<string, string>,
  out: Changes,
) {
  const gone = [...from].filter(([key, text]) => to.get(key) !== text).map(([key]) => key);
  const come = [...to].filter(([key, text]) => from.get(key) !== text).map(([, text]) => text);
  if (gone.length > 0)
    out.deletes.push(`delete element inet ${table} ${name} { ${gone.join(', ')} }`);
  if (come.length > 0) out.adds.push(`add element inet ${table} ${name} { ${come.join(', ')} }`);
}

function diffSet(table: string, name: string, from: Set<string>, to: Set<string>, out: Changes) {
  const gone = [...from].filter((m) => !to.has(m));
  const come = [...to].filter((m) => !from.has(m));
  if (gone.length > 0)
    out.deletes.push(`delete element inet ${table} ${name} { ${gone.join(', ')} }`);
  if (come.length > 0) out.adds.push(`add element inet ${table} ${name} { ${come.join(', ')} }`);
}

/**
 * One `nft -f` transaction that turns natgw's table holding exactly `from` into one holding
 * exactly `to` by adding and deleting elements (and IPv6 range chains), instead of redefining the
 * table. Both lists must be valid and canonical. Empty text means nothing to do. Deletions come
 * first, so a NIC whose element changes is deleted and re-added in the same transaction; if
 * `from` is not what the kernel holds, nft fails the whole transaction and nothing changes.
 */
export function renderNatChanges(
  from: readonly NatRule[],
  to: readonly NatRule[],
  table: string,
): string {
  const changes: Changes = { deletes: [], adds: [] };
  // Map elements before set members and chains: nft refuses to drop a chain still jumped to.
  diffMap(
    table,
    SNAT4_MAP,
    elements(from, 'IPv4', snat4Element),
    elements(to, 'IPv4', snat4Element),
    changes,
  );
  diffMap(
    table,
    SNAT6_VMAP,
    elements(from, 'IPv6', snat6Element),
    elements(to, 'IPv6', snat6Element),
    changes,
  );
  diffMap(
    table,
    NATIP6_MAP,
    elements(from, 'IPv6', natip6Element),
    elements(to, 'IPv6', natip6Element),
    changes,
  );
  diffSet(
    table,
    NICS4_SET,
    members(from, 'IPv4', 'privateIp'),
    members(to, 'IPv4', 'privateIp'),
    changes,
  );
  diffSet(
    table,
    NICS6_SET,
    members(from, 'IPv6', 'privateIp'),
    members(to, 'IPv6', 'privateIp'),
    changes,
  );
  diffSet(
    table,
    NATIPS4_SET,
    members(from, 'IPv4', 'natIp'),
    members(to, 'IPv4', 'natIp'),
    changes,
  );
  diffSet(
    table,
    NATIPS6_SET,
    members(from, 'IPv6', 'natIp'),
    members(to, 'IPv6', 'natIp'),
    changes,
  );

  const fromChains = snat6RangeChains(from);
  const toChains = snat6RangeChains(to);
  const chainLines: string[] = [];
  for (const name of fromChains.keys()) {
    if (!toChains.has(name)) {
      changes.deletes.push(
        `flush chain inet ${table} ${name}`,
        `delete chain inet ${table} ${name}`,
      );
    }
  }
  for (const [name, { port, endPort }] of toChains) {
    if (fromChains.has(name)) continue;
    chainLines.push(
      `add chain inet ${table} ${name}`,
      `add rule inet ${table} ${name} ${snat6RangeRule(port, endPort).text}`,
    );
  }
  // New chains before the elements that jump to them.
  const lines = [...changes.deletes, ...chainLines, ...changes.adds];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
