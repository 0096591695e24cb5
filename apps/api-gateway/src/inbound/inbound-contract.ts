import type { Status } from '@natgw/contracts';

/** What an inbound request asks for. */
export type InboundOperation = 'upsert' | 'delete';

export const INBOUND_OPERATIONS: readonly InboundOperation[] = ['upsert', 'delete'];

/**
 * The unnamed request subject of one operation: `<prefix>.inbound.networkinterfaces.<op>`.
 * External systems publish here in their own NATS account; the account's import maps it
 * to their named subject (systemInboundSubject) in natgw's account. Served as such only
 * without NATS_INBOUND_GRANTS_FILE (development, a NATS without accounts).
 */
export function inboundSubject(prefix: string, operation: InboundOperation): string {
  return `${prefix}.${inboundPatterns(operation)[0]}`;
}

/**
 * The subjects of one operation relative to NATS_SUBJECT_PREFIX, as the JetStream
 * transport's `@MessagePattern` takes them: the unnamed one and every system's.
 */
export function inboundPatterns(operation: InboundOperation): [string, string] {
  return [`inbound.networkinterfaces.${operation}`, `inbound.*.networkinterfaces.${operation}`];
}

/**
 * The request subject of one external system (`*`: every system):
 * `<prefix>.inbound.<system>.networkinterfaces.<op>`. NATS lets only that system's
 * account reach it, so the `<system>` token is an identity the client cannot forge.
 */
export function systemInboundSubject(
  prefix: string,
  operation: InboundOperation,
  system = '*',
): string {
  return `${prefix}.inbound.${system}.networkinterfaces.${operation}`;
}

/**
 * The reply subjects inbound requests may name: a client's own inbox (`_INBOX.…`, same
 * account) or the reply NATS makes for a request from another account (`_R_.…`, which
 * NATS maps back to the requester's account). A request naming any other reply subject
 * (a JetStream API subject, an event subject) is refused and never answered.
 */
export const INBOUND_REPLY_PREFIXES: readonly string[] = ['_INBOX.', '_R_.'];

/** True when an inbound request's reply subject is one natgw answers on. */
export function isAllowedInboundReply(reply: string): boolean {
  return INBOUND_REPLY_PREFIXES.some((p) => reply.startsWith(p) && reply.length > p.length);
}

/** Every api-gateway replica subscribes in this queue group, so each request is handled once. */
export const INBOUND_QUEUE_GROUP = 'natgw-api-gateway';

/** The log stream where requests that could not be answered record their rejection. */
export const INBOUND_STREAM_ID = 'inbound:networkinterfaces';

/** The event recorded for a failed request that had no reply subject. */
export const INBOUND_REJECTED_EVENT_TYPE = 'InboundRequestRejected';

/** Every event type the inbound side appends (besides the resource events of REST). */
export const INBOUND_EVENT_TYPES: readonly string[] = [INBOUND_REJECTED_EVENT_TYPE];

/** The actor recorded on events of inbound requests on the unnamed subject. */
export const INBOUND_ACTOR = 'nats:inbound';

/** The actor of an external system's requests: `nats:<system>`. */
export function inboundActor(system: string | undefined): string {
  return system === undefined ? INBOUND_ACTOR : `nats:${system}`;
}

/** Reply header with the HTTP-like status code: 200 for an object, else the Status's code. */
export const STATUS_CODE_HEADER = 'Natgw-Status-Code';

/** The data of an `InboundRequestRejected` event. */
export interface InboundRequestRejectedData {
  operation: InboundOperation;
  subject: string;
  /** The reply subject, when the request was refused for it. */
  reply?: string;
  /** `Nats-Msg-Id` or the body's `requestId`, when the request had one. */
  requestId?: string;
  namespace?: string;
  name?: string;
  /** The Status a reply would have carried, and its code, reason and message at the top. */
  code: number;
  reason: string;
  message: string;
  status: Status;
  /** The request body (cut at 64 KiB), as UTF-8 text or base64. */
  raw: string;
  rawEncoding: 'utf8' | 'base64';
  rawBytes: number;
  rawTruncated: boolean;
}
