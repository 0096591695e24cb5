import type { DataSource } from 'typeorm';
import type { GatewayNames } from './port-usage-report';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Namespace and name of the gateways named by NAT rules (which carry only uids), read from the
 * resource read model and kept: a gateway's uid never changes its name.
 */
export class GatewayNameCache {
  private readonly known = new Map<string, { namespace: string; name: string }>();

  constructor(private readonly dataSource: DataSource) {}

  /** Looks up the uids not known yet; then `names` answers for every one that exists. */
  async resolve(uids: Iterable<string>): Promise<GatewayNames> {
    const missing = [...new Set(uids)].filter(
      (uid) => UUID.test(uid) && !this.known.has(uid.toLowerCase()),
    );
    if (missing.length > 0) {
      const rows: Array<{ uid: string; namespace: string; name: string }> =
        await this.dataSource.query(
          `SELECT uid::text AS uid, namespace, name FROM natgw_resources
            WHERE kind = 'NATGateway' AND uid = ANY($1::uuid[])`,
          [missing],
        );
      for (const r of rows)
        this.known.set(r.uid.toLowerCase(), { namespace: r.namespace, name: r.name });
    }
    return (uid) => this.known.get(uid.toLowerCase());
  }
}
