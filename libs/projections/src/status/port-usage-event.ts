/** The event a node's dataplane-executor records with the port usage it measured. */
export const NAT_PORT_USAGE_REPORTED = 'NATPortUsageReported';

/** One NIC slot in a NATPortUsageReported event. */
export interface PortUsageSlot {
  namespace: string;
  /** The NATGateway's name. */
  gateway: string;
  /** The NetworkInterface's name and uid. */
  networkInterface: string;
  networkInterfaceUID: string;
  publicIP: string;
  port: number;
  endPort: number;
  /** Ports in use toward the slot's busiest destination (protocol, address, port). */
  inUse: number;
  /** The highest inUse measured in the last `windowSeconds`. */
  peak: number;
  /** inUse >= endPort - port + 1: a new connection to that destination finds no free port. */
  exhausted: boolean;
}

/**
 * `NATPortUsageReported` on `dataplane:<node>`: the slots of the node whose usage changed since
 * its previous report (a slot not listed is unchanged), at most every PORT_USAGE_REPORT_SECONDS.
 */
export interface PortUsageReportedData {
  nodeName: string;
  /** RFC 3339 time of the count. */
  observedAt: string;
  windowSeconds: number;
  slots: PortUsageSlot[];
}
