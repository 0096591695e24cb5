import type { NATGateway, NetworkInterface } from '@natgw/contracts';

/** One NIC slot of a gateway with its reported port usage. */
export interface SlotUsageRow {
  nic: string;
  slot: string;
  inUse: number;
  peak: number;
  size: number;
  exhausted: boolean;
}

/**
 * The gateway's NIC slots whose usage a node reported (status.nat[].inUse), busiest first (by
 * peak share of the slot, then name), at most `limit` of them.
 */
export function busiestSlots(
  gateway: NATGateway,
  nics: readonly NetworkInterface[],
  limit = 10,
): SlotUsageRow[] {
  const rows: SlotUsageRow[] = [];
  for (const n of nics) {
    if (n.metadata.namespace !== gateway.metadata.namespace) continue;
    for (const s of n.status?.nat ?? []) {
      if (s.natGatewayRef.name !== gateway.metadata.name || typeof s.inUse !== 'number') continue;
      rows.push({
        nic: n.metadata.name,
        slot: `${s.ip}:${s.port}-${s.endPort}`,
        inUse: s.inUse,
        peak: s.peak ?? s.inUse,
        size: s.endPort - s.port + 1,
        exhausted: s.exhausted === true,
      });
    }
  }
  rows.sort((a, b) => b.peak / b.size - a.peak / a.size || a.nic.localeCompare(b.nic));
  return rows.slice(0, limit);
}
