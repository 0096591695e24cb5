import { Expose, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { LOG_FORMATS } from '../logging/log-format';

/** Configuration every natgw service reads. */
export class BaseConfig {
  @Expose()
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, {
    message: 'DATABASE_URL must be a postgres:// or postgresql:// URL',
  })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/natgw';

  @Expose()
  @Matches(/^(nats|tls):\/\/[^\s]+(,(nats|tls):\/\/[^\s]+)*$/, {
    message: 'NATS_URL must be one or more comma-separated nats:// or tls:// URLs',
  })
  NATS_URL = 'nats://127.0.0.1:4222';

  @Expose()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'NATS_STREAM must be 1-64 letters, digits, "_" or "-"',
  })
  NATS_STREAM = 'NATGW_EVENTS';

  /** JetStream replicas of the event stream: 3 on a clustered JetStream (R3). */
  @Expose()
  @Max(5, { message: 'NATS_STREAM_REPLICAS must be between 1 and 5' })
  @Min(1, { message: 'NATS_STREAM_REPLICAS must be between 1 and 5' })
  @IsInt({ message: 'NATS_STREAM_REPLICAS must be an integer' })
  @Type(() => Number)
  NATS_STREAM_REPLICAS = 1;

  @Expose()
  @Matches(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
    message: 'NATS_SUBJECT_PREFIX must be dot-separated tokens of letters, digits, "_" or "-"',
  })
  NATS_SUBJECT_PREFIX = 'natgw';

  @Expose()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
  })
  LOG_LEVEL = 'info';

  /** `json`, `pretty` (pino-pretty) or `auto`: pretty on a terminal, JSON otherwise. */
  @Expose()
  @IsIn(LOG_FORMATS, { message: 'LOG_FORMAT must be one of auto, json, pretty' })
  LOG_FORMAT = 'auto';

  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'DATABASE_POOL_SIZE must be at least 1' })
  @Max(200, { message: 'DATABASE_POOL_SIZE must be at most 200' })
  @IsInt({ message: 'DATABASE_POOL_SIZE must be an integer' })
  DATABASE_POOL_SIZE = 10;

  @Expose()
  @IsOptional()
  @IsString()
  NATS_USER?: string;

  @Expose()
  @IsOptional()
  @IsString()
  NATS_PASSWORD?: string;

  @Expose()
  @IsOptional()
  @IsString()
  NATS_TOKEN?: string;

  @Expose()
  @IsOptional()
  @IsString()
  NATS_CREDS_FILE?: string;

  /** A file with an nkey seed, for servers that authenticate by nkey. */
  @Expose()
  @IsOptional()
  @IsString()
  NATS_NKEY_SEED_FILE?: string;

  /** CA bundle that verifies the NATS server (tls:// URLs); default: the system CAs. */
  @Expose()
  @IsOptional()
  @IsString()
  NATS_TLS_CA_FILE?: string;

  /** Client certificate and key, for servers that require TLS client authentication. */
  @Expose()
  @IsOptional()
  @IsString()
  NATS_TLS_CERT_FILE?: string;

  @Expose()
  @IsOptional()
  @IsString()
  NATS_TLS_KEY_FILE?: string;

  /**
   * Run a relay candidate (publishes the log's events to NATS; a PostgreSQL lock
   * lets one publish at a time). Deployments run it in the allocator only, whose
   * NATS user alone may publish events.
   */
  @Expose()
  @IsIn(['true', 'false'], { message: 'NATS_RELAY must be true or false' })
  NATS_RELAY: 'true' | 'false' = 'true';

  /**
   * Create the event stream, or bring it to natgw's settings, at start. When false the
   * service waits for the stream (its NATS user may only read the stream's info).
   */
  @Expose()
  @IsIn(['true', 'false'], { message: 'NATS_ENSURE_STREAM must be true or false' })
  NATS_ENSURE_STREAM: 'true' | 'false' = 'true';

  /**
   * Run the database migrations at start (under an advisory lock). Deployments set it
   * to false and migrate once (`npm run migrate`, the chart's hook Job) with a role
   * that owns the schema; the service then refuses to start while the schema is behind.
   */
  @Expose()
  @IsIn(['true', 'false'], { message: 'MIGRATE_ON_START must be true or false' })
  MIGRATE_ON_START: 'true' | 'false' = 'true';
}
