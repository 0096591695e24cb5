import { createHash } from 'node:crypto';

/** The event type a dead-lettered message is recorded as. */
export const DEAD_LETTER_EVENT_TYPE = 'MessageDeadLettered';

/** At most this much of a poison message is kept in its dead-letter event. */
export const DEAD_LETTER_RAW_LIMIT = 64 * 1024;

/** The data of a `MessageDeadLettered` event. */
export interface MessageDeadLetteredData {
  consumer: string;
  /** The JetStream stream the message came from. */
  stream: string;
  subject: string;
  streamSequence: number;
  deliveryCount: number;
  /** Why it was dead-lettered: unparseable, rejected by the handler, or out of deliveries. */
  reason: string;
  /** The message body (truncated), as text or, when it is not UTF-8 text, base64. */
  raw: string;
  rawEncoding: 'utf8' | 'base64';
  /** The body's full size in bytes, and whether `raw` was cut short. */
  rawBytes: number;
  rawTruncated: boolean;
  /** The event id, when the message parsed far enough to have one. */
  eventId?: string;
}

/** The log stream that records one consumer's dead letters. */
export function deadLetterStreamId(consumer: string): string {
  return `deadletter:${consumer}`;
}

// A fixed namespace for natgw's name-based (version 5) UUIDs.
const NAMESPACE = Buffer.from('6f1c3c9e5d2a4b7e9a0e3c1d2b4a5f60', 'hex');

/** A name-based UUID (RFC 4122 version 5, SHA-1). */
export function uuidV5(name: string, namespace: Buffer = NAMESPACE): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The id of the dead-letter event for one message: derived from the stream,
 * consumer and stream sequence, so dead-lettering the same message again (after
 * a crash or a redelivery) is stored once.
 */
export function deadLetterEventId(
  stream: string,
  consumer: string,
  streamSequence: number,
): string {
  return uuidV5(`deadletter/${stream}/${consumer}/${streamSequence}`);
}

/** At most this much of a reason is kept (error messages may quote the whole body). */
export const DEAD_LETTER_REASON_LIMIT = 2048;

/**
 * Text that PostgreSQL's jsonb accepts: U+0000 and lone surrogates become U+FFFD,
 * and it is cut at `limit` characters.
 */
export function jsonbSafeText(text: string, limit = DEAD_LETTER_REASON_LIMIT): string {
  const cut = text.length > limit ? `${text.slice(0, limit)}…` : text;
  return cut
    .replaceAll('\u0000', '\ufffd')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The raw-body fields of a dead letter: UTF-8 text when it is text, else base64. */
export function describeRawBody(
  body: Uint8Array,
): Pick<MessageDeadLetteredData, 'raw' | 'rawEncoding' | 'rawBytes' | 'rawTruncated'> {
  let text: string | undefined;
  try {
    text = strictUtf8.decode(body);
  } catch {
    text = undefined;
  }
  // PostgreSQL's jsonb cannot hold U+0000, so such bodies are kept as base64 too.
  if (text !== undefined && !text.includes('\u0000')) {
    const truncated = text.length > DEAD_LETTER_RAW_LIMIT;
    let end = DEAD_LETTER_RAW_LIMIT;
    // Never cut a surrogate pair in half: jsonb rejects a lone surrogate.
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    return {
      raw: truncated ? text.slice(0, end) : text,
      rawEncoding: 'utf8',
      rawBytes: body.length,
      rawTruncated: truncated,
    };
  }
  const limit = (DEAD_LETTER_RAW_LIMIT / 4) * 3;
  return {
    raw: Buffer.from(body.subarray(0, limit)).toString('base64'),
    rawEncoding: 'base64',
    rawBytes: body.length,
    rawTruncated: body.length > limit,
  };
}
