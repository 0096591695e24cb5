// The allocation invariants, checked from the log itself (allocation and pool
// streams folded with the domain's own folds) against the resource read model:
// no address or port is shared, every claimed address is held, every eligible
// NIC has a slot, and nothing is stuck in deletion. Shared by the e2e tests.
import {
  AllocationEvent,
  AllocationState,
  eligibleNicsByGateway,
  foldPool,
  initialIpPoolState,
  IpPoolEvent,
  NatGatewayInput,
  NetworkInterfaceInput,
  replayAllocation,
} from '@natgw/domain';

/** Runs a query against the system's database (NatgwSystem.query fits). */
export type QueryFn = <T = Record<string, unknown>>(
  sql: string,
  params?: unknown[],
) => Promise<T[]>;

interface EventRow {
  stream_id: string;
  type: string;
  data: Record<string, unknown>;
}

/** One row of natgw_resources, as the invariants read it. */
export interface ResourceRow {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  object: { metadata: Record<string, unknown>; spec: Record<string, unknown> };
}

/** Everything the invariants look at, straight from the log and the read model. */
export interface AllocationSnapshot {
  /** Folded allocation streams by gateway uid. */
  allocations: Map<string, AllocationState>;
  /** Claimed public IP -> gateway uid, folded from every pool stream. */
  claims: Map<string, string>;
  resources: ResourceRow[];
}

/** Reads the allocation and pool streams and the resource read model. */
export async function allocationSnapshot(query: QueryFn): Promise<AllocationSnapshot> {
  const events = await query<EventRow>(
    `SELECT stream_id, type, data FROM natgw_events
      WHERE stream_id LIKE 'allocation:%' OR stream_id LIKE 'ippool:%' ORDER BY stream_id, version`,
  );
  const allocations = new Map<string, AllocationState>();
  const byStream = new Map<string, EventRow[]>();
  for (const e of events) {
    const rows = byStream.get(e.stream_id) ?? [];
    rows.push(e);
    byStream.set(e.stream_id, rows);
  }
  const claims = new Map<string, string>();
  for (const [stream, rows] of byStream) {
    if (stream.startsWith('allocation:')) {
      allocations.set(
        stream.slice('allocation:'.length),
        replayAllocation(rows as unknown as AllocationEvent[]),
      );
    } else {
      const pool = foldPool(initialIpPoolState(), rows as unknown as IpPoolEvent[]);
      for (const [ip, uid] of pool.claims) claims.set(ip, uid);
    }
  }
  const resources = await query<ResourceRow>(
    `SELECT kind, namespace, name, uid::text AS uid, object FROM natgw_resources`,
  );
  return { allocations, claims, resources };
}

const isDeleting = (r: ResourceRow) =>
  r.object.metadata.deletionTimestamp !== undefined && r.object.metadata.deletionTimestamp !== null;

function gatewayInput(r: ResourceRow): NatGatewayInput {
  return {
    uid: r.uid,
    namespace: r.namespace,
    name: r.name,
    networkName: (r.object.spec.networkRef as { name: string }).name,
    ipFamily: r.object.spec.ipFamily as 'IPv4' | 'IPv6',
    portsPerNetworkInterface: r.object.spec.portsPerNetworkInterface as number,
    createdAt: r.object.metadata.creationTimestamp as string,
    deleting: isDeleting(r),
  };
}

function nicInput(r: ResourceRow): NetworkInterfaceInput {
  const virtualIp = (r.object.spec.virtualIP as { ip?: string } | undefined)?.ip;
  const nodeName = r.object.spec.nodeName as string | undefined;
  return {
    uid: r.uid,
    namespace: r.namespace,
    name: r.name,
    networkName: (r.object.spec.networkRef as { name: string }).name,
    ips: r.object.spec.ips as string[],
    ...(virtualIp !== undefined ? { virtualIp } : {}),
    ...(nodeName !== undefined ? { nodeName } : {}),
    createdAt: r.object.metadata.creationTimestamp as string,
    deleting: isDeleting(r),
  };
}

/**
 * Every broken invariant, in words (empty when all hold): an address held by two
 * gateways or claimed by none, a port shared by two NICs, an open allocation of a
 * gone gateway, an eligible NIC without a slot (assumes capacity to spare), an
 * object stuck in deletion.
 */
export function allocationProblems(s: AllocationSnapshot): string[] {
  const problems: string[] = [];
  const slotsByIp = new Map<
    string,
    Array<{ port: number; endPort: number; nic: string; gateway: string }>
  >();
  const ipOwner = new Map<string, string>();
  const live = new Set(s.resources.filter((r) => r.kind === 'NATGateway').map((r) => r.uid));
  for (const [uid, state] of s.allocations) {
    if (state.status === 'closed') continue;
    if (!live.has(uid)) problems.push(`gateway ${uid} is gone but its allocation is open`);
    for (const ip of state.ips) {
      if (ipOwner.has(ip)) problems.push(`${ip} held by ${ipOwner.get(ip)} and ${uid}`);
      ipOwner.set(ip, uid);
      if (s.claims.get(ip) !== uid)
        problems.push(`${ip} held by ${uid} but claimed by ${s.claims.get(ip)}`);
    }
    for (const slot of state.slots.values()) {
      const held = slotsByIp.get(slot.ip) ?? [];
      held.push({ port: slot.port, endPort: slot.endPort, nic: slot.nicUid, gateway: uid });
      slotsByIp.set(slot.ip, held);
    }
  }
  for (const [ip, held] of slotsByIp) {
    held.sort((a, b) => a.port - b.port);
    for (let i = 1; i < held.length; i++) {
      const [prev, cur] = [held[i - 1], held[i]];
      if (cur.port <= prev.endPort) {
        problems.push(
          `${ip} ports ${cur.port}-${prev.endPort} belong to NIC ${prev.nic} (gateway ${prev.gateway}) and NIC ${cur.nic} (gateway ${cur.gateway})`,
        );
      }
    }
  }
  for (const [ip, uid] of s.claims) {
    if (!ipOwner.has(ip)) problems.push(`${ip} claimed by ${uid} but held by no open allocation`);
  }
  const gateways = s.resources.filter((r) => r.kind === 'NATGateway').map(gatewayInput);
  const nics = s.resources.filter((r) => r.kind === 'NetworkInterface').map(nicInput);
  for (const [gatewayUid, eligible] of eligibleNicsByGateway(gateways, nics)) {
    const state = s.allocations.get(gatewayUid);
    for (const nic of eligible) {
      if (!state?.slots.has(nic.uid))
        problems.push(`eligible NIC ${nic.namespace}/${nic.name} has no slot`);
    }
  }
  for (const r of s.resources.filter(isDeleting))
    problems.push(`${r.kind} ${r.namespace}/${r.name} is still being deleted`);
  return problems;
}

/** A fingerprint of every open allocation (ips and slot holders), to tell when it stopped changing. */
export function allocationFingerprint(s: AllocationSnapshot): string {
  return JSON.stringify(
    [...s.allocations.entries()]
      .filter(([, a]) => a.status === 'open')
      .map(([u, a]) => [u, a.ips, [...a.slots.keys()].sort()])
      .sort(),
  );
}
