import type { TranslationErrorRecord } from '@natgw/contracts';
import type { NodeNatGateway } from '@natgw/projections';
import type { SlotUsage } from '../usage/usage-tracker';
import { filterPasses, rfc3339Micros } from './translation-record';

const PROTOCOLS: Readonly<Record<number, 'tcp' | 'udp'>> = { 6: 'tcp', 17: 'udp' };

/**
 * The Error record (GCP's ERRORS_ONLY) of a slot that just became exhausted, or undefined when it
 * is not one to log: no TCP or UDP destination (like GCP, ICMP is not logged), or the NIC's
 * gateway has no enabled logging whose filter takes errors (ErrorsOnly or All). One record per
 * exhaustion episode: the port-usage count reports a slot as newly exhausted once, until it was
 * seen not exhausted again.
 */
export function exhaustionRecord(
  usage: SlotUsage,
  gateways: Readonly<Record<string, NodeNatGateway>>,
  node: string,
  at: number,
): TranslationErrorRecord | undefined {
  const { rule, destination } = usage;
  const protocol = destination ? PROTOCOLS[destination.protocolNumber] : undefined;
  if (!destination || !protocol || destination.port === undefined) return undefined;
  const gateway = gateways[rule.gatewayUid];
  const logging = gateway?.logging;
  if (!gateway || !logging?.enabled || !filterPasses(logging.filter, 'Error')) return undefined;
  return {
    kind: 'Error',
    event: 'Exhausted',
    node,
    gateway: { uid: rule.gatewayUid, namespace: gateway.namespace, name: gateway.name },
    networkInterface: { uid: rule.nicUid, ...(rule.nicName ? { name: rule.nicName } : {}) },
    ...(rule.vni !== undefined ? { vni: rule.vni } : {}),
    protocol,
    privateIP: rule.privateIp,
    publicIP: rule.natIp,
    slot: { port: rule.port, endPort: rule.endPort },
    inUse: usage.inUse,
    destinationIP: destination.ip,
    destinationPort: destination.port,
    time: rfc3339Micros(at / 1000),
  };
}
