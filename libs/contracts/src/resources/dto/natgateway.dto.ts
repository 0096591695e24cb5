import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import {
  DEFAULT_PORTS_PER_NETWORK_INTERFACE,
  MAX_PORTS_PER_NETWORK_INTERFACE,
  NATGATEWAY_TYPES,
  NATGatewaySpec,
  USABLE_NAT_PORTS,
} from '../natgateway';
import { IP_FAMILIES } from '../network-interface';
import {
  IsInt32Field,
  IsObjectField,
  IsOneOf,
  IsPresent,
  IsPresentReference,
  IsStringField,
  Satisfies,
} from '../validation/k8s-decorators';
import { fieldError } from '../validation/field-errors';
import { NetworkRefDto } from './references.dto';

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** The desired state of a NATGateway, as in Ironcore. */
@ApiSchema({ name: 'NATGatewaySpec' })
export class NATGatewaySpecDto {
  @ApiProperty({
    description:
      'The NATGateway type. Public allocates and routes stable public IPs. The only supported value is Public (case-sensitive).',
    enum: NATGATEWAY_TYPES,
  })
  @IsOneOf(NATGATEWAY_TYPES)
  @IsStringField()
  @IsPresent('must specify type')
  type!: string;

  @ApiProperty({
    description:
      'The IP family of the NATGateway. Supported values are IPv4 and IPv6. Immutable: a NATGateway serves one family for its lifetime.',
    enum: IP_FAMILIES,
  })
  @IsOneOf(IP_FAMILIES)
  @IsStringField()
  @IsPresent('must specify ipFamily')
  ipFamily!: string;

  @ApiPropertyOptional({
    description: `The number of ports allocated per network interface: it controls how many simultaneous connections each interface can have (to one destination). Every eligible interface gets one slot, a contiguous range of this many source ports on one public IP. A power of 2, at most ${MAX_PORTS_PER_NETWORK_INTERFACE} (one slot must fit into the ${USABLE_NAT_PORTS} usable ports 1024..65535); each public IP offers floor(${USABLE_NAT_PORTS} / portsPerNetworkInterface) slots. If empty, ${DEFAULT_PORTS_PER_NETWORK_INTERFACE} (DefaultPortsPerNetworkInterface) is the default.`,
    default: DEFAULT_PORTS_PER_NETWORK_INTERFACE,
    format: 'int32',
    type: 'integer',
  })
  @Satisfies('atMost32768', (field, value) =>
    (value as number) > MAX_PORTS_PER_NETWORK_INTERFACE
      ? [
          fieldError.invalid(
            field,
            value,
            `must be at most ${MAX_PORTS_PER_NETWORK_INTERFACE}: every public IP offers the ${USABLE_NAT_PORTS} source ports 1024..65535, and at least one slot of portsPerNetworkInterface ports must fit into them`,
          ),
        ]
      : [],
  )
  @Satisfies('powerOfTwo', (field, value) =>
    isPowerOfTwo(value as number)
      ? []
      : [fieldError.invalid(field, value, `${String(value)} is not a power of 2`)],
  )
  @IsInt32Field()
  @IsOptional()
  portsPerNetworkInterface?: number;

  @ApiProperty({
    description:
      'The Network this NATGateway serves (by name, in the same namespace): its network interfaces without a public IP of their own get a slot. Immutable.',
    type: () => NetworkRefDto,
  })
  @ValidateNested()
  @Type(() => NetworkRefDto)
  @IsObjectField()
  @IsPresentReference()
  networkRef!: NetworkRefDto;
}

/** Applies NATGateway defaults to a validated spec. */
export function natGatewaySpecFrom(dto: NATGatewaySpecDto): NATGatewaySpec {
  return {
    type: dto.type as NATGatewaySpec['type'],
    ipFamily: dto.ipFamily as NATGatewaySpec['ipFamily'],
    portsPerNetworkInterface: dto.portsPerNetworkInterface ?? DEFAULT_PORTS_PER_NETWORK_INTERFACE,
    networkRef: { name: dto.networkRef.name },
  };
}

@ApiSchema({ name: 'NATGatewayIP' })
export class NATGatewayIPDto {
  @ApiProperty({ description: 'The name of the public IP within the gateway.' }) name!: string;
  @ApiProperty({ description: 'The public IP address.' }) ip!: string;
}

@ApiSchema({ name: 'Condition' })
export class ConditionDto {
  @ApiProperty({ example: 'Ready' }) type!: string;
  @ApiProperty({ enum: ['True', 'False', 'Unknown'] }) status!: string;
  @ApiProperty({ example: 'Pending' }) reason!: string;
  @ApiProperty() message!: string;
  @ApiProperty({
    description: 'The metadata.generation the condition was computed for.',
    type: 'integer',
    format: 'int64',
  })
  observedGeneration!: number;
  @ApiProperty({ format: 'date-time' }) lastTransitionTime!: string;
}

@ApiSchema({ name: 'NATGatewayPortUsage' })
export class NATGatewayPortUsageDto {
  @ApiProperty({
    description: "NICs whose slot's recent peak reached 80% of its ports, not exhausted now.",
    type: 'integer',
  })
  nearExhaustion!: number;
  @ApiProperty({
    description:
      'NICs whose slot has every port toward one destination in use (PortsExhausted=True).',
    type: 'integer',
  })
  exhausted!: number;
  @ApiPropertyOptional({
    description: 'The time of the latest report counted.',
    format: 'date-time',
  })
  observedAt?: string;
}

/** Written by natgw only; ignored on writes. */
@ApiSchema({ name: 'NATGatewayStatus' })
export class NATGatewayStatusDto {
  @ApiProperty({ type: [NATGatewayIPDto], description: 'The public IPs the gateway holds.' })
  ips!: NATGatewayIPDto[];
  @ApiProperty({ type: [ConditionDto], description: 'At least Ready.' })
  conditions!: ConditionDto[];
  @ApiPropertyOptional({
    description: 'The generation the allocator last acted on.',
    type: 'integer',
    format: 'int64',
  })
  observedGeneration?: number;
  @ApiProperty({
    description: 'Eligible NICs that asked for a slot (served or not).',
    type: 'integer',
  })
  requestedNICs!: number;
  @ApiProperty({ description: 'Slots handed out: one per served NIC.', type: 'integer' })
  usedSlots!: number;
  @ApiProperty({
    description: 'Slots the IPs offer: #IPs x floor(64512 / portsPerNetworkInterface).',
    type: 'integer',
  })
  totalSlots!: number;
  // --- port usage (issue 17.3) ---
  @ApiPropertyOptional({
    description:
      'How many more public IPs would give every waiting NIC a slot (GCP minExtraNatIpsNeeded); absent while no NIC waits.',
    type: 'integer',
  })
  minExtraPublicIPsNeeded?: number;
  @ApiPropertyOptional({
    type: () => NATGatewayPortUsageDto,
    description:
      "The gateway's NICs near and at port exhaustion, from the nodes' port-usage reports.",
  })
  portUsage?: NATGatewayPortUsageDto;
  // --- end port usage ---
}
