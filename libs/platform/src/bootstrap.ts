import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { createHttpAdapter, TlsOptions } from './http/http-adapter';
import { fatalMessage, logFormat } from './logging';

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
  https?: (config: C) => TlsOptions | undefined;
}

/**
 * Starts a natgw service: validates configuration first (a bad value exits 1 with
 * a message naming each variable), then boots Nest with its logs (JSON, or pino-pretty
 * on a terminal: LOG_FORMAT) and shutdown hooks.
 */
export async function runService<C>(def: ServiceDefinition<C>): Promise<INestApplication> {
  let config: C;
  try {
    config = def.loadConfig();
  } catch (err) {
    const format = logFormat(process.env, process.stderr.isTTY === true);
    process.stderr.write(fatalMessage(def.name, 'invalid configuration', err, format));
    process.exit(1);
  }
  // Fastify (createHttpAdapter); no body parser: the api-gateway reads bodies itself.
  const app = await NestFactory.create(def.module(config), createHttpAdapter(def.https?.(config)), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await def.configure?.(app, config);
  const { port, host } = def.listen(config);
  await app.listen(port, host);
  app.get(Logger).log(`${def.name} listening on ${host}:${port}`);
  return app;
}

/** Runs `main`, and on a start-up failure logs it (a JSON line, or readable on a terminal) and exits 1. */
export function startOrExit(name: string, main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    const format = logFormat(process.env, process.stderr.isTTY === true);
    process.stderr.write(fatalMessage(name, 'failed to start', err, format));
    process.exit(1);
  });
}
