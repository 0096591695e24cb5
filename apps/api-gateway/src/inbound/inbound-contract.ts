import type { Status } from '@natgw/contracts';

/** What an inbound request asks for. */
export type InboundOperation = 'upsert' | 'delete';

export const INBOUND_OPERATIONS: readonly InboundOperation[] = ['upsert', 'delete'];

/** The request subject of one operation: `<prefix>.inbound.networkinterfaces.<op>`. */
export function inboundSubject(prefix: string, operation: InboundOperation): string {
  return `${prefix}.inbound.networkinterfaces.${operation}`;
}

/** Every api-gateway replica subscribes in this queue group, so each request is handled once. */
export const INBOUND_QUEUE_GROUP = 'natgw-api-gateway';

/** The log stream where requests that could not be answered record their rejection. */
export const INBOUND_STREAM_ID = 'inbound:networkinterfaces';

/** The event recorded for a failed request that had no reply subject. */
export const INBOUND_REJECTED_EVENT_TYPE = 'InboundRequestRejected';

/** Every event type the inbound side appends (besides the resource events of REST). */
export const INBOUND_EVENT_TYPES: readonly string[] = [INBOUND_REJECTED_EVENT_TYPE];

/** The actor recorded on events of inbound requests (NATS does not tell who published). */
export const INBOUND_ACTOR = 'nats:inbound';

/** Reply header with the HTTP-like status code: 200 for an object, else the Status's code. */
export const STATUS_CODE_HEADER = 'Natgw-Status-Code';

/** The data of an `InboundRequestRejected` event. */
export interface InboundRequestRejectedData {
  operation: InboundOperation;
  subject: string;
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
