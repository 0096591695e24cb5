import { EntityManager } from 'typeorm';
import type { ResourceObject } from '@natgw/contracts';
import {
  DEFAULT_DRAIN_DEADLINE_SECONDS,
  DEFAULT_PORTS_PER_NETWORK_INTERFACE,
  DrainRequest,
  IpFamily,
  NatGatewayInput,
  NetworkInterfaceInput,
  PublicIpBounds,
} from '@natgw/domain';

/** A NATGateway as the allocator needs it: domain input plus the bookkeeping to finalize it. */
export interface GatewayRecord extends NatGatewayInput {
  streamVersion: number;
  finalizers: string[];
  /** spec.drainIPs (empty when absent). */
  drainIPs: DrainRequest[];
  /** spec.dynamicPortAllocation as stored (issue 17.4; dynamic-port-inputs.ts reads it). */
  dynamicPortAllocation?: unknown;
}

/** A NetworkInterface as the allocator needs it. */
export interface NicRecord extends NetworkInterfaceInput {
  streamVersion: number;
  finalizers: string[];
  /** status.nat as stored: its measured usage feeds dynamic port allocation (issue 17.4). */
  nat?: unknown;
}

/** A Network as the allocator needs it: its VNI, and what claiming one for it takes. */
export interface NetworkRecord {
  uid: string;
  namespace: string;
  name: string;
  streamVersion: number;
  generation: number;
  spec: Record<string, unknown>;
  deleting: boolean;
  /** status.vni: the VNI the network holds (absent for a Network older than VNIs). */
  vni?: number;
}

/** The finalizer natgw puts on NATGateways and NetworkInterfaces: the allocator removes it. */
export const ALLOCATION_FINALIZER = 'natgw.ironcore.dev/allocation';

interface Row {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  stream_version: number;
  object: ResourceObject<string, Record<string, unknown>>;
}

type Spec = Record<string, unknown>;

function ref(spec: Spec, field: string): string {
  const r = spec[field] as { name?: unknown } | undefined;
  return typeof r?.name === 'string' ? r.name : '';
}

function meta(row: Row) {
  const m = row.object.metadata as unknown as {
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  return {
    uid: row.uid,
    namespace: row.namespace,
    name: row.name,
    createdAt: m.creationTimestamp ?? '1970-01-01T00:00:00Z',
    deleting: m.deletionTimestamp !== undefined && m.deletionTimestamp !== null,
    finalizers: m.finalizers ?? [],
    streamVersion: row.stream_version,
  };
}

function toGateway(row: Row): GatewayRecord {
  const spec = row.object.spec as Spec;
  return {
    ...meta(row),
    networkName: ref(spec, 'networkRef'),
    ipFamily: (spec.ipFamily as IpFamily) ?? 'IPv4',
    portsPerNetworkInterface:
      typeof spec.portsPerNetworkInterface === 'number'
        ? spec.portsPerNetworkInterface
        : DEFAULT_PORTS_PER_NETWORK_INTERFACE,
    drainIPs: drainRequests(spec.drainIPs),
    ...(spec.dynamicPortAllocation !== undefined
      ? { dynamicPortAllocation: spec.dynamicPortAllocation }
      : {}),
  };
}

/** spec.drainIPs as the planner takes it (validated by the API; defaults filled in). */
function drainRequests(value: unknown): DrainRequest[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: { ip?: unknown; deadlineSeconds?: unknown }) =>
    typeof entry?.ip === 'string'
      ? [
          {
            ip: entry.ip,
            deadlineSeconds:
              typeof entry.deadlineSeconds === 'number'
                ? entry.deadlineSeconds
                : DEFAULT_DRAIN_DEADLINE_SECONDS,
          },
        ]
      : [],
  );
}

function toNic(row: Row): NicRecord {
  const spec = row.object.spec as Spec;
  const virtualIp = (spec.virtualIP as { ip?: unknown } | undefined)?.ip;
  const nat = (row.object.status as { nat?: unknown } | undefined)?.nat;
  return {
    ...meta(row),
    networkName: ref(spec, 'networkRef'),
    ips: Array.isArray(spec.ips) ? (spec.ips as string[]) : [],
    ...(typeof virtualIp === 'string' ? { virtualIp } : {}),
    ...(typeof spec.nodeName === 'string' ? { nodeName: spec.nodeName } : {}),
    ...(nat !== undefined ? { nat } : {}),
  };
}

function toNetwork(row: Row): NetworkRecord {
  const status = (row.object.status ?? {}) as { vni?: unknown };
  const m = meta(row);
  return {
    uid: m.uid,
    namespace: m.namespace,
    name: m.name,
    streamVersion: m.streamVersion,
    generation: (row.object.metadata as { generation?: number }).generation ?? 1,
    spec: row.object.spec,
    deleting: m.deleting,
    ...(typeof status.vni === 'number' ? { vni: status.vni } : {}),
  };
}

/** The bounds per gateway name from live autoscalers, oldest first (the oldest one wins). */
function autoscalerBounds(rows: Row[]): Map<string, PublicIpBounds> {
  const bounds = new Map<string, PublicIpBounds>();
  for (const row of rows) {
    const spec = row.object.spec as Spec;
    const target = ref(spec, 'natGatewayRef');
    if (!target || bounds.has(target)) continue;
    bounds.set(target, {
      minPublicIPs: Number(spec.minPublicIPs),
      maxPublicIPs: Number(spec.maxPublicIPs),
    });
  }
  return bounds;
}

/** What a reconcile of one network reads from the read model (ResourceInputs.network). */
export interface NetworkInputs {
  gateways: GatewayRecord[];
  nics: NicRecord[];
  /** The autoscaler bounds per gateway name in the network's namespace. */
  bounds: Map<string, PublicIpBounds>;
  /** The Network (undefined when it does not exist). */
  network?: NetworkRecord;
  /** Per gateway uid, the version of its allocation stream (0: none yet). */
  allocationVersions: Map<string, number>;
}

const COLUMNS = 'kind, namespace, name, uid::text AS uid, stream_version, object';

/**
 * Reads what the allocator decides from out of the resource read model (the
 * projection of the log the api-gateway serves), as plain domain inputs.
 */
export class ResourceInputs {
  constructor(private readonly manager: EntityManager) {}

  /**
   * Everything a reconcile of one network reads from the read model, in one statement: the
   * network's NATGateways and NetworkInterfaces, the autoscaler bounds of its namespace, the
   * Network itself and, per gateway, the version of its allocation stream (0: none yet), so a
   * cached allocation at that version needs no read. Each part uses its own index.
   */
  async network(namespace: string, network: string): Promise<NetworkInputs> {
    const rows: Array<Row & { allocation_version: number | null; ord: string | null }> =
      await this.manager.query(
        // The expression of natgw_resources_network_ref_idx: the network's objects, not every
        // gateway and NIC of the namespace (a scan that grew with the namespace).
        `SELECT ${COLUMNS},
                CASE WHEN kind = 'NATGateway' THEN (SELECT s.version FROM natgw_streams s
                  WHERE s.stream_id = 'allocation:' || r.uid::text) END AS allocation_version,
                NULL::bigint AS ord
           FROM natgw_resources r
          WHERE namespace = $1 AND (object #>> '{spec,networkRef,name}') = $2
            AND kind IN ('NATGateway', 'NetworkInterface')
         UNION ALL
         SELECT ${COLUMNS}, NULL, NULL FROM natgw_resources
          WHERE kind = 'Network' AND namespace = $1 AND name = $2
         UNION ALL
         SELECT ${COLUMNS}, NULL,
                row_number() OVER (ORDER BY object->'metadata'->>'creationTimestamp', name)
           FROM natgw_resources
          WHERE namespace = $1 AND kind = 'NATGatewayAutoscaler'
            AND object->'metadata'->'deletionTimestamp' IS NULL`,
        [namespace, network],
      );
    const allocationVersions = new Map<string, number>();
    for (const r of rows)
      if (r.kind === 'NATGateway') allocationVersions.set(r.uid, r.allocation_version ?? 0);
    const networkRow = rows.find((r) => r.kind === 'Network');
    return {
      gateways: rows.filter((r) => r.kind === 'NATGateway').map(toGateway),
      nics: rows.filter((r) => r.kind === 'NetworkInterface').map(toNic),
      bounds: autoscalerBounds(
        rows
          .filter((r) => r.kind === 'NATGatewayAutoscaler')
          .sort((a, b) => Number(a.ord) - Number(b.ord)),
      ),
      network: networkRow && toNetwork(networkRow),
      allocationVersions,
    };
  }

  /** The Network of that name, as its VNI claim needs it (undefined when it does not exist). */
  async networkRecord(namespace: string, name: string): Promise<NetworkRecord | undefined> {
    const rows: Row[] = await this.manager.query(
      `SELECT ${COLUMNS} FROM natgw_resources
        WHERE kind = 'Network' AND namespace = $1 AND name = $2`,
      [namespace, name],
    );
    return rows[0] && toNetwork(rows[0]);
  }

  /**
   * Every (namespace, network) that has a NATGateway or a NIC still holding a finalizer, and
   * every Network that has no VNI yet (created before Networks had VNIs).
   */
  async allNetworks(): Promise<Array<{ namespace: string; network: string }>> {
    const rows: Array<{ namespace: string; network: string }> = await this.manager.query(
      `SELECT namespace, object->'spec'->'networkRef'->>'name' AS network
         FROM natgw_resources
        WHERE kind = 'NATGateway'
           OR (kind = 'NetworkInterface' AND object->'metadata'->'deletionTimestamp' IS NOT NULL)
       UNION
       SELECT namespace, name FROM natgw_resources
        WHERE kind = 'Network' AND NOT (object->'status' ? 'vni')
        ORDER BY 1, 2`,
    );
    return rows.filter((r) => r.network !== null);
  }

  /** The network of an object by uid (for events that carry only the uid). */
  async networkOfUid(uid: string): Promise<{ namespace: string; network: string } | undefined> {
    const rows: Array<{ namespace: string; network: string | null }> = await this.manager.query(
      `SELECT namespace, object->'spec'->'networkRef'->>'name' AS network
         FROM natgw_resources WHERE uid = $1::uuid`,
      [uid],
    );
    return rows[0]?.network
      ? { namespace: rows[0].namespace, network: rows[0].network }
      : undefined;
  }

  /** The network of a gateway by name. */
  async networkOfGateway(namespace: string, name: string): Promise<string | undefined> {
    const rows: Array<{ network: string | null }> = await this.manager.query(
      `SELECT object->'spec'->'networkRef'->>'name' AS network
         FROM natgw_resources WHERE kind = 'NATGateway' AND namespace = $1 AND name = $2`,
      [namespace, name],
    );
    return rows[0]?.network ?? undefined;
  }
}
