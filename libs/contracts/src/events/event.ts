/** Who and what caused an event; carried through every service. */
export interface EventMetadata {
  /** One user request, followed through every service. */
  correlationId?: string;
  /** The id of the event (or request) that caused this one. */
  causationId?: string;
  /** The authenticated user or service that made the change. */
  actor?: string;
  /** W3C trace context, when the request carried one. */
  traceparent?: string;
  /** The service that recorded the event, e.g. `/natgw/allocator`. */
  source?: string;
}

/** An event about to be appended. Without an id, the store generates one. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  id?: string;
  type: Type;
  data: Data;
  metadata?: EventMetadata;
}

/** An event as stored in the log. Positions are decimal strings (they are bigint/xid8). */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: string;
  streamId: string;
  /** 1-based position inside its stream. */
  version: number;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  globalPosition: string;
  transactionId: string;
  recordedAt: Date;
}

/** The category of a stream id: the part before the first `:` (e.g. `natgateway`). */
export function streamCategory(streamId: string): string {
  const i = streamId.indexOf(':');
  return i < 0 ? streamId : streamId.slice(0, i);
}
