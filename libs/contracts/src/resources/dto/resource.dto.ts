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
    @ApiProperty({ example: API_VERSION })
    @Allow()
    apiVersion?: string;

    @ApiProperty({ example: kind })
    @Allow()
    kind?: string;

    @ApiProperty({ type: () => ObjectMetaDto })
    @ValidateNested()
    @Type(() => ObjectMetaDto)
    @IsObjectField()
    @IsPresent('must specify metadata')
    metadata!: ObjectMetaDto;

    @ApiProperty({ type: () => specDto })
    @ValidateNested()
    @Type(() => specDto)
    @IsObjectField()
    spec!: object;

    @ApiPropertyOptional({
      type: () => statusDto,
      readOnly: true,
      description: 'Written by natgw only.',
    })
    @Allow()
    status?: unknown;
  }
  Object.defineProperty(ResourceDto, 'name', { value: `${kind}Dto` });
  return ResourceDto;
}
