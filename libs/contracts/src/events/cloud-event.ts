import { EventMetadata, RecordedEvent, streamCategory } from './event';
import { RESOURCE_KINDS } from '../resources/kinds';

const RESOURCE_CATEGORIES = new Set(RESOURCE_KINDS.map((k) => k.streamCategory));

/** A CloudEvents 1.0 structured-mode JSON message, as natgw publishes it. */
export interface CloudEvent<Data = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: Data;
  /** natgw's own event type name, e.g. `NATGatewayCreated`. */
  natgwtype: string;
  /** The log stream and the version inside it. */
  natgwstream: string;
  natgwversion: number;
  /** The global log position (decimal string) and the committing transaction id. */
  natgwposition: string;
  natgwtxid: string;
  correlationid?: string;
  causationid?: string;
  actor?: string;
  traceparent?: string;
}

/** Thrown for a message that can never be processed: it is dead-lettered, not retried. */
export class InvalidMessageError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InvalidMessageError';
  }
}

const ACRONYMS = /([A-Z]+)([A-Z][a-z])/g;
const WORDS = /([a-z0-9])([A-Z])/g;

function kebab(name: string): string {
  return name.replace(ACRONYMS, '$1-$2').replace(WORDS, '$1-$2').toLowerCase();
}

/** The reverse-DNS prefix of every natgw CloudEvents `type`. */
export const CLOUD_EVENT_TYPE_PREFIX = 'dev.ironcore.natgw';

/**
 * The versioned CloudEvents type of an event: the stream category, then the event
 * name without the kind it repeats, in kebab case. `NATGatewayCreated` in category
 * `natgateway` gives `dev.ironcore.natgw.natgateway.created.v1`; `NATSlotAssigned`
 * in category `allocation` gives `dev.ironcore.natgw.allocation.nat-slot-assigned.v1`.
 */
export function cloudEventType(category: string, type: string, version = 1): string {
  const lower = category.toLowerCase();
  // The kind is compared without case and dashes: NATGateway names category natgateway.
  const action =
    type.toLowerCase().startsWith(lower) && type.length > lower.length
      ? type.slice(lower.length)
      : type;
  return `${CLOUD_EVENT_TYPE_PREFIX}.${lower}.${kebab(action)}.v${version}`;
}

/**
 * The CloudEvents `subject`: what the event is about. Resource streams
 * (`natgateway:default/natgateway-sample`) give `namespace/name`
 * (`default/natgateway-sample`); every other stream gives `category/id`, e.g.
 * `allocation/<gateway uid>`, `ippool/default`, `dataplane/<node>`,
 * `deadletter/<consumer>`, `inbound/networkinterfaces`.
 */
export function cloudEventSubject(streamId: string): string {
  const i = streamId.indexOf(':');
  if (i < 0) return streamId;
  const id = streamId.slice(i + 1);
  return RESOURCE_CATEGORIES.has(streamId.slice(0, i)) ? id : `${streamId.slice(0, i)}/${id}`;
}

/** Wraps a recorded event as a CloudEvent. */
export function toCloudEvent(event: RecordedEvent, defaultSource: string): CloudEvent {
  const m = event.metadata ?? {};
  const ce: CloudEvent = {
    specversion: '1.0',
    id: event.id,
    source: m.source ?? defaultSource,
    type: cloudEventType(streamCategory(event.streamId), event.type),
    subject: cloudEventSubject(event.streamId),
    time: event.recordedAt.toISOString(),
    datacontenttype: 'application/json',
    data: event.data,
    natgwtype: event.type,
    natgwstream: event.streamId,
    natgwversion: event.version,
    natgwposition: event.globalPosition,
    natgwtxid: event.transactionId,
  };
  if (m.correlationId) ce.correlationid = m.correlationId;
  if (m.causationId) ce.causationid = m.causationId;
  if (m.actor) ce.actor = m.actor;
  if (m.traceparent) ce.traceparent = m.traceparent;
  return ce;
}

function requireString(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0) {
    throw new InvalidMessageError(`CloudEvent attribute "${key}" must be a non-empty string`);
  }
  return v;
}

/** Parses a CloudEvent published by natgw back into a recorded event, or throws InvalidMessageError. */
export function fromCloudEvent(bytes: Uint8Array | string): RecordedEvent {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidMessageError(`message is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidMessageError('message is not a JSON object');
  }
  const o = parsed as Record<string, unknown>;
  if (o.specversion !== '1.0')
    throw new InvalidMessageError('CloudEvent "specversion" must be "1.0"');
  const version = o.natgwversion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new InvalidMessageError('CloudEvent attribute "natgwversion" must be a positive integer');
  }
  if (!('data' in o)) throw new InvalidMessageError('CloudEvent attribute "data" is missing');
  const time = new Date(requireString(o, 'time'));
  if (Number.isNaN(time.getTime()))
    throw new InvalidMessageError('CloudEvent "time" is not a timestamp');
  const metadata: EventMetadata = { source: requireString(o, 'source') };
  if (typeof o.correlationid === 'string') metadata.correlationId = o.correlationid;
  if (typeof o.causationid === 'string') metadata.causationId = o.causationid;
  if (typeof o.actor === 'string') metadata.actor = o.actor;
  if (typeof o.traceparent === 'string') metadata.traceparent = o.traceparent;
  return {
    id: requireString(o, 'id'),
    streamId: requireString(o, 'natgwstream'),
    version,
    type: requireString(o, 'natgwtype'),
    data: o.data,
    metadata,
    globalPosition: requireString(o, 'natgwposition'),
    transactionId: requireString(o, 'natgwtxid'),
    recordedAt: time,
  };
}
