import { BaseRpcContext } from '@nestjs/microservices';
import type { Msg } from '@nats-io/nats-core';
import type { EntityManager } from 'typeorm';
import type { EventHandlerContext } from '../consumer/durable-event-consumer';

/**
 * The `@Ctx()` of an `@EventPattern` handler on the JetStream transport: the
 * transaction the inbox row is written in (the handler's writes commit with it)
 * and the delivery. It is an EventHandlerContext, so handlers read `ctx.manager`.
 */
export class JetStreamContext
  extends BaseRpcContext<[EventHandlerContext]>
  implements EventHandlerContext
{
  readonly manager: EntityManager;
  readonly subject: string;
  readonly deliveryCount: number;
  readonly streamSequence: number;
  readonly consumer: string;

  constructor(ctx: EventHandlerContext) {
    super([ctx]);
    this.manager = ctx.manager;
    this.subject = ctx.subject;
    this.deliveryCount = ctx.deliveryCount;
    this.streamSequence = ctx.streamSequence;
    this.consumer = ctx.consumer;
  }
}

/** The `@Ctx()` of a `@MessagePattern` handler: the NATS request message itself. */
export class NatsRequestContext extends BaseRpcContext<[Msg]> {
  constructor(msg: Msg) {
    super([msg]);
  }

  /** The request as it arrived: subject, reply subject, headers and raw body. */
  get message(): Msg {
    return this.args[0];
  }
}
