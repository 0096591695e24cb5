import { ConfigError } from '../config/load-config';
import { LogFormat } from './log-format';

/**
 * The text a service prints when it cannot start. Pretty: readable lines, one per
 * bad variable (`  - NATS_URL: must be ...`). JSON: one fatal log line, with the
 * problems also as an array so log collectors can index them.
 */
export function fatalMessage(
  service: string,
  headline: string,
  err: unknown,
  format: LogFormat,
): string {
  const problems = err instanceof ConfigError ? err.problems : undefined;
  const detail = problems ? undefined : ((err as Error)?.message ?? String(err));
  if (format === 'pretty') {
    const lines = [`${service}: ${headline}${detail !== undefined ? `: ${detail}` : ''}`];
    for (const p of problems ?? []) lines.push(`  - ${p}`);
    if (problems) lines.push(`${service} did not start; fix the variables above and run it again.`);
    return `${lines.join('\n')}\n`;
  }
  const msg = problems
    ? `${service}: ${headline}: ${problems.join('; ')}`
    : `${service}: ${headline}: ${detail}`;
  return `${JSON.stringify({ level: 'fatal', service, msg, ...(problems ? { problems } : {}) })}\n`;
}
