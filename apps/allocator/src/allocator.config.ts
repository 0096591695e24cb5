import { Expose, Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { BaseConfig } from '@natgw/platform';

/** Configuration of the allocator service. */
export class AllocatorConfig extends BaseConfig {
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'ALLOCATOR_PORT must be between 1 and 65535' })
  @Max(65535, { message: 'ALLOCATOR_PORT must be between 1 and 65535' })
  @IsInt({ message: 'ALLOCATOR_PORT must be an integer' })
  ALLOCATOR_PORT = 8081;

  @Expose()
  ALLOCATOR_HOST = '127.0.0.1';
}
