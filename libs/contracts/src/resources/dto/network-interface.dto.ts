import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { StatusCause } from '../k8s-status';
import { IP_FAMILIES, NetworkInterfaceSpec } from '../network-interface';
import { ConditionDto } from './natgateway.dto';
import { validateDnsName } from '../validation/dns';
import { fieldError } from '../validation/field-errors';
import { isPrivateIP, isPublicCapableIP, parseIP } from '../validation/ip';
import {
  IsArrayField,
  IsObjectField,
  IsPresent,
  IsStringField,
  Satisfies,
} from '../validation/k8s-decorators';
import { NetworkRefDto } from './references.dto';

/** Every entry a private IP, at most one per family; causes name the entry (`spec.ips[1]`). */
function nicIPProblems(field: string, value: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Map<string, number>();
  (value as unknown[]).forEach((entry, i) => {
    const at = `${field}[${i}]`;
    if (typeof entry !== 'string') return causes.push(fieldError.typeInvalid(at, entry, 'string'));
    const ip = parseIP(entry);
    if (!ip)
      return causes.push(
        fieldError.invalid(at, entry, 'must be a valid IP address, e.g. 10.0.0.1 or fd00::1'),
      );
    if (!isPrivateIP(ip)) {
      return causes.push(
        fieldError.invalid(
          at,
          entry,
          'must be a private address (IPv4: 10/8, 172.16/12, 192.168/16 or 100.64/10; IPv6: fc00::/7); a public address belongs in spec.virtualIP',
        ),
      );
    }
    const first = seen.get(ip.family);
    if (first !== undefined) {
      return causes.push(
        fieldError.duplicate(
          at,
          entry,
          `at most one ${ip.family} address per network interface (spec.ips[${first}] is one)`,
        ),
      );
    }
    seen.set(ip.family, i);
  });
  return causes;
}

@ApiSchema({ name: 'VirtualIPSource' })
export class VirtualIPDto {
  @ApiProperty({
    description: 'The public IP; the NIC gets no NAT for its family.',
    example: '203.0.113.10',
  })
  @Satisfies('publicIP', (field, value) => {
    const ip = parseIP(value as string);
    if (!ip) return [fieldError.invalid(field, value, 'must be a valid IP address')];
    return isPublicCapableIP(ip)
      ? []
      : [
          fieldError.invalid(
            field,
            value,
            'must be a public address (not private, loopback, link-local or multicast)',
          ),
        ];
  })
  @IsStringField()
  @IsPresent('must specify ip')
  ip!: string;
}

/** The desired state of a NetworkInterface. */
@ApiSchema({ name: 'NetworkInterfaceSpec' })
export class NetworkInterfaceSpecDto {
  @ApiProperty({ description: 'The Network the interface is in.', type: () => NetworkRefDto })
  @ValidateNested()
  @Type(() => NetworkRefDto)
  @IsObjectField()
  @IsPresent('must specify networkRef')
  networkRef!: NetworkRefDto;

  @ApiPropertyOptional({
    description: `Private IPs of the interface, at most one per family (${IP_FAMILIES.join(', ')}).`,
    type: [String],
    example: ['10.0.0.5'],
  })
  @Satisfies('nicIPs', nicIPProblems)
  @IsArrayField()
  @IsOptional()
  ips?: string[];

  @ApiPropertyOptional({
    description:
      "The interface's own public IP. A NIC with a public IP of a family gets no NAT for that family.",
    type: () => VirtualIPDto,
  })
  @ValidateNested()
  @Type(() => VirtualIPDto)
  @IsObjectField()
  @IsOptional()
  virtualIP?: VirtualIPDto;

  @ApiPropertyOptional({
    description: 'The node whose dataplane serves the interface (a DNS-1123 subdomain).',
  })
  @Satisfies('dnsSubdomain', (field, value) => validateDnsName(field, value as string, 'subdomain'))
  @IsStringField()
  @IsOptional()
  nodeName?: string;
}

/** The validated spec of a NetworkInterface with defaults applied. */
export function networkInterfaceSpecFrom(dto: NetworkInterfaceSpecDto): NetworkInterfaceSpec {
  const spec: NetworkInterfaceSpec = {
    networkRef: { name: dto.networkRef.name },
    ips: [...(dto.ips ?? [])],
  };
  if (dto.virtualIP) spec.virtualIP = { ip: dto.virtualIP.ip };
  if (dto.nodeName) spec.nodeName = dto.nodeName;
  return spec;
}

@ApiSchema({ name: 'NATGatewayReferenceStatus' })
class NatGatewayRefStatusDto {
  @ApiProperty() name!: string;
}

@ApiSchema({ name: 'NetworkInterfaceNAT' })
export class NetworkInterfaceNATDto {
  @ApiProperty({ enum: IP_FAMILIES, description: 'The IP family the slot translates.' })
  ipFamily!: string;
  @ApiProperty({
    type: () => NatGatewayRefStatusDto,
    description: 'The NATGateway whose slot it is.',
  })
  natGatewayRef!: NatGatewayRefStatusDto;
  @ApiProperty({ description: 'The public IP of the slot.' }) ip!: string;
  @ApiProperty({ description: 'First source port of the slot.', type: 'integer' }) port!: number;
  @ApiProperty({ description: 'Last source port of the slot (inclusive).', type: 'integer' })
  endPort!: number;
  // --- port usage (issue 17.3): from the node's NATPortUsageReported, absent until reported ---
  @ApiPropertyOptional({
    description:
      "Ports of the slot in use toward its busiest destination (protocol, address, port), as the node's executor last counted them in conntrack.",
    type: 'integer',
  })
  inUse?: number;
  @ApiPropertyOptional({
    description:
      'The highest inUse counted in the last PORT_USAGE_PEAK_WINDOW_SECONDS (15 minutes by default).',
    type: 'integer',
  })
  peak?: number;
  @ApiPropertyOptional({
    description:
      'True when inUse reached the slot size: a new connection to that destination finds no free port and is dropped.',
  })
  exhausted?: boolean;
  @ApiPropertyOptional({ description: 'When the node counted this usage.', format: 'date-time' })
  observedAt?: string;
  // --- end port usage ---
}

/** Written by natgw only; ignored on writes. */
@ApiSchema({ name: 'NetworkInterfaceStatus' })
export class NetworkInterfaceStatusDto {
  @ApiProperty({
    type: [NetworkInterfaceNATDto],
    description: 'The NAT slots the interface holds.',
  })
  nat!: NetworkInterfaceNATDto[];
  @ApiPropertyOptional({
    type: [ConditionDto],
    description:
      'NATProgrammed: True once the node serving the interface programmed its NAT slots; False with the reason (e.g. AddressConflict) when the node rejected its rule. PortsExhausted: True while a slot has every port toward one destination in use (reason PortsExhausted), False once reported otherwise (PortsAvailable).',
  })
  conditions?: ConditionDto[];
}
