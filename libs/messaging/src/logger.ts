/** Structured fields attached to one log line. */
export type LogFields = Record<string, unknown>;

/**
 * The logger the messaging classes write to. A pino logger fits as it is
 * (`logger.info({ stream }, 'message')`); Nest code passes an adapter.
 */
export interface MessagingLogger {
  debug?(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/** A logger that drops everything (the default, and for tests). */
export const silentLogger: MessagingLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** The message of anything thrown, for log fields. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
