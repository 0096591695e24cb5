import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Allow, IsOptional } from 'class-validator';
import { IsPresent, IsStringField } from '../validation/k8s-decorators';

/**
 * `metadata` as clients send it. Server-set fields are accepted (clients send back
 * what they read) and ignored, except `resourceVersion` and `uid`, which are
 * preconditions on updates. Labels and annotations are checked by
 * validateLabels/validateAnnotations on the raw input.
 */
@ApiSchema({ name: 'ObjectMeta' })
export class ObjectMetaDto {
  @ApiProperty({
    description:
      'Name, unique per kind in the namespace. A DNS-1123 label for NATGateway, a DNS-1123 subdomain for the other kinds.',
    example: 'natgateway-sample',
  })
  @IsStringField()
  @IsPresent('name or generateName is required')
  name!: string;

  @ApiPropertyOptional({
    description: 'Namespace; must match the one in the URL.',
    example: 'default',
  })
  @IsOptional()
  @IsStringField()
  namespace?: string;

  @ApiPropertyOptional({
    description: 'Labels: qualified-name keys, values of at most 63 characters.',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @Allow()
  labels?: Record<string, string>;

  @ApiPropertyOptional({
    description: 'Annotations: qualified-name keys; all keys and values together at most 256 KiB.',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @Allow()
  annotations?: Record<string, string>;

  @ApiPropertyOptional({
    description: 'Set by natgw. On update: must match, when sent.',
    readOnly: true,
  })
  @IsOptional()
  @IsStringField()
  uid?: string;

  @ApiPropertyOptional({
    description:
      'Set by natgw, monotonic in commit order. On update: when sent, it must be the current one (else 409 Conflict).',
  })
  @IsOptional()
  @IsStringField()
  resourceVersion?: string;

  @ApiPropertyOptional({
    description: 'Set by natgw; bumped on spec changes only.',
    readOnly: true,
    type: 'integer',
    format: 'int64',
  })
  @Allow()
  generation?: unknown;

  @ApiPropertyOptional({
    description: 'Set by natgw (RFC 3339).',
    readOnly: true,
    type: 'string',
    format: 'date-time',
  })
  @Allow()
  creationTimestamp?: unknown;

  @ApiPropertyOptional({
    description:
      'Set by natgw once deletion was requested; the object stays until natgw released what it holds.',
    readOnly: true,
    type: 'string',
    format: 'date-time',
  })
  @Allow()
  deletionTimestamp?: unknown;

  @ApiPropertyOptional({ readOnly: true, type: 'integer', description: 'Accepted and ignored.' })
  @Allow()
  deletionGracePeriodSeconds?: unknown;

  @ApiPropertyOptional({
    description:
      'Managed by natgw: NATGateway and NetworkInterface carry natgw.ironcore.dev/allocation.',
    readOnly: true,
    type: [String],
  })
  @Allow()
  finalizers?: unknown;

  @ApiPropertyOptional({
    readOnly: true,
    description:
      'Which field manager owns which fields (server-side apply), written by natgw; ignored in requests.',
    type: 'array',
    items: { type: 'object' },
  })
  @Allow()
  managedFields?: unknown;

  @ApiPropertyOptional({ readOnly: true, description: 'Accepted and ignored.', type: 'string' })
  @Allow()
  selfLink?: unknown;
}
