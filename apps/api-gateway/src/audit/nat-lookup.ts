import { Injectable } from '@nestjs/common';
import {
  formatTimestamp,
  NATGW_API_VERSION,
  NatLookupHolder,
  NatLookupResult,
} from '@natgw/contracts';
import { canonicalIp, slotHolderAt } from '@natgw/domain';
import { AllocationHistoryReader } from '@natgw/projections';
import { NatLookupQuery } from './audit-query';
import { assertWithinRetention } from './retention-window';

/**
 * GET natlookup: which NIC held a public IP and source port at an instant. The
 * answer is folded from the allocation events recorded up to that instant, so
 * it is exact; nobody is a normal answer (200, `found: false`). An instant before
 * the log's retention window is 410 Expired. A slot covers
 * TCP and UDP alike, so `protocol` never changes the answer.
 */
@Injectable()
export class NatLookup {
  constructor(private readonly history: AllocationHistoryReader) {}

  async execute(query: NatLookupQuery): Promise<NatLookupResult> {
    await assertWithinRetention(this.history, query.at);
    const ip = canonicalIp(query.ip);
    const events = await this.history.eventsForPublicIp(ip, query.at);
    const held = slotHolderAt(events, { ip, port: query.port }, query.at);
    const at = query.at.toISOString();
    const result: NatLookupResult = {
      apiVersion: NATGW_API_VERSION,
      kind: 'NATLookup',
      query: {
        ip,
        port: query.port,
        at,
        ...(query.protocol ? { protocol: query.protocol } : {}),
      },
      found: held !== undefined,
      message: `nobody held ${ip} port ${query.port} at ${at}`,
    };
    if (!held) return result;
    const gateway = (await this.history.gatewayIdentities([held.gatewayUid])).get(held.gatewayUid);
    const { slot } = held;
    const holder: NatLookupHolder = {
      networkInterface: {
        namespace: slot.namespace,
        name: slot.nicName,
        uid: slot.nicUid,
        privateIP: slot.privateIp,
        ...(slot.nodeName !== undefined ? { nodeName: slot.nodeName } : {}),
      },
      natGateway: {
        uid: held.gatewayUid,
        ...(gateway ? { namespace: gateway.namespace, name: gateway.name } : {}),
      },
      slot: {
        ip: slot.ip,
        port: slot.port,
        endPort: slot.endPort,
        ...(held.retiringUntil ? { retiringUntil: held.retiringUntil } : {}),
      },
      assignedAt: held.assignedAt.toISOString(),
    };
    const via = gateway
      ? `NATGateway ${gateway.namespace}/${gateway.name}`
      : `NATGateway ${held.gatewayUid}`;
    return {
      ...result,
      holder,
      message: `${ip} port ${query.port} at ${at} was NetworkInterface ${slot.namespace}/${slot.nicName} (${slot.privateIp}) via ${via}, slot ${slot.port}-${slot.endPort} since ${formatTimestamp(held.assignedAt)}${held.retiringUntil ? ` (retiring until ${held.retiringUntil}: the IP was drained)` : ''}`,
    };
  }
}
