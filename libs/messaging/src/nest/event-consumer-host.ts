import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Optional,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import { allEventsSubject } from '@natgw/contracts';
import { PostgresEventStore } from '@natgw/event-store';
import { Metrics } from '@natgw/platform';
import {
  DurableEventConsumer,
  EventHandler,
  EventHandlerContext,
} from '../consumer/durable-event-consumer';
import {
  EVENT_CONSUMER_METADATA,
  EventConsumerOptions,
  ON_EVENT_METADATA,
} from './event-consumer.decorators';
import { MessagingModuleOptions } from './messaging-module-options';
import { JETSTREAM_CLIENT, JETSTREAM_MANAGER, MESSAGING_OPTIONS } from './messaging.tokens';
import { nestMessagingLogger } from './nest-messaging-logger';

/** An @EventConsumer class that cannot be wired (no handlers, a type handled twice, ...). */
export class EventConsumerDefinitionError extends Error {
  constructor(
    readonly consumerClass: string,
    readonly rule: string,
  ) {
    super(`@EventConsumer ${consumerClass}: ${rule}`);
    this.name = 'EventConsumerDefinitionError';
  }
}

type HandlerMethod = (event: unknown, ctx: EventHandlerContext) => Promise<void>;

/**
 * Finds the @EventConsumer providers, starts one durable consumer for each when
 * the application has bootstrapped, and stops them gracefully before shutdown
 * (before the database closes).
 */
@Injectable()
export class EventConsumerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumers: DurableEventConsumer[] = [];
  private started = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    @Inject(JETSTREAM_CLIENT) private readonly js: JetStreamClient,
    @Inject(JETSTREAM_MANAGER) private readonly jsm: JetStreamManager,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  /** The running consumers. */
  get all(): readonly DurableEventConsumer[] {
    return this.consumers;
  }

  /** True once every consumer is pulling messages. */
  get ready(): boolean {
    return this.started && this.consumers.every((c) => c.isConsuming);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumers = this.discover();
    for (const c of this.consumers) await c.start();
    this.started = true;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.started = false;
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  private discover(): DurableEventConsumer[] {
    const found: DurableEventConsumer[] = [];
    const durables = new Set<string>();
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!metatype || typeof metatype !== 'function') continue;
      const settings = this.reflector.get<EventConsumerOptions | undefined>(
        EVENT_CONSUMER_METADATA,
        metatype,
      );
      if (!settings) continue;
      const className = metatype.name;
      if (!instance || !wrapper.isDependencyTreeStatic()) {
        throw new EventConsumerDefinitionError(className, 'it must be a singleton provider');
      }
      if (durables.has(settings.durable)) {
        throw new EventConsumerDefinitionError(
          className,
          `durable name "${settings.durable}" is used by another @EventConsumer`,
        );
      }
      durables.add(settings.durable);
      found.push(this.consumerFor(className, instance as object, settings));
    }
    return found;
  }

  private consumerFor(
    className: string,
    instance: object,
    settings: EventConsumerOptions,
  ): DurableEventConsumer {
    const byType = new Map<string, HandlerMethod>();
    let catchAll: HandlerMethod | undefined;
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = prototype[name];
      if (typeof method !== 'function') continue;
      const types = this.reflector.get<string[] | undefined>(ON_EVENT_METADATA, method);
      if (!types) continue;
      const bound = (method as HandlerMethod).bind(instance);
      if (types.length === 0) {
        if (catchAll) {
          throw new EventConsumerDefinitionError(className, 'more than one catch-all @OnEvent()');
        }
        catchAll = bound;
      }
      for (const type of types) {
        if (byType.has(type)) {
          throw new EventConsumerDefinitionError(className, `event type ${type} has two handlers`);
        }
        byType.set(type, bound);
      }
    }
    if (!catchAll && byType.size === 0) {
      throw new EventConsumerDefinitionError(className, 'it has no @OnEvent method');
    }
    const handler: EventHandler = (event, ctx) => {
      const method = byType.get(event.type) ?? catchAll;
      // Unreachable when `types` filters, but a handler must never silently drop.
      if (!method) throw new Error(`${className} has no handler for ${event.type}`);
      return method(event, ctx);
    };
    const defaults = this.options.consumerDefaults ?? {};
    const { durable, filterSubject, ...tuning } = { ...defaults, ...settings };
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
}
