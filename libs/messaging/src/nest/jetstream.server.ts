import { BeforeApplicationShutdown, Inject, Injectable, Optional } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import { allEventsSubject, RecordedEvent } from '@natgw/contracts';
import { PostgresEventStore } from '@natgw/event-store';
import { Metrics } from '@natgw/platform';
import {
  DurableEventConsumer,
  EventHandler,
  EventHandlerContext,
} from '../consumer/durable-event-consumer';
import { errorMessage } from '../logger';
import { JetStreamContext, NatsRequestContext } from './jetstream.context';
import {
  ALL_EVENTS,
  JetStreamEventExtras,
  JetStreamPatternError,
  NatsReply,
  NatsRequestExtras,
} from './jetstream-patterns';
import { MessagingModuleOptions } from './messaging-module-options';
import {
  JETSTREAM_CLIENT,
  JETSTREAM_MANAGER,
  MESSAGING_OPTIONS,
  NATS_CONNECTION,
} from './messaging.tokens';
import { nestMessagingLogger } from './nest-messaging-logger';

/** The transport id of JetStreamServer (for `@EventPattern(pattern, JETSTREAM_TRANSPORT, extras)`). */
export const JETSTREAM_TRANSPORT = Symbol('JETSTREAM_TRANSPORT');

type Tuning = Omit<JetStreamEventExtras, 'durable'>;

/** One durable consumer's handlers, gathered from the `@EventPattern`s naming it. */
interface DurableGroup {
  byType: Map<string, MessageHandler>;
  catchAll?: MessageHandler;
  tuning: Tuning;
}

/**
 * natgw's Nest transport (a custom transport strategy): `@EventPattern` handlers are
 * served by durable JetStream consumers (DurableEventConsumer: inbox dedupe in the
 * handler's transaction, ack after commit, delayed-nak backoff, dead letters), one per
 * `durable` named in the patterns' extras; `@MessagePattern` handlers answer core NATS
 * requests on subjects under NATS_SUBJECT_PREFIX. A provider of MessagingModule:
 * connect it with startJetStreamTransport(app).
 */
@Injectable()
export class JetStreamServer
  extends Server
  implements CustomTransportStrategy, BeforeApplicationShutdown
{
  override readonly transportId = JETSTREAM_TRANSPORT;
  private consumers: DurableEventConsumer[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private starting = false;
  private closed = false;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(JETSTREAM_CLIENT) private readonly js: JetStreamClient,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    @Optional() private readonly metrics?: Metrics,
  ) {
    super();
  }

  /** The running durable consumers. */
  get all(): readonly DurableEventConsumer[] {
    return this.consumers;
  }

  /** False while consumers start; then true while every consumer is pulling messages. */
  get ready(): boolean {
    return !this.starting && this.consumers.every((c) => c.isConsuming);
  }

  /** True once the request subscriptions are in place (and NATS is open). */
  get listening(): boolean {
    return this.subscriptions.length > 0 && !this.nc.isClosed();
  }

  /** Called by Nest (startAllMicroservices): subscribes, then starts every durable consumer. */
  listen(callback: (err?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (err: unknown) => callback(err),
    );
  }

  /** Stops consuming and subscribing; finishes the messages and requests in flight. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.subscriptions.map((s) => s.drain().catch(() => undefined)));
    await Promise.all(this.consumers.map((c) => c.stop()));
    await Promise.all(this.inFlight);
  }

  /** Before the database and NATS close (as the consumers always stopped). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.close();
  }

  on(): never {
    throw new Error('JetStreamServer has no events to listen to; use its status and health');
  }

  unwrap<T>(): T {
    return this.nc as T;
  }

  private async start(): Promise<void> {
    if (this.closed) return;
    this.starting = true;
    try {
      const groups = new Map<string, DurableGroup>();
      for (const [pattern, head] of this.messageHandlers) {
        for (let h: MessageHandler | undefined = head; h; h = h.next) {
          if (h.isEventHandler) this.addEventHandler(groups, pattern, h);
          else this.subscribe(pattern, h);
        }
      }
      this.consumers = [...groups].map(([durable, group]) => this.consumerFor(durable, group));
      for (const c of this.consumers) await c.start();
    } finally {
      this.starting = false;
    }
  }

  private addEventHandler(
    groups: Map<string, DurableGroup>,
    pattern: string,
    handler: MessageHandler,
  ): void {
    const { durable, ...tuning } = (handler.extras ?? {}) as Partial<JetStreamEventExtras>;
    if (typeof durable !== 'string' || durable === '') {
      throw new JetStreamPatternError(pattern, 'the extras must name a durable consumer');
    }
    const group: DurableGroup = groups.get(durable) ?? { byType: new Map(), tuning: {} };
    groups.set(durable, group);
    for (const [key, value] of Object.entries(tuning) as Array<[keyof Tuning, unknown]>) {
      const known = group.tuning[key];
      if (known !== undefined && JSON.stringify(known) !== JSON.stringify(value)) {
        throw new JetStreamPatternError(
          pattern,
          `durable "${durable}" is given two values of ${key}`,
        );
      }
      (group.tuning as Record<string, unknown>)[key] = value;
    }
    if (pattern === ALL_EVENTS) {
      if (group.catchAll) {
        throw new JetStreamPatternError(pattern, `durable "${durable}" has two catch-all handlers`);
      }
      group.catchAll = handler;
      return;
    }
    if (group.byType.has(pattern)) {
      throw new JetStreamPatternError(pattern, `durable "${durable}" handles this type twice`);
    }
    group.byType.set(pattern, handler);
  }

  private consumerFor(durable: string, group: DurableGroup): DurableEventConsumer {
    const { byType, catchAll } = group;
    const handler: EventHandler = async (event: RecordedEvent, ctx: EventHandlerContext) => {
      const method = byType.get(event.type) ?? catchAll;
      // Unreachable when `types` filters, but a handler must never silently drop.
      if (!method) throw new Error(`${durable} has no handler for ${event.type}`);
      // Errors arrive as the original error (JetStreamExceptionFilter), so an
      // InvalidMessageError still dead-letters and any other error naks.
      const result = await method(event, new JetStreamContext(ctx));
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    };
    const defaults = this.options.consumerDefaults ?? {};
    const { filterSubject, ...tuning } = { ...defaults, ...group.tuning };
    return new DurableEventConsumer(
      { dataSource: this.dataSource, store: this.store, js: this.js, jsm: this.jsm },
      {
        ...tuning,
        streamName: this.options.streamName,
        durable,
        filterSubject: filterSubject ?? allEventsSubject(this.options.subjectPrefix),
        types: catchAll ? undefined : [...byType.keys()],
        handler,
        source: this.options.source,
        logger: nestMessagingLogger(`EventConsumer:${durable}`),
        hooks: {
          handled: (event) =>
            this.metrics?.eventsConsumed.inc({ consumer: durable, event_type: event.type }),
        },
      },
    );
  }

  /** Serves one `@MessagePattern`: its subject under the prefix, in its queue group. */
  private subscribe(pattern: string, handler: MessageHandler): void {
    const subject = `${this.options.subjectPrefix}.${pattern}`;
    const { queue } = (handler.extras ?? {}) as NatsRequestExtras;
    const logger = nestMessagingLogger('NatsRequests');
    this.subscriptions.push(
      this.nc.subscribe(subject, {
        ...(queue ? { queue } : {}),
        callback: (err, msg) => {
          if (err) {
            logger.warn({ subject, err: errorMessage(err) }, 'subscription error');
            return;
          }
          const done = this.answer(handler, msg).catch((e: unknown) =>
            logger.error({ subject: msg.subject, err: errorMessage(e) }, 'request handler failed'),
          );
          this.inFlight.add(done);
          void done.finally(() => this.inFlight.delete(done));
        },
      }),
    );
  }

  private async answer(handler: MessageHandler, msg: Msg): Promise<void> {
    const result: unknown = await lastValueFrom(
      this.transformToObservable(await handler(msg.data, new NatsRequestContext(msg))),
      { defaultValue: undefined },
    );
    if (!msg.reply || result === undefined) return;
    const reply = toReply(result);
    const h = natsHeaders();
    for (const [k, v] of Object.entries(reply.headers ?? {})) h.set(k, v);
    msg.respond(reply.data, { headers: h });
  }
}

function toReply(result: unknown): NatsReply {
  if (typeof result === 'object' && result !== null && 'data' in result) {
    const r = result as NatsReply;
    if (typeof r.data === 'string' || r.data instanceof Uint8Array) return r;
  }
  return { data: typeof result === 'string' ? result : JSON.stringify(result) };
}
