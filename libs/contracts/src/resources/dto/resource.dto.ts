import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, ValidateNested } from 'class-validator';
import { API_VERSION } from '../api-group';
import { IsObjectField, IsPresent } from '../validation/k8s-decorators';
import { ObjectMetaDto } from './object-meta.dto';

/** The shape every resource DTO shares: the class the validator and OpenAPI see. */
export interface ResourceDtoClass {
  new (): {
    apiVersion?: string;
    kind?: string;
    metadata: ObjectMetaDto;
    spec: object;
    status?: unknown;
  };
}

/**
 * Builds the DTO class of a kind: `apiVersion`, `kind`, `metadata`, its `spec` DTO,
 * and `status`, which is documented but never validated (writes ignore it).
 */
export function resourceDto(
  kind: string,
  description: string,
  specDto: new () => object,
  statusDto: new () => object,
): ResourceDtoClass {
  @ApiSchema({ name: kind, description })
  class ResourceDto {
    @ApiPropertyOptional({
      example: API_VERSION,
      description: `APIVersion defines the versioned schema of this representation of an object: ${API_VERSION}.`,
    })
    @Allow()
    apiVersion?: string;

    @ApiPropertyOptional({
      example: kind,
      description: `Kind is the REST resource this object represents: ${kind}.`,
    })
    @Allow()
    kind?: string;

    @ApiProperty({
      type: () => ObjectMetaDto,
      description:
        'Standard object metadata: name, namespace, labels and annotations, and what natgw sets (uid, resourceVersion, generation, timestamps, finalizers).',
    })
    @ValidateNested()
    @Type(() => ObjectMetaDto)
    @IsObjectField()
    @IsPresent('must specify metadata')
    metadata!: ObjectMetaDto;

    @ApiProperty({ type: () => specDto, description: `The desired state of the ${kind}.` })
    @ValidateNested()
    @Type(() => specDto)
    @IsObjectField()
    spec!: object;

    @ApiPropertyOptional({
      type: () => statusDto,
      readOnly: true,
      description: `The observed state of the ${kind}, written by natgw only (ignored on writes).`,
    })
    @Allow()
    status?: unknown;
  }
  Object.defineProperty(ResourceDto, 'name', { value: `${kind}Dto` });
  return ResourceDto;
}
