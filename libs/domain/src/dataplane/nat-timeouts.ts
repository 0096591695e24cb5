import {
  DEFAULT_NATGATEWAY_TIMEOUTS,
  NATGATEWAY_TIMEOUT_BOUNDS,
  type NATGatewayTimeoutField,
  type NATGatewayTimeouts,
} from '@natgw/contracts';

/**
 * A gateway's spec.timeouts as the dataplane programs them: a profile string carried by each of
 * its NICs' rules (NatRule.timeouts), so that timeouts compare with `===` like the other fields.
 */
export function natTimeoutsProfile(t: Partial<NATGatewayTimeouts>): string {
  const full = { ...DEFAULT_NATGATEWAY_TIMEOUTS, ...t };
  return `${full.tcpEstablishedIdleSeconds}-${full.tcpTransitoryIdleSeconds}-${full.tcpTimeWaitSeconds}-${full.udpIdleSeconds}`;
}

/**
 * The dataplane part of spec.timeouts. ICMP is not in it: nftables 1.0.6 can make `ct timeout`
 * objects for TCP and UDP only (docs/dataplane.md, "Timeouts").
 */
export interface NatTimeoutsProfile {
  readonly tcpEstablished: number;
  readonly tcpTransitory: number;
  readonly tcpTimeWait: number;
  readonly udp: number;
}

const within = (value: number, field: NATGatewayTimeoutField) =>
  value >= NATGATEWAY_TIMEOUT_BOUNDS[field].min && value <= NATGATEWAY_TIMEOUT_BOUNDS[field].max;

/** The values of a profile string, or undefined when it is not one or a value is out of bounds. */
export function parseNatTimeoutsProfile(profile: string): NatTimeoutsProfile | undefined {
  const match = /^(\d{1,6})-(\d{1,6})-(\d{1,6})-(\d{1,6})$/.exec(profile);
  if (!match) return undefined;
  const [tcpEstablished, tcpTransitory, tcpTimeWait, udp] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  if (
    !within(tcpEstablished, 'tcpEstablishedIdleSeconds') ||
    !within(tcpTransitory, 'tcpTransitoryIdleSeconds') ||
    !within(tcpTimeWait, 'tcpTimeWaitSeconds') ||
    !within(udp, 'udpIdleSeconds')
  ) {
    return undefined;
  }
  return { tcpEstablished, tcpTransitory, tcpTimeWait, udp };
}
