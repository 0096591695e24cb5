import type { EntityManager } from 'typeorm';
import {
  dynamicPortAllocationFrom,
  type NATGatewayDynamicPortAllocation,
  type RecordedEvent,
} from '@natgw/contracts';
import type { DynamicPortAllocation, PlanAllocationInput, SlotUsage } from '@natgw/domain';
import type { GatewayRecord, NicRecord } from '../state/resource-inputs';
import type { NetworkKey } from './reconcile-network';

// --- dynamic port allocation (issue 17.4): what the planner needs, from the read model ---------

/** spec.dynamicPortAllocation as the planner takes it; undefined when absent or disabled. */
export function dynamicPortConfig(gateway: GatewayRecord): DynamicPortAllocation | undefined {
  const stored = gateway.dynamicPortAllocation;
  if (stored === null || typeof stored !== 'object') return undefined;
  const spec: NATGatewayDynamicPortAllocation = dynamicPortAllocationFrom(stored);
  if (!spec.enabled) return undefined;
  return {
    minPorts: spec.minPortsPerNetworkInterface,
    maxPorts: spec.maxPortsPerNetworkInterface,
    growAtPercent: spec.growAtPercent,
    shrinkAfterSeconds: spec.shrinkAfterSeconds,
  };
}

interface NatStatusEntry {
  ipFamily?: unknown;
  natGatewayRef?: { name?: unknown };
  ip?: unknown;
  port?: unknown;
  endPort?: unknown;
  inUse?: unknown;
  peak?: unknown;
  observedAt?: unknown;
  retiringUntil?: unknown;
}

/**
 * Each NIC's last measured usage of its slot on the gateway, from its status.nat (the resources
 * projection folds the nodes' NATPortUsageReported into it, for the slot the NIC holds). A slot
 * whose last report shows nothing in use and a zero peak is idle since that report's time.
 */
export function slotUsageByNic(
  gateway: GatewayRecord,
  nics: readonly NicRecord[],
): Map<string, SlotUsage> {
  const usage = new Map<string, SlotUsage>();
  for (const nic of nics) {
    if (!Array.isArray(nic.nat)) continue;
    for (const entry of nic.nat as NatStatusEntry[]) {
      if (entry?.natGatewayRef?.name !== gateway.name || entry.ipFamily !== gateway.ipFamily)
        continue;
      if (entry.retiringUntil !== undefined) continue; // a retiring slot takes no new connection
      const { ip, port, endPort, inUse, peak, observedAt } = entry;
      if (typeof ip !== 'string' || typeof port !== 'number' || typeof endPort !== 'number')
        continue;
      if (typeof peak !== 'number' || typeof observedAt !== 'string') continue;
      const at = Date.parse(observedAt);
      const idle = peak === 0 && inUse === 0 && Number.isFinite(at);
      usage.set(nic.uid, { ip, port, endPort, peak, ...(idle ? { idleSince: at } : {}) });
    }
  }
  return usage;
}

/** The planner's dynamicPorts input for a gateway, or undefined without DPA. */
export function dynamicPortsInput(
  gateway: GatewayRecord,
  nics: readonly NicRecord[],
): PlanAllocationInput['dynamicPorts'] {
  const config = dynamicPortConfig(gateway);
  return config === undefined ? undefined : { config, usage: slotUsageByNic(gateway, nics) };
}

/**
 * The networks a usage report concerns: those of the reported slots' gateways that have dynamic
 * port allocation enabled (a report about fixed slots changes no allocation).
 */
export async function networksOfUsageReport(
  event: RecordedEvent,
  manager: EntityManager,
): Promise<NetworkKey[]> {
  const slots = (event.data as { slots?: Array<{ namespace?: unknown; gateway?: unknown }> }).slots;
  if (!Array.isArray(slots)) return [];
  const named = new Map<string, { namespace: string; gateway: string }>();
  for (const s of slots)
    if (typeof s?.namespace === 'string' && typeof s.gateway === 'string')
      named.set(`${s.namespace}/${s.gateway}`, { namespace: s.namespace, gateway: s.gateway });
  if (named.size === 0) return [];
  const rows: NetworkKey[] = await manager.query(
    `SELECT DISTINCT namespace, object #>> '{spec,networkRef,name}' AS network
       FROM natgw_resources
      WHERE kind = 'NATGateway'
        AND (namespace, name) IN (SELECT * FROM unnest($1::text[], $2::text[]))
        AND (object #>> '{spec,dynamicPortAllocation,enabled}') = 'true'`,
    [[...named.values()].map((n) => n.namespace), [...named.values()].map((n) => n.gateway)],
  );
  return rows;
}
// --- end dynamic port allocation ------------------------------------------------------------
