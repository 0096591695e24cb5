import { type NatRule, sortNatRules } from '@natgw/domain';
import { decodeNatElementComment } from './nat-element-comment';
import {
  BASE_CHAINS,
  NATIP6_MAP,
  NATIPS4_SET,
  NATIPS6_SET,
  NICS4_SET,
  NICS6_SET,
  type NftJson,
  SNAT4_MAP,
  SNAT6_VMAP,
  UPLINKS_SET,
  parseSnat6RangeChainName,
  snat6RangeRuleExpr,
} from './nat-table-layout';
import type { NatTableTarget } from './render-nat-ruleset';

/** Prefix of the nicUid of a NAT element natgw did not label (added by hand). */
export const UNLABELLED_NIC_PREFIX = 'unlabelled:';

/**
 * nicUid of the marker rule read-back adds when the table holds something that is not the
 * rendering of its rules (a hand-added base rule, a stray set element, an unknown chain). The
 * marker shows up as `extra` in diffNatRules, so even such drift gets repaired; its nicName
 * carries the first problem for logs.
 */
export const UNEXPECTED_CONTENT_NIC_UID = 'nftables:unexpected-content';

/** Something in natgw's table that natgw would not have written. */
export interface NatTableProblem {
  /**
   * `table`: every rule is suspect (a base chain, a set definition or the uplinks differ);
   * `stray`: content no rule accounts for, which breaks no rule by itself; otherwise the one rule
   * of that private address.
   */
  readonly scope:
    'table' | 'stray' | { readonly family: 'IPv4' | 'IPv6'; readonly privateIp: string };
  readonly message: string;
}

/** What `nft -j list table` says about natgw's table. */
export interface NatTableInspection {
  /** False when the table does not exist (never created, deleted by hand, or a reboot). */
  readonly present: boolean;
  /** Rules fully in effect, plus the marker rule when there are problems (sortNatRules order). */
  readonly rules: NatRule[];
  /** Rules found in the maps that are not in effect because of a problem. */
  readonly ineffective: NatRule[];
  readonly problems: NatTableProblem[];
}

type JsonObject = { [key: string]: NftJson };

function isObject(value: NftJson | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Stable text of a JSON value: keys sorted, anonymous-set members sorted, handles dropped. */
export function canonicalNftJson(value: NftJson): string {
  if (Array.isArray(value)) return `[${value.map(canonicalNftJson).join(',')}]`;
  if (!isObject(value)) return JSON.stringify(value);
  const keys = Object.keys(value)
    .filter((k) => k !== 'handle')
    .sort();
  return `{${keys
    .map((k) => {
      const v = value[k] as NftJson;
      const text =
        k === 'set' && Array.isArray(v)
          ? `[${v.map(canonicalNftJson).sort().join(',')}]`
          : canonicalNftJson(v);
      return `${JSON.stringify(k)}:${text}`;
    })
    .join(',')}}`;
}

interface SetElement {
  readonly key: NftJson;
  readonly comment?: string;
  readonly value?: NftJson;
}

function elementsOf(obj: JsonObject, isMap: boolean): SetElement[] {
  const elem = obj.elem;
  if (!Array.isArray(elem)) return [];
  return elem.map((raw) => {
    let keyPart: NftJson = raw;
    let value: NftJson | undefined;
    if (isMap && Array.isArray(raw) && raw.length === 2)
      [keyPart, value] = raw as [NftJson, NftJson];
    if (isObject(keyPart) && isObject(keyPart.elem)) {
      const inner = keyPart.elem;
      const comment = typeof inner.comment === 'string' ? inner.comment : undefined;
      return { key: inner.val as NftJson, comment, value };
    }
    return { key: keyPart, value };
  });
}

function portRange(value: NftJson | undefined): { port: number; endPort: number } | undefined {
  if (typeof value === 'number') return { port: value, endPort: value };
  if (isObject(value) && Array.isArray(value.range) && value.range.length === 2) {
    const [port, endPort] = value.range;
    if (typeof port === 'number' && typeof endPort === 'number') return { port, endPort };
  }
  return undefined;
}

interface Collected {
  tablePresent: boolean;
  sets: Map<string, JsonObject>;
  maps: Map<string, JsonObject>;
  chains: Map<string, JsonObject>;
  rules: Map<string, JsonObject[]>;
  unknown: string[];
}

function collect(document: NftJson, table: string): Collected {
  const c: Collected = {
    tablePresent: false,
    sets: new Map(),
    maps: new Map(),
    chains: new Map(),
    rules: new Map(),
    unknown: [],
  };
  const entries = isObject(document) && Array.isArray(document.nftables) ? document.nftables : [];
  for (const entry of entries) {
    if (!isObject(entry)) continue;
    const [kind] = Object.keys(entry);
    const body = kind === undefined ? undefined : entry[kind];
    if (kind === 'metainfo' || !isObject(body)) continue;
    if (body.family !== undefined && body.family !== 'inet') continue;
    if (body.table !== undefined && body.table !== table) continue;
    switch (kind) {
      case 'table':
        if (body.name === table && body.family === 'inet') c.tablePresent = true;
        break;
      case 'set':
        c.sets.set(String(body.name), body);
        break;
      case 'map':
        c.maps.set(String(body.name), body);
        break;
      case 'chain':
        c.chains.set(String(body.name), body);
        break;
      case 'rule': {
        const chain = String(body.chain);
        const list = c.rules.get(chain) ?? [];
        list.push(body);
        c.rules.set(chain, list);
        break;
      }
      default:
        c.unknown.push(`${kind} ${String(body.name ?? '')}`.trim());
    }
  }
  return c;
}

function natRule(
  element: SetElement,
  family: NatRule['family'],
  privateIp: string,
  natIp: string,
  ports: { port: number; endPort: number },
): NatRule {
  const decoded =
    element.comment === undefined ? undefined : decodeNatElementComment(element.comment);
  const nicUid = decoded?.nicUid ?? `${UNLABELLED_NIC_PREFIX}${privateIp}`;
  const gatewayUid = decoded?.gatewayUid ?? '';
  const { port, endPort } = ports;
  const rule = { nicUid, gatewayUid, family, privateIp, natIp, port, endPort };
  return decoded?.nicName ? { ...rule, nicName: decoded.nicName } : rule;
}

type Report = (scope: NatTableProblem['scope'], message: string) => void;

const EXPECTED_SETS: Readonly<Record<string, string>> = {
  [UPLINKS_SET]: 'ifname',
  [NICS4_SET]: 'ipv4_addr',
  [NICS6_SET]: 'ipv6_addr',
  [NATIPS4_SET]: 'ipv4_addr',
  [NATIPS6_SET]: 'ipv6_addr',
};

const EXPECTED_MAPS: Readonly<Record<string, readonly [string, string]>> = {
  [SNAT4_MAP]: ['ipv4_addr', 'ipv4_addr . inet_service'],
  [NATIP6_MAP]: ['ipv6_addr', 'ipv6_addr'],
  [SNAT6_VMAP]: ['ipv6_addr', 'verdict'],
};

function checkDefinitions(c: Collected, report: Report): Map<string, Set<string>> {
  const members = new Map<string, Set<string>>();
  for (const [name, type] of Object.entries(EXPECTED_SETS)) {
    const set = c.sets.get(name);
    if (!set || set.type !== type || set.flags !== undefined) {
      report('table', `set ${name} is missing or is not a plain set of ${type}`);
      members.set(name, new Set());
      continue;
    }
    const keys = elementsOf(set, false).map((e) =>
      typeof e.key === 'string' ? e.key : canonicalNftJson(e.key),
    );
    members.set(name, new Set(keys));
  }
  for (const name of c.sets.keys()) {
    if (!(name in EXPECTED_SETS)) report('stray', `unexpected set ${name}`);
  }
  for (const [name, [type, data]] of Object.entries(EXPECTED_MAPS)) {
    const map = c.maps.get(name);
    if (!map || map.type !== type || map.map !== data || map.flags !== undefined) {
      report('table', `map ${name} is missing or is not ${type} : ${data}`);
    }
  }
  for (const name of c.maps.keys()) {
    if (!(name in EXPECTED_MAPS)) report('stray', `unexpected map ${name}`);
  }
  return members;
}

function checkBaseChains(c: Collected, report: Report): void {
  for (const base of BASE_CHAINS) {
    const chain = c.chains.get(base.name);
    if (
      !chain ||
      chain.type !== base.type ||
      chain.hook !== base.hook ||
      chain.prio !== base.prio ||
      chain.policy !== 'accept'
    ) {
      report('table', `base chain ${base.name} is missing or not hooked as natgw hooks it`);
      continue;
    }
    const actual = (c.rules.get(base.name) ?? []).map((r) => canonicalNftJson(r.expr ?? null));
    const expected = base.rules.map((r) => canonicalNftJson(r.expr));
    if (actual.length !== expected.length || actual.some((a, i) => a !== expected[i])) {
      report('table', `chain ${base.name} holds rules natgw did not write`);
    }
  }
}

/** The IPv6 range chains whose one rule has natgw's shape, with the range that rule uses. */
function readRangeChains(
  c: Collected,
  report: Report,
): Map<string, { port: number; endPort: number }> {
  const baseNames = new Set(BASE_CHAINS.map((b) => b.name));
  const ranges = new Map<string, { port: number; endPort: number }>();
  for (const [name, chain] of c.chains) {
    if (baseNames.has(name)) continue;
    if (chain.hook !== undefined) {
      report('table', `unexpected base chain ${name}`);
      continue;
    }
    if (!parseSnat6RangeChainName(name)) {
      report('stray', `unexpected chain ${name}`);
      continue;
    }
    const rules = c.rules.get(name) ?? [];
    const expr = rules.length === 1 && Array.isArray(rules[0]?.expr) ? rules[0].expr : [];
    const snat = expr[1];
    const portJson = isObject(snat) && isObject(snat.snat) ? snat.snat.port : undefined;
    const ports = portRange(portJson);
    if (
      ports &&
      portJson !== undefined &&
      canonicalNftJson(expr) === canonicalNftJson(snat6RangeRuleExpr(portJson))
    ) {
      ranges.set(name, ports);
    }
  }
  for (const name of c.rules.keys()) {
    if (!c.chains.has(name)) report('table', `rules in unknown chain ${name}`);
  }
  return ranges;
}

function readIpv4Rules(c: Collected, sets: Map<string, Set<string>>, report: Report): NatRule[] {
  const found: NatRule[] = [];
  const map = c.maps.get(SNAT4_MAP);
  const nics = sets.get(NICS4_SET) ?? new Set();
  const natIps = sets.get(NATIPS4_SET) ?? new Set();
  for (const element of map ? elementsOf(map, true) : []) {
    if (typeof element.key !== 'string') {
      report(
        'stray',
        `${SNAT4_MAP} has a key natgw does not write: ${canonicalNftJson(element.key)}`,
      );
      continue;
    }
    const privateIp = element.key;
    const concat = isObject(element.value) ? element.value.concat : undefined;
    const natIp = Array.isArray(concat) ? concat[0] : undefined;
    const ports = Array.isArray(concat) && concat.length === 2 ? portRange(concat[1]) : undefined;
    const scope = { family: 'IPv4', privateIp } as const;
    if (typeof natIp !== 'string' || !ports) {
      report(scope, `${SNAT4_MAP}[${privateIp}] is not "<nat ip> . <port range>"`);
      continue;
    }
    found.push(natRule(element, 'IPv4', privateIp, natIp, ports));
    if (!nics.has(privateIp)) report(scope, `${privateIp} is not in set ${NICS4_SET}`);
    if (!natIps.has(natIp)) report(scope, `${natIp} is not in set ${NATIPS4_SET}`);
  }
  return found;
}

function readIpv6Rules(
  c: Collected,
  sets: Map<string, Set<string>>,
  ranges: Map<string, { port: number; endPort: number }>,
  report: Report,
): NatRule[] {
  const natIpOf = new Map<string, string>();
  const natip6 = c.maps.get(NATIP6_MAP);
  for (const element of natip6 ? elementsOf(natip6, true) : []) {
    if (typeof element.key === 'string' && typeof element.value === 'string') {
      natIpOf.set(element.key, element.value);
    } else report('stray', `${NATIP6_MAP} has an element natgw does not write`);
  }
  const nics = sets.get(NICS6_SET) ?? new Set();
  const natIps = sets.get(NATIPS6_SET) ?? new Set();
  const found: NatRule[] = [];
  const usedChains = new Set<string>();
  const vmapKeys = new Set<string>();
  const vmap = c.maps.get(SNAT6_VMAP);
  for (const element of vmap ? elementsOf(vmap, true) : []) {
    if (typeof element.key !== 'string') {
      report(
        'stray',
        `${SNAT6_VMAP} has a key natgw does not write: ${canonicalNftJson(element.key)}`,
      );
      continue;
    }
    const privateIp = element.key;
    vmapKeys.add(privateIp);
    const scope = { family: 'IPv6', privateIp } as const;
    const jump = isObject(element.value) ? element.value.jump : undefined;
    const chain = isObject(jump) && typeof jump.target === 'string' ? jump.target : undefined;
    if (chain !== undefined) usedChains.add(chain);
    const ports = chain === undefined ? undefined : ranges.get(chain);
    const natIp = natIpOf.get(privateIp);
    if (!ports || natIp === undefined) {
      report(scope, `${SNAT6_VMAP}[${privateIp}] does not lead to a NAT IP and a port range`);
      continue;
    }
    found.push(natRule(element, 'IPv6', privateIp, natIp, ports));
    if (!nics.has(privateIp)) report(scope, `${privateIp} is not in set ${NICS6_SET}`);
    if (!natIps.has(natIp)) report(scope, `${natIp} is not in set ${NATIPS6_SET}`);
  }
  for (const key of natIpOf.keys()) {
    if (!vmapKeys.has(key)) {
      report('stray', `${NATIP6_MAP} maps ${key}, which no NAT rule uses`);
    }
  }
  for (const name of c.chains.keys()) {
    if (!parseSnat6RangeChainName(name) || usedChains.has(name)) continue;
    report('stray', `chain ${name} is not used by any NAT rule`);
  }
  for (const name of usedChains) {
    if (c.chains.has(name) && !ranges.has(name)) {
      report('stray', `chain ${name} holds rules natgw did not write`);
    }
  }
  return found;
}

function reportStrayMembers(
  sets: Map<string, Set<string>>,
  rules: readonly NatRule[],
  report: Report,
): void {
  const check = (name: string, wanted: Set<string>) => {
    const extra = [...(sets.get(name) ?? [])].filter((m) => !wanted.has(m));
    if (extra.length > 0) {
      report('stray', `set ${name} holds ${extra.slice(0, 3).join(', ')}, which no NAT rule uses`);
    }
  };
  const of = (family: 'IPv4' | 'IPv6', field: 'privateIp' | 'natIp') =>
    new Set(rules.filter((r) => r.family === family).map((r) => r[field]));
  check(NICS4_SET, of('IPv4', 'privateIp'));
  check(NATIPS4_SET, of('IPv4', 'natIp'));
  check(NICS6_SET, of('IPv6', 'privateIp'));
  check(NATIPS6_SET, of('IPv6', 'natIp'));
}

/**
 * Reads `nft -j list table inet <table>` output back into NAT rules. A rule is in effect only when
 * everything it depends on is exactly as natgw renders it: its map element, its IPv6 range chain,
 * its addresses in the filter sets, the set definitions, the uplinks and the base chains. A rule
 * that is not in effect is left out of `rules`, so a diff reports it missing (or changed, when a
 * hand-edited variant is readable). Whenever there is any problem, `rules` also holds the
 * UNEXPECTED_CONTENT marker, so a diff shows even drift that touches no rule (a stray element).
 */
export function parseNatRuleset(document: NftJson, target: NatTableTarget): NatTableInspection {
  const c = collect(document, target.table);
  if (!c.tablePresent) return { present: false, rules: [], ineffective: [], problems: [] };
  const problems: NatTableProblem[] = [];
  const report: Report = (scope, message) => problems.push({ scope, message });

  for (const what of c.unknown) report('table', `unexpected object: ${what}`);
  const sets = checkDefinitions(c, report);
  const uplinks = sets.get(UPLINKS_SET) ?? new Set();
  if (uplinks.size !== target.uplinks.length || target.uplinks.some((u) => !uplinks.has(u))) {
    const has = [...uplinks].join(',') || 'nothing';
    report('table', `set ${UPLINKS_SET} holds ${has}, not ${target.uplinks.join(',')}`);
  }
  checkBaseChains(c, report);
  const ranges = readRangeChains(c, report);
  const found = [...readIpv4Rules(c, sets, report), ...readIpv6Rules(c, sets, ranges, report)];
  reportStrayMembers(sets, found, report);

  const tableWide = problems.some((p) => p.scope === 'table');
  const badRules = new Set<string>();
  for (const { scope } of problems) {
    if (typeof scope === 'object') badRules.add(`${scope.family}/${scope.privateIp}`);
  }
  const effective: NatRule[] = [];
  const ineffective: NatRule[] = [];
  for (const r of found) {
    const bad = tableWide || badRules.has(`${r.family}/${r.privateIp}`);
    (bad ? ineffective : effective).push(r);
  }
  if (problems.length > 0) effective.push(unexpectedContentMarker(problems));
  return {
    present: true,
    rules: sortNatRules(effective),
    ineffective: sortNatRules(ineffective),
    problems,
  };
}

function unexpectedContentMarker(problems: readonly NatTableProblem[]): NatRule {
  const first = problems[0]?.message ?? '';
  const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
  return {
    nicUid: UNEXPECTED_CONTENT_NIC_UID,
    nicName: `${first}${more}`,
    gatewayUid: '',
    family: 'IPv4',
    privateIp: '0.0.0.0',
    natIp: '0.0.0.0',
    port: 0,
    endPort: 0,
  };
}
