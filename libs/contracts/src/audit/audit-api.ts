/** The API group of natgw's own (non-Ironcore) endpoints, such as `natlookup`. */
export const NATGW_API_GROUP = 'natgw.ironcore.dev';

/** `apiVersion` of natgw's own answers: `natgw.ironcore.dev/v1alpha1`. */
export const NATGW_API_VERSION = `${NATGW_API_GROUP}/v1alpha1`;

/** Transport protocols whose source ports natgw translates; a slot covers all of them. */
export const NAT_PROTOCOLS = ['tcp', 'udp'] as const;
export type NatProtocol = (typeof NAT_PROTOCOLS)[number];

/** The NIC that held a public address and port. */
export interface NatLookupHolder {
  networkInterface: {
    namespace: string;
    name: string;
    uid: string;
    privateIP: string;
    nodeName?: string;
  };
  /** The gateway whose slot it was; name and namespace as the gateway was created. */
  natGateway: { namespace?: string; name?: string; uid: string };
  /**
   * The whole slot: the public IP and the inclusive port range; `retiringUntil` when the slot was
   * retiring at that instant (its IP drained: it carried only the NIC's older connections).
   */
  slot: { ip: string; port: number; endPort: number; retiringUntil?: string };
  /** When the slot was assigned to this NIC (RFC 3339). */
  assignedAt: string;
}

/**
 * `GET /apis/natgw.ironcore.dev/v1alpha1/natlookup`: who held a public IP and
 * source port at an instant, from the event log. `holder` is absent when nobody did.
 */
export interface NatLookupResult {
  apiVersion: typeof NATGW_API_VERSION;
  kind: 'NATLookup';
  query: { ip: string; port: number; at: string; protocol?: NatProtocol };
  found: boolean;
  holder?: NatLookupHolder;
  /** One sentence for people: who held it, or that nobody did. */
  message: string;
}
