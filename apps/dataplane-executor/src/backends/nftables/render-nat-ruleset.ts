import type { NatRule } from '@natgw/domain';
import {
  BASE_CHAINS,
  NATIP6_MAP,
  NATIPS4_SET,
  NATIPS6_SET,
  NICS4_SET,
  NICS6_SET,
  SNAT4_MAP,
  SNAT6_VMAP,
  UPLINKS_SET,
  snat6RangeChainName,
  snat6RangeRule,
} from './nat-table-layout';
import { encodeNatElementComment } from './nat-element-comment';

/** Where natgw's table goes and what it applies to. */
export interface NatTableTarget {
  /** Name of natgw's table of family inet. */
  readonly table: string;
  /** Interfaces toward the internet. */
  readonly uplinks: readonly string[];
}

/** Said on the table so that whoever lists the ruleset knows edits do not last. */
export const TABLE_COMMENT = 'managed by natgw; hand edits are reverted';

function elementsBlock(type: string, elements: readonly string[], indent = '\t\t'): string {
  const lines = [`${indent}type ${type}`];
  if (elements.length > 0) {
    lines.push(`${indent}elements = {`);
    lines.push(elements.map((e) => `${indent}\t${e}`).join(',\n'));
    lines.push(`${indent}}`);
  }
  return lines.join('\n');
}

function namedSet(kind: 'set' | 'map', name: string, type: string, elements: readonly string[]) {
  return `\t${kind} ${name} {\n${elementsBlock(type, elements)}\n\t}`;
}

function commented(key: string, rule: NatRule): string {
  const comment = encodeNatElementComment(rule);
  // Callers validate first (NftablesBackend.render); a rule without a comment would read back as
  // somebody else's.
  if (comment === undefined) throw new Error(`no room for the comment of NIC ${rule.nicUid}`);
  return `${key} comment "${comment}"`;
}

/** The snat4 map element of an IPv4 rule. */
export function snat4Element(rule: NatRule): string {
  return `${commented(rule.privateIp, rule)} : ${rule.natIp} . ${rule.port}-${rule.endPort}`;
}

/** The natip6 map element of an IPv6 rule. */
export function natip6Element(rule: NatRule): string {
  return `${rule.privateIp} : ${rule.natIp}`;
}

/** The snat6 verdict-map element of an IPv6 rule. */
export function snat6Element(rule: NatRule): string {
  return `${commented(rule.privateIp, rule)} : jump ${snat6RangeChainName(rule.port, rule.endPort)}`;
}

/** The IPv6 range chains the rules need, by name, in port order. */
export function snat6RangeChains(
  rules: readonly NatRule[],
): Map<string, { port: number; endPort: number }> {
  const ranges = new Map<string, { port: number; endPort: number }>();
  const sorted = rules
    .filter((r) => r.family === 'IPv6')
    .map((r) => ({ port: r.port, endPort: r.endPort }))
    .sort((a, b) => a.port - b.port || a.endPort - b.endPort);
  for (const r of sorted) ranges.set(snat6RangeChainName(r.port, r.endPort), r);
  return ranges;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * The whole of natgw's table as one `nft -f` transaction: create the table if it is missing,
 * delete it, and define it again, so the kernel swaps old for new atomically whether or not it
 * existed. `rules` must be valid and in sortNatRules order (the text is then deterministic).
 * Conntrack entries outlive the swap, so established connections keep their translation.
 */
export function renderNatRuleset(rules: readonly NatRule[], target: NatTableTarget): string {
  const v4 = rules.filter((r) => r.family === 'IPv4');
  const v6 = rules.filter((r) => r.family === 'IPv6');

  const parts: string[] = [
    `table inet ${target.table}`,
    `delete table inet ${target.table}`,
    `table inet ${target.table} {`,
    `\tcomment "${TABLE_COMMENT}"`,
    namedSet(
      'set',
      UPLINKS_SET,
      'ifname',
      target.uplinks.map((u) => `"${u}"`),
    ),
    namedSet(
      'set',
      NICS4_SET,
      'ipv4_addr',
      v4.map((r) => r.privateIp),
    ),
    namedSet(
      'set',
      NICS6_SET,
      'ipv6_addr',
      v6.map((r) => r.privateIp),
    ),
    namedSet('set', NATIPS4_SET, 'ipv4_addr', unique(v4.map((r) => r.natIp))),
    namedSet('set', NATIPS6_SET, 'ipv6_addr', unique(v6.map((r) => r.natIp))),
    namedSet(
      'map',
      SNAT4_MAP,
      'ipv4_addr : interval ipv4_addr . inet_service',
      v4.map(snat4Element),
    ),
    namedSet('map', NATIP6_MAP, 'ipv6_addr : ipv6_addr', v6.map(natip6Element)),
    namedSet('map', SNAT6_VMAP, 'ipv6_addr : verdict', v6.map(snat6Element)),
  ];
  for (const [name, { port, endPort }] of snat6RangeChains(v6)) {
    parts.push(`\tchain ${name} {\n\t\t${snat6RangeRule(port, endPort).text}\n\t}`);
  }
  for (const chain of BASE_CHAINS) {
    const head = `\t\ttype ${chain.type} hook ${chain.hook} priority ${chain.priorityText}; policy accept;`;
    const body = chain.rules.map((rule) => `\t\t${rule.text}`).join('\n');
    parts.push(`\tchain ${chain.name} {\n${head}\n${body}\n\t}`);
  }
  parts.push('}');
  return `${parts.join('\n')}\n`;
}

/** Deletes natgw's table in one transaction, whether or not it exists. */
export function renderRemoveTable(table: string): string {
  return `table inet ${table}\ndelete table inet ${table}\n`;
}
