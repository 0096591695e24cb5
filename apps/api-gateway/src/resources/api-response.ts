import type { Response } from 'express';

/** What a use case answers: the HTTP code, the body, and warnings for the `Warning` header. */
export interface ApiResponse {
  code: number;
  body: unknown;
  warnings?: string[];
}

const warningValue = (w: string) => `299 - ${JSON.stringify(w)}`;

/** One `Warning` header value carrying every warning (`299 - "text"`, comma-separated). */
export function warningHeader(warnings: readonly string[]): string {
  return warnings.map(warningValue).join(', ');
}

/** Sends a use case's answer as JSON, with one `Warning: 299` header per warning. */
export function send(res: Response, answer: ApiResponse): void {
  if (answer.warnings && answer.warnings.length > 0) {
    res.setHeader('Warning', answer.warnings.map(warningValue));
  }
  res.status(answer.code).type('application/json').send(JSON.stringify(answer.body));
}
