import type { Condition, RecordedEvent, ResourceObject } from '@natgw/contracts';
import {
  AllocationEvent,
  ALLOCATION_EVENT_TYPES,
  compareIps,
  describePending,
  IpFamily,
  minExtraPublicIPsNeeded,
  slotsPerIp,
} from '@natgw/domain';
import type { StoredResource } from '../stored-resource';
import { updateNicSlotProgress } from './dataplane-nic-status';
import {
  ALL_NODES,
  DATAPLANE_CONDITION,
  DATAPLANE_SUBRESOURCE,
  dataplaneCondition,
  DataplaneProgress,
  dataplaneProgress,
  recordedSlotNics,
  servingNodes,
} from './dataplane-status';
import type { StatusApplierContext, StatusApplierRegistration } from './status-applier';
import { NAT_TABLE_SUBRESOURCE } from './status-applier';
import { activeIps, pruneReleasedIps, setGatewayIp } from './drain-ip-status';

/** The condition the allocator owns: True when every eligible NIC has a slot. */
export const ALLOCATED_CONDITION = 'Allocated';

type Status = Record<string, unknown>;

interface NatTableSection {
  ip: string;
  port: number;
  endPort: number;
  targetRef: { name: string; uid: string; nodeName?: string };
  /** A retiring slot (its IP drains): released at this instant. */
  retiringUntil?: string;
}

interface NatTable {
  ips: Array<{ ip: string; sections: NatTableSection[] }>;
}

/** Sets (or replaces) one condition; the transition time changes only when the status does. */
export function setCondition(status: Status, next: Condition): void {
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []) as Condition[];
  const previous = conditions.find((c) => c.type === next.type);
  const merged: Condition =
    previous && previous.status === next.status
      ? { ...next, lastTransitionTime: previous.lastTransitionTime }
      : next;
  status.conditions = [...conditions.filter((c) => c.type !== next.type), merged].sort((a, b) =>
    a.type.localeCompare(b.type),
  );
}

/** The status of one condition type, if present. */
export function conditionOf(status: Status, type: string): Condition | undefined {
  return ((status.conditions as Condition[] | undefined) ?? []).find((c) => c.type === type);
}

function generationOf(object: ResourceObject): number {
  return (object.metadata as { generation?: number }).generation ?? 1;
}

function specOf(object: ResourceObject): {
  ipFamily?: IpFamily;
  portsPerNetworkInterface?: number;
  dynamicPortAllocation?: { enabled?: boolean; minPortsPerNetworkInterface?: number };
} {
  return object.spec as ReturnType<typeof specOf>;
}

/** The slot size counts are in: ppni, or with dynamic port allocation its minimum (issue 17.4). */
function countingPpni(object: ResourceObject): number {
  const spec = specOf(object);
  const dpa = spec.dynamicPortAllocation;
  if (dpa?.enabled === true) return dpa.minPortsPerNetworkInterface ?? 32;
  return spec.portsPerNetworkInterface ?? 2048;
}

function recount(status: Status, object: ResourceObject): void {
  const ppni = countingPpni(object);
  // Slots are offered by the IPs that take new ones: a draining IP offers none.
  status.totalSlots = activeIps(status).length * slotsPerIp(ppni);
  const waiting = Number(status.waitingNICs ?? 0);
  status.requestedNICs = Number(status.usedSlots ?? 0) + waiting;
  // Port usage (issue 17.3): how many more public IPs would serve every waiting NIC; absent
  // while none waits.
  const extra = minExtraPublicIPsNeeded(waiting, ppni);
  if (extra > 0) status.minExtraPublicIPsNeeded = extra;
  else delete status.minExtraPublicIPsNeeded;
}

/** Ready follows Allocated (and, with a dataplane, DataplaneProgrammed). */
export function deriveReady(status: Status, generation: number, at: string): void {
  const parts = [
    conditionOf(status, ALLOCATED_CONDITION),
    conditionOf(status, 'DataplaneProgrammed'),
  ].filter((c): c is Condition => c !== undefined);
  const notReady = parts.find((c) => c.status !== 'True');
  if (parts.length === 0) return;
  setCondition(status, {
    type: 'Ready',
    status: notReady ? 'False' : 'True',
    reason: notReady ? notReady.reason : 'Ready',
    message: notReady ? notReady.message : 'public IPs and NAT slots are assigned',
    observedGeneration: generation,
    lastTransitionTime: at,
  });
}

function allocated(
  status: Status,
  generation: number,
  at: string,
  event: AllocationEvent,
  family: IpFamily,
): void {
  const waiting = Number(status.waitingNICs ?? 0);
  if (event.type === 'AllocationPending') {
    const d = event.data;
    setCondition(status, {
      type: ALLOCATED_CONDITION,
      status: 'False',
      reason: d.reason,
      message: describePending(
        { waiting: d.waiting, reason: d.reason, missingIps: d.missingIps },
        family,
      ),
      observedGeneration: generation,
      lastTransitionTime: at,
    });
    return;
  }
  if (waiting > 0 || conditionOf(status, ALLOCATED_CONDITION)?.status === 'False') return;
  setCondition(status, {
    type: ALLOCATED_CONDITION,
    status: 'True',
    reason: 'Allocated',
    message: 'every eligible network interface has a NAT slot',
    observedGeneration: generation,
    lastTransitionTime: at,
  });
}

function gatewayStatus(
  event: AllocationEvent,
  status: Status,
  object: ResourceObject,
  at: string,
): Status {
  const generation = generationOf(object);
  const family = specOf(object).ipFamily ?? 'IPv4';
  switch (event.type) {
    case 'NATGatewayIPAssigned':
      setGatewayIp(status, event.data.ip, () => ({ ip: event.data.ip, state: 'Active' }));
      break;
    case 'NATGatewayIPReleased': {
      const { ip, reason } = event.data;
      // A drained IP stays listed as Released while spec.drainIPs names it.
      setGatewayIp(status, ip, () =>
        reason === 'Drained' ? { ip, state: 'Released', releasedAt: at } : undefined,
      );
      break;
    }
    // --- drain (issue 17.1) ---
    case 'NATIPDrainStarted': {
      const { ip, deadline } = event.data;
      setGatewayIp(status, ip, () => ({ ip, state: 'Draining', drainDeadline: deadline }));
      break;
    }
    case 'NATIPDrainCancelled':
      setGatewayIp(status, event.data.ip, () => ({ ip: event.data.ip, state: 'Active' }));
      break;
    case 'NATSlotRetiring':
      status.usedSlots = Math.max(0, Number(status.usedSlots ?? 0) - 1);
      status.retiringSlots = Number(status.retiringSlots ?? 0) + 1;
      break;
    case 'NATRetiringSlotReleased':
      status.retiringSlots = Math.max(0, Number(status.retiringSlots ?? 0) - 1);
      if (status.retiringSlots === 0) delete status.retiringSlots;
      break;
    // --- end drain ---
    case 'NATSlotAssigned':
      status.usedSlots = Number(status.usedSlots ?? 0) + 1;
      break;
    case 'NATSlotReleased':
      status.usedSlots = Math.max(0, Number(status.usedSlots ?? 0) - 1);
      break;
    case 'AllocationPending':
      status.waitingNICs = event.data.waiting;
      break;
    case 'AllocationSatisfied':
      status.waitingNICs = 0;
      setCondition(status, {
        type: ALLOCATED_CONDITION,
        status: 'True',
        reason: 'Allocated',
        message: 'every eligible network interface has a NAT slot',
        observedGeneration: generation,
        lastTransitionTime: at,
      });
      break;
    case 'AllocationClosed':
      status.ips = [];
      status.usedSlots = 0;
      status.waitingNICs = 0;
      delete status.retiringSlots;
      delete status.portGrantsRefused;
      break;
    // Dynamic port allocation (issue 17.4): NICs whose grant of more ports was refused.
    case 'NATPortGrantsRefused':
      if (event.data.refused.length > 0) status.portGrantsRefused = event.data.refused.length;
      else delete status.portGrantsRefused;
      break;
    default: {
      const never: never = event;
      throw new Error(`unknown allocation event ${JSON.stringify(never)}`);
    }
  }
  pruneReleasedIps(status, (object.spec as { drainIPs?: unknown }).drainIPs);
  recount(status, object);
  if (event.type !== 'AllocationClosed') allocated(status, generation, at, event, family);
  status.observedGeneration = generation;
  return status;
}

/** Sets DataplaneProgrammed from the executors' progress, then Ready from both conditions. */
export function applyDataplaneProgress(
  status: Status,
  object: ResourceObject,
  progress: DataplaneProgress,
  nodes: string[],
  at: string,
): Status {
  const generation = generationOf(object);
  setCondition(status, {
    type: DATAPLANE_CONDITION,
    ...dataplaneCondition(progress, nodes),
    observedGeneration: generation,
    lastTransitionTime: at,
  });
  deriveReady(status, generation, at);
  return status;
}

/** The event time as a Kubernetes timestamp (second precision), so a rebuild writes the same status. */
export function eventTime(recorded: RecordedEvent): string {
  // toISOString always ends in `.sssZ`: cut the milliseconds (a regex cost more than the
  // rest of this applier's bookkeeping in a rebuild's profile).
  const iso = recorded.recordedAt.toISOString();
  return `${iso.slice(0, -5)}Z`;
}

/**
 * The gateway's NAT table, to change: the list of IPs is a copy, each IP entry and
 * section is the stored one, so `updateNatTable` replaces an entry or section it
 * changes instead of changing it in place (a deep copy at every allocation event
 * grew with the gateway's NICs and was most of a rebuild's copying).
 */
function natTableOf(stored: StoredResource): NatTable {
  const t = stored.subresources[NAT_TABLE_SUBRESOURCE] as NatTable | undefined;
  return { ips: t ? [...t.ips] : [] };
}

/** The table's entry of `ip`, replaced by a copy of it that may be changed (undefined when none). */
function ownEntry(table: NatTable, ip: string): NatTable['ips'][number] | undefined {
  const i = table.ips.findIndex((x) => x.ip === ip);
  if (i < 0) return undefined;
  const entry = { ip, sections: [...table.ips[i].sections] };
  table.ips[i] = entry;
  return entry;
}

function updateNatTable(table: NatTable, event: AllocationEvent): NatTable {
  switch (event.type) {
    case 'NATGatewayIPAssigned':
      if (!table.ips.some((x) => x.ip === event.data.ip))
        table.ips.push({ ip: event.data.ip, sections: [] });
      break;
    case 'NATGatewayIPReleased':
      table.ips = table.ips.filter((x) => x.ip !== event.data.ip);
      break;
    case 'NATSlotAssigned': {
      const d = event.data;
      let entry = ownEntry(table, d.ip);
      if (!entry) {
        entry = { ip: d.ip, sections: [] };
        table.ips.push(entry);
      }
      entry.sections = entry.sections.filter(
        (s) => s.targetRef.uid !== d.nicUid || s.retiringUntil !== undefined,
      );
      entry.sections.push({
        ip: d.privateIp,
        port: d.port,
        endPort: d.endPort,
        targetRef: {
          name: d.nicName,
          uid: d.nicUid,
          ...(d.nodeName ? { nodeName: d.nodeName } : {}),
        },
      });
      entry.sections.sort((a, b) => a.port - b.port);
      break;
    }
    case 'NATSlotReleased':
    case 'NATRetiringSlotReleased': {
      const d = event.data;
      const entry = ownEntry(table, d.ip);
      if (entry)
        entry.sections = entry.sections.filter(
          (s) => !(s.targetRef.uid === d.nicUid && s.port === d.port),
        );
      break;
    }
    case 'NATSlotRetiring': {
      // The section stays (its connections keep their mapping), marked until when.
      const d = event.data;
      const entry = ownEntry(table, d.ip);
      const at = entry?.sections.findIndex(
        (s) => s.targetRef.uid === d.nicUid && s.port === d.port,
      );
      if (entry && at !== undefined && at >= 0)
        entry.sections[at] = { ...entry.sections[at], retiringUntil: d.deadline };
      break;
    }
    case 'AllocationClosed':
      table.ips = [];
      break;
    case 'AllocationPending':
    case 'AllocationSatisfied':
    case 'NATIPDrainStarted':
    case 'NATIPDrainCancelled':
    case 'NATPortGrantsRefused':
      break;
    default: {
      const never: never = event;
      throw new Error(`unknown allocation event ${JSON.stringify(never)}`);
    }
  }
  table.ips.sort((a, b) => compareIps(a.ip, b.ip));
  return table;
}

async function updateNicStatus(
  event: AllocationEvent,
  gateway: StoredResource,
  ctx: StatusApplierContext,
): Promise<void> {
  if (
    event.type !== 'NATSlotAssigned' &&
    event.type !== 'NATSlotReleased' &&
    event.type !== 'NATSlotRetiring' &&
    event.type !== 'NATRetiringSlotReleased'
  )
    return;
  const nic = await ctx.findByUid(event.data.nicUid);
  if (!nic || nic.kind !== 'NetworkInterface') return;
  const family = specOf(gateway.object).ipFamily ?? 'IPv4';
  const d = event.data;
  const mine = (n: Record<string, unknown>) =>
    (n.natGatewayRef as { name: string }).name === gateway.name && n.ipFamily === family;
  const sameSlot = (n: Record<string, unknown>) => mine(n) && n.ip === d.ip && n.port === d.port;
  await ctx.updateStatus(nic, (status) => {
    const before = (status.nat as Array<Record<string, unknown>> | undefined) ?? [];
    if (event.type === 'NATSlotRetiring' || event.type === 'NATRetiringSlotReleased') {
      // A retiring slot stays in status.nat, marked, until it is released.
      const nat =
        event.type === 'NATSlotRetiring'
          ? before.map((n) => (sameSlot(n) ? { ...n, retiringUntil: event.data.deadline } : n))
          : before.filter((n) => !(sameSlot(n) && n.retiringUntil !== undefined));
      return { ...status, nat };
    }
    const nat = before.filter((n) => !(mine(n) && n.retiringUntil === undefined));
    if (event.type === 'NATSlotAssigned') {
      nat.push({
        ipFamily: family,
        natGatewayRef: { name: gateway.name },
        ip: d.ip,
        port: d.port,
        endPort: d.endPort,
      });
    }
    nat.sort((a, b) => String(a.ipFamily).localeCompare(String(b.ipFamily)));
    return { ...status, nat };
  });
}

/** Forgets a NIC's rejections on every node (its slot changed or went away). */
function forgetRejections(progress: DataplaneProgress, nicUid: string): void {
  for (const node of Object.keys(progress.rejected)) {
    delete progress.rejected[node][nicUid];
    if (Object.keys(progress.rejected[node]).length === 0) delete progress.rejected[node];
  }
}

/**
 * Follows the slots in the gateway's dataplane progress (which version assigned each, on which
 * node), and each affected NIC's record of its slots, from which its NATProgrammed follows: a new
 * slot waits for its node's next report; a released slot is forgotten.
 */
async function trackSlots(
  event: AllocationEvent,
  slotNics: readonly string[],
  progress: DataplaneProgress,
  gateway: StoredResource,
  ctx: StatusApplierContext,
  at: string,
): Promise<void> {
  const gatewayUid = event.data.gatewayUid;
  switch (event.type) {
    case 'NATSlotAssigned': {
      const d = event.data;
      const node = d.nodeName ?? ALL_NODES;
      const version = progress.allocationVersion;
      progress.slots[d.nicUid] = { version, node };
      forgetRejections(progress, d.nicUid);
      const programmed =
        (progress.programmed[node] ?? 0) >= version ||
        (progress.programmed[ALL_NODES] ?? 0) >= version;
      await updateNicSlotProgress(ctx, d.nicUid, at, (slots) => {
        slots[gatewayUid] = {
          gateway: gateway.name,
          family: specOf(gateway.object).ipFamily ?? 'IPv4',
          node,
          version,
          programmed,
        };
      });
      break;
    }
    case 'NATSlotReleased':
    case 'NATSlotRetiring':
      // A retiring slot is not programmed as a rule: the NIC's rule is its next active slot.
      delete progress.slots[event.data.nicUid];
      forgetRejections(progress, event.data.nicUid);
      await updateNicSlotProgress(ctx, event.data.nicUid, at, (slots) => {
        delete slots[gatewayUid];
      });
      break;
    case 'AllocationClosed':
      progress.slots = {};
      progress.rejected = {};
      for (const nicUid of [...slotNics].sort())
        await updateNicSlotProgress(ctx, nicUid, at, (slots) => {
          delete slots[gatewayUid];
        });
      break;
    default:
      break;
  }
}

/** Fills NATGateway status, the `nattable` subresource and NIC `status.nat` from allocation events. */
export const ALLOCATION_STATUS_APPLIER: StatusApplierRegistration = {
  name: 'allocation-status',
  eventTypes: ALLOCATION_EVENT_TYPES,
  apply: async (recorded: RecordedEvent, ctx: StatusApplierContext) => {
    const event = recorded as unknown as AllocationEvent;
    const gateway = await ctx.findByUid(event.data.gatewayUid);
    if (!gateway || gateway.kind !== 'NATGateway') return;
    const at = eventTime(recorded);
    const table = updateNatTable(natTableOf(gateway), event);
    const slotNics = recordedSlotNics(gateway);
    const progress: DataplaneProgress = {
      ...dataplaneProgress(gateway),
      allocationVersion: recorded.version,
    };
    await trackSlots(event, slotNics, progress, gateway, ctx, at);
    await ctx.setSubresource(gateway, NAT_TABLE_SUBRESOURCE, table);
    await ctx.setSubresource(gateway, DATAPLANE_SUBRESOURCE, progress);
    const nodes = servingNodes({
      ...gateway,
      subresources: { ...gateway.subresources, [NAT_TABLE_SUBRESOURCE]: table },
    });
    await ctx.updateStatus(gateway, (status, object) =>
      applyDataplaneProgress(gatewayStatus(event, status, object, at), object, progress, nodes, at),
    );
    await updateNicStatus(event, gateway, ctx);
  },
};
