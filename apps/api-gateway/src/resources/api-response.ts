import type { ApiReply } from '../http/api-request';
import { clipText } from '../http/clip-text';
import { toJson } from '../http/preserialized-json';

/** What a use case answers: the HTTP code, the body, and warnings for the `Warning` header. */
export interface ApiResponse {
  code: number;
  body: unknown;
  warnings?: string[];
}

/** The longest warning text, in characters, as the Kubernetes API server cuts them. */
export const MAX_WARNING_CHARS = 256;
/** The most warnings one answer carries; a last one counts the rest. */
export const MAX_WARNINGS = 16;

/**
 * `299 - "text"`, the text quoted and in printable ASCII: anything else is written
 * as a `\uXXXX` escape. Node refuses a header value beyond Latin-1 (or with control
 * characters), and the warnings quote field names the client chose: unescaped, a
 * field named "ключ" under fieldValidation=Warn made the answer a 500 after the
 * write had been committed.
 */
function warningValue(text: string): string {
  const quoted = JSON.stringify(clipText(text, MAX_WARNING_CHARS)).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `299 - ${quoted}`;
}

function warningValues(warnings: readonly string[]): string[] {
  const shown = warnings.slice(0, MAX_WARNINGS).map(warningValue);
  const more = warnings.length - MAX_WARNINGS;
  if (more > 0) shown.push(warningValue(`${more} more warnings not shown`));
  return shown;
}

/** One `Warning` header value carrying every warning (`299 - "text"`, comma-separated). */
export function warningHeader(warnings: readonly string[]): string {
  return warningValues(warnings).join(', ');
}

/**
 * Sends a use case's answer as JSON text (made once: toJson), with one `Warning: 299` header
 * per warning. Fastify sends a string with its content type as it is: no serializer runs.
 */
export function send(res: ApiReply, answer: ApiResponse): void {
  if (answer.warnings && answer.warnings.length > 0) {
    res.header('Warning', warningValues(answer.warnings));
  }
  res
    .code(answer.code)
    .header('Content-Type', 'application/json; charset=utf-8')
    .send(toJson(answer.body));
}
