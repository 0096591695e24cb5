// The allocation invariants, checked by an oracle written from the rules' text
// (docs/architecture.md, "Allocation"), not from the domain's code: the log's
// allocation and pool streams are folded here by their documented meaning, and
// eligibility is decided here from the resources. What must hold once natgw has
// settled: no public address or port is shared, every held address is claimed and
// every claim held, every eligible NIC has a slot at the gateway that serves it, no
// NIC holds a slot it is not eligible for (a virtual IP of the family, another
// network, a younger gateway), every slot points at the NIC's current private IP,
// node and network VNI, and nothing is stuck in deletion. Shared by the e2e tests.
import * as ipaddr from 'ipaddr.js';

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
  object: {
    metadata: Record<string, unknown>;
    spec: Record<string, unknown>;
    status?: Record<string, unknown>;
  };
}

/** A slot as NATSlotAssigned recorded it. */
export interface OracleSlot {
  nicUid: string;
  nicName: string;
  privateIp: string;
  nodeName?: string;
  vni?: number;
  ip: string;
  port: number;
  endPort: number;
}

/** One gateway's allocation stream, folded by the events' documented meaning. */
export interface OracleAllocation {
  status: 'open' | 'closed';
  /** Public IPs held (NATGatewayIPAssigned minus NATGatewayIPReleased). */
  ips: string[];
  /** Slot by NIC uid (NATSlotAssigned minus NATSlotReleased). */
  slots: Map<string, OracleSlot>;
}

/** Everything the invariants look at, straight from the log and the read model. */
export interface AllocationSnapshot {
  /** Folded allocation streams by gateway uid. */
  allocations: Map<string, OracleAllocation>;
  /** Claimed public IP -> gateway uid, folded from every pool stream. */
  claims: Map<string, string>;
  resources: ResourceRow[];
}

/** An address in one spelling (RFC 5952 for IPv6), so that two spellings compare equal. */
function canonical(ip: string): string {
  try {
    return ipaddr.parse(ip).toString();
  } catch {
    return ip;
  }
}

function familyOf(ip: string): 'IPv4' | 'IPv6' {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** Folds one allocation stream: the events say what a gateway holds, nothing more. */
export function foldAllocationEvents(
  events: Array<Pick<EventRow, 'type' | 'data'>>,
): OracleAllocation {
  const state: OracleAllocation = { status: 'open', ips: [], slots: new Map() };
  for (const { type, data } of events) {
    switch (type) {
      case 'NATGatewayIPAssigned':
        if (!state.ips.includes(canonical(String(data.ip))))
          state.ips.push(canonical(String(data.ip)));
        break;
      case 'NATGatewayIPReleased':
        state.ips = state.ips.filter((ip) => ip !== canonical(String(data.ip)));
        break;
      case 'NATSlotAssigned':
        state.slots.set(String(data.nicUid), {
          nicUid: String(data.nicUid),
          nicName: String(data.nicName),
          privateIp: String(data.privateIp),
          ...(data.nodeName !== undefined ? { nodeName: String(data.nodeName) } : {}),
          ...(data.vni !== undefined ? { vni: Number(data.vni) } : {}),
          ip: canonical(String(data.ip)),
          port: Number(data.port),
          endPort: Number(data.endPort),
        });
        break;
      case 'NATSlotReleased':
        state.slots.delete(String(data.nicUid));
        break;
      case 'AllocationClosed':
        state.status = 'closed';
        state.ips = [];
        state.slots.clear();
        break;
      default:
        break; // AllocationPending, AllocationSatisfied: no holding changes.
    }
  }
  state.ips.sort();
  return state;
}

/** Folds the pool streams into claims: who holds each claimed address. */
export function foldClaims(events: Array<Pick<EventRow, 'type' | 'data'>>): Map<string, string> {
  const claims = new Map<string, string>();
  for (const { type, data } of events) {
    if (type === 'PublicIPClaimed') claims.set(canonical(String(data.ip)), String(data.gatewayUid));
    if (type === 'PublicIPReleased') claims.delete(canonical(String(data.ip)));
  }
  return claims;
}

/** Reads the allocation and pool streams and the resource read model. */
export async function allocationSnapshot(query: QueryFn): Promise<AllocationSnapshot> {
  const events = await query<EventRow>(
    `SELECT stream_id, type, data FROM natgw_events
      WHERE stream_id LIKE 'allocation:%' OR stream_id LIKE 'ippool:%' ORDER BY stream_id, version`,
  );
  const byStream = new Map<string, EventRow[]>();
  for (const e of events) {
    const rows = byStream.get(e.stream_id) ?? [];
    rows.push(e);
    byStream.set(e.stream_id, rows);
  }
  const allocations = new Map<string, OracleAllocation>();
  const poolEvents: EventRow[] = [];
  for (const [stream, rows] of byStream) {
    if (stream.startsWith('allocation:'))
      allocations.set(stream.slice('allocation:'.length), foldAllocationEvents(rows));
    else poolEvents.push(...rows);
  }
  const resources = await query<ResourceRow>(
    `SELECT kind, namespace, name, uid::text AS uid, object FROM natgw_resources`,
  );
  return { allocations, claims: foldClaims(poolEvents), resources };
}

const isDeleting = (r: ResourceRow) =>
  r.object.metadata.deletionTimestamp !== undefined && r.object.metadata.deletionTimestamp !== null;

const networkOf = (r: ResourceRow) => (r.object.spec.networkRef as { name: string }).name;

/** The private IP of a family on a NIC, if any (spec.ips holds at most one per family). */
function privateIpOf(nic: ResourceRow, family: 'IPv4' | 'IPv6'): string | undefined {
  const ips = (nic.object.spec.ips as string[] | undefined) ?? [];
  const ip = ips.find((x) => familyOf(x) === family);
  return ip === undefined ? undefined : canonical(ip);
}

function hasVirtualIpOf(nic: ResourceRow, family: 'IPv4' | 'IPv6'): boolean {
  const ip = (nic.object.spec.virtualIP as { ip?: string } | undefined)?.ip;
  return ip !== undefined && familyOf(ip) === family;
}

/** Oldest first: creation time, then name. */
function olderFirst(a: ResourceRow, b: ResourceRow): number {
  const ta = Date.parse(String(a.object.metadata.creationTimestamp));
  const tb = Date.parse(String(b.object.metadata.creationTimestamp));
  return ta !== tb ? ta - tb : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The NICs each live gateway must serve, by the text's rule: a NIC (not being deleted) is
 * eligible for a gateway when it is in the same namespace and network, has a private IP of the
 * gateway's family and no virtual IP of that family; of several such gateways, the oldest serves.
 */
function servedNics(s: AllocationSnapshot): Map<string, Map<string, string>> {
  const gateways = s.resources.filter((r) => r.kind === 'NATGateway' && !isDeleting(r));
  const nics = s.resources.filter((r) => r.kind === 'NetworkInterface' && !isDeleting(r));
  /** gateway uid -> NIC uid -> the private IP it must translate. */
  const served = new Map<string, Map<string, string>>(gateways.map((g) => [g.uid, new Map()]));
  for (const nic of nics) {
    for (const family of ['IPv4', 'IPv6'] as const) {
      const privateIp = privateIpOf(nic, family);
      if (privateIp === undefined || hasVirtualIpOf(nic, family)) continue;
      const candidates = gateways
        .filter(
          (g) =>
            g.namespace === nic.namespace &&
            networkOf(g) === networkOf(nic) &&
            g.object.spec.ipFamily === family,
        )
        .sort(olderFirst);
      if (candidates.length > 0) served.get(candidates[0].uid)!.set(nic.uid, privateIp);
    }
  }
  return served;
}

/**
 * Every broken invariant, in words (empty when all hold): an address held by two
 * gateways or claimed by none, a port shared by two NICs, a slot that is not a whole
 * aligned slot of the gateway's ppni on an address it holds, an open allocation of a
 * gone gateway, an eligible NIC without a slot (assumes capacity to spare), a slot of a
 * NIC that is not eligible for that gateway, a slot with a stale private IP, node or
 * VNI, an object stuck in deletion.
 */
export function allocationProblems(s: AllocationSnapshot): string[] {
  const problems: string[] = [];
  const byUid = new Map(s.resources.map((r) => [r.uid, r]));
  const nicName = (uid: string) => {
    const r = byUid.get(uid);
    return r ? `${r.namespace}/${r.name}` : uid;
  };
  const slotsByIp = new Map<
    string,
    Array<{ port: number; endPort: number; nic: string; gateway: string }>
  >();
  const ipOwner = new Map<string, string>();
  const served = servedNics(s);
  for (const [uid, state] of s.allocations) {
    if (state.status === 'closed') continue;
    const gateway = byUid.get(uid);
    if (!gateway || gateway.kind !== 'NATGateway')
      problems.push(`gateway ${uid} is gone but its allocation is open`);
    for (const ip of state.ips) {
      if (ipOwner.has(ip)) problems.push(`${ip} held by ${ipOwner.get(ip)} and ${uid}`);
      ipOwner.set(ip, uid);
      if (s.claims.get(ip) !== uid)
        problems.push(`${ip} held by ${uid} but claimed by ${s.claims.get(ip)}`);
    }
    const ppni = gateway?.object.spec.portsPerNetworkInterface as number | undefined;
    const mine = served.get(uid) ?? new Map<string, string>();
    for (const slot of state.slots.values()) {
      const what = `slot of NIC ${nicName(slot.nicUid)} at gateway ${gateway?.name ?? uid}`;
      const held = slotsByIp.get(slot.ip) ?? [];
      held.push({ port: slot.port, endPort: slot.endPort, nic: slot.nicUid, gateway: uid });
      slotsByIp.set(slot.ip, held);
      if (!state.ips.includes(slot.ip))
        problems.push(`${what} is on ${slot.ip}, which the gateway does not hold`);
      if (
        ppni !== undefined &&
        (slot.port < 1024 ||
          slot.endPort > 65535 ||
          slot.endPort - slot.port + 1 !== ppni ||
          (slot.port - 1024) % ppni !== 0)
      )
        problems.push(
          `${what} has ports ${slot.port}-${slot.endPort}, not one aligned slot of ${ppni} ports in 1024..65535`,
        );
      const privateIp = mine.get(slot.nicUid);
      if (privateIp === undefined) {
        problems.push(`${what}: the NIC is not eligible for that gateway`);
        continue;
      }
      const nic = byUid.get(slot.nicUid)!;
      if (canonical(slot.privateIp) !== privateIp)
        problems.push(
          `${what} translates ${slot.privateIp}, but the NIC's address is ${privateIp}`,
        );
      const node = nic.object.spec.nodeName as string | undefined;
      if (slot.nodeName !== node)
        problems.push(
          `${what} is on node ${slot.nodeName ?? '(none)'}, but the NIC is on ${node ?? '(none)'}`,
        );
      const network = s.resources.find(
        (r) => r.kind === 'Network' && r.namespace === nic.namespace && r.name === networkOf(nic),
      );
      const vni = network?.object.status?.vni as number | undefined;
      if (slot.vni !== vni)
        problems.push(
          `${what} has VNI ${slot.vni ?? '(none)'}, but network ${networkOf(nic)} has ${vni ?? '(none)'}`,
        );
    }
    for (const nicUid of mine.keys())
      if (!state.slots.has(nicUid))
        problems.push(
          `eligible NIC ${nicName(nicUid)} has no slot at gateway ${gateway?.name ?? uid}`,
        );
  }
  for (const [uid, nics] of served)
    if (!s.allocations.has(uid) && nics.size > 0)
      for (const nicUid of nics.keys())
        problems.push(`eligible NIC ${nicName(nicUid)} has no slot at gateway ${nicName(uid)}`);
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
