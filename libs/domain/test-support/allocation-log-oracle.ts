// An oracle for the allocation property test: replays allocation and IP pool logs by the
// rules of docs/architecture.md ("Allocation"), written apart from the domain's own folds
// (evolveAllocation, foldPool), and refuses any event that breaks a rule. The property test
// compares what it folds with what the allocator folded live.
import * as ipaddr from 'ipaddr.js';
import type { AllocationEvent, NatSlot } from '../src/allocation/allocation-state';
import type { IpPoolEvent } from '../src/allocation/ip-pool';

const FIRST_PORT = 1024;
const LAST_PORT = 65535;

/** What a gateway holds after its log: the IPs ascending and each NIC's slot. */
export interface OracleAllocation {
  status: 'open' | 'closed';
  ips: string[];
  slots: Map<string, NatSlot>;
  pending?: { waiting: number; reason: string; missingIps: number };
}

/** What a pool holds after its log: its prefixes and which gateway claims which address. */
export interface OraclePool {
  prefixes: string[];
  claims: Map<string, string>;
}

function refuse(index: number, event: { type: string; data: unknown }, rule: string): never {
  throw new Error(
    `event ${index} (${event.type} ${JSON.stringify(event.data)}) breaks a rule: ${rule}`,
  );
}

function bytes(ip: string): number[] {
  return ipaddr.parse(ip).toByteArray();
}

function normalized(ip: string): string {
  return ipaddr.parse(ip).toString();
}

function byAddress(a: string, b: string): number {
  const [x, y] = [bytes(a), bytes(b)];
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return 0;
}

/**
 * A slot is [1024 + k*ppni, 1024 + (k+1)*ppni - 1] for a power-of-two ppni up to 32768 and a k
 * that keeps it within 1024..65535.
 */
function isSlotRange(port: number, endPort: number): boolean {
  const width = endPort - port + 1;
  const powerOfTwo = Number.isInteger(width) && width >= 1 && (width & (width - 1)) === 0;
  return (
    powerOfTwo &&
    width <= 32768 &&
    Number.isInteger(port) &&
    port >= FIRST_PORT &&
    endPort <= LAST_PORT &&
    (port - FIRST_PORT) % width === 0
  );
}

/** Replays one gateway's allocation log, checking every event against the rules. */
export function replayAllocationByTheRules(events: readonly AllocationEvent[]): OracleAllocation {
  const held: OracleAllocation = { status: 'open', ips: [], slots: new Map() };
  events.forEach((event, index) => {
    if (held.status === 'closed') refuse(index, event, 'nothing follows AllocationClosed');
    switch (event.type) {
      case 'NATGatewayIPAssigned': {
        const ip = normalized(event.data.ip);
        if (held.ips.includes(ip)) refuse(index, event, 'an IP is assigned to a gateway once');
        held.ips.push(ip);
        held.ips.sort(byAddress);
        return;
      }
      case 'NATGatewayIPReleased': {
        const ip = normalized(event.data.ip);
        if (!held.ips.includes(ip)) refuse(index, event, 'only a held IP is released');
        if ([...held.slots.values()].some((slot) => normalized(slot.ip) === ip)) {
          refuse(index, event, 'an IP is released only when it holds no slot');
        }
        held.ips = held.ips.filter((other) => other !== ip);
        return;
      }
      case 'NATSlotAssigned': {
        const { gatewayUid: _gateway, ...slot } = event.data;
        const ip = normalized(slot.ip);
        if (!held.ips.includes(ip)) refuse(index, event, 'a slot is on an IP the gateway holds');
        if (!isSlotRange(slot.port, slot.endPort)) {
          refuse(index, event, 'a slot is [1024 + k*ppni, 1024 + (k+1)*ppni - 1]');
        }
        if (held.slots.has(slot.nicUid)) refuse(index, event, 'a NIC holds one slot per gateway');
        for (const other of held.slots.values()) {
          const overlaps = slot.port <= other.endPort && other.port <= slot.endPort;
          if (normalized(other.ip) === ip && overlaps) {
            refuse(index, event, `no port belongs to two NICs (${other.nicUid} holds it)`);
          }
        }
        held.slots.set(slot.nicUid, { ...slot, ip });
        return;
      }
      case 'NATSlotReleased': {
        const { nicUid, port, endPort } = event.data;
        const slot = held.slots.get(nicUid);
        const same =
          slot !== undefined &&
          normalized(slot.ip) === normalized(event.data.ip) &&
          slot.port === port &&
          slot.endPort === endPort;
        if (!same) refuse(index, event, 'a released slot is the one the NIC holds');
        held.slots.delete(nicUid);
        return;
      }
      case 'AllocationPending': {
        const { waiting, reason, missingIps } = event.data;
        if (!Number.isInteger(waiting) || waiting < 0 || !Number.isInteger(missingIps)) {
          refuse(index, event, 'waiting and missing IPs are counts');
        }
        held.pending = { waiting, reason, missingIps };
        return;
      }
      case 'AllocationSatisfied':
        delete held.pending;
        return;
      case 'AllocationClosed':
        held.status = 'closed';
        held.ips = [];
        held.slots = new Map();
        delete held.pending;
        return;
      // Drain: the property test's histories have none; drain-plan.spec.ts has the drain's oracle.
      // Here only what every history must respect: drains are of held IPs, a retiring slot was
      // the NIC's active one.
      case 'NATIPDrainStarted':
      case 'NATIPDrainCancelled':
        if (!held.ips.includes(normalized(event.data.ip)))
          refuse(index, event, 'only a held IP drains');
        return;
      case 'NATSlotRetiring': {
        const slot = held.slots.get(event.data.nicUid);
        if (slot?.port !== event.data.port || normalized(slot.ip) !== normalized(event.data.ip))
          refuse(index, event, 'a retiring slot is the one the NIC holds');
        held.slots.delete(event.data.nicUid);
        return;
      }
      case 'NATRetiringSlotReleased':
      case 'NATPortGrantsRefused':
        return;
      default: {
        const unknown: never = event;
        throw new Error(`unknown allocation event ${JSON.stringify(unknown)}`);
      }
    }
  });
  return held;
}

/** Replays a pool's log, checking every event against the rules. */
export function replayPoolByTheRules(events: readonly IpPoolEvent[]): OraclePool {
  const prefixes = new Map<string, [ipaddr.IPv4 | ipaddr.IPv6, number]>();
  const claims = new Map<string, string>();
  const within = (ip: string) =>
    [...prefixes.values()].some(([network, bits]) => {
      const address = ipaddr.parse(ip);
      return address.kind() === network.kind() && address.match(network, bits);
    });
  events.forEach((event, index) => {
    switch (event.type) {
      case 'PublicPrefixAdded': {
        const [network, bits] = ipaddr.parseCIDR(event.data.prefix);
        if (prefixes.has(event.data.prefix)) refuse(index, event, 'a prefix is added once');
        for (const [other, otherBits] of prefixes.values()) {
          const overlap =
            other.kind() === network.kind() &&
            (network.match(other, otherBits) || other.match(network, bits));
          if (overlap) refuse(index, event, 'prefixes of a pool never overlap');
        }
        prefixes.set(event.data.prefix, [network, bits]);
        return;
      }
      case 'PublicPrefixRemoved': {
        const entry = prefixes.get(event.data.prefix);
        if (entry === undefined) refuse(index, event, 'only a prefix of the pool is removed');
        const [network, bits] = entry;
        const inUse = [...claims.keys()].some((ip) => {
          const address = ipaddr.parse(ip);
          return address.kind() === network.kind() && address.match(network, bits);
        });
        if (inUse) refuse(index, event, 'a prefix with a claimed address is not removed');
        prefixes.delete(event.data.prefix);
        return;
      }
      case 'PublicIPClaimed': {
        const ip = normalized(event.data.ip);
        if (!within(ip)) refuse(index, event, "a claimed address is in one of the pool's prefixes");
        if (claims.has(ip)) refuse(index, event, 'an address is claimed by one gateway at a time');
        claims.set(ip, event.data.gatewayUid);
        return;
      }
      case 'PublicIPReleased': {
        const ip = normalized(event.data.ip);
        if (claims.get(ip) !== event.data.gatewayUid) {
          refuse(index, event, 'only the claiming gateway releases an address');
        }
        claims.delete(ip);
        return;
      }
      default: {
        const unknown: never = event;
        throw new Error(`unknown pool event ${JSON.stringify(unknown)}`);
      }
    }
  });
  return { prefixes: [...prefixes.keys()], claims };
}
