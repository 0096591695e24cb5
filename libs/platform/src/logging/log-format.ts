import pinoPretty from 'pino-pretty';
import type { DestinationStream } from 'pino';

/** How a service writes its logs: one JSON object per line, or pino-pretty's readable lines. */
export type LogFormat = 'json' | 'pretty';

/** The values LOG_FORMAT accepts; `auto` (the default) means pretty on a terminal, JSON otherwise. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

/**
 * The format to log in: LOG_FORMAT=json or pretty wins; otherwise (unset or `auto`)
 * pretty when the output is a terminal, JSON when it is a pipe or a file (a container,
 * a log collector). An unknown value falls back to JSON, which machines can always read;
 * the service's config validation reports it.
 */
export function logFormat(
  env: NodeJS.ProcessEnv = process.env,
  isTTY: boolean = process.stdout.isTTY === true,
): LogFormat {
  const given = env.LOG_FORMAT?.trim().toLowerCase();
  if (given === 'json' || given === 'pretty') return given;
  if (given === undefined || given === '' || given === 'auto') return isTTY ? 'pretty' : 'json';
  return 'json';
}

/** True when colours should be used: a terminal, or FORCE_COLOR set (npm start's children). */
function colours(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY || (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0');
}

/** pino-pretty writing to stdout: time, level, context and message on one line. */
export function prettyLogStream(
  env: NodeJS.ProcessEnv = process.env,
  isTTY: boolean = process.stdout.isTTY === true,
): DestinationStream {
  return pinoPretty({
    colorize: colours(env, isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    singleLine: true,
    sync: true,
  });
}
