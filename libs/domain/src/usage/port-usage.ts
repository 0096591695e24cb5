import { slotsPerIp } from '../allocation/port-slots';

/** A slot is near exhaustion from this share of its ports on (the usual 80% alert line). */
export const NEAR_EXHAUSTION_RATIO = 0.8;

/** Whether a NIC slot's recent peak reached 80% of its ports. */
export function nearPortExhaustion(peak: number, size: number): boolean {
  return size > 0 && peak >= Math.ceil(size * NEAR_EXHAUSTION_RATIO);
}

/**
 * GCP's `minExtraNatIpsNeeded` for natgw: how many more public IPs the gateway would need so
 * that every NIC waiting for a slot gets one. NICs wait only when every slot of the gateway's
 * IPs is taken (new NICs fill free slots first), so each extra IP serves floor(64512 / ppni) of
 * them. 0 when nobody waits (a shortfall below minPublicIPs alone holds no NIC back).
 */
export function minExtraPublicIPsNeeded(
  waitingNics: number,
  portsPerNetworkInterface: number,
): number {
  // Stryker disable next-line EqualityOperator: equivalent, 0 waiting NICs need ceil(0 / n) = 0 more IPs either way
  if (!Number.isInteger(waitingNics) || waitingNics <= 0) return 0;
  return Math.ceil(waitingNics / slotsPerIp(portsPerNetworkInterface));
}

/** One NIC's last reported usage of its slot on a gateway. */
export interface NicPortUsage {
  readonly size: number;
  readonly peak: number;
  readonly exhausted: boolean;
}

/** A gateway's NICs near (peak >= 80%, not exhausted now) and at port exhaustion. */
export interface GatewayPortUsageCounts {
  nearExhaustion: number;
  exhausted: number;
}

/** Counts a gateway's NICs near and at exhaustion from their last reported usage. */
export function gatewayPortUsageCounts(nics: Iterable<NicPortUsage>): GatewayPortUsageCounts {
  const counts: GatewayPortUsageCounts = { nearExhaustion: 0, exhausted: 0 };
  for (const nic of nics) {
    if (nic.exhausted) counts.exhausted += 1;
    else if (nearPortExhaustion(nic.peak, nic.size)) counts.nearExhaustion += 1;
  }
  return counts;
}
