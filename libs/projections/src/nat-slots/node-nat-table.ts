import { EntityManager } from 'typeorm';
import {
  DEFAULT_NATGATEWAY_TIMEOUTS,
  type NATGatewayLogging,
  type NATGatewayTimeouts,
} from '@natgw/contracts';
import { natTimeoutsProfile, type NatRule } from '@natgw/domain';

/** What the dataplane needs of a gateway besides its slots (spec.logging; issue 17.5). */
export interface NodeNatGateway {
  namespace: string;
  name: string;
  logging?: NATGatewayLogging;
}

/** What one node must program: its NAT rules, and the allocation version of each gateway they come from. */
export interface NodeNatTable {
  rules: NatRule[];
  /** Allocation stream version by gateway uid, for the gateways with NICs on this node. */
  gatewayVersions: Record<string, number>;
  /** The gateways with NICs on this node, by uid (absent when the gateway object is gone). */
  gateways: Record<string, NodeNatGateway>;
}

interface SlotRow {
  gateway_uid: string;
  nic_uid: string;
  nic_name: string;
  family: 'IPv4' | 'IPv6';
  private_ip: string;
  nat_ip: string;
  port: number;
  end_port: number;
  vni: number | null;
  version: number;
  gateway_namespace: string | null;
  gateway_name: string | null;
  timeouts: Partial<NATGatewayTimeouts> | null;
  logging: NATGatewayLogging | null;
}

/**
 * The desired NAT table of a node from the nat-slots read model. Without a node
 * name (single-node mode) it is every slot. Each rule carries its network's VNI when the
 * allocator recorded one.
 */
export async function readNodeNatTable(
  manager: EntityManager,
  nodeName?: string,
): Promise<NodeNatTable> {
  const rows: SlotRow[] = await manager.query(
    `SELECT s.gateway_uid::text AS gateway_uid, s.nic_uid::text AS nic_uid, s.nic_name, s.family,
            s.private_ip, s.nat_ip, s.port, s.end_port, s.vni, v.version,
            g.namespace AS gateway_namespace, g.name AS gateway_name,
            g.object #> '{spec,timeouts}' AS timeouts, g.object #> '{spec,logging}' AS logging
       FROM natgw_nat_slots s JOIN natgw_allocation_versions v USING (gateway_uid)
       LEFT JOIN natgw_resources g ON g.kind = 'NATGateway' AND g.uid = s.gateway_uid
      WHERE $1::text IS NULL OR s.node_name = $1
      ORDER BY s.family, s.nic_uid`,
    [nodeName ?? null],
  );
  const gatewayVersions: Record<string, number> = {};
  const gateways: Record<string, NodeNatGateway> = {};
  for (const r of rows) {
    gatewayVersions[r.gateway_uid] = r.version;
    if (r.gateway_name !== null && r.gateway_namespace !== null && !gateways[r.gateway_uid]) {
      gateways[r.gateway_uid] = {
        namespace: r.gateway_namespace,
        name: r.gateway_name,
        ...(r.logging ? { logging: r.logging } : {}),
      };
    }
  }
  return {
    rules: rows.map((r) => ({
      nicUid: r.nic_uid,
      nicName: r.nic_name,
      gatewayUid: r.gateway_uid,
      family: r.family,
      ...(r.vni !== null ? { vni: r.vni } : {}),
      privateIp: r.private_ip,
      natIp: r.nat_ip,
      port: r.port,
      endPort: r.end_port,
      // spec.timeouts of the gateway (issue 17.2): absent = the kernel's defaults.
      ...(r.timeouts
        ? { timeouts: natTimeoutsProfile({ ...DEFAULT_NATGATEWAY_TIMEOUTS, ...r.timeouts }) }
        : {}),
    })),
    gatewayVersions,
    gateways,
  };
}
