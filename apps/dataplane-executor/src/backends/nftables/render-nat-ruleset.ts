import type { NatRule } from '@natgw/domain';
import {
  EXPECTED_SETS,
  NATIP6_MAP,
  NETADDR4_MAP,
  NETADDR6_MAP,
  NETID_MAP,
  NETZONE_MAP,
  type NatTableMode,
  baseChains,
  expectedMaps,
  replyAddress,
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
import {
  TIMEOUTS4_VMAP,
  TIMEOUTS6_VMAP,
  renderTimeoutProfile,
  timeoutProfiles,
  timeoutsChainName,
} from './nat-timeouts-layout';

/** Where natgw's table goes and what it applies to. */
export interface NatTableTarget {
  /** Name of natgw's table of family inet. */
  readonly table: string;
  /** Interfaces toward the internet. */
  readonly uplinks: readonly string[];
}

/** One network that has NICs on the node (network mode). */
export interface NatNetwork {
  readonly vni: number;
  /** The network's id on this node: its packet and ct mark, conntrack zone and routing table. */
  readonly id: number;
  /** The interface its NIC traffic arrives on (DATAPLANE_NETWORK_INTERFACE with the vni). */
  readonly ifname: string;
}

/**
 * How the table tells NICs apart: by private address (`shared`), or by network and private
 * address (`network`, with the networks on the node by vni).
 */
export type NatTableLayout =
  | { readonly mode: 'shared' }
  | { readonly mode: 'network'; readonly networks: ReadonlyMap<number, NatNetwork> };

export const SHARED_LAYOUT: NatTableLayout = { mode: 'shared' };

/** The id of a rule's network; the rule must be valid for the layout. */
function networkId(layout: NatTableLayout, rule: NatRule): number {
  if (layout.mode === 'shared') return 0;
  const network = layout.networks.get(rule.vni as number);
  if (!network) throw new Error(`no network id for vni ${String(rule.vni)}`);
  return network.id;
}

/** The key of a rule's map elements: `10.0.0.2`, or `7 . 10.0.0.2` in network mode. */
export function natElementKey(layout: NatTableLayout, rule: NatRule): string {
  return layout.mode === 'shared'
    ? rule.privateIp
    : `${networkId(layout, rule)} . ${rule.privateIp}`;
}

/** The netid and netzone elements of a network. */
export function networkElements(network: NatNetwork): string {
  return `"${network.ifname}" : ${network.id}`;
}

/** The netaddr4 / netaddr6 element of a network. */
export function replyAddressElement(network: NatNetwork, family: 'IPv4' | 'IPv6'): string {
  return `${network.id} : ${replyAddress(family, network.id)}`;
}

/** Said on the table so that whoever lists the ruleset knows edits do not last. */
export const TABLE_COMMENT = 'managed by natgw; hand edits are reverted';

/**
 * Text built line by line and handed out a few thousand lines at a time: a table of 50,000 NICs
 * is ~10 MB in ~150,000 lines, and keeping every line alive until one final join made them
 * outlive young-generation collections (profiled: garbage collection cost more than rendering
 * itself). The chunks can also be written to nft while the rest is rendered.
 */
class LineText {
  private lines: string[] = [];

  push(...lines: string[]): void {
    for (const line of lines) this.lines.push(line);
  }

  /** Whether a chunk is ready to be taken. */
  get full(): boolean {
    return this.lines.length >= 4096;
  }

  /** The lines so far, each ended by a newline ('' when none), and a fresh start. */
  take(): string {
    if (this.lines.length === 0) return '';
    const chunk = `${this.lines.join('\n')}\n`;
    this.lines = [];
    return chunk;
  }
}

/** A set's or map's elements: how many, and the text of each (made only when written). */
interface Elements {
  readonly count: number;
  readonly at: (index: number) => string;
}

const NO_ELEMENTS: Elements = { count: 0, at: () => '' };

function elementsOf<T>(items: readonly T[], text: (item: T) => string): Elements {
  return { count: items.length, at: (index) => text(items[index] as T) };
}

/** Writes a named set or map, one line per element; yields chunks as they fill. */
function* namedSet(
  out: LineText,
  kind: 'set' | 'map',
  name: string,
  type: string,
  elements: Elements,
): Generator<string> {
  // `typeof ...` declarations are written as they are; everything else is a `type`.
  out.push(`\t${kind} ${name} {`, type.startsWith('typeof ') ? `\t\t${type}` : `\t\ttype ${type}`);
  if (elements.count > 0) {
    out.push('\t\telements = {');
    const last = elements.count - 1;
    for (let i = 0; i < last; i += 1) {
      out.push(`\t\t\t${elements.at(i)},`);
      if (out.full) yield out.take();
    }
    out.push(`\t\t\t${elements.at(last)}`, '\t\t}');
  }
  out.push('\t}');
}

function commented(key: string, rule: NatRule): string {
  const comment = encodeNatElementComment(rule);
  // Callers validate first (NftablesBackend.render); a rule without a comment would read back as
  // somebody else's.
  if (comment === undefined) throw new Error(`no room for the comment of NIC ${rule.nicUid}`);
  return `${key} comment "${comment}"`;
}

/** The snat4 map element of an IPv4 rule. */
export function snat4Element(rule: NatRule, layout: NatTableLayout = SHARED_LAYOUT): string {
  const key = commented(natElementKey(layout, rule), rule);
  return `${key} : ${rule.natIp} . ${rule.port}-${rule.endPort}`;
}

/** The natip6 map element of an IPv6 rule. */
export function natip6Element(rule: NatRule, layout: NatTableLayout = SHARED_LAYOUT): string {
  return `${natElementKey(layout, rule)} : ${rule.natIp}`;
}

/** The snat6 verdict-map element of an IPv6 rule. */
export function snat6Element(rule: NatRule, layout: NatTableLayout = SHARED_LAYOUT): string {
  const key = commented(natElementKey(layout, rule), rule);
  return `${key} : jump ${snat6RangeChainName(rule.port, rule.endPort)}`;
}

/** The timeouts4 / timeouts6 element of a rule with a timeout profile (issue 17.2). */
export function timeoutsElement(rule: NatRule, layout: NatTableLayout = SHARED_LAYOUT): string {
  return `${natElementKey(layout, rule)} : jump ${timeoutsChainName(rule.family, rule.timeouts as string)}`;
}

/** The IPv6 range chains the rules need, by name, in port order. */
export function snat6RangeChains(
  rules: readonly NatRule[],
): Map<string, { port: number; endPort: number }> {
  // Few distinct ranges among many rules: collect them, then sort only those.
  const distinctRanges = new Map<number, { port: number; endPort: number }>();
  for (const r of rules) {
    if (r.family !== 'IPv6') continue;
    const key = r.port * 65536 + r.endPort;
    if (!distinctRanges.has(key)) distinctRanges.set(key, { port: r.port, endPort: r.endPort });
  }
  const sorted = [...distinctRanges.values()].sort(
    (a, b) => a.port - b.port || a.endPort - b.endPort,
  );
  const ranges = new Map<string, { port: number; endPort: number }>();
  for (const r of sorted) ranges.set(snat6RangeChainName(r.port, r.endPort), r);
  return ranges;
}

/** The distinct values of one field of the rules, in order of first appearance. */
function distinct(rules: readonly NatRule[], field: 'privateIp' | 'natIp'): string[] {
  return [...new Set(rules.map((r) => r[field]))];
}

/**
 * The whole of natgw's table as one `nft -f` transaction: create the table if it is missing,
 * delete it, and define it again, so the kernel swaps old for new atomically whether or not it
 * existed. `rules` must be valid for the layout and in sortNatRules order (the text is then
 * deterministic). Conntrack entries outlive the swap, so established connections keep their
 * translation.
 */
export function renderNatRuleset(
  rules: readonly NatRule[],
  target: NatTableTarget,
  layout: NatTableLayout = SHARED_LAYOUT,
): string {
  return [...renderNatRulesetChunks(rules, target, layout)].join('');
}

/** renderNatRuleset's text in pieces of a few thousand lines, made as they are asked for. */
export function* renderNatRulesetChunks(
  rules: readonly NatRule[],
  target: NatTableTarget,
  layout: NatTableLayout = SHARED_LAYOUT,
): Generator<string> {
  const mode: NatTableMode = layout.mode;
  const v4 = rules.filter((r) => r.family === 'IPv4');
  const v6 = rules.filter((r) => r.family === 'IPv6');
  const verbatim = (values: string[]) => elementsOf(values, (v) => v);
  const members: Record<string, Elements> = {
    [UPLINKS_SET]: elementsOf(target.uplinks, (u) => `"${u}"`),
    [NICS4_SET]: verbatim(distinct(v4, 'privateIp')),
    [NICS6_SET]: verbatim(distinct(v6, 'privateIp')),
    [NATIPS4_SET]: verbatim(distinct(v4, 'natIp')),
    [NATIPS6_SET]: verbatim(distinct(v6, 'natIp')),
  };
  const networks =
    layout.mode === 'network' ? [...layout.networks.values()].sort((a, b) => a.id - b.id) : [];
  const elements: Record<string, Elements> = {
    [NETID_MAP]: elementsOf(networks, networkElements),
    [NETZONE_MAP]: elementsOf(networks, networkElements),
    [NETADDR4_MAP]: elementsOf(networks, (n) => replyAddressElement(n, 'IPv4')),
    [NETADDR6_MAP]: elementsOf(networks, (n) => replyAddressElement(n, 'IPv6')),
    [SNAT4_MAP]: elementsOf(v4, (r) => snat4Element(r, layout)),
    [NATIP6_MAP]: elementsOf(v6, (r) => natip6Element(r, layout)),
    [SNAT6_VMAP]: elementsOf(v6, (r) => snat6Element(r, layout)),
    [TIMEOUTS4_VMAP]: elementsOf(
      v4.filter((r) => r.timeouts !== undefined),
      (r) => timeoutsElement(r, layout),
    ),
    [TIMEOUTS6_VMAP]: elementsOf(
      v6.filter((r) => r.timeouts !== undefined),
      (r) => timeoutsElement(r, layout),
    ),
  };

  const parts = new LineText();
  parts.push(
    `table inet ${target.table}`,
    `delete table inet ${target.table}`,
    `table inet ${target.table} {`,
    `\tcomment "${TABLE_COMMENT}"`,
  );
  for (const [name, type] of Object.entries(EXPECTED_SETS)) {
    yield* namedSet(parts, 'set', name, type, members[name] ?? NO_ELEMENTS);
  }
  for (const [name, definition] of Object.entries(expectedMaps(mode))) {
    yield* namedSet(
      parts,
      'map',
      name,
      definition.text.replace(/^type /, ''),
      elements[name] ?? NO_ELEMENTS,
    );
  }
  for (const [name, { port, endPort }] of snat6RangeChains(v6)) {
    parts.push(`\tchain ${name} {\n\t\t${snat6RangeRule(port, endPort, mode).text}\n\t}`);
  }
  for (const family of ['IPv4', 'IPv6'] as const) {
    for (const profile of timeoutProfiles(family === 'IPv4' ? v4 : v6, family)) {
      parts.push(renderTimeoutProfile(family, profile));
    }
  }
  for (const chain of baseChains(mode)) {
    const head = `\t\ttype ${chain.type} hook ${chain.hook} priority ${chain.priorityText}; policy accept;`;
    const body = chain.rules.map((rule) => `\t\t${rule.text}`).join('\n');
    parts.push(`\tchain ${chain.name} {\n${head}\n${body}\n\t}`);
  }
  parts.push('}');
  yield parts.take();
}

/** Deletes natgw's table in one transaction, whether or not it exists. */
export function renderRemoveTable(table: string): string {
  return `table inet ${table}\ndelete table inet ${table}\n`;
}
