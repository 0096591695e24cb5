// Types only: the console bundles this library, and @natgw/contracts' values pull in NestJS.
import type { NATGatewayTimeouts } from '@natgw/contracts';

/**
 * A gateway's spec.timeouts as the dataplane programs them: a profile string carried by each of
 * its NICs' rules (NatRule.timeouts), so that timeouts compare with `===` like the other fields.
 */
export function natTimeoutsProfile(
  full: Pick<
    NATGatewayTimeouts,
    | 'tcpEstablishedIdleSeconds'
    | 'tcpTransitoryIdleSeconds'
    | 'tcpTimeWaitSeconds'
    | 'udpIdleSeconds'
  >,
): string {
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

/**
 * The values of a profile string, or undefined when it is not one (each value a positive number
 * of seconds; the API enforces spec.timeouts' bounds, NATGATEWAY_TIMEOUT_BOUNDS).
 */
export function parseNatTimeoutsProfile(profile: string): NatTimeoutsProfile | undefined {
  const match = /^(\d{1,6})-(\d{1,6})-(\d{1,6})-(\d{1,6})$/.exec(profile);
  if (!match) return undefined;
  const [tcpEstablished, tcpTransitory, tcpTimeWait, udp] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  if ([tcpEstablished, tcpTransitory, tcpTimeWait, udp].some((v) => v < 1)) return undefined;
  return { tcpEstablished, tcpTransitory, tcpTimeWait, udp };
}
