import { Logger } from '@nestjs/common';
import { LogFields, MessagingLogger } from '../logger';

/** A MessagingLogger that writes through Nest's Logger (pino, when nestjs-pino is the app logger). */
export function nestMessagingLogger(context: string): MessagingLogger {
  const logger = new Logger(context);
  return {
    debug: (fields: LogFields, msg: string) => logger.debug({ msg, ...fields }),
    info: (fields: LogFields, msg: string) => logger.log({ msg, ...fields }),
    warn: (fields: LogFields, msg: string) => logger.warn({ msg, ...fields }),
    error: (fields: LogFields, msg: string) => logger.error({ msg, ...fields }),
  };
}
