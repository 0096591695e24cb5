// Synthetic event histories for benchmarks and tests that need a realistic log
// without running the services.
import { randomUUID } from 'node:crypto';

const FINALIZER = 'natgw.ironcore.dev/allocation';
const API = '/natgw/api-gateway';
const ALLOCATOR = '/natgw/allocator';
const EXECUTOR = '/natgw/dataplane-executor';

/** One event of a synthetic history, before it gets its stream version. */
export interface SyntheticEvent {
  stream: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

const ipv4 = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** How big each tenant's history is. */
export interface TenantShape {
  /** NetworkInterfaces created, each given a NAT slot (20). */
  nics?: number;
  /** NICs whose labels are then updated (10). */
  updates?: number;
  /** NICs then deleted, their slots released (4). */
  deletes?: number;
}

/**
 * Tenant `c`'s history, in the order natgw's services append it (shapes taken from
 * a real run): a Network, a NATGateway with its public IP claim, NICs with their
 * slots, label updates, deletions with slot releases, and the node's
 * NATTableProgrammed reports - 71 events with the default shape.
 */
export function syntheticTenantHistory(
  c: number,
  timestamp: string,
  { nics: NICS = 20, updates: UPDATES = 10, deletes: DELETES = 4 }: TenantShape = {},
): SyntheticEvent[] {
  const ns = `t${c}`;
  const node = `node-${c}`;
  const gw = randomUUID();
  const publicIp = ipv4(0x0b000000 + c); // 11.0.0.0 and up: one address per gateway
  const events: SyntheticEvent[] = [];
  const api = (correlationId: string) => ({
    actor: 'system:anonymous',
    source: API,
    correlationId,
  });
  const allocator = (correlationId: string) => ({
    source: ALLOCATOR,
    causationId: randomUUID(),
    correlationId,
  });
  const created = (name: string, uid: string, spec: unknown, finalizers: string[]) => ({
    uid,
    name,
    spec,
    labels: {},
    namespace: ns,
    finalizers,
    generation: 1,
    annotations: {},
    creationTimestamp: timestamp,
  });
  events.push({
    stream: `network:${ns}/net`,
    type: 'NetworkCreated',
    data: created('net', randomUUID(), {}, []),
    metadata: api(randomUUID()),
  });
  const gwCid = randomUUID();
  events.push({
    stream: `natgateway:${ns}/gw`,
    type: 'NATGatewayCreated',
    data: created(
      'gw',
      gw,
      {
        type: 'Public',
        ipFamily: 'IPv4',
        networkRef: { name: 'net' },
        portsPerNetworkInterface: 64,
      },
      [FINALIZER],
    ),
    metadata: api(gwCid),
  });
  events.push({
    stream: 'ippool:default',
    type: 'PublicIPClaimed',
    data: { ip: publicIp, gatewayUid: gw },
    metadata: allocator(gwCid),
  });
  let allocation = 0;
  const allocate = (type: string, data: Record<string, unknown>, cid: string) => {
    allocation += 1;
    events.push({ stream: `allocation:${gw}`, type, data, metadata: allocator(cid) });
  };
  allocate('NATGatewayIPAssigned', { ip: publicIp, gatewayUid: gw }, gwCid);
  let rules = 0;
  const programmed = () =>
    events.push({
      stream: `dataplane:${node}`,
      type: 'NATTableProgrammed',
      data: { node, rules, gateways: { [gw]: allocation } },
      metadata: { source: EXECUTOR, correlationId: 'reconcile:event' },
    });
  const nics: Array<{ uid: string; name: string; slot: Record<string, unknown> }> = [];
  for (let i = 0; i < NICS; i++) {
    const uid = randomUUID();
    const name = `nic-${i}`;
    const privateIp = `10.${(c >> 8) & 255}.${c & 255}.${i + 2}`;
    const cid = randomUUID();
    events.push({
      stream: `networkinterface:${ns}/${name}`,
      type: 'NetworkInterfaceCreated',
      data: created(name, uid, { ips: [privateIp], nodeName: node, networkRef: { name: 'net' } }, [
        FINALIZER,
      ]),
      metadata: api(cid),
    });
    const slot = {
      ip: publicIp,
      port: 1024 + 64 * i,
      nicUid: uid,
      endPort: 1024 + 64 * i + 63,
      nicName: name,
      nodeName: node,
      namespace: ns,
      privateIp,
      gatewayUid: gw,
    };
    allocate('NATSlotAssigned', slot, cid);
    rules += 1;
    nics.push({ uid, name, slot });
    if ((i + 1) % 5 === 0) programmed();
  }
  for (let i = 0; i < UPDATES; i++) {
    events.push({
      stream: `networkinterface:${ns}/${nics[i].name}`,
      type: 'NetworkInterfaceUpdated',
      data: { uid: nics[i].uid, generation: 1, labels: { tier: 'web', release: `r${i}` } },
      metadata: api(randomUUID()),
    });
  }
  for (const nic of nics.slice(NICS - DELETES)) {
    const cid = randomUUID();
    const stream = `networkinterface:${ns}/${nic.name}`;
    events.push({
      stream,
      type: 'NetworkInterfaceDeletionRequested',
      data: { uid: nic.uid, deletionTimestamp: timestamp },
      metadata: api(cid),
    });
    allocate('NATSlotReleased', { ...nic.slot, reason: 'NetworkInterfaceDeleted' }, cid);
    rules -= 1;
    events.push({
      stream,
      type: 'NetworkInterfaceDeleted',
      data: { uid: nic.uid },
      metadata: allocator(cid),
    });
  }
  programmed();
  return events;
}
