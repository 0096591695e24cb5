import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import {
  DEFAULT_NATGATEWAY_LOG_FILTER,
  DEFAULT_NATGATEWAY_TIMEOUTS,
  DEFAULT_PORTS_PER_NETWORK_INTERFACE,
  NATGATEWAY_LOG_FILTERS,
  NATGATEWAY_TIMEOUT_BOUNDS,
  NATGATEWAY_TIMEOUT_FIELDS,
  NATGatewayLogFilter,
  NATGatewayTimeoutField,
  MAX_PORTS_PER_NETWORK_INTERFACE,
  NATGATEWAY_TYPES,
  NATGatewaySpec,
  USABLE_NAT_PORTS,
} from '../natgateway';
import { IP_FAMILIES } from '../network-interface';
import {
  IsArrayField,
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
import {
  DEFAULT_DRAIN_DEADLINE_SECONDS,
  drainIPsFrom,
  drainIPsProblems,
  MAX_DRAIN_DEADLINE_SECONDS,
} from '../validation/drain-ips';
import {
  DEFAULT_DYNAMIC_PORT_ALLOCATION,
  DYNAMIC_PORT_ALLOCATION_BOUNDS,
  dynamicPortAllocationFrom,
  dynamicPortAllocationProblems,
} from '../validation/dynamic-port-allocation';

// --- dynamic port allocation (issue 17.4): the schema of spec.dynamicPortAllocation ---
const dpaBounds = (name: keyof typeof DYNAMIC_PORT_ALLOCATION_BOUNDS) => ({
  minimum: DYNAMIC_PORT_ALLOCATION_BOUNDS[name].min,
  maximum: DYNAMIC_PORT_ALLOCATION_BOUNDS[name].max,
  default: DEFAULT_DYNAMIC_PORT_ALLOCATION[name],
  type: 'integer' as const,
  format: 'int32',
});

/** Documentation only: dynamicPortAllocationProblems validates the object as a whole. */
@ApiSchema({ name: 'NATGatewayDynamicPortAllocation' })
export class DynamicPortAllocationDto {
  @ApiProperty({
    description:
      'Whether slots grow and shrink with measured usage. Mutually exclusive with spec.portsPerNetworkInterface (leave it out, or at its default 2048, which is ignored).',
    type: 'boolean',
  })
  enabled!: boolean;

  @ApiPropertyOptional({
    description:
      'The ports every network interface starts with: a power of 2 (GCP requires at least 32; natgw allows down to 1).',
    ...dpaBounds('minPortsPerNetworkInterface'),
  })
  minPortsPerNetworkInterface?: number;

  @ApiPropertyOptional({
    description:
      'The most ports a network interface grows to, in doubling steps: a power of 2, at least minPortsPerNetworkInterface, at most 32768 (the largest slot; GCP: 65536).',
    ...dpaBounds('maxPortsPerNetworkInterface'),
  })
  maxPortsPerNetworkInterface?: number;

  @ApiPropertyOptional({
    description:
      "A network interface's slot doubles when its measured peak (ports in use toward its busiest destination, from the node's NATPortUsageReported) reaches this percentage of the slot.",
    ...dpaBounds('growAtPercent'),
  })
  growAtPercent?: number;

  @ApiPropertyOptional({
    description:
      'A slot above the minimum halves (keeping its lower half) after this many seconds without any connection in use.',
    ...dpaBounds('shrinkAfterSeconds'),
  })
  shrinkAfterSeconds?: number;
}
// --- end dynamic port allocation ---

// --- drain (issue 17.1) ---
@ApiSchema({ name: 'NATGatewayDrainIP' })
export class DrainIPDto {
  @ApiProperty({
    description:
      "A public IP the gateway holds (one of status.ips). It takes no new slot; the network interfaces with a slot on it get a new slot on another IP (new connections use it) while their old slot stays reserved for their existing connections until the deadline. Then the old slots' connections are flushed and the IP goes back to the pool.",
    example: '203.0.113.5',
  })
  ip!: string;

  @ApiPropertyOptional({
    description: `How long existing connections keep the drained IP, in seconds (0..${MAX_DRAIN_DEADLINE_SECONDS}). The deadline is fixed when the drain starts; removing the entry before it cancels the drain.`,
    default: DEFAULT_DRAIN_DEADLINE_SECONDS,
    minimum: 0,
    maximum: MAX_DRAIN_DEADLINE_SECONDS,
    type: 'integer',
    format: 'int32',
  })
  deadlineSeconds?: number;
}
// --- end drain ---

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

// --- issue 17.2 / 17.5 (tlog): timeouts and translation logs ---
/** A timeout field: an optional int32 within NATGATEWAY_TIMEOUT_BOUNDS, else 422 naming it. */
function TimeoutField(name: NATGatewayTimeoutField, description: string): PropertyDecorator {
  const { min, max } = NATGATEWAY_TIMEOUT_BOUNDS[name];
  const decorators = [
    ApiPropertyOptional({
      description: `${description} Seconds, ${min}..${max}; default ${DEFAULT_NATGATEWAY_TIMEOUTS[name]}.`,
      default: DEFAULT_NATGATEWAY_TIMEOUTS[name],
      minimum: min,
      maximum: max,
      format: 'int32',
      type: 'integer',
    }),
    Satisfies(`${name}Bounds`, (field, value) =>
      (value as number) < min || (value as number) > max
        ? [fieldError.invalid(field, value, `must be between ${min} and ${max} seconds`)]
        : [],
    ),
    IsInt32Field(),
    IsOptional(),
  ];
  return (target, key) => {
    for (const d of [...decorators].reverse()) d(target, key);
  };
}

/** Idle timeouts of the gateway's NICs' connections (GCP Cloud NAT's names and defaults). */
@ApiSchema({ name: 'NATGatewayTimeouts' })
export class NATGatewayTimeoutsDto {
  @TimeoutField('tcpEstablishedIdleSeconds', 'Idle timeout of an established TCP connection.')
  tcpEstablishedIdleSeconds?: number;

  @TimeoutField(
    'tcpTransitoryIdleSeconds',
    'Idle timeout of a TCP connection being opened or closed (SYN sent or received, FIN wait, CLOSE wait, LAST ACK, CLOSE).',
  )
  tcpTransitoryIdleSeconds?: number;

  @TimeoutField('tcpTimeWaitSeconds', 'How long a closed TCP connection stays in TIME_WAIT.')
  tcpTimeWaitSeconds?: number;

  @TimeoutField('udpIdleSeconds', 'Idle timeout of a UDP flow.')
  udpIdleSeconds?: number;

  @TimeoutField(
    'icmpIdleSeconds',
    'Idle timeout of an ICMP echo flow. Validated and stored; the nftables dataplane cannot apply it per gateway with nftables 1.0.6 and leaves the node default (30 s) in place (docs/dataplane.md).',
  )
  icmpIdleSeconds?: number;
}

/** Translation logs of the gateway's NICs (GCP Cloud NAT's logConfig). */
@ApiSchema({ name: 'NATGatewayLogging' })
export class NATGatewayLoggingDto {
  @ApiProperty({ description: 'Whether translation records are published.', type: 'boolean' })
  @Satisfies('isBoolean', (field, value) =>
    typeof value === 'boolean' ? [] : [fieldError.typeInvalid(field, value, 'boolean')],
  )
  @IsPresent('must specify enabled')
  enabled!: boolean;

  @ApiPropertyOptional({
    description: `Which records: ErrorsOnly (connections that could not be translated), TranslationsOnly (translations made), All. Default ${DEFAULT_NATGATEWAY_LOG_FILTER}.`,
    enum: NATGATEWAY_LOG_FILTERS,
    default: DEFAULT_NATGATEWAY_LOG_FILTER,
  })
  @IsOneOf(NATGATEWAY_LOG_FILTERS)
  @IsStringField()
  @IsOptional()
  filter?: string;
}
// --- end tlog ---

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

  // --- issue 17.2 / 17.5 (tlog): timeouts and translation logs ---
  @ApiPropertyOptional({
    description:
      "Connection-tracking idle timeouts of the NICs this gateway serves; fields left out take GCP Cloud NAT's defaults. If empty, the node's own conntrack defaults apply.",
    type: () => NATGatewayTimeoutsDto,
  })
  @ValidateNested()
  @Type(() => NATGatewayTimeoutsDto)
  @IsObjectField()
  @IsOptional()
  timeouts?: NATGatewayTimeoutsDto;

  @ApiPropertyOptional({
    description:
      'Translation logs: a CloudEvent per translation (or failed one) of the NICs this gateway serves, on its own NATS subject, rate-limited per gateway. Off when empty.',
    type: () => NATGatewayLoggingDto,
  })
  @ValidateNested()
  @Type(() => NATGatewayLoggingDto)
  @IsObjectField()
  @IsOptional()
  logging?: NATGatewayLoggingDto;
  // --- end tlog ---
  // --- drain (issue 17.1) ---
  @ApiPropertyOptional({
    description:
      'Public IPs to drain, each with a deadline (GCP drainNatIps, AWS DisassociateNatGatewayAddress with MaxDrainDurationSeconds). status.ips shows each IP as Active, Draining (with drainDeadline) or Released.',
    type: [DrainIPDto],
  })
  @Satisfies('drainIPs', drainIPsProblems)
  @IsArrayField()
  @IsOptional()
  drainIPs?: DrainIPDto[];
  // --- end drain ---
  // --- dynamic port allocation (issue 17.4) ---
  @ApiPropertyOptional({
    description:
      "Dynamic port allocation (GCP Cloud NAT's DPA): every network interface starts with minPortsPerNetworkInterface ports, and its slot doubles in place up to maxPortsPerNetworkInterface when its usage reaches growAtPercent, and halves after shrinkAfterSeconds idle. Mutually exclusive with an explicit portsPerNetworkInterface.",
    type: () => DynamicPortAllocationDto,
  })
  @Satisfies('dynamicPortAllocation', dynamicPortAllocationProblems)
  @IsOptional()
  dynamicPortAllocation?: DynamicPortAllocationDto;
  // --- end dynamic port allocation ---
}

/** Applies NATGateway defaults to a validated spec. */
export function natGatewaySpecFrom(dto: NATGatewaySpecDto): NATGatewaySpec {
  return {
    type: dto.type as NATGatewaySpec['type'],
    ipFamily: dto.ipFamily as NATGatewaySpec['ipFamily'],
    portsPerNetworkInterface: dto.portsPerNetworkInterface ?? DEFAULT_PORTS_PER_NETWORK_INTERFACE,
    networkRef: { name: dto.networkRef.name },
    // --- tlog ---
    ...(dto.timeouts
      ? {
          timeouts: Object.fromEntries(
            NATGATEWAY_TIMEOUT_FIELDS.map((f) => [
              f,
              dto.timeouts?.[f] ?? DEFAULT_NATGATEWAY_TIMEOUTS[f],
            ]),
          ) as unknown as NonNullable<NATGatewaySpec['timeouts']>,
        }
      : {}),
    ...(dto.logging
      ? {
          logging: {
            enabled: dto.logging.enabled,
            filter: (dto.logging.filter ?? DEFAULT_NATGATEWAY_LOG_FILTER) as NATGatewayLogFilter,
          },
        }
      : {}),
    // --- end tlog ---
    // drain (issue 17.1): absent stays absent, so older objects keep their spec.
    ...(dto.drainIPs !== undefined ? { drainIPs: drainIPsFrom(dto.drainIPs) } : {}),
    // dynamic port allocation (issue 17.4): absent stays absent.
    ...(dto.dynamicPortAllocation !== undefined
      ? { dynamicPortAllocation: dynamicPortAllocationFrom(dto.dynamicPortAllocation) }
      : {}),
  };
}

@ApiSchema({ name: 'NATGatewayIP' })
export class NATGatewayIPDto {
  @ApiProperty({
    description:
      'The name of the public IP within the gateway: ip1, ip2, ... for the IPs it holds, in address order; released1, ... for IPs a drain released.',
  })
  name!: string;
  @ApiProperty({ description: 'The public IP address.' }) ip!: string;
  // --- drain (issue 17.1) ---
  @ApiProperty({
    description:
      'Active: takes new slots. Draining: spec.drainIPs names it; no new slots, existing connections keep it until drainDeadline. Released: the drain ended and the IP went back to the pool (listed while spec.drainIPs names it).',
    enum: ['Active', 'Draining', 'Released'],
  })
  state!: string;
  @ApiPropertyOptional({
    description: 'Draining: when the IP and its retiring slots are released.',
    format: 'date-time',
  })
  drainDeadline?: string;
  @ApiPropertyOptional({ description: 'Released: when the drain ended.', format: 'date-time' })
  releasedAt?: string;
  // --- end drain ---
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
    description:
      'Slots the IPs that take new slots offer: #active IPs x floor(64512 / portsPerNetworkInterface).',
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
  // --- drain (issue 17.1) ---
  @ApiPropertyOptional({
    description:
      'Retiring slots: slots on draining IPs that only carry existing connections until the drain deadline.',
    type: 'integer',
  })
  retiringSlots?: number;
  // --- end drain ---
  @ApiPropertyOptional({
    description:
      'Dynamic port allocation: network interfaces whose grant of more ports is refused for now (the block of twice their size is taken and no other public IP has one free); asked again on their next usage report. Absent when none.',
    type: 'integer',
  })
  portGrantsRefused?: number;
}
