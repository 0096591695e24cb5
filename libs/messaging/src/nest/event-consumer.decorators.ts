import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import type { DurableEventConsumerOptions } from '../consumer/durable-event-consumer';

/** Metadata key of @EventConsumer. */
export const EVENT_CONSUMER_METADATA = 'natgw:event-consumer';
/** Metadata key of @OnEvent. */
export const ON_EVENT_METADATA = 'natgw:on-event';

/** The settings of one @EventConsumer class: one durable JetStream consumer. */
export interface EventConsumerOptions extends Partial<
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
 * Marks a provider class as a durable JetStream consumer whose @OnEvent methods
 * handle events. Register the class in a module's providers as usual.
 */
export function EventConsumer(options: EventConsumerOptions): ClassDecorator {
  return applyDecorators(Injectable(), SetMetadata(EVENT_CONSUMER_METADATA, options));
}

/**
 * Marks a method of an @EventConsumer as the handler of these event types (all
 * types when none are given). Signature: `(event: RecordedEvent, ctx: EventHandlerContext) => Promise<void>`.
 */
export function OnEvent(...types: string[]): MethodDecorator {
  return SetMetadata(ON_EVENT_METADATA, types);
}
