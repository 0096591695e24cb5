import { parseRfc3339 } from '@natgw/contracts';
import { apiErrors } from '../http/api-error';
import { QueryParams } from '../http/query-params';

/** How far around `at` a `related` query looks: a request's consequences follow within seconds. */
export const RELATED_WINDOW_MS = 60 * 60 * 1000;
export const DEFAULT_EVENT_LIMIT = 200;
export const MAX_EVENT_LIMIT = 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TYPE = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
/** Correlation ids are request ids (UUIDs) or the allocator's own (`resync:<reason>`). */
const CORRELATION = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/;
const MAX_TYPES = 32;
const MAX_STREAM_LENGTH = 600;

/** One of three questions about the log. */
export type EventQuery =
  | { by: 'stream'; stream: string; types: string[]; limit: number }
  | { by: 'id'; id: string }
  | { by: 'related'; id: string; from: Date; to: Date; limit: number };

function invalid(field: string, value: string, rule: string) {
  return apiErrors.badRequest(
    `query parameter "${field}" ${rule}, got ${JSON.stringify(value.slice(0, 100))}`,
    [{ field, reason: 'FieldValueInvalid', message: rule }],
  );
}

function uuid(query: QueryParams, field: string): string {
  const v = query.string(field) ?? '';
  if (!UUID.test(v)) throw invalid(field, v, 'must be an event id (a UUID)');
  return v.toLowerCase();
}

function limit(query: QueryParams): number {
  const v = query.string('limit');
  if (v === undefined || v === '') return DEFAULT_EVENT_LIMIT;
  if (!/^[0-9]{1,4}$/.test(v) || Number(v) < 1 || Number(v) > MAX_EVENT_LIMIT) {
    throw invalid('limit', v, `must be a whole number from 1 to ${MAX_EVENT_LIMIT}`);
  }
  return Number(v);
}

function types(query: QueryParams): string[] {
  const v = query.string('type');
  if (v === undefined || v === '') return [];
  const list = v.split(',');
  if (list.length > MAX_TYPES || !list.every((t) => TYPE.test(t))) {
    throw invalid(
      'type',
      v,
      `must be up to ${MAX_TYPES} event type names separated by commas, e.g. DriftDetected,DriftRepaired`,
    );
  }
  return list;
}

/**
 * Reads `events` parameters: exactly one of `stream` (with optional `type` and
 * `limit`), `id`, or `related` with `at` (and optional `limit`). A bad one is a
 * 400 naming it.
 */
export function parseEventQuery(query: QueryParams): EventQuery {
  const given = (['stream', 'id', 'related'] as const).filter((k) => query.string(k) !== undefined);
  if (given.length !== 1) {
    throw apiErrors.badRequest(
      'give exactly one of the query parameters "stream" (a log stream, e.g. natgateway:default/gw), "id" (an event id) or "related" (a correlation or event id, with "at")',
      [
        {
          field: 'stream',
          reason: 'FieldValueRequired',
          message: 'exactly one of stream, id, related',
        },
      ],
    );
  }
  if (given[0] === 'id') return { by: 'id', id: uuid(query, 'id') };
  if (given[0] === 'related') {
    const id = query.string('related') ?? '';
    if (!CORRELATION.test(id)) {
      throw invalid(
        'related',
        id,
        'must be a correlation id or an event id: 1 to 200 letters, digits and ":._-"',
      );
    }
    const atText = query.string('at') ?? '';
    const at = parseRfc3339(atText);
    if (!at) {
      throw invalid(
        'at',
        atText,
        'must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-26T10:42:00Z',
      );
    }
    return {
      by: 'related',
      id,
      from: new Date(at.getTime() - RELATED_WINDOW_MS),
      to: new Date(at.getTime() + RELATED_WINDOW_MS),
      limit: limit(query),
    };
  }
  const stream = query.string('stream') ?? '';
  if (stream.length === 0 || stream.length > MAX_STREAM_LENGTH || !stream.includes(':')) {
    throw invalid(
      'stream',
      stream,
      `must be a log stream id of at most ${MAX_STREAM_LENGTH} characters, <category>:<id>, e.g. natgateway:default/gw`,
    );
  }
  return { by: 'stream', stream, types: types(query), limit: limit(query) };
}
