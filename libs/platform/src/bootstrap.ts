import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigError } from './config';

export interface ServiceDefinition<C> {
  /** Service name, as in logs. */
  name: string;
  /** Parses and validates the configuration; throws ConfigError. */
  loadConfig: () => C;
  /** Builds the root module from the validated config. */
  module: (config: C) => Type<unknown> | import('@nestjs/common').DynamicModule;
  /** Where to listen. */
  listen: (config: C) => { port: number; host: string };
  /** Extra set-up on the app before listening (body parsers, pipes...). */
  configure?: (app: INestApplication, config: C) => void | Promise<void>;
  /** TLS certificate and key when the service serves HTTPS (undefined: plain HTTP). */
  https?: (config: C) => { cert: Buffer; key: Buffer } | undefined;
}

/**
 * Starts a natgw service: validates configuration first (a bad value exits 1 with
 * a message naming the variable), then boots Nest with JSON logs and shutdown hooks.
 */
export async function runService<C>(def: ServiceDefinition<C>): Promise<INestApplication> {
  let config: C;
  try {
    config = def.loadConfig();
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : String(err);
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service: def.name, msg: `${def.name}: ${message}` })}\n`,
    );
    process.exit(1);
  }
  const httpsOptions = def.https?.(config);
  const app = await NestFactory.create(def.module(config), {
    bufferLogs: true,
    bodyParser: false,
    ...(httpsOptions ? { httpsOptions } : {}),
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await def.configure?.(app, config);
  const { port, host } = def.listen(config);
  await app.listen(port, host);
  app.get(Logger).log(`${def.name} listening on ${host}:${port}`);
  return app;
}

/** Runs `main`, and on a start-up failure logs it as one JSON line and exits 1. */
export function startOrExit(name: string, main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    const e = err as Error;
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service: name, msg: `${name} failed to start: ${e?.message ?? String(err)}` })}\n`,
    );
    process.exit(1);
  });
}
