// Events as the api-gateway records them, for tests that write a history by hand.
import { NATGatewaySpec, ResourceCreatedData } from '@natgw/contracts';

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
