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

  /**
   * A direct (session) connection to the same database, for what needs one session
   * for a long time: LISTEN/NOTIFY, the relay's advisory lock and the migration lock.
   * Set it when DATABASE_URL points at a pooler in transaction mode (PgBouncer
   * `pool_mode = transaction`); default: DATABASE_URL.
   */
  @Expose()
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, {
    message: 'DATABASE_SESSION_URL must be a postgres:// or postgresql:// URL',
  })
  DATABASE_SESSION_URL?: string;

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

  /**
   * Limits of the event stream, applied when natgw creates it; an existing stream keeps
   * its own (differences are logged at start). Max age in seconds (0 = no limit; default
   * 30 days), bytes and messages (-1 = no limit).
   */
  @Expose()
  @Type(() => Number)
  @Min(0, { message: 'NATS_STREAM_MAX_AGE_SECONDS must be 0 (no limit) or more' })
  @Max(315_360_000, { message: 'NATS_STREAM_MAX_AGE_SECONDS must be at most 10 years' })
  @IsInt({ message: 'NATS_STREAM_MAX_AGE_SECONDS must be an integer' })
  NATS_STREAM_MAX_AGE_SECONDS = 2_592_000;

  @Expose()
  @Type(() => Number)
  @Min(-1, { message: 'NATS_STREAM_MAX_BYTES must be -1 (no limit) or more' })
  @IsInt({ message: 'NATS_STREAM_MAX_BYTES must be an integer' })
  NATS_STREAM_MAX_BYTES = -1;

  @Expose()
  @Type(() => Number)
  @Min(-1, { message: 'NATS_STREAM_MAX_MESSAGES must be -1 (no limit) or more' })
  @IsInt({ message: 'NATS_STREAM_MAX_MESSAGES must be an integer' })
  NATS_STREAM_MAX_MESSAGES = -1;

  /**
   * A durable consumer nobody pulls from for this long is removed by the server (its
   * node was removed); a service that comes back recreates it. 0 = never. Default 1 day.
   */
  @Expose()
  @Type(() => Number)
  @Min(0, { message: 'NATS_CONSUMER_INACTIVE_SECONDS must be 0 (never) or more' })
  @IsInt({ message: 'NATS_CONSUMER_INACTIVE_SECONDS must be an integer' })
  NATS_CONSUMER_INACTIVE_SECONDS = 86_400;

  /**
   * How long consumer inbox rows are kept. Pruning uses at least the stream's max age
   * plus a day (a message can be redelivered as long as the stream holds it), and none
   * happens while the stream has no max age. 0 = never prune. Default 45 days.
   */
  @Expose()
  @Type(() => Number)
  @Min(0, { message: 'INBOX_RETENTION_SECONDS must be 0 (never prune) or more' })
  @IsInt({ message: 'INBOX_RETENTION_SECONDS must be an integer' })
  INBOX_RETENTION_SECONDS = 3_888_000;

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
