import type { GatewayNatTable } from '../allocation';
import type { NatRule } from './nat-rule';

/**
 * The NAT rules one node programs for one gateway's NAT table: the sections whose NIC runs on
 * `nodeName`, or every section when `nodeName` is undefined (single-node mode). A section whose
 * NIC has no node yet belongs to no node. The family is the NAT IP's.
 */
export function natRulesForNode(
  gatewayUid: string,
  table: GatewayNatTable,
  nodeName?: string,
): NatRule[] {
  const rules: NatRule[] = [];
  for (const { ip: natIp, sections } of table.ips) {
    const family = natIp.includes(':') ? 'IPv6' : 'IPv4';
    for (const { ip: privateIp, port, endPort, targetRef, retiringUntil } of sections) {
      if (nodeName !== undefined && targetRef.nodeName !== nodeName) continue;
      // A retiring slot takes no new connection: conntrack keeps the old ones' mapping.
      if (retiringUntil !== undefined) continue;
      rules.push({
        nicUid: targetRef.uid,
        nicName: targetRef.name,
        gatewayUid,
        family,
        privateIp,
        natIp,
        port,
        endPort,
      });
    }
  }
  return rules;
}
