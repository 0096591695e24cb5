import { DataplaneReadError } from '../dataplane-errors';
import { NETWORK_ROUTE_TABLE, type RouteFamily, type RoutingDump } from './network-routing';
import type { NftResult, NftRunner } from './nft-runner';

/**
 * Network mode reads routing with ONE `ip` process per family: `ip -4|-6 -j -br -batch -` of
 * this input prints three JSON arrays, one per line: the namespace's interfaces, the family's ip
 * rules and natgw's routing table.
 *
 * `link show` comes first because it fills ip's interface cache: without it, `route show` looks
 * up each route's device with a netlink socket of its own (profiled at 1,000 networks: 1,000
 * sockets per family, ~25 ms of CPU and 60-130 ms of wall time per read, five processes in all
 * with the interface list and the rules). A batch does not ask the kernel for a per-table
 * (strict) dump: the kernel dumps the family's routes and ip keeps natgw's table, which is cheap
 * while the namespace's other tables are small, as in a gateway namespace.
 */
export const ROUTING_READ = `link show\nrule show\nroute show table ${NETWORK_ROUTE_TABLE}\n`;

/** What one read of ROUTING_READ found in a family. */
export interface FamilyRouting {
  readonly links: unknown;
  readonly rules: unknown;
  readonly routes: unknown;
}

/**
 * The three listings of a ROUTING_READ batch, or an error message. An iproute2 that asks for a
 * strict dump in batches too says "FIB table does not exist" for a table without routes, and
 * stops there: that is an empty table.
 */
export function parseFamilyRouting(result: NftResult): FamilyRouting | string {
  const lines = result.stdout.split('\n').filter((line) => line !== '');
  const parsed: unknown[] = [];
  for (const line of lines.slice(0, 3)) {
    try {
      parsed.push(JSON.parse(line) as unknown);
    } catch {
      break;
    }
  }
  const noTable = /FIB table does not exist/.test(result.stderr);
  if (parsed.length === 2 && result.code !== 0 && noTable) parsed.push([]);
  if (result.code !== 0 && !noTable) return result.stderr.trim() || `exit ${String(result.code)}`;
  if (parsed.length !== 3 || !parsed.every(Array.isArray)) {
    return `ip -j -batch printed ${parsed.length} of 3 JSON listings${result.stderr ? `: ${result.stderr.trim()}` : ''}`;
  }
  const [links, rules, routes] = parsed;
  return { links, rules, routes };
}

/** The interface names in `ip -j link show` output. */
export function interfaceNames(links: unknown): Set<string> {
  const names = new Set<string>();
  if (!Array.isArray(links)) return names;
  for (const link of links as unknown[]) {
    const name = (link as { ifname?: unknown } | null)?.ifname;
    if (typeof name === 'string') names.add(name);
  }
  return names;
}

/** The routing dump of both families' reads. */
export function routingDump(ipv4: FamilyRouting, ipv6: FamilyRouting): RoutingDump {
  return {
    rules: { IPv4: ipv4.rules, IPv6: ipv6.rules },
    routes: { IPv4: ipv4.routes, IPv6: ipv6.routes },
  };
}

/** Reads a family's interfaces, rules and natgw's routes in one `ip` process. */
export async function readFamilyRouting(
  ip: NftRunner,
  family: RouteFamily,
  backend: string,
  where: string,
): Promise<FamilyRouting> {
  const flag = family === 'IPv4' ? '-4' : '-6';
  const read = parseFamilyRouting(await ip([flag, '-j', '-br', '-batch', '-'], ROUTING_READ));
  if (typeof read === 'string') throw new DataplaneReadError(backend, where, read);
  return read;
}

/** The names of the interfaces in the namespace (`ip -j -br link show`). */
export async function listInterfaces(
  ip: NftRunner,
  backend: string,
  where: string,
): Promise<Set<string>> {
  const result = await ip(['-j', '-br', 'link', 'show']);
  if (result.code !== 0) {
    throw new DataplaneReadError(backend, where, result.stderr || `exit ${String(result.code)}`);
  }
  try {
    return interfaceNames(JSON.parse(result.stdout || '[]') as unknown);
  } catch (error) {
    throw new DataplaneReadError(backend, where, `ip -j printed no JSON: ${String(error)}`);
  }
}
