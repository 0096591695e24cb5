import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { pino } from 'pino';
import { logFormat, prettyLogStream } from './log-format';
import { RequestLogHook, ROOT_LOGGER } from './request-log.hook';

/**
 * Structured logs (pino), one line per event, with the service name, and for requests the
 * correlation id (RequestLogHook): JSON, or pino-pretty's readable lines on a terminal
 * (LOG_FORMAT, see logFormat). Nest's own logs and injected loggers write through the same
 * pino logger (nestjs-pino); nestjs-pino's per-request middleware (pino-http, a child logger
 * and an async context per request) is not used: RequestLogHook does its job for less.
 */
@Module({})
export class LoggingModule {
  static forRoot(service: string, level = 'info'): DynamicModule {
    const options = {
      level,
      base: { service },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    };
    const logger = logFormat() === 'pretty' ? pino(options, prettyLogStream()) : pino(options);
    return {
      module: LoggingModule,
      global: true,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] })],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }, RequestLogHook],
      exports: [ROOT_LOGGER],
    };
  }
}
