import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { PostgresEventStore } from '@natgw/event-store';
import { StatusApplierRegistration } from '@natgw/projections';
import { createTestDatabase, dropTestDatabase } from '@natgw/testing';
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
  /** http://127.0.0.1:<port> */
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
}

/** Starts the api-gateway in-process on a fresh database and a free loopback port. */
export async function startTestApi(label: string, options: TestApiOptions = {}): Promise<TestApi> {
  const databaseUrl = await createTestDatabase(label);
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
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
    { bodyParser: false, logger: false, abortOnError: false },
  );
  app.enableShutdownHooks();
  await configureApiGateway(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const dataSource = app.get(DataSource);
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    databaseUrl,
    dataSource,
    store: app.get(PostgresEventStore),
    close: async () => {
      await app.close();
      await dropTestDatabase(databaseUrl);
    },
  };
}
