import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'StatusCause' })
class StatusCauseDto {
  @ApiProperty({
    example: 'spec.portsPerNetworkInterface',
    description: 'The path of the broken field.',
  })
  field!: string;
  @ApiProperty({
    example: 'FieldValueInvalid',
    description: 'FieldValueRequired, FieldValueNotSupported, FieldValueInvalid, ...',
  })
  reason!: string;
  @ApiProperty({ example: 'Invalid value: 100: 100 is not a power of 2' })
  message!: string;
}

@ApiSchema({ name: 'StatusDetails' })
class StatusDetailsDto {
  @ApiPropertyOptional() name?: string;
  @ApiPropertyOptional() group?: string;
  @ApiPropertyOptional() kind?: string;
  @ApiPropertyOptional() uid?: string;
  @ApiPropertyOptional({ type: [StatusCauseDto] }) causes?: StatusCauseDto[];
}

/** The Kubernetes Status every error (and an immediate delete) is answered with. */
@ApiSchema({ name: 'Status' })
export class StatusDto {
  @ApiProperty({ example: 'Status' }) kind!: string;
  @ApiProperty({ example: 'v1' }) apiVersion!: string;
  @ApiProperty({ enum: ['Success', 'Failure'] }) status!: string;
  @ApiPropertyOptional() message?: string;
  @ApiPropertyOptional({ example: 'Invalid' }) reason?: string;
  @ApiPropertyOptional({ type: StatusDetailsDto }) details?: StatusDetailsDto;
  @ApiProperty({ example: 422 }) code!: number;
}

@ApiSchema({ name: 'NATTableTargetRef' })
class NatTableTargetRefDto {
  @ApiProperty() name!: string;
  @ApiProperty() uid!: string;
  @ApiPropertyOptional() nodeName?: string;
}

@ApiSchema({ name: 'NATTableSection' })
class NatTableSectionDto {
  @ApiProperty({ description: "The NIC's private IP." }) ip!: string;
  @ApiProperty() port!: number;
  @ApiProperty({ description: 'Inclusive.' }) endPort!: number;
  @ApiProperty({ type: NatTableTargetRefDto }) targetRef!: NatTableTargetRefDto;
}

@ApiSchema({ name: 'NATTableIP' })
class NatTableIpDto {
  @ApiProperty({ description: 'A public IP of the gateway.' }) ip!: string;
  @ApiProperty({ type: [NatTableSectionDto], description: 'Sorted by port.' })
  sections!: NatTableSectionDto[];
}

/** A NATGateway's NAT table (subresource `nattable`). */
@ApiSchema({ name: 'NATTable' })
export class NatTableDto {
  @ApiProperty() apiVersion!: string;
  @ApiProperty({ example: 'NATTable' }) kind!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: object;
  @ApiProperty({ type: [NatTableIpDto], description: 'Sorted by address.' }) ips!: NatTableIpDto[];
}
