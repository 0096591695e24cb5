import { readFileSync } from 'node:fs';
import { Expose, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy } from 'class-validator';
import {
  DEFAULT_MAX_PUBLIC_IPS_PER_GATEWAY,
  MAX_PUBLIC_IPS_PER_GATEWAY_LIMIT,
} from '@natgw/contracts';
import { BaseConfig, ConfigError, loadConfig } from '@natgw/platform';
import { hashToken } from './auth/token-authenticator';
import { loadTokensFile, TokenGrant } from './auth/tokens-file';
import { InboundGrant, loadInboundGrantsFile } from './inbound/inbound-grants';

/** True for a host that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Configuration of the api-gateway service. */
export class ApiGatewayConfig extends BaseConfig {
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'API_PORT must be between 1 and 65535' })
  @Max(65535, { message: 'API_PORT must be between 1 and 65535' })
  @IsInt({ message: 'API_PORT must be an integer' })
  API_PORT = 8080;

  /** Without AUTH_TOKENS_FILE the API accepts anyone, so it may only bind to loopback. */
  @Expose()
  @ValidateBy(
    {
      name: 'loopbackWithoutTokens',
      validator: {
        validate: (host: string, args) =>
          (args?.object as ApiGatewayConfig).AUTH_TOKENS_FILE !== undefined || isLoopbackHost(host),
      },
    },
    {
      message: ({ value }) =>
        `API_HOST=${String(value)} is not a loopback address, and AUTH_TOKENS_FILE is not set: the API would accept unauthenticated requests from the network. Set AUTH_TOKENS_FILE, or bind to 127.0.0.1`,
    },
  )
  @Matches(/^[0-9A-Fa-f:.]+$|^localhost$/, {
    message: 'API_HOST must be an IP address or localhost',
  })
  API_HOST = '127.0.0.1';

  /** YAML bearer tokens (see docs/api.md); without it, requests are unauthenticated (loopback only). */
  @Expose()
  @IsOptional()
  @IsString({ message: 'AUTH_TOKENS_FILE must be a file path' })
  AUTH_TOKENS_FILE?: string;

  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK. */
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'WATCH_BOOKMARK_SECONDS must be between 1 and 3600' })
  @Max(3600, { message: 'WATCH_BOOKMARK_SECONDS must be between 1 and 3600' })
  @IsInt({ message: 'WATCH_BOOKMARK_SECONDS must be an integer' })
  WATCH_BOOKMARK_SECONDS = 60;

  /** How long changes stay watchable: a watch or paged list from further back gets 410 Gone. */
  @Expose()
  @Type(() => Number)
  @Min(60, { message: 'WATCH_HISTORY_SECONDS must be between 60 and 604800' })
  @Max(604800, { message: 'WATCH_HISTORY_SECONDS must be between 60 and 604800' })
  @IsInt({ message: 'WATCH_HISTORY_SECONDS must be an integer' })
  WATCH_HISTORY_SECONDS = 900;

  /** The most public IPs one gateway may ask for: minPublicIPs and maxPublicIPs above it are 422. */
  @Expose()
  @Type(() => Number)
  @Min(1, {
    message: `MAX_PUBLIC_IPS_PER_GATEWAY must be between 1 and ${MAX_PUBLIC_IPS_PER_GATEWAY_LIMIT}`,
  })
  @Max(MAX_PUBLIC_IPS_PER_GATEWAY_LIMIT, {
    message: `MAX_PUBLIC_IPS_PER_GATEWAY must be between 1 and ${MAX_PUBLIC_IPS_PER_GATEWAY_LIMIT}`,
  })
  @IsInt({ message: 'MAX_PUBLIC_IPS_PER_GATEWAY must be an integer' })
  MAX_PUBLIC_IPS_PER_GATEWAY = DEFAULT_MAX_PUBLIC_IPS_PER_GATEWAY;

  /** Tokens per second refilled into each client's bucket (per token; per client IP without one). 0 turns rate limiting off. */
  @Expose()
  @Type(() => Number)
  @Min(0, { message: 'RATE_LIMIT_QPS must be between 0 and 100000' })
  @Max(100000, { message: 'RATE_LIMIT_QPS must be between 0 and 100000' })
  @IsInt({ message: 'RATE_LIMIT_QPS must be an integer' })
  RATE_LIMIT_QPS = 50;

  /** The size of each client's bucket: how many read requests it may send at once. */
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'RATE_LIMIT_BURST must be between 1 and 1000000' })
  @Max(1000000, { message: 'RATE_LIMIT_BURST must be between 1 and 1000000' })
  @IsInt({ message: 'RATE_LIMIT_BURST must be an integer' })
  RATE_LIMIT_BURST = 200;

  /** Tokens a write (POST, PUT, PATCH, DELETE) takes from the bucket; a read takes 1. */
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'RATE_LIMIT_WRITE_COST must be between 1 and 1000' })
  @Max(1000, { message: 'RATE_LIMIT_WRITE_COST must be between 1 and 1000' })
  @IsInt({ message: 'RATE_LIMIT_WRITE_COST must be an integer' })
  RATE_LIMIT_WRITE_COST = 2;

  /** Watches one client (token, or client IP without one) may hold open at once; more are 429. */
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'MAX_WATCHES_PER_CLIENT must be between 1 and 100000' })
  @Max(100000, { message: 'MAX_WATCHES_PER_CLIENT must be between 1 and 100000' })
  @IsInt({ message: 'MAX_WATCHES_PER_CLIENT must be an integer' })
  MAX_WATCHES_PER_CLIENT = 100;

  /** Watches the api-gateway holds open at once over all clients; more are 503. */
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'MAX_WATCHES_TOTAL must be between 1 and 1000000' })
  @Max(1000000, { message: 'MAX_WATCHES_TOTAL must be between 1 and 1000000' })
  @IsInt({ message: 'MAX_WATCHES_TOTAL must be an integer' })
  MAX_WATCHES_TOTAL = 2000;

  /** The largest `limit` of a list: larger values are served as this many items, with a `continue` token. */
  @Expose()
  @Type(() => Number)
  @Min(1, { message: 'MAX_LIST_LIMIT must be between 1 and 100000' })
  @Max(100000, { message: 'MAX_LIST_LIMIT must be between 1 and 100000' })
  @IsInt({ message: 'MAX_LIST_LIMIT must be an integer' })
  MAX_LIST_LIMIT = 500;

  /**
   * Serve GET and LIST from an in-memory copy of the resource read model that follows its
   * change log (every read first brings the copy up to the read model's newest version, so
   * reads still see every acknowledged write). `false`: every read queries PostgreSQL.
   */
  @Expose()
  @IsIn(['true', 'false'], { message: 'API_READ_CACHE must be true or false' })
  API_READ_CACHE: 'true' | 'false' = 'true';

  /**
   * PEM certificate (chain) the API serves HTTPS with, together with API_TLS_KEY_FILE.
   * kubectl sends bearer tokens only over TLS.
   */
  @Expose()
  @IsOptional()
  @IsString({ message: 'API_TLS_CERT_FILE must be a file path' })
  API_TLS_CERT_FILE?: string;

  /** PEM private key of API_TLS_CERT_FILE. */
  @Expose()
  @IsOptional()
  @IsString({ message: 'API_TLS_KEY_FILE must be a file path' })
  API_TLS_KEY_FILE?: string;

  /**
   * YAML namespace grants of the external systems that send inbound NATS requests
   * (see docs/operations.md, "Security model"); without it every inbound request is allowed.
   */
  @Expose()
  @IsOptional()
  @IsString({ message: 'NATS_INBOUND_GRANTS_FILE must be a file path' })
  NATS_INBOUND_GRANTS_FILE?: string;

  /** The grants read from NATS_INBOUND_GRANTS_FILE (undefined without one). Not an environment variable. */
  inboundGrants?: InboundGrant[];

  /** The grants read from AUTH_TOKENS_FILE (undefined without one). Not an environment variable. */
  authGrants?: TokenGrant[];

  /** Certificate and key read from API_TLS_*_FILE (undefined: plain HTTP). Not an environment variable. */
  tls?: { cert: Buffer; key: Buffer };
}

function readTlsFiles(config: ApiGatewayConfig): { cert: Buffer; key: Buffer } | undefined {
  // An empty value (a manifest's "leave it unset") is no file.
  const certFile = config.API_TLS_CERT_FILE || undefined;
  const keyFile = config.API_TLS_KEY_FILE || undefined;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError([
      'API_TLS_CERT_FILE and API_TLS_KEY_FILE go together: set both to serve HTTPS, or neither',
    ]);
  }
  const read = (variable: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError([`${variable}=${file} cannot be read: ${(err as Error).message}`]);
    }
  };
  return { cert: read('API_TLS_CERT_FILE', certFile), key: read('API_TLS_KEY_FILE', keyFile) };
}

/**
 * Loads the environment and, when set, the tokens file (AUTH_TOKENS_FILE), the inbound
 * grants (NATS_INBOUND_GRANTS_FILE) and the
 * TLS certificate and key (API_TLS_CERT_FILE, API_TLS_KEY_FILE); throws ConfigError.
 */
export function loadApiGatewayConfig(env: NodeJS.ProcessEnv = process.env): ApiGatewayConfig {
  const config = loadConfig(ApiGatewayConfig, env);
  if (config.AUTH_TOKENS_FILE !== undefined) {
    config.authGrants = loadTokensFile(config.AUTH_TOKENS_FILE, hashToken);
  }
  if (config.NATS_INBOUND_GRANTS_FILE) {
    config.inboundGrants = loadInboundGrantsFile(config.NATS_INBOUND_GRANTS_FILE);
  }
  config.tls = readTlsFiles(config);
  return config;
}
