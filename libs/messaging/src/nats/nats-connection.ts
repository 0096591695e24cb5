import { readFileSync } from 'node:fs';
import { credsAuthenticator, NatsConnection, nkeyAuthenticator } from '@nats-io/nats-core';
import { connect, NodeConnectionOptions } from '@nats-io/transport-node';
import { backoffDelay, BackoffPolicy } from '../backoff';
import { errorMessage, MessagingLogger, silentLogger } from '../logger';

/** How to reach NATS; mirrors the NATS_* configuration variables. */
export interface NatsConnectionOptions {
  /** One or more servers, as an array or comma-separated (`NATS_URL`); `nats://` or `tls://`. */
  servers: string | string[];
  user?: string;
  password?: string;
  token?: string;
  /** A `.creds` file (user JWT plus nkey seed), as `nsc` writes it. */
  credsFile?: string;
  /** A file holding an nkey seed (`SU...`), for servers that authenticate users by nkey. */
  nkeySeedFile?: string;
  /**
   * The prefix of this client's reply subjects (default `_INBOX`). A server can then let
   * each user subscribe to its own replies only, e.g. `_INBOX.natgw-allocator.>`.
   */
  inboxPrefix?: string;
  /** TLS files; a `tls://` server requires TLS even when none are given. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** The client name the server's monitoring shows, e.g. `natgw-allocator`. */
  name?: string;
  /** Reconnect delays (forever, exponential with jitter). Default 250 ms up to 5 s. */
  reconnectBackoff?: BackoffPolicy;
  /** How long the first connect may take before it fails. Default 10 s. */
  connectTimeoutMs?: number;
  logger?: MessagingLogger;
}

/** A NATS URL that natgw cannot use. */
export class InvalidNatsUrlError extends Error {
  constructor(
    readonly url: string,
    readonly rule: string,
  ) {
    super(`NATS URL "${url}" is invalid: ${rule}`);
    this.name = 'InvalidNatsUrlError';
  }
}

/** The first connection to NATS failed. */
export class NatsConnectError extends Error {
  constructor(
    readonly servers: string[],
    cause: unknown,
  ) {
    super(`cannot connect to NATS at ${servers.join(',')}: ${errorMessage(cause)}`);
    this.name = 'NatsConnectError';
  }
}

/** Servers parsed from NATS_URL: host:port list, whether TLS is required, and URL credentials. */
export interface ParsedNatsServers {
  servers: string[];
  tls: boolean;
  user?: string;
  password?: string;
}

/** Parses `nats://a:4222,tls://user:pass@b:4222` into servers, TLS and credentials. */
export function parseNatsServers(input: string | string[]): ParsedNatsServers {
  const urls = (Array.isArray(input) ? input : input.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (urls.length === 0) throw new InvalidNatsUrlError(String(input), 'no server given');
  const result: ParsedNatsServers = { servers: [], tls: false };
  for (const raw of urls) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new InvalidNatsUrlError(raw, 'not a URL');
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
      throw new InvalidNatsUrlError(raw, 'the scheme must be nats:// or tls://');
    }
    if (!url.hostname) throw new InvalidNatsUrlError(raw, 'no host');
    if (url.protocol === 'tls:') result.tls = true;
    if (url.username) {
      result.user = decodeURIComponent(url.username);
      if (url.password) result.password = decodeURIComponent(url.password);
    }
    result.servers.push(`${url.hostname}:${url.port || '4222'}`);
  }
  return result;
}

interface ClientSetup {
  client: NodeConnectionOptions;
  /** Starts the reconnect backoff over after a successful reconnect. */
  resetBackoff: () => void;
}

/** The nats.js client options for these settings (exported for tests and tools). */
export function natsClientOptions(options: NatsConnectionOptions): NodeConnectionOptions {
  return clientSetup(options).client;
}

function clientSetup(options: NatsConnectionOptions): ClientSetup {
  const parsed = parseNatsServers(options.servers);
  const policy = options.reconnectBackoff ?? { initialMs: 250, maxMs: 5_000, jitter: 0.2 };
  let attempt = 0;
  const client: NodeConnectionOptions = {
    servers: parsed.servers,
    name: options.name,
    timeout: options.connectTimeoutMs ?? 10_000,
    reconnect: true,
    maxReconnectAttempts: -1,
    // The client calls this once per attempt; the counter resets on reconnect (see connectNats).
    reconnectDelayHandler: () => backoffDelay(++attempt, policy),
    // A restarted server may reject a client for a moment; never give up for that.
    ignoreAuthErrorAbort: true,
  };
  const user = options.user ?? parsed.user;
  const password = options.password ?? parsed.password;
  if (user) {
    client.user = user;
    if (password !== undefined) client.pass = password;
  }
  if (options.token) client.token = options.token;
  if (options.credsFile) {
    const file = options.credsFile;
    // Read on every (re)connect, so a rotated creds file is picked up.
    client.authenticator = credsAuthenticator(() => readFileSync(file));
  }
  if (options.nkeySeedFile) {
    const file = options.nkeySeedFile;
    // Read on every (re)connect, like the creds file.
    client.authenticator = nkeyAuthenticator(() =>
      new TextEncoder().encode(readFileSync(file, 'utf8').trim()),
    );
  }
  if (options.inboxPrefix) client.inboxPrefix = options.inboxPrefix;
  if (parsed.tls || options.tls) {
    client.tls = {
      caFile: options.tls?.caFile,
      certFile: options.tls?.certFile,
      keyFile: options.tls?.keyFile,
    };
  }
  return { client, resetBackoff: () => (attempt = 0) };
}

/**
 * Connects to NATS and keeps reconnecting forever with capped exponential backoff.
 * The first connect fails fast with NatsConnectError (the caller decides whether to retry).
 */
export async function connectNats(options: NatsConnectionOptions): Promise<NatsConnection> {
  const logger = options.logger ?? silentLogger;
  const { client, resetBackoff } = clientSetup(options);
  for (const [what, file] of [
    ['creds file', options.credsFile],
    ['nkey seed file', options.nkeySeedFile],
  ] as const) {
    if (!file) continue;
    try {
      readFileSync(file);
    } catch (err) {
      throw new NatsConnectError(client.servers as string[], `${what}: ${errorMessage(err)}`);
    }
  }
  let nc: NatsConnection;
  try {
    nc = await connect(client);
  } catch (err) {
    throw new NatsConnectError(client.servers as string[], err);
  }
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          logger.warn({ server: s.server }, 'NATS disconnected; reconnecting');
          break;
        case 'reconnect':
          resetBackoff();
          logger.info({ server: s.server }, 'NATS reconnected');
          break;
        case 'error':
          logger.warn({ err: errorMessage(s.error) }, 'NATS error');
          break;
        case 'staleConnection':
          logger.warn({}, 'NATS connection is stale; reconnecting');
          break;
        default:
          break;
      }
    }
  })();
  logger.info({ server: nc.getServer(), name: options.name }, 'NATS connected');
  return nc;
}

/** Tracks whether a NATS connection is currently up (for readiness checks). */
export class NatsConnectionWatch {
  private up = true;

  constructor(private readonly nc: NatsConnection) {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.up = false;
        else if (s.type === 'reconnect') this.up = true;
        else if (s.type === 'close') this.up = false;
      }
    })();
  }

  /** True while connected (false while reconnecting and after close). */
  get connected(): boolean {
    return this.up && !this.nc.isClosed();
  }
}
