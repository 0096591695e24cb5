import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { PostgresEventStore } from '@natgw/event-store';
import { createHttpAdapter } from '@natgw/platform';
import { StatusApplierRegistration } from '@natgw/projections';
import { WatchEvent } from '@natgw/contracts';
import {
  createTestDatabase,
  deleteTestStream,
  dropTestDatabase,
  eventually,
  testNatsNames,
} from '@natgw/testing';
import { loadApiGatewayConfig } from '../../apps/api-gateway/src/api-gateway.config';
import { ApiGatewayModule } from '../../apps/api-gateway/src/api-gateway.module';
import { configureApiGateway } from '../../apps/api-gateway/src/api-gateway.setup';

/** The group/version prefix of every resource path. */
export const API = '/apis/networking.ironcore.dev/v1alpha1';

/** The seed manifest of the NATGateway docs, verbatim. */
export const SEED_YAML = `apiVersion: networking.ironcore.dev/v1alpha1
kind: NATGateway
metadata:
  namespace: default
  name: natgateway-sample
spec:
  type: Public
  ipFamily: IPv4
  portsPerNetworkInterface: 64
  networkRef:
    name: network-sample
`;

/** A running api-gateway on its own database, for one test file. */
export interface TestApi {
  app: INestApplication;
  /** http://127.0.0.1:<port> (https:// with API_TLS_CERT_FILE and API_TLS_KEY_FILE in `env`) */
  url: string;
  databaseUrl: string;
  dataSource: DataSource;
  store: PostgresEventStore;
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** Tokens file content (YAML); without it the API runs unauthenticated. */
  tokensYaml?: string;
  statusAppliers?: readonly StatusApplierRegistration[];
  env?: Record<string, string>;
  /** Another instance's database: a second api-gateway on the same log (closing it drops nothing). */
  shareDatabaseOf?: TestApi;
}

/** Starts the api-gateway in-process on a fresh database and a free loopback port. */
export async function startTestApi(label: string, options: TestApiOptions = {}): Promise<TestApi> {
  const shared = options.shareDatabaseOf;
  const databaseUrl = shared?.databaseUrl ?? (await createTestDatabase(label));
  // Its own JetStream stream and subjects: the relay in the app publishes there.
  const nats = testNatsNames(label);
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    NATS_STREAM: nats.stream,
    NATS_SUBJECT_PREFIX: nats.prefix,
    DATABASE_POOL_SIZE: '4',
    LOG_LEVEL: 'silent',
    // Tests drive the API from one client, faster than a tenant should; api-limits turns it on.
    RATE_LIMIT_QPS: '0',
    ...options.env,
  };
  if (options.tokensYaml !== undefined) {
    const file = join(tmpdir(), `natgw-tokens-${label}-${process.pid}.yaml`);
    writeFileSync(file, options.tokensYaml);
    env.AUTH_TOKENS_FILE = file;
  }
  const config = loadApiGatewayConfig(env);
  const app = await NestFactory.create(
    ApiGatewayModule.forRoot(config, {
      statusAppliers: options.statusAppliers,
      watchPollIntervalMs: 200,
    }),
    createHttpAdapter(config.tls),
    { bodyParser: false, logger: false, abortOnError: false },
  );
  app.enableShutdownHooks();
  await configureApiGateway(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const dataSource = app.get(DataSource);
  return {
    app,
    url: `${config.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`,
    databaseUrl,
    dataSource,
    store: app.get(PostgresEventStore),
    close: async () => {
      await app.close();
      if (!shared) await dropTestDatabase(databaseUrl);
      await deleteTestStream(nats.stream);
    },
  };
}

/** A watch response being read: its events so far, as they arrive. */
export interface WatchStream {
  status: number;
  events: WatchEvent[];
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  /** Waits until `done(events)` holds (or fails after a while, naming `what`). */
  until(done: (events: WatchEvent[]) => boolean, what: string): Promise<WatchEvent[]>;
  close(): void;
}

/** Opens `GET path` (a watch) and collects its newline-delimited JSON events. */
export function openWatch(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { headers }, (res) => {
      const events: WatchEvent[] = [];
      let buffer = '';
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
        res.on('error', () => done());
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
        }
      });
      resolve({
        status: res.statusCode ?? 0,
        events,
        ended,
        until: (done, what) =>
          eventually(() => (done(events) ? events : undefined), { what, timeoutMs: 20_000 }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}
