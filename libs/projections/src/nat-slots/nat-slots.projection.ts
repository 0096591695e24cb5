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

const SLOT_TYPES = [
  'uuid',
  'uuid',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
  'int',
  'int',
  'int',
];

interface VersionRow {
  gatewayUid: string;
  version: number;
  closed: boolean;
}

const VERSION_COLUMNS = ['gateway_uid', 'version', 'closed'] as const;
const VERSION_TYPES = ['uuid', 'int', 'boolean'];

function versionValues(v: VersionRow): CopyValue[] {
  return [v.gatewayUid, v.version, v.closed];
}

/** A slot's state after a batch: its row, or null when the batch released it. */
interface SlotChange {
  gatewayUid: string;
  nicUid: string;
  row: SlotRow | null;
}

/** The net change of consecutive events to the read model (see applyBatch). */
interface SlotDelta {
  /** Gateways whose allocation closed in the batch: their earlier rows go. */
  closed: Set<string>;
  /** By `<gateway>/<nic>` (lower-cased, as PostgreSQL compares uuids). */
  slots: Map<string, SlotChange>;
  /** By gateway (lower-cased): its version and state after the batch. */
  versions: Map<string, VersionRow>;
}

function slotDelta(events: readonly RecordedEvent[]): SlotDelta {
  const delta: SlotDelta = { closed: new Set(), slots: new Map(), versions: new Map() };
  for (const recorded of events) {
    const effect = slotEffect(recorded);
    if (!effect) continue;
    const gw = effect.gatewayUid.toLowerCase();
    if (effect.releaseAll) {
      delta.closed.add(gw);
      for (const [key, change] of delta.slots)
        if (change.gatewayUid.toLowerCase() === gw) delta.slots.delete(key);
    }
    const nic = effect.assign?.nicUid ?? effect.release;
    if (nic !== undefined)
      delta.slots.set(`${gw}/${nic.toLowerCase()}`, {
        gatewayUid: effect.gatewayUid,
        nicUid: nic,
        row: effect.assign ?? null,
      });
    delta.versions.set(gw, {
      gatewayUid: effect.gatewayUid,
      version: effect.version,
      closed: effect.closed,
    });
  }
  return delta;
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
    await this.applyBatch([recorded], manager);
  }

  /**
   * The batch's net change in at most four statements, whatever its size (it was two
   * statements an event): the slots of gateways whose allocation closed, the released slots,
   * the assigned ones (upserted), the gateways' versions. Same rows as applying the events
   * one by one: a later event on the same slot or gateway wins, and a close drops whatever
   * the batch assigned to that gateway before it.
   */
  async applyBatch(events: readonly RecordedEvent[], manager: EntityManager): Promise<void> {
    const delta = slotDelta(events);
    if (delta.versions.size === 0) return;
    if (delta.closed.size > 0)
      await manager.query(`DELETE FROM natgw_nat_slots WHERE gateway_uid = ANY($1::uuid[])`, [
        [...delta.closed],
      ]);
    const released = [...delta.slots.values()].filter((s) => s.row === null);
    if (released.length > 0)
      await manager.query(
        `DELETE FROM natgw_nat_slots s USING unnest($1::uuid[], $2::uuid[]) AS r(g, n)
          WHERE s.gateway_uid = r.g AND s.nic_uid = r.n`,
        [released.map((s) => s.gatewayUid), released.map((s) => s.nicUid)],
      );
    const assigned = [...delta.slots.values()].flatMap((s) => (s.row ? [s.row] : []));
    await insertColumns(
      manager,
      'natgw_nat_slots',
      SLOT_COLUMNS,
      SLOT_TYPES,
      assigned.map(slotValues),
      `ON CONFLICT (gateway_uid, nic_uid) DO UPDATE SET nic_name = EXCLUDED.nic_name,
         namespace = EXCLUDED.namespace, node_name = EXCLUDED.node_name, family = EXCLUDED.family,
         private_ip = EXCLUDED.private_ip, nat_ip = EXCLUDED.nat_ip, port = EXCLUDED.port,
         end_port = EXCLUDED.end_port, vni = EXCLUDED.vni`,
    );
    await insertColumns(
      manager,
      'natgw_allocation_versions',
      VERSION_COLUMNS,
      VERSION_TYPES,
      [...delta.versions.values()].map(versionValues),
      'ON CONFLICT (gateway_uid) DO UPDATE SET version = EXCLUDED.version, closed = EXCLUDED.closed',
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
          VERSION_COLUMNS,
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
  for (const v of versions.values()) yield versionValues(v);
}

/**
 * Inserts rows column-wise (one array parameter a column), 10,000 rows a statement, with an
 * optional ON CONFLICT clause (the rows of one call must not conflict with each other).
 */
async function insertColumns(
  manager: EntityManager,
  table: string,
  columns: readonly string[],
  types: readonly string[],
  rows: readonly unknown[][],
  onConflict = '',
): Promise<void> {
  for (let i = 0; i < rows.length; i += 10_000) {
    const chunk = rows.slice(i, i + 10_000);
    await manager.query(
      `INSERT INTO ${table} (${columns.join(', ')})
       SELECT * FROM unnest(${types.map((t, c) => `$${c + 1}::${t}[]`).join(', ')}) ${onConflict}`,
      columns.map((_, c) => chunk.map((r) => r[c])),
    );
  }
}
