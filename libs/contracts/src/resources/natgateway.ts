import { Condition, LocalObjectReference, ResourceObject } from './object-meta';
import { IPFamily } from './network-interface';
import type { DrainIP } from './validation/drain-ips';

/** The only NATGateway type: it allocates and routes stable public IPs. */
export type NATGatewayType = 'Public';

export const NATGATEWAY_TYPES: readonly NATGatewayType[] = ['Public'];

/** Ironcore's DefaultPortsPerNetworkInterface. */
export const DEFAULT_PORTS_PER_NETWORK_INTERFACE = 2048;

/** Source ports 1024..65535 are usable: 64,512 of them. */
export const FIRST_NAT_PORT = 1024;
export const LAST_NAT_PORT = 65535;
export const USABLE_NAT_PORTS = LAST_NAT_PORT - FIRST_NAT_PORT + 1;

/**
 * The largest power of two that fits at least once into the usable ports: with
 * more, no NIC could ever get a slot on any IP.
 */
export const MAX_PORTS_PER_NETWORK_INTERFACE = 32768;

export interface NATGatewaySpec {
  type: NATGatewayType;
  ipFamily: IPFamily;
  portsPerNetworkInterface: number;
  networkRef: LocalObjectReference;
  // --- drain (issue 17.1) ---
  /** Public IPs to drain, each with its deadline (validation/drain-ips.ts). */
  drainIPs?: DrainIP[];
  // --- end drain ---
}

/** A public IP the gateway holds (or, Released, one a drain gave back). */
export interface NATGatewayIP {
  name: string;
  ip: string;
  // --- drain (issue 17.1) ---
  state: 'Active' | 'Draining' | 'Released';
  drainDeadline?: string;
  releasedAt?: string;
  // --- end drain ---
}

export interface NATGatewayStatus {
  ips: NATGatewayIP[];
  conditions: Condition[];
  /** The generation the allocator last acted on (absent until it did). */
  observedGeneration?: number;
  /** Eligible NICs that asked for a slot (served or not). */
  requestedNICs: number;
  /** Slots handed out (one per served NIC). */
  usedSlots: number;
  /** Slots the gateway's IPs offer: #IPs x floor(64512 / portsPerNetworkInterface). */
  totalSlots: number;
  /** Slots on draining IPs that carry only existing connections until the deadline. */
  retiringSlots?: number;
}

export type NATGateway = ResourceObject<'NATGateway', NATGatewaySpec, NATGatewayStatus>;

/** One NIC's slot in a NAT table. */
export interface NATTableSection {
  /** The NIC's private IP. */
  ip: string;
  port: number;
  endPort: number;
  targetRef: { name: string; uid: string; nodeName?: string };
  /** A retiring slot (drain): carries only existing connections until this instant. */
  retiringUntil?: string;
}

/** The gateway's NAT table: IPs sorted by address, sections sorted by port. */
export interface NATTable {
  apiVersion: string;
  kind: 'NATTable';
  metadata: { name: string; namespace: string; resourceVersion: string };
  ips: Array<{ ip: string; sections: NATTableSection[] }>;
}
