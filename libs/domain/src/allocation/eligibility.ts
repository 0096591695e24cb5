import { formatIp, parseIp, type IpFamily } from './addresses';
import { InvalidCreationTimestampError } from './errors';

/** What eligibility and planning need to know about a NATGateway. */
export interface NatGatewayInput {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly networkName: string;
  readonly ipFamily: IpFamily;
  readonly portsPerNetworkInterface: number;
  /** RFC 3339 creation time; the oldest gateway serves a NIC that several could serve. */
  readonly createdAt: string;
  /** A gateway being deleted serves no NIC, so its NICs move to the next one at once. */
  readonly deleting?: boolean;
}

/** What eligibility needs to know about a NetworkInterface. */
export interface NetworkInterfaceInput {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly networkName: string;
  /** Private (internal) addresses; the first of a family is the one NATed for that family. */
  readonly ips: readonly string[];
  /** A public address of the NIC's own; a NIC with one of a family needs no NAT in that family. */
  readonly virtualIp?: string;
  readonly nodeName?: string;
  /** RFC 3339 creation time; waiting NICs get slots oldest first. */
  readonly createdAt: string;
  /** A NIC being deleted frees its slot before it disappears. */
  readonly deleting?: boolean;
}

/** A NIC that a given gateway serves, with the private address NATed for the gateway's family. */
export interface EligibleNic {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** Canonical private address of the gateway's family. */
  readonly privateIp: string;
  readonly nodeName?: string;
  readonly createdAt: string;
}

/** Anything with a creation time, a name and a uid. */
export interface CreationOrdered {
  readonly uid: string;
  readonly name: string;
  readonly createdAt: string;
}

function creationTime(kind: string, item: CreationOrdered): number {
  const time = Date.parse(item.createdAt);
  if (Number.isNaN(time)) throw new InvalidCreationTimestampError(kind, item.uid, item.createdAt);
  return time;
}

/**
 * Orders by creation time, then name, then uid, so ties (timestamps with one-second precision)
 * still give one deterministic order.
 */
export function compareByCreation(a: CreationOrdered, b: CreationOrdered): number {
  const byTime = creationTime('object', a) - creationTime('object', b);
  if (byTime !== 0) return byTime;
  // Stryker disable next-line EqualityOperator: equivalent, the names differ here so < and <= agree
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}

/** The items in creation order (see compareByCreation), parsing each timestamp once. */
export function sortByCreation<T extends CreationOrdered>(
  items: Iterable<T>,
  kind = 'object',
): T[] {
  return [...items]
    .map((item) => ({ item, time: creationTime(kind, item) }))
    .sort((a, b) => a.time - b.time || compareByCreation(a.item, b.item))
    .map((entry) => entry.item);
}

/** The NIC's first private address of the family, canonical, or undefined if it has none. */
export function privateIpOfFamily(
  nic: NetworkInterfaceInput,
  family: IpFamily,
): string | undefined {
  for (const text of nic.ips) {
    const ip = parseIp(text);
    if (ip.family === family) return formatIp(ip);
  }
  return undefined;
}

/** True when the NIC has a public (virtual) address of the family, so needs no NAT in it. */
export function hasPublicIpOfFamily(nic: NetworkInterfaceInput, family: IpFamily): boolean {
  return nic.virtualIp !== undefined && parseIp(nic.virtualIp).family === family;
}

/**
 * True when the gateway could serve the NIC: both alive, same namespace and network, a private
 * address of the gateway's family and no public one. The one-gateway-per-family rule is applied
 * by servingGateway and eligibleNicsByGateway.
 */
export function canServe(gateway: NatGatewayInput, nic: NetworkInterfaceInput): boolean {
  return (
    gateway.deleting !== true &&
    nic.deleting !== true &&
    gateway.namespace === nic.namespace &&
    gateway.networkName === nic.networkName &&
    privateIpOfFamily(nic, gateway.ipFamily) !== undefined &&
    !hasPublicIpOfFamily(nic, gateway.ipFamily)
  );
}

/**
 * The gateway that holds the NIC's NAT claim for a family: of all gateways that could serve it,
 * the oldest (by compareByCreation). A newer gateway in the same network therefore never takes a
 * NIC from an older one; when the older one is deleted, the next oldest takes over.
 */
export function servingGateway(
  nic: NetworkInterfaceInput,
  family: IpFamily,
  gateways: Iterable<NatGatewayInput>,
): NatGatewayInput | undefined {
  let best: NatGatewayInput | undefined;
  for (const gateway of gateways) {
    if (gateway.ipFamily !== family || !canServe(gateway, nic)) continue;
    // Stryker disable next-line EqualityOperator: equivalent, 0 only for the same uid, i.e. the same gateway
    if (best === undefined || compareByCreation(gateway, best) < 0) best = gateway;
  }
  return best;
}

function toEligibleNic(nic: NetworkInterfaceInput, privateIp: string): EligibleNic {
  return {
    uid: nic.uid,
    namespace: nic.namespace,
    name: nic.name,
    privateIp,
    ...(nic.nodeName !== undefined ? { nodeName: nic.nodeName } : {}),
    createdAt: nic.createdAt,
  };
}

function servingKey(namespace: string, networkName: string, family: IpFamily): string {
  // NUL cannot occur in Kubernetes names, so the key is unambiguous.
  return `${namespace}\u0000${networkName}\u0000${family}`;
}

/**
 * The NICs each gateway serves, oldest first. Every gateway that is not being deleted has an
 * entry, possibly empty. Linear in gateways plus NICs, so it scales to a whole cluster.
 */
export function eligibleNicsByGateway(
  gateways: Iterable<NatGatewayInput>,
  nics: Iterable<NetworkInterfaceInput>,
): Map<string, EligibleNic[]> {
  const result = new Map<string, EligibleNic[]>();
  const serving = new Map<string, NatGatewayInput>();
  for (const gateway of gateways) {
    creationTime('NATGateway', gateway);
    if (gateway.deleting === true) continue;
    result.set(gateway.uid, []);
    const key = servingKey(gateway.namespace, gateway.networkName, gateway.ipFamily);
    const current = serving.get(key);
    // Stryker disable next-line EqualityOperator: equivalent, 0 only for the same uid, i.e. the same gateway
    if (current === undefined || compareByCreation(gateway, current) < 0) {
      serving.set(key, gateway);
    }
  }
  const ordered = sortByCreation(
    [...nics].filter((nic) => nic.deleting !== true),
    'NetworkInterface',
  );
  for (const nic of ordered) {
    for (const family of ['IPv4', 'IPv6'] as const) {
      const gateway = serving.get(servingKey(nic.namespace, nic.networkName, family));
      if (gateway === undefined || hasPublicIpOfFamily(nic, family)) continue;
      const privateIp = privateIpOfFamily(nic, family);
      if (privateIp === undefined) continue;
      result.get(gateway.uid)?.push(toEligibleNic(nic, privateIp));
    }
  }
  return result;
}

/**
 * The NICs one gateway serves, oldest first (empty for a gateway being deleted). Reads only the
 * gateways and NICs of its own namespace, network and family, so nothing elsewhere (not even a
 * malformed object) affects its answer.
 */
export function eligibleNicsForGateway(
  gateway: NatGatewayInput,
  gateways: Iterable<NatGatewayInput>,
  nics: Iterable<NetworkInterfaceInput>,
): EligibleNic[] {
  // Stryker disable next-line ConditionalExpression,BooleanLiteral: equivalent, a shortcut; eligibleNicsByGateway gives a gateway being deleted no entry either
  if (gateway.deleting === true) return [];
  const rivals = [...gateways].filter(
    (g) =>
      g.uid !== gateway.uid &&
      g.namespace === gateway.namespace &&
      g.networkName === gateway.networkName &&
      g.ipFamily === gateway.ipFamily,
  );
  const candidates = [...nics].filter(
    (nic) => nic.namespace === gateway.namespace && nic.networkName === gateway.networkName,
  );
  return eligibleNicsByGateway([gateway, ...rivals], candidates).get(gateway.uid) ?? [];
}
