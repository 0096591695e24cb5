import { REPLY_PREFIX4, REPLY_PREFIX6, replyAddress } from './nat-table-layout';
import type { NatTableProblem } from './parse-nat-ruleset';
import type { NatNetwork } from './render-nat-ruleset';

/**
 * Network mode's routing, which lives outside nftables. A reply's destination is its network's
 * reply address while it is routed (see REPLY_PREFIX4/6), so one ip rule per family sends the
 * reply prefix to natgw's table, and that table holds one host route per network to the
 * network's interface: the lookup costs the same whatever the number of networks.
 *
 * natgw owns, in DATAPLANE_NETNS and for both families: every ip rule that looks up
 * NETWORK_ROUTE_TABLE, and every route in that table. It writes its rule at priority
 * NETWORK_RULE_PRIORITY. Nothing else is read or touched.
 */
export const NETWORK_RULE_PRIORITY = 5200;
export const NETWORK_ROUTE_TABLE = 7_000_000;

export type RouteFamily = 'IPv4' | 'IPv6';
export const ROUTE_FAMILIES: readonly RouteFamily[] = ['IPv4', 'IPv6'];

/** `ip -j rule show` and `ip -j route show table NETWORK_ROUTE_TABLE`, per family. */
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

const TABLE = String(NETWORK_ROUTE_TABLE);

function prefixOf(family: RouteFamily) {
  return family === 'IPv4' ? REPLY_PREFIX4 : REPLY_PREFIX6;
}

/** `to 240.0.0.0/16 table 7000000`: the selector and action of natgw's rule in a family. */
function ruleText(family: RouteFamily): string {
  const { addr, len } = prefixOf(family);
  return `pref ${NETWORK_RULE_PRIORITY} to ${addr}/${len} table ${TABLE}`;
}

/** True when an ip rule is exactly the one natgw writes for the family. */
function isNetworkRule(rule: Json, family: RouteFamily): boolean {
  const { addr, len } = prefixOf(family);
  const keys = Object.keys(rule).sort().join(',');
  return (
    keys === 'dst,dstlen,priority,src,table' &&
    rule.priority === NETWORK_RULE_PRIORITY &&
    rule.src === 'all' &&
    rule.dst === addr &&
    rule.dstlen === len &&
    rule.table === TABLE
  );
}

/** The route natgw writes for a network, as `ip -j route show table` prints its key fields. */
function isNetworkRoute(route: Json, network: NatNetwork, family: RouteFamily): boolean {
  return (
    route.dst === replyAddress(family, network.id) &&
    route.dev === network.ifname &&
    route.gateway === undefined &&
    route.via === undefined &&
    (route.type === undefined || route.type === 'unicast')
  );
}

/** The networks by their reply address in a family. */
function networksByAddress(
  networks: ReadonlyMap<number, NatNetwork>,
  family: RouteFamily,
): Map<string, NatNetwork> {
  return new Map([...networks.values()].map((n) => [replyAddress(family, n.id), n]));
}

/** natgw's rules (those looking up its table) in a family. */
function ownRules(dump: RoutingDump, family: RouteFamily): Json[] {
  return objects(dump.rules[family]).filter((r) => r.table === TABLE);
}

/**
 * What is wrong with natgw's routing for `networks`: its rule missing or changed (scope: table,
 * as no reply finds its network then), a network's route missing or changed (scope: that
 * network), and routes or rules no network needs (stray).
 */
export function routingProblems(
  dump: RoutingDump,
  networks: ReadonlyMap<number, NatNetwork>,
): NatTableProblem[] {
  const problems: NatTableProblem[] = [];
  for (const family of ROUTE_FAMILIES) {
    const ip = family === 'IPv4' ? 'ip -4' : 'ip -6';
    const rules = ownRules(dump, family);
    const exact = rules.filter((r) => isNetworkRule(r, family));
    if (networks.size > 0 && exact.length === 0) {
      problems.push({ scope: 'table', message: `${ip} rule "${ruleText(family)}" is missing` });
    }
    if (rules.length > (networks.size > 0 ? 1 : 0) || rules.length !== exact.length) {
      problems.push({
        scope: 'stray',
        message: `${ip} rules to table ${TABLE} are not just "${ruleText(family)}"`,
      });
    }
    const routes = objects(dump.routes[family]);
    for (const network of networks.values()) {
      if (!routes.some((route) => isNetworkRoute(route, network, family))) {
        problems.push({
          scope: { vni: network.vni },
          message: `${ip} route ${replyAddress(family, network.id)} dev ${network.ifname} table ${TABLE} is missing`,
        });
      }
    }
    const byAddress = networksByAddress(networks, family);
    const wanted = new Set(byAddress.keys());
    for (const route of routes) {
      const network = byAddress.get(String(route.dst));
      if (network && isNetworkRoute(route, network, family) && wanted.delete(String(route.dst))) {
        continue;
      }
      problems.push({
        scope: 'stray',
        message: `${ip} route ${String(route.dst)} in table ${TABLE} is no network's`,
      });
    }
  }
  return problems;
}

/**
 * The `ip -batch` input, per family, that makes natgw's routing exactly right for `networks`,
 * given what is there now: natgw's rules and routes that are not exactly right are deleted,
 * missing ones added. Empty text means nothing to do.
 */
export function renderRoutingRepair(
  dump: RoutingDump,
  networks: ReadonlyMap<number, NatNetwork>,
): Record<RouteFamily, string> {
  const out: Record<RouteFamily, string> = { IPv4: '', IPv6: '' };
  for (const family of ROUTE_FAMILIES) {
    const lines: string[] = [];
    let kept = false;
    for (const rule of ownRules(dump, family)) {
      if (networks.size > 0 && !kept && isNetworkRule(rule, family)) {
        kept = true;
        continue;
      }
      const to = typeof rule.dst === 'string' ? ` to ${rule.dst}/${String(rule.dstlen)}` : '';
      lines.push(`rule del pref ${String(rule.priority)}${to} table ${TABLE}`);
    }
    if (networks.size > 0 && !kept) lines.push(`rule add ${ruleText(family)}`);
    const routes = objects(dump.routes[family]);
    const byAddress = networksByAddress(networks, family);
    const good = new Set<number>();
    for (const route of routes) {
      const network = byAddress.get(String(route.dst));
      if (network && isNetworkRoute(route, network, family) && !good.has(network.id)) {
        good.add(network.id);
        continue;
      }
      lines.push(`route del ${String(route.dst)} dev ${String(route.dev)} table ${TABLE}`);
    }
    for (const network of networks.values()) {
      if (good.has(network.id)) continue;
      lines.push(
        `route replace ${replyAddress(family, network.id)} dev ${network.ifname} table ${TABLE}`,
      );
    }
    out[family] = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
  return out;
}

/**
 * The `ip -batch` input, per family, that takes natgw's routing from `from` networks to `to`
 * networks, for when it is known to hold exactly `from` (no read needed).
 */
export function renderRoutingChanges(
  from: ReadonlyMap<number, NatNetwork>,
  to: ReadonlyMap<number, NatNetwork>,
): Record<RouteFamily, string> {
  const out: Record<RouteFamily, string> = { IPv4: '', IPv6: '' };
  const same = (a: NatNetwork | undefined, b: NatNetwork) =>
    a !== undefined && a.id === b.id && a.ifname === b.ifname;
  for (const family of ROUTE_FAMILIES) {
    const lines: string[] = [];
    if (from.size === 0 && to.size > 0) lines.push(`rule add ${ruleText(family)}`);
    for (const [vni, network] of from) {
      if (same(to.get(vni), network)) continue;
      lines.push(
        `route del ${replyAddress(family, network.id)} dev ${network.ifname} table ${TABLE}`,
      );
    }
    for (const [vni, network] of to) {
      if (same(from.get(vni), network)) continue;
      lines.push(
        `route replace ${replyAddress(family, network.id)} dev ${network.ifname} table ${TABLE}`,
      );
    }
    if (from.size > 0 && to.size === 0) lines.push(`rule del ${ruleText(family)}`);
    out[family] = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
  return out;
}
