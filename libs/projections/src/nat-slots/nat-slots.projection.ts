import { EntityManager } from 'typeorm';
import type { RecordedEvent } from '@natgw/contracts';
import { AllocationEvent, ALLOCATION_EVENT_TYPES, ipFamilyOf } from '@natgw/domain';
import type { FoldStart, Projection, ProjectionFold } from '@natgw/event-store';
import { copyRows, CopyValue } from '../copy-rows';

/** The projection's name: its checkpoint is `projection:nat-slots`. */
export const NAT_SLOTS_PROJECTION_NAME = 'nat-slots';

const ALLOCATION_TYPES = new Set<string>(ALLOCATION_EVENT_TYPES);

/** One row of natgw_nat_slots, as the projection writes it. */
interface SlotRow {
  gatewayUid: string;
  nicUid: string;
  nicName: string;
  namespace: string;
  nodeName: string | null;
  family: 'IPv4' | 'IPv6';
  privateIp: string;
  natIp: string;
  port: number;
  endPort: number;
  vni: number | null;
}

/** What one allocation event does to the read model. */
interface SlotEffect {
  gatewayUid: string;
  /** The gateway's allocation stream version and whether it is closed, after the event. */
  version: number;
  closed: boolean;
  assign?: SlotRow;
  release?: string;
  releaseAll?: boolean;
}

function slotEffect(recorded: RecordedEvent): SlotEffect | undefined {
  if (!ALLOCATION_TYPES.has(recorded.type)) return undefined;
  const event = recorded as unknown as AllocationEvent;
  const gatewayUid = event.data.gatewayUid;
  const effect: SlotEffect = {
    gatewayUid,
    version: recorded.version,
    closed: event.type === 'AllocationClosed',
  };
  switch (event.type) {
    case 'NATSlotAssigned': {
      const d = event.data;
      effect.assign = {
        gatewayUid,
        nicUid: d.nicUid,
        nicName: d.nicName,
        namespace: d.namespace,
        nodeName: d.nodeName ?? null,
        family: ipFamilyOf(d.ip),
        privateIp: d.privateIp,
        natIp: d.ip,
        port: d.port,
        endPort: d.endPort,
        vni: d.vni ?? null,
      };
      return effect;
    }
    case 'NATSlotReleased':
    case 'NATSlotRetiring':
      // A retiring slot is no rule: new connections take the NIC's next active slot, and
      // conntrack keeps the mapping of the existing ones.
      effect.release = event.data.nicUid;
      return effect;
    case 'AllocationClosed':
      effect.releaseAll = true;
      return effect;
    case 'NATGatewayIPAssigned':
    case 'NATGatewayIPReleased':
    case 'AllocationPending':
    case 'AllocationSatisfied':
    case 'NATIPDrainStarted':
    case 'NATIPDrainCancelled':
    case 'NATRetiringSlotReleased':
    case 'NATPortGrantsRefused':
      return effect;
    default: {
      const never: never = event;
      throw new Error(`unknown allocation event ${JSON.stringify(never)}`);
    }
  }
}

const SLOT_COLUMNS = [
  'gateway_uid',
  'nic_uid',
  'nic_name',
  'namespace',
  'node_name',
  'family',
  'private_ip',
  'nat_ip',
  'port',
  'end_port',
  'vni',
] as const;

function slotValues(r: SlotRow): CopyValue[] {
  return [
    r.gatewayUid,
    r.nicUid,
    r.nicName,
    r.namespace,
    r.nodeName,
    r.family,
    r.privateIp,
    r.natIp,
    r.port,
    r.endPort,
    r.vni,
  ];
}

interface VersionRow {
  gatewayUid: string;
  version: number;
  closed: boolean;
}

/**
 * Every NIC's NAT slot with the node that serves it, from the allocation streams:
 * the desired state the dataplane executors program. Also each gateway's
 * allocation stream version, which the executors report back once programmed.
 */
export class NatSlotsProjection implements Projection {
  readonly name = NAT_SLOTS_PROJECTION_NAME;
  /** Bump when the same events would give other rows (snapshots of older code are then not used). */
  readonly foldVersion: number = 1;

  async apply(recorded: RecordedEvent, manager: EntityManager): Promise<void> {
    const effect = slotEffect(recorded);
    if (!effect) return;
    const { gatewayUid } = effect;
    if (effect.assign) {
      await manager.query(
        `INSERT INTO natgw_nat_slots (${SLOT_COLUMNS.join(', ')})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (gateway_uid, nic_uid) DO UPDATE SET nic_name = EXCLUDED.nic_name,
           namespace = EXCLUDED.namespace, node_name = EXCLUDED.node_name, family = EXCLUDED.family,
           private_ip = EXCLUDED.private_ip, nat_ip = EXCLUDED.nat_ip, port = EXCLUDED.port,
           end_port = EXCLUDED.end_port, vni = EXCLUDED.vni`,
        slotValues(effect.assign),
      );
    }
    if (effect.release !== undefined)
      await manager.query(`DELETE FROM natgw_nat_slots WHERE gateway_uid = $1 AND nic_uid = $2`, [
        gatewayUid,
        effect.release,
      ]);
    if (effect.releaseAll)
      await manager.query(`DELETE FROM natgw_nat_slots WHERE gateway_uid = $1`, [gatewayUid]);
    await manager.query(
      `INSERT INTO natgw_allocation_versions (gateway_uid, version, closed) VALUES ($1, $2, $3)
       ON CONFLICT (gateway_uid) DO UPDATE SET version = EXCLUDED.version, closed = EXCLUDED.closed`,
      [gatewayUid, effect.version, effect.closed],
    );
  }

  /** A rebuild's fold: the same effects on maps in memory, written once with COPY. */
  fold(_manager: EntityManager, start: FoldStart): ProjectionFold {
    // Keys are lower-cased uuids, as PostgreSQL's uuid type compares them.
    const slots = new Map<string, Map<string, SlotRow>>();
    const versions = new Map<string, VersionRow>();
    for (const part of (start.snapshot ?? []) as Array<{
      slots?: SlotRow[];
      versions?: VersionRow[];
    }>) {
      for (const r of part.slots ?? [])
        gatewaySlots(slots, r.gatewayUid).set(r.nicUid.toLowerCase(), r);
      for (const v of part.versions ?? []) versions.set(v.gatewayUid.toLowerCase(), v);
    }
    return {
      apply: async (events) => {
        for (const recorded of events) {
          const effect = slotEffect(recorded);
          if (!effect) continue;
          const gw = effect.gatewayUid.toLowerCase();
          if (effect.assign)
            gatewaySlots(slots, gw).set(effect.assign.nicUid.toLowerCase(), effect.assign);
          if (effect.release !== undefined) slots.get(gw)?.delete(effect.release.toLowerCase());
          if (effect.releaseAll) slots.delete(gw);
          versions.set(gw, {
            gatewayUid: effect.gatewayUid,
            version: effect.version,
            closed: effect.closed,
          });
        }
      },
      write: async (manager) => {
        await this.reset(manager);
        await copyRows(manager, 'natgw_nat_slots', SLOT_COLUMNS, slotRows(slots));
        await copyRows(
          manager,
          'natgw_allocation_versions',
          ['gateway_uid', 'version', 'closed'],
          versionRows(versions),
        );
      },
      snapshot: () => {
        const rows = [...slots.values()].flatMap((m) => [...m.values()]);
        const all = [...versions.values()];
        const parts: unknown[] = [];
        for (let i = 0; i < rows.length; i += 2000) parts.push({ slots: rows.slice(i, i + 2000) });
        for (let i = 0; i < all.length; i += 5000) parts.push({ versions: all.slice(i, i + 5000) });
        return parts;
      },
    };
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query('DELETE FROM natgw_nat_slots');
    await manager.query('DELETE FROM natgw_allocation_versions');
  }
}

function gatewaySlots(slots: Map<string, Map<string, SlotRow>>, gatewayUid: string) {
  const key = gatewayUid.toLowerCase();
  let m = slots.get(key);
  if (!m) slots.set(key, (m = new Map()));
  return m;
}

function* slotRows(slots: Map<string, Map<string, SlotRow>>): Generator<CopyValue[]> {
  for (const m of slots.values()) for (const r of m.values()) yield slotValues(r);
}

function* versionRows(versions: Map<string, VersionRow>): Generator<CopyValue[]> {
  for (const v of versions.values()) yield [v.gatewayUid, v.version, v.closed];
}
