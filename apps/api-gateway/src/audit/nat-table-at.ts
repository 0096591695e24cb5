import { Injectable } from '@nestjs/common';
import { API_GROUP, API_VERSION, failureStatus, NATTable } from '@natgw/contracts';
import { incarnationAt, natTablesAt } from '@natgw/domain';
import { AllocationHistoryReader } from '@natgw/projections';
import { ApiError } from '../http/api-error';
import { assertWithinRetention } from './retention-window';

/** A NAT table as it was at an instant, with the gateway incarnation it belonged to. */
export type HistoricNatTable = NATTable & {
  metadata: NATTable['metadata'] & { uid: string; at: string };
};

/**
 * GET natgateways/{name}/nattable?at=<RFC 3339>: the gateway's NAT table as it
 * was at that instant, folded from its allocation stream. The gateway is the
 * incarnation that existed then (a later one of the same name is another
 * object); a name with no gateway at that instant is 404, an instant before the
 * log's retention window 410 Expired.
 */
@Injectable()
export class GetNatTableAt {
  constructor(private readonly history: AllocationHistoryReader) {}

  async execute(namespace: string, name: string, at: Date): Promise<HistoricNatTable> {
    await assertWithinRetention(this.history, at);
    const uid = incarnationAt(await this.history.lifecycle('NATGateway', namespace, name, at), at);
    if (uid === undefined) {
      throw new ApiError(
        failureStatus(
          404,
          'NotFound',
          `natgateways.${API_GROUP} "${name}" did not exist at ${at.toISOString()}`,
          { name, group: API_GROUP, kind: 'natgateways' },
        ),
      );
    }
    const table = natTablesAt(await this.history.gatewayEvents(uid, at), at).get(uid);
    return {
      apiVersion: API_VERSION,
      kind: 'NATTable',
      // resourceVersion is empty: a past table is not a version of the live object.
      metadata: { name, namespace, resourceVersion: '', uid, at: at.toISOString() },
      ips: (table?.ips ?? []).map((entry) => ({
        ip: entry.ip,
        sections: entry.sections.map((s) => ({
          ip: s.ip,
          port: s.port,
          endPort: s.endPort,
          targetRef: { ...s.targetRef },
        })),
      })),
    };
  }
}
