import { streamCategory } from './event';

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Checks a subject prefix such as `natgw`: one or more dot-separated NATS tokens. */
export function isValidSubjectPrefix(prefix: string): boolean {
  return prefix.split('.').every((t) => TOKEN.test(t));
}

/** The filter that covers every natgw event: `<prefix>.events.>`. */
export function allEventsSubject(prefix: string): string {
  return `${prefix}.events.>`;
}

/**
 * The subject an event is published on: `<prefix>.events.<category>.<Type>`, e.g.
 * `natgw.events.natgateway.NATGatewayCreated`. Resource names never appear in
 * subjects, so names containing `.` cannot break the token structure.
 */
export function eventSubject(prefix: string, streamId: string, type: string): string {
  return `${prefix}.events.${sanitizeToken(streamCategory(streamId))}.${sanitizeToken(type)}`;
}

/** A subject filter for one event type of one category (`*` matches any). */
export function eventTypeSubject(prefix: string, category: string, type: string): string {
  return `${prefix}.events.${category}.${type}`;
}

function sanitizeToken(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_-]/g, '_');
  return t.length > 0 ? t : '_';
}

// --- translation logs (issue 17.5, tlog) ---
/**
 * The subject of a gateway's translation records: `<prefix>.translationlogs.<gateway uid>`. Not
 * under `<prefix>.events.`: they are high-volume, best-effort and rate-limited, never in the
 * event log or its JetStream stream.
 */
export function translationLogSubject(prefix: string, gatewayUid: string): string {
  return `${prefix}.translationlogs.${sanitizeToken(gatewayUid)}`;
}

/** The filter for every gateway's translation records: `<prefix>.translationlogs.>`. */
export function allTranslationLogsSubject(prefix: string): string {
  return `${prefix}.translationlogs.>`;
}
