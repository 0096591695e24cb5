import {
  natGatewayAutoscalerSpecFrom,
  NATGatewayAutoscalerSpecDto,
  NATGatewayAutoscalerStatusDto,
} from './dto/natgateway-autoscaler.dto';
import { natGatewaySpecFrom, NATGatewaySpecDto, NATGatewayStatusDto } from './dto/natgateway.dto';
import {
  networkInterfaceSpecFrom,
  NetworkInterfaceSpecDto,
  NetworkInterfaceStatusDto,
} from './dto/network-interface.dto';
import { networkSpecFrom, NetworkSpecDto, NetworkStatusDto } from './dto/network.dto';
import { resourceDto, ResourceDtoClass } from './dto/resource.dto';
import { ResourceKind } from './kinds';
import { NATGatewaySpec } from './natgateway';
import { NetworkSpec } from './network';
import { NetworkInterfaceSpec } from './network-interface';

/** How a kind's input is validated and normalised. */
export interface ResourceSchema {
  /** The DTO class validated (class-validator) and documented (OpenAPI). */
  dto: ResourceDtoClass;
  /** The validated spec DTO with defaults applied, as a plain object. */
  specFrom(dto: object): object;
  /** Spec fields that may not change after creation. */
  immutable: ReadonlyArray<{ field: string; of: (spec: object) => unknown }>;
  /**
   * Spec fields natgw fills at create when the client leaves them empty (a Network's `vni`,
   * like a Service's `spec.clusterIP`): an update that omits one keeps the stored value.
   */
  retained: readonly string[];
}

const natGatewayField =
  <T>(of: (spec: NATGatewaySpec) => T) =>
  (spec: object) =>
    of(spec as NATGatewaySpec);

/** Validation and defaulting, per kind. */
export const RESOURCE_SCHEMAS: Record<ResourceKind, ResourceSchema> = {
  Network: {
    dto: resourceDto(
      'Network',
      'A virtual network; NATGateways and NetworkInterfaces reference it.',
      NetworkSpecDto,
      NetworkStatusDto,
    ),
    specFrom: (dto) => networkSpecFrom(dto as NetworkSpecDto),
    immutable: [{ field: 'spec.vni', of: (spec) => (spec as NetworkSpec).vni }],
    retained: ['vni'],
  },
  NetworkInterface: {
    dto: resourceDto(
      'NetworkInterface',
      "A network interface with private IPs; eligible interfaces get a NAT slot of their network's NATGateway.",
      NetworkInterfaceSpecDto,
      NetworkInterfaceStatusDto,
    ),
    specFrom: (dto) => networkInterfaceSpecFrom(dto as NetworkInterfaceSpecDto),
    // A NIC belongs to one network for its life (as in Ironcore): its slots and address claims
    // are per network, so moving it would leave them behind.
    immutable: [
      {
        field: 'spec.networkRef',
        of: (spec) => (spec as NetworkInterfaceSpec).networkRef?.name,
      },
    ],
    retained: [],
  },
  NATGateway: {
    dto: resourceDto(
      'NATGateway',
      'Outbound internet access for the private network interfaces of a Network: each gets a slot (public IP, port range).',
      NATGatewaySpecDto,
      NATGatewayStatusDto,
    ),
    specFrom: (dto) => natGatewaySpecFrom(dto as NATGatewaySpecDto),
    immutable: [
      { field: 'spec.networkRef', of: natGatewayField((s) => s.networkRef.name) },
      { field: 'spec.ipFamily', of: natGatewayField((s) => s.ipFamily) },
    ],
    retained: [],
  },
  NATGatewayAutoscaler: {
    dto: resourceDto(
      'NATGatewayAutoscaler',
      "Keeps a NATGateway's public IPs between minPublicIPs and maxPublicIPs, as few as serve every eligible NIC.",
      NATGatewayAutoscalerSpecDto,
      NATGatewayAutoscalerStatusDto,
    ),
    specFrom: (dto) => natGatewayAutoscalerSpecFrom(dto as NATGatewayAutoscalerSpecDto),
    immutable: [],
    retained: [],
  },
};
