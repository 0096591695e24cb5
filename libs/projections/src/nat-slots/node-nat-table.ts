import { EntityManager } from 'typeorm';
import type { NatRule } from '@natgw/domain';

/** What one node must program: its NAT rules, and the allocation version of each gateway they come from. */
export interface NodeNatTable {
  rules: NatRule[];
  /** Allocation stream version by gateway uid, for the gateways with NICs on this node. */
  gatewayVersions: Record<string, number>;
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
            s.private_ip, s.nat_ip, s.port, s.end_port, s.vni, v.version
       FROM natgw_nat_slots s JOIN natgw_allocation_versions v USING (gateway_uid)
      WHERE $1::text IS NULL OR s.node_name = $1
      ORDER BY s.family, s.nic_uid`,
    [nodeName ?? null],
  );
  const gatewayVersions: Record<string, number> = {};
  for (const r of rows) gatewayVersions[r.gateway_uid] = r.version;
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
    })),
    gatewayVersions,
  };
}
