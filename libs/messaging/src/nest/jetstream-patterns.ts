import type { DurableEventConsumerOptions } from '../consumer/durable-event-consumer';

/** The `@EventPattern` that receives every event type of its durable consumer. */
export const ALL_EVENTS = '>';

/**
 * The extras of an `@EventPattern` on the JetStream transport: which durable consumer
 * the handler belongs to, and that consumer's tuning. Handlers of one durable may be
 * spread over methods and classes; the tuning a method gives must not contradict
 * another's.
 *
 * ```ts
 * @EventPattern(['NATGatewayCreated', 'NATGatewayUpdated'], { durable: 'allocator' })
 * async onGateway(@Payload() event: RecordedEvent, @Ctx() ctx: JetStreamContext) {}
 * ```
 */
export interface JetStreamEventExtras extends Partial<
  Pick<
    DurableEventConsumerOptions,
    | 'maxDeliver'
    | 'ackWaitMs'
    | 'maxAckPending'
    | 'nakBackoff'
    | 'batchSize'
    | 'inactiveThresholdMs'
  >
> {
  /** The durable consumer name, e.g. `allocator`; unique per service and purpose. */
  durable: string;
  /** One subject filter; default: every event (`<prefix>.events.>`). */
  filterSubject?: string;
}

/**
 * The extras of a `@MessagePattern` on the JetStream transport (core NATS
 * request/reply). The pattern is a subject relative to NATS_SUBJECT_PREFIX, e.g.
 * `inbound.networkinterfaces.upsert` or `inbound.*.networkinterfaces.upsert`.
 */
export interface NatsRequestExtras {
  /** The queue group, so replicas share the requests. */
  queue?: string;
}

/**
 * What a `@MessagePattern` handler returns to answer: the body (a string, bytes, or
 * any other value as JSON) and headers. Returning undefined sends no reply.
 */
export interface NatsReply {
  data: string | Uint8Array;
  headers?: Record<string, string>;
}

/** A handler set that cannot be wired (no durable named, a type handled twice, ...). */
export class JetStreamPatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly rule: string,
  ) {
    super(`@EventPattern ${pattern}: ${rule}`);
    this.name = 'JetStreamPatternError';
  }
}
