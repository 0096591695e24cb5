import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import {
  DEFAULT_MAX_PUBLIC_IPS,
  DEFAULT_MIN_PUBLIC_IPS,
  NATGatewayAutoscalerSpec,
} from '../natgateway-autoscaler';
import { StatusCause } from '../k8s-status';
import { fieldError } from '../validation/field-errors';
import { IsInt32Field, IsObjectField, IsPresent, Satisfies } from '../validation/k8s-decorators';
import { NATGatewayRefDto } from './references.dto';

/** The bounds on the public IPs of one NATGateway. */
@ApiSchema({ name: 'NATGatewayAutoscalerSpec' })
export class NATGatewayAutoscalerSpecDto {
  @ApiProperty({
    description: 'The NATGateway whose public IPs are scaled.',
    type: () => NATGatewayRefDto,
  })
  @ValidateNested()
  @Type(() => NATGatewayRefDto)
  @IsObjectField()
  @IsPresent('must specify natGatewayRef')
  natGatewayRef!: NATGatewayRefDto;

  @ApiPropertyOptional({
    description: 'The fewest public IPs the gateway holds (at least 1).',
    default: DEFAULT_MIN_PUBLIC_IPS,
  })
  @Satisfies('atLeastOne', (field, value) =>
    (value as number) >= 1
      ? []
      : [fieldError.invalid(field, value, 'must be greater than or equal to 1')],
  )
  @IsInt32Field()
  @IsOptional()
  minPublicIPs?: number;

  @ApiPropertyOptional({
    description: `The most public IPs the gateway holds (at least minPublicIPs). If empty, ${DEFAULT_MAX_PUBLIC_IPS}, or minPublicIPs when that is larger.`,
    default: DEFAULT_MAX_PUBLIC_IPS,
  })
  @Satisfies('atLeastMin', (field, value, holder) => {
    const raw = (holder as NATGatewayAutoscalerSpecDto).minPublicIPs;
    const min = Number.isInteger(raw) ? (raw as number) : DEFAULT_MIN_PUBLIC_IPS;
    return (value as number) >= min
      ? []
      : [
          fieldError.invalid(
            field,
            value,
            `must be greater than or equal to minPublicIPs (${min})`,
          ),
        ];
  })
  @IsInt32Field()
  @IsOptional()
  maxPublicIPs?: number;
}

/** The validated spec of a NATGatewayAutoscaler with defaults applied. */
export function natGatewayAutoscalerSpecFrom(
  dto: NATGatewayAutoscalerSpecDto,
): NATGatewayAutoscalerSpec {
  const minPublicIPs = dto.minPublicIPs ?? DEFAULT_MIN_PUBLIC_IPS;
  return {
    natGatewayRef: { name: dto.natGatewayRef.name },
    minPublicIPs,
    // An unset maximum never undercuts an explicit minimum.
    maxPublicIPs: dto.maxPublicIPs ?? Math.max(DEFAULT_MAX_PUBLIC_IPS, minPublicIPs),
  };
}

/**
 * The causes for bounds above the per-gateway cap (MAX_PUBLIC_IPS_PER_GATEWAY): the schema
 * accepts any int32, the cap is the operator's. Checks the raw spec, before defaults.
 */
export function publicIpCapCauses(spec: unknown, cap: number): StatusCause[] {
  const fields = (typeof spec === 'object' && spec !== null ? spec : {}) as Record<string, unknown>;
  const causes: StatusCause[] = [];
  for (const name of ['minPublicIPs', 'maxPublicIPs'] as const) {
    const value = fields[name];
    if (typeof value === 'number' && value > cap) {
      causes.push(
        fieldError.invalid(
          `spec.${name}`,
          value,
          `must be less than or equal to ${cap} (the per-gateway cap, MAX_PUBLIC_IPS_PER_GATEWAY)`,
        ),
      );
    }
  }
  return causes;
}

@ApiSchema({ name: 'NATGatewayAutoscalerStatus' })
export class NATGatewayAutoscalerStatusDto {}
