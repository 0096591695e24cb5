import { Expose, Type } from 'class-transformer';
import {
  IsInt,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import {
  DEFAULT_MAX_PUBLIC_IPS_PER_GATEWAY,
  MAX_PUBLIC_IPS_PER_GATEWAY_LIMIT,
} from '@natgw/contracts';
import { parsePrefix } from '@natgw/domain';
import { BaseConfig } from '@natgw/platform';

@ValidatorConstraint({ name: 'prefixList' })
class PrefixListConstraint implements ValidatorConstraintInterface {
  private problem = '';

  validate(value: unknown): boolean {
    if (value === undefined || value === '') return true;
    if (typeof value !== 'string') return false;
    for (const item of value.split(',').map((s) => s.trim())) {
      try {
        parsePrefix(item);
      } catch (err) {
        this.problem = (err as Error).message;
        return false;
      }
    }
    return true;
  }

  defaultMessage(): string {
    return `PUBLIC_PREFIXES must be a comma-separated list of CIDR prefixes: ${this.problem}`;
  }
}

/** Configuration of the allocator service. */
export class AllocatorConfig extends BaseConfig {
  @Expose()
  @Max(65535, { message: 'ALLOCATOR_PORT must be between 1 and 65535' })
  @Min(1, { message: 'ALLOCATOR_PORT must be between 1 and 65535' })
  @IsInt({ message: 'ALLOCATOR_PORT must be an integer' })
  @Type(() => Number)
  ALLOCATOR_PORT = 8081;

  @Expose()
  ALLOCATOR_HOST = '127.0.0.1';

  /** Prefixes put into the `default` IP pool at start (added if missing, never removed). */
  @Expose()
  @Validate(PrefixListConstraint)
  PUBLIC_PREFIXES = '';

  /** Bounds for gateways without a NATGatewayAutoscaler. */
  @Expose()
  @Max(1024, { message: 'DEFAULT_MIN_PUBLIC_IPS must be at most 1024' })
  @Min(0, { message: 'DEFAULT_MIN_PUBLIC_IPS must be at least 0' })
  @IsInt({ message: 'DEFAULT_MIN_PUBLIC_IPS must be an integer' })
  @Type(() => Number)
  DEFAULT_MIN_PUBLIC_IPS = 1;

  @Expose()
  @Max(1024, { message: 'DEFAULT_MAX_PUBLIC_IPS must be at most 1024' })
  @Min(1, { message: 'DEFAULT_MAX_PUBLIC_IPS must be at least 1' })
  @IsInt({ message: 'DEFAULT_MAX_PUBLIC_IPS must be an integer' })
  @Type(() => Number)
  DEFAULT_MAX_PUBLIC_IPS = 10;

  /**
   * The most public IPs one gateway holds, whatever its NATGatewayAutoscaler says (the api-gateway
   * refuses larger bounds; objects from before the cap are clamped). Set it as on the api-gateway.
   */
  @Expose()
  @Max(MAX_PUBLIC_IPS_PER_GATEWAY_LIMIT, {
    message: `MAX_PUBLIC_IPS_PER_GATEWAY must be between 1 and ${MAX_PUBLIC_IPS_PER_GATEWAY_LIMIT}`,
  })
  @Min(1, {
    message: `MAX_PUBLIC_IPS_PER_GATEWAY must be between 1 and ${MAX_PUBLIC_IPS_PER_GATEWAY_LIMIT}`,
  })
  @IsInt({ message: 'MAX_PUBLIC_IPS_PER_GATEWAY must be an integer' })
  @Type(() => Number)
  MAX_PUBLIC_IPS_PER_GATEWAY = DEFAULT_MAX_PUBLIC_IPS_PER_GATEWAY;

  /** Full recompute of every gateway, insurance against missed events. */
  @Expose()
  @Max(86400, { message: 'ALLOCATOR_RESYNC_SECONDS must be at most 86400' })
  @Min(1, { message: 'ALLOCATOR_RESYNC_SECONDS must be at least 1' })
  @IsInt({ message: 'ALLOCATOR_RESYNC_SECONDS must be an integer' })
  @Type(() => Number)
  ALLOCATOR_RESYNC_SECONDS = 30;

  /**
   * A snapshot of a pool or allocation stream is written every this many events (0: none;
   * stored snapshots are still read). Starts and cache misses fold the snapshot and the
   * events after it; `log:prune` removes only events a snapshot covers.
   */
  @Expose()
  @Max(1_000_000, { message: 'ALLOCATOR_SNAPSHOT_EVERY must be at most 1000000' })
  @Min(0, { message: 'ALLOCATOR_SNAPSHOT_EVERY must be at least 0 (0 writes no snapshots)' })
  @IsInt({ message: 'ALLOCATOR_SNAPSHOT_EVERY must be an integer' })
  @Type(() => Number)
  ALLOCATOR_SNAPSHOT_EVERY = 500;

  /** The prefixes of PUBLIC_PREFIXES, trimmed. */
  get publicPrefixes(): string[] {
    return this.PUBLIC_PREFIXES.split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
}
