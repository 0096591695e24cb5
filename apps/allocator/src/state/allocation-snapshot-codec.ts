import {
  AllocationPending,
  AllocationState,
  DrainingIp,
  NatSlot,
  RetiringSlot,
} from '@natgw/domain';
import { read, SnapshotCodec } from './snapshot-codec';

const PENDING_REASONS: readonly AllocationPending['reason'][] = [
  'PublicIPPoolExhausted',
  'MaxPublicIPsReached',
  'QuotaExceeded',
];

/** A slot, with its fields in the order the fold writes them. */
function slot(value: unknown, field: string): NatSlot {
  const o = read.object(value, field);
  return {
    nicUid: read.string(o.nicUid, `${field}.nicUid`),
    nicName: read.string(o.nicName, `${field}.nicName`),
    namespace: read.string(o.namespace, `${field}.namespace`),
    privateIp: read.string(o.privateIp, `${field}.privateIp`),
    ...(o.nodeName !== undefined ? { nodeName: read.string(o.nodeName, `${field}.nodeName`) } : {}),
    ...(o.vni !== undefined ? { vni: read.integer(o.vni, `${field}.vni`) } : {}),
    ip: read.string(o.ip, `${field}.ip`),
    port: read.integer(o.port, `${field}.port`),
    endPort: read.integer(o.endPort, `${field}.endPort`),
  };
}

function retiring(value: unknown, field: string): RetiringSlot {
  const o = read.object(value, field);
  return {
    ...slot(o, field),
    deadline: read.string(o.deadline, `${field}.deadline`),
    reason: read.oneOf(o.reason, ['Drained'] as const, `${field}.reason`),
  };
}

function draining(value: unknown, field: string): DrainingIp {
  const o = read.object(value, field);
  return {
    ip: read.string(o.ip, `${field}.ip`),
    deadline: read.string(o.deadline, `${field}.deadline`),
    deadlineSeconds: read.integer(o.deadlineSeconds, `${field}.deadlineSeconds`),
  };
}

function pending(value: unknown): AllocationPending {
  const o = read.object(value, 'pending');
  return {
    waiting: read.integer(o.waiting, 'pending.waiting'),
    reason: read.oneOf(o.reason, PENDING_REASONS, 'pending.reason'),
    missingIps: read.integer(o.missingIps, 'pending.missingIps'),
  };
}

/**
 * An `allocation:*` stream's state in a snapshot (layout 1): the maps as `[key, value]`
 * pairs in the state's order; `pending`, `draining` and `retiring` only when the state has
 * them (as the fold leaves them out).
 */
export const ALLOCATION_SNAPSHOT_CODEC: SnapshotCodec<AllocationState> = {
  schemaVersion: 1,
  encode: (state) => ({
    status: state.status,
    ips: state.ips,
    slots: [...state.slots],
    ...(state.pending !== undefined ? { pending: state.pending } : {}),
    ...(state.draining !== undefined ? { draining: [...state.draining] } : {}),
    ...(state.retiring !== undefined ? { retiring: [...state.retiring] } : {}),
  }),
  decode(json) {
    const o = read.object(json, 'allocation');
    const drainingIps =
      o.draining === undefined ? undefined : read.entries(o.draining, 'draining', draining);
    const retiringSlots =
      o.retiring === undefined ? undefined : read.entries(o.retiring, 'retiring', retiring);
    return {
      status: read.oneOf(o.status, ['open', 'closed'] as const, 'status'),
      ips: read.array(o.ips, 'ips').map((ip, i) => read.string(ip, `ips[${i}]`)),
      slots: read.entries(o.slots, 'slots', slot),
      ...(o.pending !== undefined ? { pending: pending(o.pending) } : {}),
      ...(drainingIps && drainingIps.size > 0 ? { draining: drainingIps } : {}),
      ...(retiringSlots && retiringSlots.size > 0 ? { retiring: retiringSlots } : {}),
    };
  },
};
