import { Injectable } from '@nestjs/common';
import { API_VERSION, compareIPs, kindInfo, NATTable, NATTableSection } from '@natgw/contracts';
import { NAT_TABLE_SUBRESOURCE } from '@natgw/projections';
import { GetResource } from './get-resource';

type StoredTable = { ips?: Array<{ ip: string; sections?: NATTableSection[] }> } | undefined;

/**
 * GET natgateways/{name}/nattable: the gateway's NAT table as natgw recorded it,
 * IPs sorted by address and sections by port; empty until the allocator wrote one.
 */
@Injectable()
export class GetNatTable {
  constructor(private readonly get: GetResource) {}

  async execute(namespace: string, name: string): Promise<NATTable> {
    const gateway = await this.get.execute(kindInfo('NATGateway'), namespace, name);
    const table = gateway.subresources[NAT_TABLE_SUBRESOURCE] as StoredTable;
    return {
      apiVersion: API_VERSION,
      kind: 'NATTable',
      metadata: { name, namespace, resourceVersion: gateway.resourceVersion },
      ips: (table?.ips ?? [])
        .map((entry) => ({
          ip: entry.ip,
          sections: [...(entry.sections ?? [])].sort((a, b) => a.port - b.port),
        }))
        .sort((a, b) => compareIPs(a.ip, b.ip)),
    };
  }
}
