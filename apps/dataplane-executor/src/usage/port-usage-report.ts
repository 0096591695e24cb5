import type { PortUsageReportedData, PortUsageSlot } from '@natgw/projections';
import type { SlotUsage } from './usage-tracker';

/** A gateway's namespace and name, by uid. */
export type GatewayNames = (gatewayUid: string) => { namespace: string; name: string } | undefined;

/** At most this many slots per event: a node's first report of 50,000 busy NICs is 50 events. */
export const SLOTS_PER_REPORT_EVENT = 1000;

/**
 * The NATPortUsageReported events for these changed slots, in slot order, split so that no event
 * lists more than `perEvent` slots. Slots of gateways whose name is unknown (deleted meanwhile)
 * are left out.
 */
export function portUsageReports(
  nodeName: string,
  observedAt: Date,
  windowSeconds: number,
  changed: readonly SlotUsage[],
  names: GatewayNames,
  perEvent = SLOTS_PER_REPORT_EVENT,
): { reports: PortUsageReportedData[]; reported: SlotUsage[] } {
  const reported: SlotUsage[] = [];
  const slots: PortUsageSlot[] = [];
  const sorted = [...changed].sort(
    (a, b) =>
      a.rule.nicUid.localeCompare(b.rule.nicUid) ||
      a.rule.natIp.localeCompare(b.rule.natIp) ||
      a.rule.port - b.rule.port,
  );
  for (const usage of sorted) {
    const gateway = names(usage.rule.gatewayUid);
    if (!gateway) continue;
    reported.push(usage);
    slots.push({
      namespace: gateway.namespace,
      gateway: gateway.name,
      networkInterface: usage.rule.nicName ?? usage.rule.nicUid,
      networkInterfaceUID: usage.rule.nicUid,
      publicIP: usage.rule.natIp,
      port: usage.rule.port,
      endPort: usage.rule.endPort,
      inUse: usage.inUse,
      peak: usage.peak,
      exhausted: usage.exhausted,
    });
  }
  const reports: PortUsageReportedData[] = [];
  for (let i = 0; i < slots.length; i += perEvent) {
    reports.push({
      nodeName,
      observedAt: observedAt.toISOString(),
      windowSeconds,
      slots: slots.slice(i, i + perEvent),
    });
  }
  return { reports, reported };
}
