import type {
  NATGatewayLogFilter,
  TranslationLogKind,
  TranslationLogRecord,
} from '@natgw/contracts';
import type { NodeNatGateway } from '@natgw/projections';
import type { ConntrackEntry } from '../conntrack';
import type { SlotIndex } from '../usage/slot-index';

/** Whether a gateway's filter lets a record of this kind through (GCP's logConfig.filter). */
export function filterPasses(filter: NATGatewayLogFilter, kind: TranslationLogKind): boolean {
  if (filter === 'All') return true;
  return filter === 'ErrorsOnly' ? kind === 'Error' : kind === 'Translation';
}

/** RFC 3339 with microseconds, from conntrack's seconds since the epoch. */
export function rfc3339Micros(seconds: number): string {
  const whole = Math.floor(seconds);
  const micros = Math.round((seconds - whole) * 1e6);
  const base = new Date(whole * 1000).toISOString().slice(0, 19);
  return `${base}.${String(micros).padStart(6, '0')}Z`;
}

/**
 * The translation record of a conntrack NEW or DESTROY event, or undefined when it is not one to
 * log: not TCP or UDP, not translated into a slot natgw programmed on this node (the reply
 * direction's destination is the NAT IP and port: SlotIndex), its source is not that slot's NIC,
 * or the NIC's gateway has no enabled logging whose filter takes translations.
 */
export function translationRecord(
  entry: ConntrackEntry,
  slots: SlotIndex,
  gateways: Readonly<Record<string, NodeNatGateway>>,
  node: string,
  now: () => number = Date.now,
): TranslationLogRecord | undefined {
  if (entry.event !== 'NEW' && entry.event !== 'DESTROY') return undefined;
  if (entry.protocol !== 'tcp' && entry.protocol !== 'udp') return undefined;
  const { original, reply } = entry;
  if (original.sport === undefined || original.dport === undefined || reply.dport === undefined) {
    return undefined;
  }
  const slot = slots.find(reply.dst, reply.dport);
  if (!slot || slot.rule.privateIp !== original.src) return undefined;
  const rule = slot.rule;
  const gateway = gateways[rule.gatewayUid];
  const logging = gateway?.logging;
  if (!gateway || !logging?.enabled || !filterPasses(logging.filter, 'Translation')) {
    return undefined;
  }
  return {
    kind: 'Translation',
    event: entry.event === 'NEW' ? 'Opened' : 'Closed',
    node,
    gateway: { uid: rule.gatewayUid, namespace: gateway.namespace, name: gateway.name },
    networkInterface: { uid: rule.nicUid, ...(rule.nicName ? { name: rule.nicName } : {}) },
    ...(rule.vni !== undefined ? { vni: rule.vni } : {}),
    protocol: entry.protocol,
    privateIP: original.src,
    privatePort: original.sport,
    publicIP: reply.dst,
    publicPort: reply.dport,
    destinationIP: original.dst,
    destinationPort: original.dport,
    time: rfc3339Micros(entry.timestamp ?? now() / 1000),
  };
}
