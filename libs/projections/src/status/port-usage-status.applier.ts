import type { Condition, RecordedEvent, ResourceObject } from '@natgw/contracts';
import { gatewayPortUsageCounts, type NicPortUsage } from '@natgw/domain';
import { eventTime } from './allocation-status.applier';
import {
  NAT_PORT_USAGE_REPORTED,
  type PortUsageReportedData,
  type PortUsageSlot,
} from './port-usage-event';
import type { StatusApplierContext, StatusApplierRegistration } from './status-applier';

/** A NATGateway's last reported usage per NIC (by uid), served beside the object. */
export const PORT_USAGE_SUBRESOURCE = 'portusage';

/** The NIC condition: True while one of its slots has every port toward a destination in use. */
export const PORTS_EXHAUSTED_CONDITION = 'PortsExhausted';

type Status = Record<string, unknown>;
type NatEntry = Record<string, unknown>;

interface StoredNicUsage extends NicPortUsage {
  ip: string;
  port: number;
  endPort: number;
  inUse: number;
}

function isSlot(s: unknown): s is PortUsageSlot {
  const x = s as PortUsageSlot;
  return (
    !!x &&
    typeof x.namespace === 'string' &&
    typeof x.gateway === 'string' &&
    typeof x.networkInterfaceUID === 'string' &&
    typeof x.publicIP === 'string' &&
    Number.isInteger(x.port) &&
    Number.isInteger(x.endPort) &&
    Number.isInteger(x.inUse) &&
    Number.isInteger(x.peak) &&
    typeof x.exhausted === 'boolean'
  );
}

function generationOf(object: ResourceObject): number {
  return (object.metadata as { generation?: number }).generation ?? 1;
}

/** PortsExhausted from the NIC's reported slots; the transition time moves only with the status. */
function withPortsExhausted(status: Status, object: ResourceObject, at: string): Status {
  const nat = (status.nat as NatEntry[] | undefined) ?? [];
  const reported = nat.filter((n) => typeof n.exhausted === 'boolean');
  const conditions = ((status.conditions as Condition[] | undefined) ?? []).filter(
    (c) => c.type !== PORTS_EXHAUSTED_CONDITION,
  );
  if (reported.length > 0) {
    const full = reported.filter((n) => n.exhausted === true);
    const previous = (status.conditions as Condition[] | undefined)?.find(
      (c) => c.type === PORTS_EXHAUSTED_CONDITION,
    );
    const next = full.length > 0 ? 'True' : 'False';
    conditions.push({
      type: PORTS_EXHAUSTED_CONDITION,
      status: next,
      reason: full.length > 0 ? 'PortsExhausted' : 'PortsAvailable',
      message:
        full.length > 0
          ? full
              .map(
                (n) =>
                  `every port of ${String(n.ip)}:${String(n.port)}-${String(n.endPort)} toward one destination is in use; new connections to it are dropped`,
              )
              .join('; ')
          : 'every NAT slot has free ports',
      observedGeneration: generationOf(object),
      lastTransitionTime: previous && previous.status === next ? previous.lastTransitionTime : at,
    });
    conditions.sort((a, b) => a.type.localeCompare(b.type));
  }
  const { conditions: _old, ...rest } = status;
  return conditions.length > 0 ? { ...rest, conditions } : rest;
}

/**
 * Writes the reported usage into the NIC's `status.nat` entry of the slot (only if the NIC still
 * holds exactly that slot of that gateway: a late report of a released slot changes nothing) and
 * sets PortsExhausted. Returns false when the slot is not the NIC's.
 */
async function applyToNic(
  ctx: StatusApplierContext,
  slot: PortUsageSlot,
  observedAt: string,
  at: string,
): Promise<boolean> {
  const nic = await ctx.findByUid(slot.networkInterfaceUID);
  if (!nic || nic.kind !== 'NetworkInterface' || nic.namespace !== slot.namespace) return false;
  const holds = (n: NatEntry) =>
    (n.natGatewayRef as { name?: string } | undefined)?.name === slot.gateway &&
    n.ip === slot.publicIP &&
    n.port === slot.port &&
    n.endPort === slot.endPort;
  const nat = ((nic.object.status as Status | undefined)?.nat as NatEntry[] | undefined) ?? [];
  if (!nat.some(holds)) return false;
  await ctx.updateStatus(nic, (status, object) => {
    const next = ((status.nat as NatEntry[] | undefined) ?? []).map((n) =>
      holds(n)
        ? { ...n, inUse: slot.inUse, peak: slot.peak, exhausted: slot.exhausted, observedAt }
        : n,
    );
    return withPortsExhausted({ ...status, nat: next }, object, at);
  });
  return true;
}

function storedUsage(gateway: {
  subresources: Record<string, unknown>;
}): Record<string, StoredNicUsage> {
  const value = gateway.subresources[PORT_USAGE_SUBRESOURCE] as
    { nics?: Record<string, StoredNicUsage> } | undefined;
  return { ...(value?.nics ?? {}) };
}

/** Stores the gateway's per-NIC usage and recounts `status.portUsage`. */
async function saveGatewayUsage(
  ctx: StatusApplierContext,
  gateway: Parameters<StatusApplierContext['setSubresource']>[0],
  nics: Record<string, StoredNicUsage>,
  observedAt?: string,
): Promise<void> {
  await ctx.setSubresource(gateway, PORT_USAGE_SUBRESOURCE, { nics });
  await ctx.updateStatus(gateway, (status) => {
    const previous = status.portUsage as { observedAt?: string } | undefined;
    const at = observedAt ?? previous?.observedAt;
    return {
      ...status,
      portUsage: {
        ...gatewayPortUsageCounts(Object.values(nics)),
        ...(at ? { observedAt: at } : {}),
      },
    };
  });
}

async function applyReport(recorded: RecordedEvent, ctx: StatusApplierContext): Promise<void> {
  const data = recorded.data as PortUsageReportedData;
  if (!data || !Array.isArray(data.slots)) return;
  const at = eventTime(recorded);
  const observedAt = typeof data.observedAt === 'string' ? data.observedAt : at;
  const byGateway = new Map<string, PortUsageSlot[]>();
  for (const slot of data.slots) {
    if (!isSlot(slot)) continue;
    const key = `${slot.namespace}/${slot.gateway}`;
    byGateway.set(key, [...(byGateway.get(key) ?? []), slot]);
  }
  for (const slots of byGateway.values()) {
    const gateway = await ctx.find({
      kind: 'NATGateway',
      namespace: slots[0].namespace,
      name: slots[0].gateway,
    });
    if (!gateway) continue;
    const nics = storedUsage(gateway);
    let changed = false;
    for (const slot of slots) {
      if (!(await applyToNic(ctx, slot, observedAt, at))) continue;
      nics[slot.networkInterfaceUID.toLowerCase()] = {
        ip: slot.publicIP,
        port: slot.port,
        endPort: slot.endPort,
        size: slot.endPort - slot.port + 1,
        inUse: slot.inUse,
        peak: slot.peak,
        exhausted: slot.exhausted,
      };
      changed = true;
    }
    if (changed) await saveGatewayUsage(ctx, gateway, nics, observedAt);
  }
}

/** A NIC's slot changed or went away: its usage on that gateway is no longer known. */
async function forgetSlot(recorded: RecordedEvent, ctx: StatusApplierContext): Promise<void> {
  const d = recorded.data as { gatewayUid?: string; nicUid?: string };
  if (typeof d?.gatewayUid !== 'string' || typeof d.nicUid !== 'string') return;
  const gateway = await ctx.findByUid(d.gatewayUid);
  if (!gateway || gateway.kind !== 'NATGateway') return;
  const nics = storedUsage(gateway);
  const key = d.nicUid.toLowerCase();
  if (!(key in nics)) return;
  delete nics[key];
  await saveGatewayUsage(ctx, gateway, nics);
  const nic = await ctx.findByUid(d.nicUid);
  if (nic && nic.kind === 'NetworkInterface')
    await ctx.updateStatus(nic, (status, object) =>
      withPortsExhausted(status, object, eventTime(recorded)),
    );
}

/**
 * Port usage from the executors' NATPortUsageReported: the NICs' `status.nat[].inUse/peak`, their
 * PortsExhausted condition, and the gateways' `status.portUsage` counts. A released or reassigned
 * slot drops the NIC out of its gateway's counts.
 */
export const PORT_USAGE_STATUS_APPLIER: StatusApplierRegistration = {
  name: 'port-usage-status',
  eventTypes: [NAT_PORT_USAGE_REPORTED, 'NATSlotAssigned', 'NATSlotReleased'],
  apply: async (recorded, ctx) => {
    if (recorded.type === NAT_PORT_USAGE_REPORTED) await applyReport(recorded, ctx);
    else await forgetSlot(recorded, ctx);
  },
};
