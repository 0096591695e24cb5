import { type NatRule, sortNatRules } from '@natgw/domain';
import { decodeNatElementComment } from './nat-element-comment';
import {
  EXPECTED_SETS,
  NATIP6_MAP,
  NATIPS4_SET,
  NATIPS6_SET,
  NETADDR4_MAP,
  NETADDR6_MAP,
  NETID_MAP,
  NETZONE_MAP,
  NICS4_SET,
  NICS6_SET,
  type NatTableMode,
  type NftJson,
  SNAT4_MAP,
  SNAT6_VMAP,
  UPLINKS_SET,
  baseChains,
  expectedMaps,
  parseSnat6RangeChainName,
  replyAddress,
  snat6RangeRuleExpr,
} from './nat-table-layout';
import type { NatNetwork, NatTableTarget } from './render-nat-ruleset';
import {
  TIMEOUTS4_VMAP,
  TIMEOUTS6_VMAP,
  isNatgwTimeoutObject,
  parseTimeoutsChainName,
  timeoutChainRules,
  timeoutObjectName,
} from './nat-timeouts-layout';

/** The largest network id natgw uses: conntrack zones are 16 bits. */
export const MAX_NETWORK_ID = 65_535;

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
   * `stray`: content no rule accounts for, which breaks no rule by itself; `{ vni }`: every rule
   * of that network (network mode: its id, zone or routing); otherwise the one rule whose map
   * elements have that key (`10.0.0.2`, or `7 . 10.0.0.2` in network mode).
   */
  readonly scope:
    | 'table'
    | 'stray'
    | { readonly vni: number }
    | { readonly family: 'IPv4' | 'IPv6'; readonly element: string };
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
  /** Network mode: the networks whose netid and netzone entries agree, by vni. */
  readonly networks: Map<number, NatNetwork>;
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
  /** `ct timeout` objects by name (issue 17.2). */
  timeouts: Map<string, JsonObject>;
  unknown: string[];
}

function collect(document: NftJson, table: string): Collected {
  const c: Collected = {
    tablePresent: false,
    sets: new Map(),
    maps: new Map(),
    chains: new Map(),
    rules: new Map(),
    timeouts: new Map(),
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
      case 'ct timeout':
        c.timeouts.set(String(body.name), body);
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
  network: NatNetwork | undefined,
): NatRule {
  const decoded =
    element.comment === undefined ? undefined : decodeNatElementComment(element.comment);
  const nicUid = decoded?.nicUid ?? `${UNLABELLED_NIC_PREFIX}${privateIp}`;
  const gatewayUid = decoded?.gatewayUid ?? '';
  const { port, endPort } = ports;
  const rule: NatRule = { nicUid, gatewayUid, family, privateIp, natIp, port, endPort };
  // Network mode: the network the element is keyed by; shared mode: what the comment recorded.
  const vni = network ? network.vni : decoded?.vni;
  const withVni = vni === undefined ? rule : { ...rule, vni };
  return decoded?.nicName ? { ...withVni, nicName: decoded.nicName } : withVni;
}

type Report = (scope: NatTableProblem['scope'], message: string) => void;

function checkDefinitions(
  c: Collected,
  mode: NatTableMode,
  report: Report,
): Map<string, Set<string>> {
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
  const maps = expectedMaps(mode);
  for (const [name, definition] of Object.entries(maps)) {
    const map = c.maps.get(name);
    if (
      !map ||
      canonicalNftJson(map.type ?? null) !== canonicalNftJson(definition.type) ||
      map.map !== definition.map ||
      map.flags !== undefined
    ) {
      report('table', `map ${name} is missing or is not ${definition.text}`);
    }
  }
  for (const name of c.maps.keys()) {
    if (!(name in maps)) report('stray', `unexpected map ${name}`);
  }
  return members;
}

function checkBaseChains(c: Collected, mode: NatTableMode, report: Report): void {
  for (const base of baseChains(mode)) {
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
  mode: NatTableMode,
  report: Report,
): Map<string, { port: number; endPort: number }> {
  const baseNames = new Set(baseChains(mode).map((b) => b.name));
  const ranges = new Map<string, { port: number; endPort: number }>();
  for (const [name, chain] of c.chains) {
    if (baseNames.has(name)) continue;
    if (chain.hook !== undefined) {
      report('table', `unexpected base chain ${name}`);
      continue;
    }
    if (parseTimeoutsChainName(name)) continue; // readTimeouts checks these
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
      canonicalNftJson(expr) === canonicalNftJson(snat6RangeRuleExpr(portJson, mode))
    ) {
      ranges.set(name, ports);
    }
  }
  for (const name of c.rules.keys()) {
    if (!c.chains.has(name)) report('table', `rules in unknown chain ${name}`);
  }
  return ranges;
}

/** Where a map element's key points: a private address, in network mode within a network. */
interface ElementKey {
  /** The key as natgw writes it: `10.0.0.2`, or `7 . 10.0.0.2`. */
  readonly text: string;
  readonly privateIp: string;
  readonly network?: NatNetwork;
}

/**
 * Reads the networks of netid and netzone (network mode); they must agree exactly. `sound` are
 * the networks in effect; `named` also holds those with a problem (so that their elements are
 * still read as theirs, not in effect), except where an id is ambiguous.
 */
function readNetworks(
  c: Collected,
  vniOf: (ifname: string) => number | undefined,
  report: Report,
): { sound: Map<number, NatNetwork>; named: Map<number, NatNetwork> } {
  const entries = (name: string) => {
    const map = c.maps.get(name);
    const out = new Map<string, number>();
    for (const element of map ? elementsOf(map, true) : []) {
      if (typeof element.key === 'string' && typeof element.value === 'number') {
        out.set(element.key, element.value);
      } else report('stray', `${name} has an element natgw does not write`);
    }
    return out;
  };
  const ids = entries(NETID_MAP);
  const zones = entries(NETZONE_MAP);
  const sound = new Map<number, NatNetwork>();
  const named = new Map<number, NatNetwork>();
  const ifnameOfId = new Map<number, string>();
  const ambiguous = new Set<number>();
  for (const [ifname, id] of ids) {
    const vni = vniOf(ifname);
    if (vni === undefined) {
      report('stray', `${NETID_MAP} names ${ifname}, which is no network's interface`);
      continue;
    }
    if (!Number.isInteger(id) || id < 1 || id > MAX_NETWORK_ID) {
      report({ vni }, `${NETID_MAP}[${ifname}] is ${id}, not a network id in 1..${MAX_NETWORK_ID}`);
      continue;
    }
    const network = { vni, id, ifname };
    const other = ifnameOfId.get(id);
    if (other !== undefined) {
      const otherVni = vniOf(other) as number;
      report({ vni }, `${ifname} and ${other} share network id ${id}`);
      report({ vni: otherVni }, `${ifname} and ${other} share network id ${id}`);
      ambiguous.add(id);
      sound.delete(otherVni);
      continue;
    }
    ifnameOfId.set(id, ifname);
    named.set(vni, network);
    if (zones.get(ifname) !== id) {
      report({ vni }, `${NETZONE_MAP}[${ifname}] is not ${NETID_MAP}[${ifname}] (${id})`);
      continue;
    }
    sound.set(vni, network);
  }
  for (const [vni, network] of named) if (ambiguous.has(network.id)) named.delete(vni);
  // Each network's reply addresses, keyed by its id, exactly as natgw derives them.
  for (const [map, family] of [
    [NETADDR4_MAP, 'IPv4'],
    [NETADDR6_MAP, 'IPv6'],
  ] as const) {
    const addresses = new Map<number, NftJson>();
    const obj = c.maps.get(map);
    for (const element of obj ? elementsOf(obj, true) : []) {
      if (typeof element.key === 'number' && element.value !== undefined) {
        addresses.set(element.key, element.value);
      } else report('stray', `${map} has an element natgw does not write`);
    }
    const ids = new Set([...named.values()].map((n) => n.id));
    for (const network of named.values()) {
      const expected = replyAddress(family, network.id);
      if (addresses.get(network.id) !== expected) {
        report({ vni: network.vni }, `${map}[${network.id}] is not ${expected}`);
        sound.delete(network.vni);
      }
    }
    for (const id of addresses.keys()) {
      if (!ids.has(id)) report('stray', `${map} maps ${id}, which is no network's id`);
    }
  }
  for (const ifname of zones.keys()) {
    if (!ids.has(ifname))
      report('stray', `${NETZONE_MAP} names ${ifname}, which ${NETID_MAP} does not`);
  }
  return { sound, named };
}

/** Reads map element keys as the mode writes them. */
function elementKeyReader(
  mode: NatTableMode,
  networks: Map<number, NatNetwork>,
): (key: NftJson) => ElementKey | undefined {
  if (mode === 'shared') {
    return (key) => (typeof key === 'string' ? { text: key, privateIp: key } : undefined);
  }
  const byId = new Map([...networks.values()].map((n) => [n.id, n]));
  return (key) => {
    const concat = isObject(key) ? key.concat : undefined;
    if (!Array.isArray(concat) || concat.length !== 2) return undefined;
    const [id, privateIp] = concat;
    if (typeof id !== 'number' || typeof privateIp !== 'string') return undefined;
    const network = byId.get(id);
    return network ? { text: `${id} . ${privateIp}`, privateIp, network } : undefined;
  };
}

function readIpv4Rules(
  c: Collected,
  sets: Map<string, Set<string>>,
  readKey: (key: NftJson) => ElementKey | undefined,
  report: Report,
): NatRule[] {
  const found: NatRule[] = [];
  const map = c.maps.get(SNAT4_MAP);
  const nics = sets.get(NICS4_SET) ?? new Set();
  const natIps = sets.get(NATIPS4_SET) ?? new Set();
  for (const element of map ? elementsOf(map, true) : []) {
    const key = readKey(element.key);
    if (!key) {
      report(
        'stray',
        `${SNAT4_MAP} has a key natgw does not write: ${canonicalNftJson(element.key)}`,
      );
      continue;
    }
    const { privateIp } = key;
    const concat = isObject(element.value) ? element.value.concat : undefined;
    const natIp = Array.isArray(concat) ? concat[0] : undefined;
    const ports = Array.isArray(concat) && concat.length === 2 ? portRange(concat[1]) : undefined;
    const scope = { family: 'IPv4', element: key.text } as const;
    if (typeof natIp !== 'string' || !ports) {
      report(scope, `${SNAT4_MAP}[${key.text}] is not "<nat ip> . <port range>"`);
      continue;
    }
    found.push(natRule(element, 'IPv4', privateIp, natIp, ports, key.network));
    if (!nics.has(privateIp)) report(scope, `${privateIp} is not in set ${NICS4_SET}`);
    if (!natIps.has(natIp)) report(scope, `${natIp} is not in set ${NATIPS4_SET}`);
  }
  return found;
}

function readIpv6Rules(
  c: Collected,
  sets: Map<string, Set<string>>,
  ranges: Map<string, { port: number; endPort: number }>,
  readKey: (key: NftJson) => ElementKey | undefined,
  report: Report,
): NatRule[] {
  const natIpOf = new Map<string, string>();
  const natip6 = c.maps.get(NATIP6_MAP);
  for (const element of natip6 ? elementsOf(natip6, true) : []) {
    const key = readKey(element.key);
    if (key && typeof element.value === 'string') natIpOf.set(key.text, element.value);
    else report('stray', `${NATIP6_MAP} has an element natgw does not write`);
  }
  const nics = sets.get(NICS6_SET) ?? new Set();
  const natIps = sets.get(NATIPS6_SET) ?? new Set();
  const found: NatRule[] = [];
  const usedChains = new Set<string>();
  const vmapKeys = new Set<string>();
  const vmap = c.maps.get(SNAT6_VMAP);
  for (const element of vmap ? elementsOf(vmap, true) : []) {
    const key = readKey(element.key);
    if (!key) {
      report(
        'stray',
        `${SNAT6_VMAP} has a key natgw does not write: ${canonicalNftJson(element.key)}`,
      );
      continue;
    }
    const { privateIp } = key;
    vmapKeys.add(key.text);
    const scope = { family: 'IPv6', element: key.text } as const;
    const jump = isObject(element.value) ? element.value.jump : undefined;
    const chain = isObject(jump) && typeof jump.target === 'string' ? jump.target : undefined;
    if (chain !== undefined) usedChains.add(chain);
    const ports = chain === undefined ? undefined : ranges.get(chain);
    const natIp = natIpOf.get(key.text);
    if (!ports || natIp === undefined) {
      report(scope, `${SNAT6_VMAP}[${key.text}] does not lead to a NAT IP and a port range`);
      continue;
    }
    found.push(natRule(element, 'IPv6', privateIp, natIp, ports, key.network));
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

/**
 * Issue 17.2: the timeout profile of each element key (`IPv4/10.0.0.2`), for the elements of
 * timeouts4 / timeouts6 whose chain and two `ct timeout` objects are exactly natgw's. A broken
 * profile makes its elements' rules not in effect; unused chains and objects are strays.
 */
function readTimeouts(
  c: Collected,
  readKey: (key: NftJson) => ElementKey | undefined,
  report: Report,
): Map<string, string> {
  const sound = new Set<string>();
  const usedObjects = new Set<string>();
  for (const [name] of c.chains) {
    const parsed = parseTimeoutsChainName(name);
    if (!parsed) continue;
    const { family, profile, values } = parsed;
    const actual = (c.rules.get(name) ?? []).map((r) => canonicalNftJson(r.expr ?? null));
    const expected = timeoutChainRules(family, profile).map((r) => canonicalNftJson(r.expr));
    const objectsOk = (['tcp', 'udp'] as const).every((l4) => {
      const objectName = timeoutObjectName(family, l4, profile);
      usedObjects.add(objectName);
      const body = c.timeouts.get(objectName);
      return body !== undefined && isNatgwTimeoutObject(body, family, l4, values);
    });
    if (
      actual.length === expected.length &&
      actual.every((a, i) => a === expected[i]) &&
      objectsOk
    ) {
      sound.add(name);
    } else report('stray', `timeout chain ${name} or its ct timeout objects are not natgw's`);
  }
  for (const name of c.timeouts.keys()) {
    if (!usedObjects.has(name)) report('stray', `unexpected ct timeout ${name}`);
  }
  const byKey = new Map<string, string>();
  const usedChains = new Set<string>();
  for (const [vmapName, family] of [
    [TIMEOUTS4_VMAP, 'IPv4'],
    [TIMEOUTS6_VMAP, 'IPv6'],
  ] as const) {
    const vmap = c.maps.get(vmapName);
    for (const element of vmap ? elementsOf(vmap, true) : []) {
      const key = readKey(element.key);
      const jump = isObject(element.value) ? element.value.jump : undefined;
      const chain = isObject(jump) && typeof jump.target === 'string' ? jump.target : undefined;
      const parsed = chain === undefined ? undefined : parseTimeoutsChainName(chain);
      if (!key || !chain || !parsed || parsed.family !== family) {
        report('stray', `${vmapName} has an element natgw does not write`);
        continue;
      }
      usedChains.add(chain);
      if (!sound.has(chain)) {
        report(
          { family, element: key.text },
          `${vmapName}[${key.text}] jumps to a broken ${chain}`,
        );
        continue;
      }
      byKey.set(`${family}/${key.text}`, parsed.profile);
    }
  }
  for (const name of sound) {
    if (!usedChains.has(name)) report('stray', `chain ${name} is not used by any NAT rule`);
  }
  return byKey;
}

/** The rules with the timeout profile their element key has, if any. */
function withTimeouts(
  rules: readonly NatRule[],
  profiles: ReadonlyMap<string, string>,
  named: ReadonlyMap<number, NatNetwork>,
  report: Report,
): NatRule[] {
  const seen = new Set<string>();
  const out = rules.map((r) => {
    const network = r.vni === undefined ? undefined : named.get(r.vni);
    const element = network ? `${network.id} . ${r.privateIp}` : r.privateIp;
    const key = `${r.family}/${element}`;
    seen.add(key);
    const profile = profiles.get(key);
    return profile === undefined ? r : { ...r, timeouts: profile };
  });
  for (const key of profiles.keys()) {
    if (!seen.has(key)) report('stray', `timeout element ${key} belongs to no NAT rule`);
  }
  return out;
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

/** How to read a table: its mode, and in network mode which interface names are networks'. */
export interface NatTableReading {
  readonly mode: NatTableMode;
  /** Network mode: the vni of a network interface name, or undefined for any other name. */
  readonly vniOf?: (ifname: string) => number | undefined;
}

/**
 * Reads `nft -j list table inet <table>` output back into NAT rules. A rule is in effect only when
 * everything it depends on is exactly as natgw renders it: its map element, its IPv6 range chain,
 * its addresses in the filter sets, the set definitions, the uplinks and the base chains, and in
 * network mode its network's netid and netzone entries (which must agree). A rule that is not in
 * effect is left out of `rules`, so a diff reports it missing (or changed, when a hand-edited
 * variant is readable). Whenever there is any problem, `rules` also holds the UNEXPECTED_CONTENT
 * marker, so a diff shows even drift that touches no rule (a stray element). `extraProblems` of
 * the networks read (e.g. their routing, which lives outside nftables) count like the table's own.
 */
export function parseNatRuleset(
  document: NftJson,
  target: NatTableTarget,
  reading: NatTableReading = { mode: 'shared' },
  extraProblems: (networks: ReadonlyMap<number, NatNetwork>) => NatTableProblem[] = () => [],
): NatTableInspection {
  const c = collect(document, target.table);
  const { mode } = reading;
  if (!c.tablePresent) {
    return { present: false, rules: [], ineffective: [], problems: [], networks: new Map() };
  }
  const problems: NatTableProblem[] = [];
  const report: Report = (scope, message) => problems.push({ scope, message });

  for (const what of c.unknown) report('table', `unexpected object: ${what}`);
  const sets = checkDefinitions(c, mode, report);
  const uplinks = sets.get(UPLINKS_SET) ?? new Set();
  if (uplinks.size !== target.uplinks.length || target.uplinks.some((u) => !uplinks.has(u))) {
    const has = [...uplinks].join(',') || 'nothing';
    report('table', `set ${UPLINKS_SET} holds ${has}, not ${target.uplinks.join(',')}`);
  }
  checkBaseChains(c, mode, report);
  const ranges = readRangeChains(c, mode, report);
  const { sound: networks, named } =
    mode === 'network'
      ? readNetworks(c, reading.vniOf ?? (() => undefined), report)
      : { sound: new Map<number, NatNetwork>(), named: new Map<number, NatNetwork>() };
  const readKey = elementKeyReader(mode, named);
  const found = withTimeouts(
    [
      ...readIpv4Rules(c, sets, readKey, report),
      ...readIpv6Rules(c, sets, ranges, readKey, report),
    ],
    readTimeouts(c, readKey, report),
    named,
    report,
  );
  reportStrayMembers(sets, found, report);
  if (mode === 'network') {
    const used = new Set(found.map((r) => r.vni));
    for (const network of named.values()) {
      if (!used.has(network.vni)) {
        report('stray', `network ${network.ifname} (id ${network.id}) has no NAT rule`);
      }
    }
  }
  problems.push(...extraProblems(networks));

  const tableWide = problems.some((p) => p.scope === 'table');
  const badElements = new Set<string>();
  const badNetworks = new Set<number>();
  for (const { scope } of problems) {
    if (typeof scope !== 'object') continue;
    if ('vni' in scope) badNetworks.add(scope.vni);
    else badElements.add(`${scope.family}/${scope.element}`);
  }
  const effective: NatRule[] = [];
  const ineffective: NatRule[] = [];
  for (const r of found) {
    const network = r.vni === undefined ? undefined : named.get(r.vni);
    const element = network ? `${network.id} . ${r.privateIp}` : r.privateIp;
    const bad =
      tableWide ||
      badElements.has(`${r.family}/${element}`) ||
      (mode === 'network' && badNetworks.has(r.vni as number));
    (bad ? ineffective : effective).push(r);
  }
  if (problems.length > 0) effective.push(unexpectedContentMarker(problems));
  return {
    present: true,
    rules: sortNatRules(effective),
    ineffective: sortNatRules(ineffective),
    problems,
    networks,
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
