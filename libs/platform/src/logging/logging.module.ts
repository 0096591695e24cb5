import { randomUUID } from 'node:crypto';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import type { Options as PinoHttpOptions } from 'pino-http';
import { logFormat, prettyLogStream } from './log-format';

/** The header that carries one user request's id through every service. */
export const CORRELATION_HEADER = 'x-correlation-id';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's correlation id: the client's header when it is sane, else a fresh uuid. */
export function correlationIdOf(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_HEADER];
  const value = Array.isArray(given) ? given[0] : given;
  return value && SAFE_ID.test(value) ? value : randomUUID();
}

/**
 * Structured logs (pino), one line per event, with the service name and correlation id:
 * JSON, or pino-pretty's readable lines on a terminal (LOG_FORMAT, see logFormat).
 */
@Module({})
export class LoggingModule {
  static forRoot(service: string, level = 'info'): DynamicModule {
    const options: PinoHttpOptions = {
      level,
      base: { service },
      genReqId: (req, res) => {
        const id = correlationIdOf(req);
        res.setHeader(CORRELATION_HEADER, id);
        return id;
      },
      customAttributeKeys: { reqId: 'correlationId' },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      },
    };
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: logFormat() === 'pretty' ? [options, prettyLogStream()] : options,
        }),
      ],
    };
  }
}
