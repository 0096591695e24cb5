import { Condition, LocalObjectReference, ResourceObject } from './object-meta';

export type IPFamily = 'IPv4' | 'IPv6';

export const IP_FAMILIES: readonly IPFamily[] = ['IPv4', 'IPv6'];

export interface NetworkInterfaceSpec {
  networkRef: LocalObjectReference;
  /** Private addresses, at most one per family. */
  ips: string[];
  /** The NIC's own public IP: no NAT for its family. */
  virtualIP?: { ip: string };
  /** The node whose dataplane serves the NIC. */
  nodeName?: string;
}

/** The NAT slot a NIC holds for one family: public `ip`, ports `port`..`endPort` inclusive. */
export interface NetworkInterfaceNAT {
  ipFamily: IPFamily;
  natGatewayRef: LocalObjectReference;
  ip: string;
  port: number;
  endPort: number;
  // --- port usage (issue 17.3): the node's last NATPortUsageReported of this slot ---
  /** Ports in use toward the slot's busiest destination. */
  inUse?: number;
  /** The highest inUse of the recent window. */
  peak?: number;
  exhausted?: boolean;
  observedAt?: string;
  // --- end port usage ---
}

export interface NetworkInterfaceStatus {
  nat: NetworkInterfaceNAT[];
  /** `NATProgrammed`: whether the node serving the NIC programmed its NAT slots. */
  conditions?: Condition[];
}

export type NetworkInterface = ResourceObject<
  'NetworkInterface',
  NetworkInterfaceSpec,
  NetworkInterfaceStatus
>;
