import type { NATGateway, NetworkInterface } from '@natgw/contracts';

const familyOf = (ip: string) => (ip.includes(':') ? 'IPv6' : 'IPv4');

/**
 * The NICs waiting for a slot of a gateway: NICs of its network with a private
 * address of its family, no virtual IP of that family, not being deleted, and no
 * slot from this gateway in status.nat.
 */
export function waitingNics(
  gateway: NATGateway,
  nics: readonly NetworkInterface[],
): NetworkInterface[] {
  const family = gateway.spec.ipFamily;
  return nics.filter(
    (n) =>
      n.metadata.namespace === gateway.metadata.namespace &&
      n.spec.networkRef.name === gateway.spec.networkRef.name &&
      !n.metadata.deletionTimestamp &&
      n.spec.ips.some((ip) => familyOf(ip) === family) &&
      !(n.spec.virtualIP && familyOf(n.spec.virtualIP.ip) === family) &&
      !(n.status?.nat ?? []).some(
        (s) => s.natGatewayRef.name === gateway.metadata.name && s.ipFamily === family,
      ),
  );
}
