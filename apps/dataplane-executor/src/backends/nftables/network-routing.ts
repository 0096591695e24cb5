import type { NatTableProblem } from './parse-nat-ruleset';
import { MAX_NETWORK_ID } from './parse-nat-ruleset';
import type { NatNetwork } from './render-nat-ruleset';

/**
 * Network mode's policy routing, which lives outside nftables: replies carry their network's id
 * as packet mark (from the connection's ct mark), and one ip rule per network sends them to that
 * network's routing table, whose one route per family leads to the network's interface.
 *
 * natgw owns, in DATAPLANE_NETNS and for both families: every ip rule whose table is in
 * ROUTE_TABLE_BASE + 1 .. ROUTE_TABLE_BASE + 65535, and every route in those tables. It writes
 * its rules at priority NETWORK_RULE_PRIORITY. Nothing else is read or touched.
 */
export const NETWORK_RULE_PRIORITY = 5200;
/** A network with id n routes through table ROUTE_TABLE_BASE + n. */
export const ROUTE_TABLE_BASE = 7_000_000;

export type RouteFamily = 'IPv4' | 'IPv6';
export const ROUTE_FAMILIES: readonly RouteFamily[] = ['IPv4', 'IPv6'];

/** `ip -j rule show` / `ip -j route show table all` output, one array per family. */
export interface RoutingDump {
  readonly rules: Readonly<Record<RouteFamily, unknown>>;
  readonly routes: Readonly<Record<RouteFamily, unknown>>;
}

type Json = Record<string, unknown>;

function objects(value: unknown): Json[] {
  return Array.isArray(value)
    ? value.filter((v): v is Json => typeof v === 'object' && v !== null)
    : [];
}

/** The routing table of a network id. */
export function routeTableOf(id: number): number {
  return ROUTE_TABLE_BASE + id;
}

/** The network id of a table natgw owns, or undefined for any other table. */
function idOfTable(table: unknown): number | undefined {
  const number = typeof table === 'string' && /^\d+$/.test(table) ? Number(table) : NaN;
  const id = number - ROUTE_TABLE_BASE;
  return Number.isInteger(id) && id >= 1 && id <= MAX_NETWORK_ID ? id : undefined;
}

/** True when an ip rule is exactly the one natgw writes for network id `id`. */
function isNetworkRule(rule: Json, id: number): boolean {
  const keys = Object.keys(rule).sort().join(',');
  return (
    keys === 'fwmark,priority,src,table' &&
    rule.priority === NETWORK_RULE_PRIORITY &&
    rule.src === 'all' &&
    rule.fwmark === `0x${id.toString(16)}` &&
    rule.table === String(routeTableOf(id))
  );
}

/** True when a table's routes are exactly the one route natgw writes for the network. */
function isNetworkRoutes(routes: readonly Json[], network: NatNetwork): boolean {
  if (routes.length !== 1) return false;
  const [route] = routes as [Json];
  return (
    route.dst === 'default' &&
    route.dev === network.ifname &&
    route.gateway === undefined &&
    (route.type === undefined || route.type === 'unicast')
  );
}

interface OwnedRouting {
  /** natgw's ip rules (table in its range), per family. */
  readonly rules: Record<RouteFamily, Json[]>;
  /** Routes of natgw's tables, per family and network id. */
  readonly routes: Record<RouteFamily, Map<number, Json[]>>;
}

function owned(dump: RoutingDump): OwnedRouting {
  const result: OwnedRouting = {
    rules: { IPv4: [], IPv6: [] },
    routes: { IPv4: new Map(), IPv6: new Map() },
  };
  for (const family of ROUTE_FAMILIES) {
    result.rules[family] = objects(dump.rules[family]).filter(
      (r) => idOfTable(r.table) !== undefined,
    );
    for (const route of objects(dump.routes[family])) {
      const id = idOfTable(route.table);
      if (id === undefined) continue;
      const list = result.routes[family].get(id) ?? [];
      list.push(route);
      result.routes[family].set(id, list);
    }
  }
  return result;
}

/**
 * What is wrong with natgw's routing for `networks`: a network without its exact ip rule or
 * route (scope: that network, whose rules then count as not in effect), and natgw-owned rules or
 * routes that no network uses (stray).
 */
export function routingProblems(
  dump: RoutingDump,
  networks: ReadonlyMap<number, NatNetwork>,
): NatTableProblem[] {
  const problems: NatTableProblem[] = [];
  const mine = owned(dump);
  const ids = new Set([...networks.values()].map((n) => n.id));
  for (const family of ROUTE_FAMILIES) {
    const ip = family === 'IPv4' ? 'ip -4' : 'ip -6';
    for (const network of networks.values()) {
      const table = routeTableOf(network.id);
      const rules = mine.rules[family].filter((r) => idOfTable(r.table) === network.id);
      if (rules.length !== 1 || !isNetworkRule(rules[0] as Json, network.id)) {
        problems.push({
          scope: { vni: network.vni },
          message: `${ip} rule "fwmark ${network.id} lookup ${table}" of ${network.ifname} is missing or not natgw's`,
        });
      }
      if (!isNetworkRoutes(mine.routes[family].get(network.id) ?? [], network)) {
        problems.push({
          scope: { vni: network.vni },
          message: `${ip} route table ${table} does not hold just "default dev ${network.ifname}"`,
        });
      }
    }
    for (const rule of mine.rules[family]) {
      const id = idOfTable(rule.table) as number;
      if (!ids.has(id)) {
        problems.push({
          scope: 'stray',
          message: `${ip} rule to table ${String(rule.table)} is no network's`,
        });
      }
    }
    for (const id of mine.routes[family].keys()) {
      if (!ids.has(id)) {
        problems.push({
          scope: 'stray',
          message: `${ip} route table ${routeTableOf(id)} is no network's`,
        });
      }
    }
  }
  return problems;
}

/**
 * The `ip -batch` input, per family, that makes natgw's routing exactly right for `networks`,
 * given what is there now: natgw's rules that are not exactly right, or belong to no network, are
 * deleted; missing ones are added; a table that does not hold exactly its route is flushed and
 * refilled; tables of no network are flushed. Empty text means nothing to do.
 */
export function renderRoutingRepair(
  dump: RoutingDump,
  networks: ReadonlyMap<number, NatNetwork>,
): Record<RouteFamily, string> {
  const mine = owned(dump);
  const byId = new Map([...networks.values()].map((n) => [n.id, n]));
  const out: Record<RouteFamily, string> = { IPv4: '', IPv6: '' };
  for (const family of ROUTE_FAMILIES) {
    const lines: string[] = [];
    const good = new Set<number>();
    for (const rule of mine.rules[family]) {
      const id = idOfTable(rule.table) as number;
      if (byId.has(id) && !good.has(id) && isNetworkRule(rule, id)) {
        good.add(id);
        continue;
      }
      const selectors = [`pref ${String(rule.priority)}`];
      if (typeof rule.fwmark === 'string') {
        selectors.push(
          `fwmark ${rule.fwmark}${typeof rule.fwmask === 'string' ? `/${rule.fwmask}` : ''}`,
        );
      }
      lines.push(`rule del ${selectors.join(' ')} table ${String(rule.table)}`);
    }
    for (const network of byId.values()) {
      if (good.has(network.id)) continue;
      lines.push(
        `rule add pref ${NETWORK_RULE_PRIORITY} fwmark ${network.id} table ${routeTableOf(network.id)}`,
      );
    }
    for (const [id, routes] of mine.routes[family]) {
      const network = byId.get(id);
      if (network && isNetworkRoutes(routes, network)) continue;
      lines.push(`route flush table ${routeTableOf(id)}`);
    }
    for (const network of byId.values()) {
      const routes = mine.routes[family].get(network.id) ?? [];
      if (isNetworkRoutes(routes, network)) continue;
      lines.push(`route add default dev ${network.ifname} table ${routeTableOf(network.id)}`);
    }
    out[family] = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
  return out;
}

/**
 * The `ip -batch` input, per family, that takes the routing of `from` networks to `to` networks,
 * for when natgw's routing is known to hold exactly `from` (no read needed).
 */
export function renderRoutingChanges(
  from: ReadonlyMap<number, NatNetwork>,
  to: ReadonlyMap<number, NatNetwork>,
): Record<RouteFamily, string> {
  const lines: string[] = [];
  const same = (a: NatNetwork | undefined, b: NatNetwork) =>
    a !== undefined && a.id === b.id && a.ifname === b.ifname;
  for (const [vni, network] of from) {
    if (same(to.get(vni), network)) continue;
    const table = routeTableOf(network.id);
    lines.push(`rule del pref ${NETWORK_RULE_PRIORITY} fwmark ${network.id} table ${table}`);
    lines.push(`route flush table ${table}`);
  }
  for (const [vni, network] of to) {
    if (same(from.get(vni), network)) continue;
    const table = routeTableOf(network.id);
    lines.push(`rule add pref ${NETWORK_RULE_PRIORITY} fwmark ${network.id} table ${table}`);
    lines.push(`route add default dev ${network.ifname} table ${table}`);
  }
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  return { IPv4: text, IPv6: text };
}
