import { Expose, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { BaseConfig } from '@natgw/platform';

/** Configuration of the dataplane-executor service (one per node). */
export class ExecutorConfig extends BaseConfig {
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'EXECUTOR_PORT must be between 1 and 65535' })
  @Max(65535, { message: 'EXECUTOR_PORT must be between 1 and 65535' })
  @IsInt({ message: 'EXECUTOR_PORT must be an integer' })
  EXECUTOR_PORT = 8082;

  @Expose()
  EXECUTOR_HOST = '127.0.0.1';

  /** The node this executor programs; unset means single-node mode (every NIC). */
  @Expose()
  @IsOptional()
  @Matches(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, {
    message: 'NODE_NAME must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")',
  })
  NODE_NAME?: string;

  @Expose()
  @IsIn(['memory', 'nftables'], { message: 'DATAPLANE_BACKEND must be one of memory, nftables' })
  DATAPLANE_BACKEND = 'memory';

  @Expose()
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, {
    message: 'DATAPLANE_NETNS must be a network namespace name',
  })
  DATAPLANE_NETNS?: string;

  @Expose()
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.@-]{1,15}(,[A-Za-z0-9_.@-]{1,15})*$/, {
    message: 'DATAPLANE_UPLINK must be one or more comma-separated interface names',
  })
  DATAPLANE_UPLINK?: string;

  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'RECONCILE_INTERVAL_SECONDS must be at least 1' })
  @Max(86400, { message: 'RECONCILE_INTERVAL_SECONDS must be at most 86400' })
  @IsInt({ message: 'RECONCILE_INTERVAL_SECONDS must be an integer' })
  RECONCILE_INTERVAL_SECONDS = 10;
}
