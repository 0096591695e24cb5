// Events as the api-gateway records them, for tests that write a history by hand.
import { NATGatewaySpec, NetworkInterfaceSpec, ResourceCreatedData } from '@natgw/contracts';

/** `NATGatewayCreated` of gateway `default/<name>` with the given uid (defaults applied). */
export function natGatewayCreated(
  uid: string,
  name: string,
  portsPerNetworkInterface = 64,
): { type: 'NATGatewayCreated'; data: ResourceCreatedData<NATGatewaySpec> } {
  return {
    type: 'NATGatewayCreated',
    data: {
      uid,
      namespace: 'default',
      name,
      labels: {},
      annotations: {},
      finalizers: ['natgw.ironcore.dev/allocation'],
      spec: {
        type: 'Public',
        ipFamily: 'IPv4',
        portsPerNetworkInterface,
        networkRef: { name: 'net' },
      },
      generation: 1,
      creationTimestamp: '2026-11-26T10:00:00Z',
    },
  };
}

/** `NetworkInterfaceCreated` of NIC `default/<name>` in network `net`, on `nodeName`. */
export function networkInterfaceCreated(
  uid: string,
  name: string,
  ip: string,
  nodeName: string,
): { type: 'NetworkInterfaceCreated'; data: ResourceCreatedData<NetworkInterfaceSpec> } {
  return {
    type: 'NetworkInterfaceCreated',
    data: {
      uid,
      namespace: 'default',
      name,
      labels: {},
      annotations: {},
      finalizers: [],
      spec: { networkRef: { name: 'net' }, ips: [ip], nodeName },
      generation: 1,
      creationTimestamp: '2026-11-26T10:00:01Z',
    },
  };
}
