import { Condition, LocalObjectReference, ResourceObject } from './object-meta';
import { IPFamily } from './network-interface';
import type { DrainIP } from './validation/drain-ips';
import type { NATGatewayDynamicPortAllocation } from './validation/dynamic-port-allocation';

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
  // --- issue 17.2 / 17.5 (tlog): timeouts and translation logs ---
  /** Connection-tracking idle timeouts of the gateway's NICs; absent = the kernel's defaults. */
  timeouts?: NATGatewayTimeouts;
  /** Translation logs of the gateway's NICs; absent = off. */
  logging?: NATGatewayLogging;
  // --- end tlog ---
  // --- drain (issue 17.1) ---
  /** Public IPs to drain, each with its deadline (validation/drain-ips.ts). */
  drainIPs?: DrainIP[];
  // --- end drain ---
  /** Dynamic port allocation (issue 17.4, validation/dynamic-port-allocation.ts); absent = fixed slots. */
  dynamicPortAllocation?: NATGatewayDynamicPortAllocation;
}

// --- issue 17.2 / 17.5 (tlog): timeouts and translation logs ---
/** Idle timeouts in seconds, as GCP Cloud NAT names them. */
export interface NATGatewayTimeouts {
  tcpEstablishedIdleSeconds: number;
  tcpTransitoryIdleSeconds: number;
  tcpTimeWaitSeconds: number;
  udpIdleSeconds: number;
  icmpIdleSeconds: number;
}

export type NATGatewayTimeoutField = keyof NATGatewayTimeouts;

/** GCP Cloud NAT's defaults: TCP established 1200 s, transitory 30 s, TIME_WAIT 120 s, UDP 30 s, ICMP 30 s. */
export const DEFAULT_NATGATEWAY_TIMEOUTS: Readonly<NATGatewayTimeouts> = {
  tcpEstablishedIdleSeconds: 1200,
  tcpTransitoryIdleSeconds: 30,
  tcpTimeWaitSeconds: 120,
  udpIdleSeconds: 30,
  icmpIdleSeconds: 30,
};

/**
 * Bounds of each timeout (inclusive). TCP established may go up to the kernel's own default
 * (432000 s, 5 days), the others up to a day; the lower bounds keep a connection from expiring
 * between two packets of an ordinary exchange.
 */
export const NATGATEWAY_TIMEOUT_BOUNDS: Readonly<
  Record<NATGatewayTimeoutField, { min: number; max: number }>
> = {
  tcpEstablishedIdleSeconds: { min: 30, max: 432000 },
  tcpTransitoryIdleSeconds: { min: 5, max: 86400 },
  tcpTimeWaitSeconds: { min: 1, max: 86400 },
  udpIdleSeconds: { min: 5, max: 86400 },
  icmpIdleSeconds: { min: 5, max: 86400 },
};

export const NATGATEWAY_TIMEOUT_FIELDS = Object.keys(
  NATGATEWAY_TIMEOUT_BOUNDS,
) as NATGatewayTimeoutField[];

/** Which translation records are published (GCP's ERRORS_ONLY, TRANSLATIONS_ONLY, ALL). */
export type NATGatewayLogFilter = 'ErrorsOnly' | 'TranslationsOnly' | 'All';

export const NATGATEWAY_LOG_FILTERS: readonly NATGatewayLogFilter[] = [
  'ErrorsOnly',
  'TranslationsOnly',
  'All',
];

export interface NATGatewayLogging {
  enabled: boolean;
  filter: NATGatewayLogFilter;
}

/** The filter when logging is given without one. */
export const DEFAULT_NATGATEWAY_LOG_FILTER: NATGatewayLogFilter = 'All';
// --- end tlog ---

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
  // --- port usage (issue 17.3) ---
  /** More public IPs that would serve every waiting NIC; absent while none waits. */
  minExtraPublicIPsNeeded?: number;
  /** NICs near (peak >= 80%) and at port exhaustion, from the nodes' NATPortUsageReported. */
  portUsage?: { nearExhaustion: number; exhausted: number; observedAt?: string };
  // --- end port usage ---
  /** Slots on draining IPs that carry only existing connections until the deadline. */
  retiringSlots?: number;
  /** Dynamic port allocation: NICs whose grant of more ports is refused for now (no free block). */
  portGrantsRefused?: number;
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
