import { ResourceKind } from '@natgw/contracts';
import { age, humanDuration } from './human-duration';

/** What a table cell is computed from: any object with metadata (a resource, an IPPool). */
export interface TableSource {
  metadata: { name?: string; creationTimestamp?: string };
  spec?: unknown;
  status?: unknown;
}

/** One column of a meta.k8s.io Table, and how to fill it. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  /** `name` marks the column kubectl prefixes with the namespace and resource (e.g. `-A`). */
  format: string;
  description: string;
  /** 0: always shown; 1: with `-o wide` only. */
  priority: number;
  cell(object: TableSource, now: Date): string | number;
}

type Fields = Record<string, unknown>;
const fields = (v: unknown): Fields =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Fields) : {};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown, none = '<none>'): string =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : none;
const joined = (values: string[]): string => (values.length > 0 ? values.join(',') : 'None');

const NAME: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace (cluster-wide for cluster-scoped kinds such as IPPool).',
  priority: 0,
  cell: (o) => text(o.metadata.name, ''),
};

const AGE: TableColumn = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'Time since the object was created (metadata.creationTimestamp).',
  priority: 0,
  cell: (o, now) => age(o.metadata.creationTimestamp, now),
};

const column = (
  name: string,
  description: string,
  cell: TableColumn['cell'],
  more: Partial<TableColumn> = {},
): TableColumn => ({ name, type: 'string', format: '', description, priority: 0, cell, ...more });

const networkRef = (o: TableSource) => text(fields(fields(o.spec).networkRef).name);

function condition(o: TableSource, type: string): string {
  const found = list(fields(o.status).conditions).find((c) => fields(c).type === type);
  return text(fields(found).status, 'Unknown');
}

// drain (issue 17.1): each IP's state, with the time a draining one has left.
function drainState(o: TableSource, now: Date): string {
  const states = list(fields(o.status).ips).flatMap((entry) => {
    const ip = fields(entry);
    if (ip.state === 'Draining') {
      const left = Date.parse(text(ip.drainDeadline, '')) - now.getTime();
      return [`${text(ip.ip)} draining (${left > 0 ? `${humanDuration(left)} left` : 'due'})`];
    }
    return ip.state === 'Released' ? [`${text(ip.ip)} released`] : [];
  });
  return joined(states);
}

const NATGATEWAY_COLUMNS: TableColumn[] = [
  NAME,
  column('Network', 'The Network this NATGateway serves (spec.networkRef.name).', networkRef),
  column(
    'IPs',
    'The public IPs the gateway holds, active or draining (status.ips), or None.',
    (o) =>
      joined(
        list(fields(o.status).ips)
          .filter((ip) => fields(ip).state !== 'Released')
          .map((ip) => text(fields(ip).ip)),
      ),
  ),
  column(
    'Ports/NIC',
    'Source ports each network interface gets (spec.portsPerNetworkInterface), or min-max with dynamic port allocation (spec.dynamicPortAllocation).',
    (o) => {
      const dpa = fields(fields(o.spec).dynamicPortAllocation);
      if (dpa.enabled === true)
        return `${text(dpa.minPortsPerNetworkInterface)}-${text(dpa.maxPortsPerNetworkInterface)}`;
      return text(fields(o.spec).portsPerNetworkInterface);
    },
  ),
  column(
    'NICs',
    'Network interfaces served (one NAT slot each) / requesting a slot (status.usedSlots/status.requestedNICs).',
    (o) => {
      const s = fields(o.status);
      return `${Number(s.usedSlots ?? 0)}/${Number(s.requestedNICs ?? 0)}`;
    },
  ),
  column('Ready', 'The status of the Ready condition.', (o) => condition(o, 'Ready')),
  AGE,
  column('IP Family', 'IPv4 or IPv6 (spec.ipFamily).', (o) => text(fields(o.spec).ipFamily), {
    priority: 1,
  }),
  column(
    'Slots',
    'NAT slots handed out / offered by the public IPs (status.usedSlots/status.totalSlots).',
    (o) => {
      const s = fields(o.status);
      return `${Number(s.usedSlots ?? 0)}/${Number(s.totalSlots ?? 0)}`;
    },
    { priority: 1 },
  ),
  // --- port usage (issue 17.3) ---
  column(
    'Ports Near/Exhausted',
    "NICs whose slot's recent peak reached 80% of its ports / NICs with every port toward one destination in use (status.portUsage.nearExhaustion/exhausted).",
    (o) => {
      const u = fields(fields(o.status).portUsage);
      return `${Number(u.nearExhaustion ?? 0)}/${Number(u.exhausted ?? 0)}`;
    },
    { priority: 1 },
  ),
  column(
    'Extra IPs Needed',
    'More public IPs that would give every waiting NIC a slot (status.minExtraPublicIPsNeeded).',
    (o) => Number(fields(o.status).minExtraPublicIPsNeeded ?? 0),
    { type: 'integer', priority: 1 },
  ),
  // --- end port usage ---
  column(
    'Drain',
    'Draining IPs with the time left until their deadline, and IPs a drain released (status.ips[].state), or None.',
    drainState,
  ),
];

const NETWORKINTERFACE_COLUMNS: TableColumn[] = [
  NAME,
  column('Network', 'The Network the interface is in (spec.networkRef.name).', networkRef),
  column('IPs', 'The private IPs of the interface (spec.ips).', (o) =>
    joined(list(fields(o.spec).ips).map((ip) => text(ip))),
  ),
  column('Node', 'The node whose dataplane serves the interface (spec.nodeName).', (o) =>
    text(fields(o.spec).nodeName),
  ),
  column(
    'NAT',
    'The NAT slots the interface holds (status.nat), as publicIP:port-endPort, or None.',
    (o) =>
      joined(
        list(fields(o.status).nat).map((n) => {
          const slot = fields(n);
          return `${text(slot.ip)}:${Number(slot.port)}-${Number(slot.endPort)}`;
        }),
      ),
  ),
  AGE,
  column(
    'Virtual IP',
    "The interface's own public IP (spec.virtualIP.ip): no NAT for its family.",
    (o) => text(fields(fields(o.spec).virtualIP).ip),
    { priority: 1 },
  ),
  column(
    'NAT Gateway',
    'The NATGateways whose slots the interface holds (status.nat[].natGatewayRef.name).',
    (o) =>
      joined(list(fields(o.status).nat).map((n) => text(fields(fields(n).natGatewayRef).name))),
    { priority: 1 },
  ),
  column(
    'Ports Used/Peak',
    'Per NAT slot, the ports in use toward the busiest destination / the recent peak / the slot size (status.nat[].inUse, peak), ! when exhausted; <none> until the node reports.',
    (o) => {
      const used = list(fields(o.status).nat)
        .map(fields)
        .filter((n) => typeof n.inUse === 'number')
        .map(
          (n) =>
            `${Number(n.inUse)}/${Number(n.peak ?? 0)}/${Number(n.endPort) - Number(n.port) + 1}${n.exhausted === true ? '!' : ''}`,
        );
      return used.length > 0 ? used.join(',') : '<none>';
    },
    { priority: 1 },
  ),
];

const NATGATEWAYAUTOSCALER_COLUMNS: TableColumn[] = [
  NAME,
  column(
    'NAT Gateway',
    'The NATGateway whose public IPs are scaled (spec.natGatewayRef.name).',
    (o) => text(fields(fields(o.spec).natGatewayRef).name),
  ),
  column('Min IPs', 'spec.minPublicIPs', (o) => Number(fields(o.spec).minPublicIPs ?? 0), {
    type: 'integer',
  }),
  column('Max IPs', 'spec.maxPublicIPs', (o) => Number(fields(o.spec).maxPublicIPs ?? 0), {
    type: 'integer',
  }),
  AGE,
];

/** The `kubectl get` columns of each kind, like Ironcore's printer columns. */
export const RESOURCE_COLUMNS: Record<ResourceKind, readonly TableColumn[]> = {
  Network: [
    NAME,
    column(
      'VNI',
      "The network's VXLAN network identifier (status.vni), unique among live Networks; <none> until assigned.",
      (o) => {
        const vni = fields(o.status).vni;
        return typeof vni === 'number' ? vni : '<none>';
      },
      { type: 'integer' },
    ),
    AGE,
  ],
  NetworkInterface: NETWORKINTERFACE_COLUMNS,
  NATGateway: NATGATEWAY_COLUMNS,
  NATGatewayAutoscaler: NATGATEWAYAUTOSCALER_COLUMNS,
};

const prefixUsage = (o: TableSource) => list(fields(o.status).prefixes).map(fields);

/** Sums decimal strings (IPv6 pools hold more addresses than a JSON number can). */
function total(values: unknown[]): string {
  return values
    .reduce<bigint>((sum, v) => sum + (/^[0-9]+$/.test(String(v)) ? BigInt(String(v)) : 0n), 0n)
    .toString();
}

/** The `kubectl get ippools` columns. */
export const IP_POOL_COLUMNS: readonly TableColumn[] = [
  NAME,
  column('Prefixes', 'The CIDR prefixes of the pool (spec.prefixes).', (o) =>
    joined(list(fields(o.spec).prefixes).map((p) => text(p))),
  ),
  column('Used', 'Addresses held by NATGateways, over every prefix.', (o) =>
    total(prefixUsage(o).map((p) => String(p.used ?? 0))),
  ),
  column('Free', 'Addresses still free, over every prefix.', (o) =>
    total(prefixUsage(o).map((p) => p.free)),
  ),
  AGE,
];

/** The `kubectl get natgatewayquotas` columns: what is used of each limit, as `kubectl get quota` shows it. */
export const QUOTA_COLUMNS: readonly TableColumn[] = [
  NAME,
  column(
    'Used',
    'Per resource, what the namespace uses of the hard limit (status.used / status.hard).',
    (o) => {
      const { hard, used } = fields(o.status);
      return joined(
        Object.entries(fields(hard)).map(
          ([r, limit]) => `${r}: ${text(fields(used)[r], '0')}/${text(limit)}`,
        ),
      );
    },
  ),
  AGE,
];
