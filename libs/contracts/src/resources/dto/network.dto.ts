import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { MAX_VNI, MIN_VNI, NetworkSpec } from '../network';
import { fieldError } from '../validation/field-errors';
import { IsInt32Field, Satisfies } from '../validation/k8s-decorators';

/** A Network: natgw acts only on its VNI. */
@ApiSchema({ name: 'NetworkSpec' })
export class NetworkSpecDto {
  @ApiPropertyOptional({
    description: `The network's VXLAN network identifier (${MIN_VNI}..${MAX_VNI}), unique among live Networks: the dataplane keeps networks apart by it, so two networks may reuse the same private addresses. If empty, natgw assigns a free one at create and stores it here. Immutable: it can only be chosen at create, and a value another live Network holds is refused.`,
    minimum: MIN_VNI,
    maximum: MAX_VNI,
    type: 'integer',
  })
  @Satisfies('vniRange', (field, value) =>
    (value as number) >= MIN_VNI && (value as number) <= MAX_VNI
      ? []
      : [fieldError.invalid(field, value, `must be between ${MIN_VNI} and ${MAX_VNI}, inclusive`)],
  )
  @IsInt32Field()
  @IsOptional()
  vni?: number;
}

@ApiSchema({ name: 'NetworkStatus' })
export class NetworkStatusDto {
  @ApiPropertyOptional({
    description:
      "The VNI natgw assigned to the network (equal to spec.vni), unique among live Networks; stable for the network's life. Released when the network is deleted, which natgw allows only once no NATGateway or NetworkInterface (not even one being deleted) references it.",
    type: 'integer',
  })
  vni?: number;
}

/** The spec of a validated Network. */
export function networkSpecFrom(dto: NetworkSpecDto): NetworkSpec {
  return dto.vni !== undefined ? { vni: dto.vni } : {};
}
