import type {
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from '@nats-io/jetstream';
import { ClosedConnectionError, DrainingConnectionError } from '@nats-io/nats-core';
import { DataSource, EntityManager } from 'typeorm';
import { fromCloudEvent, InvalidMessageError, RecordedEvent } from '@natgw/contracts';
import { PostgresEventStore } from '@natgw/event-store';
import { backoffDelay, BackoffPolicy, sleep } from '../backoff';
import { errorMessage, MessagingLogger, silentLogger } from '../logger';
import {
  DEAD_LETTER_EVENT_TYPE,
  deadLetterEventId,
  deadLetterStreamId,
  describeRawBody,
  jsonbSafeText,
  MessageDeadLetteredData,
} from './dead-letter';
import { ensureDurableConsumer } from './ensure-durable-consumer';
import { claimInbox, claimInboxBatch } from './inbox';
import { WakeSignal } from '../wake-signal';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a handler gets besides the event: its transaction and the delivery. */
export interface EventHandlerContext {
  /** The transaction the inbox row is written in; the handler's writes commit with it. */
  manager: EntityManager;
  subject: string;
  /** 1 on the first delivery, higher on redeliveries. */
  deliveryCount: number;
  streamSequence: number;
  /** The durable consumer's name. */
  consumer: string;
}

/**
 * Handles one event inside a transaction. Throw InvalidMessageError for an event
 * that can never be handled (it is dead-lettered); any other error is retried.
 */
export type EventHandler = (event: RecordedEvent, ctx: EventHandlerContext) => Promise<void>;

/** What the consumer reads from and writes to. */
export interface DurableEventConsumerDeps {
  dataSource: DataSource;
  /** Where dead letters are appended. */
  store: PostgresEventStore;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** One durable consumer's settings. */
export interface DurableEventConsumerOptions {
  /** The JetStream stream (`NATS_STREAM`). */
  streamName: string;
  /** The durable consumer name; also the inbox key and the dead-letter stream's name. */
  durable: string;
  /** One subject filter, e.g. `natgw.events.>` or `natgw.events.natgateway.*`. */
  filterSubject: string;
  /** Only these natgw event types reach the handler; others are acknowledged unhandled. */
  types?: readonly string[];
  handler: EventHandler;
  /** Deliveries before a failing message is dead-lettered. Default 20. */
  maxDeliver?: number;
  /** Redelivery delay of an unacknowledged message. Default 30 s. */
  ackWaitMs?: number;
  /** Unacknowledged messages in flight per consumer. Default 1000. */
  maxAckPending?: number;
  /**
   * The server removes the consumer after nobody pulled from it this long (its node
   * was removed); it is recreated at the next start. 0 or unset: never.
   */
  inactiveThresholdMs?: number;
  /** Delayed-nak delays by delivery count. Default 1 s doubling up to 60 s. */
  nakBackoff?: BackoffPolicy;
  /** Messages pulled per request. Default 100. */
  batchSize?: number;
  /**
   * At most this many messages that are already waiting are handled in one transaction
   * (one inbox insert, one commit, their acks in parallel): group commit under load,
   * no added wait when idle. Should one of them fail, the batch rolls back and its
   * messages are handled one at a time (naks and dead letters as usual). Default 100;
   * 1 handles every message in a transaction of its own.
   */
  handleBatchSize?: number;
  /** CloudEvents-style source recorded on dead-letter events. */
  source?: string;
  logger?: MessagingLogger;
  /** Fault injection for tests: runs after the commit, before the ack. */
  hooks?: {
    beforeAck?: (msg: JsMsg) => Promise<void> | void;
    /** Called after an event was handled (not for redeliveries the inbox skipped). */
    handled?: (event: RecordedEvent) => void;
  };
}

/** Counters of what a consumer did since start. */
export interface ConsumerStats {
  /** Handler ran and its transaction committed. */
  handled: number;
  /** Skipped because the inbox showed the event as handled already (a redelivery). */
  duplicates: number;
  /** Acknowledged without running the handler (type not selected). */
  ignored: number;
  /** Transient failures answered with a delayed nak. */
  naks: number;
  deadLettered: number;
  /** Acks the server did not confirm (the message will come again and be skipped). */
  ackFailures: number;
}

type Outcome = 'handled' | 'duplicate';

/** A pulled message and the event it carries. */
interface Delivery {
  msg: JsMsg;
  event: RecordedEvent;
}

/**
 * A durable JetStream pull consumer that runs a handler exactly once per event:
 * the handler runs in one transaction with an inbox insert, and the message is
 * acknowledged only after that commits. Transient errors get a delayed nak;
 * poison messages are recorded as `MessageDeadLettered` events and terminated,
 * so they never block the messages behind them.
 */
export class DurableEventConsumer {
  private readonly logger: MessagingLogger;
  private readonly typeFilter?: ReadonlySet<string>;
  private readonly counters: ConsumerStats = {
    handled: 0,
    duplicates: 0,
    ignored: 0,
    naks: 0,
    deadLettered: 0,
    ackFailures: 0,
  };
  private running = false;
  private consuming = false;
  private loop?: Promise<void>;
  private messages?: ConsumerMessages;
  private stopController = new AbortController();

  constructor(
    private readonly deps: DurableEventConsumerDeps,
    private readonly options: DurableEventConsumerOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    if (options.types && options.types.length > 0) this.typeFilter = new Set(options.types);
  }

  /** The durable consumer's name. */
  get name(): string {
    return this.options.durable;
  }

  /** True while the consumer is pulling messages (for readiness). */
  get isConsuming(): boolean {
    return this.running && this.consuming;
  }

  /** A snapshot of the counters. */
  get stats(): ConsumerStats {
    return { ...this.counters };
  }

  /** Creates or updates the durable consumer, then starts pulling in the background. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.ensureConsumer();
    this.running = true;
    this.stopController = new AbortController();
    this.loop = this.run();
  }

  /** Stops pulling, finishes the message in flight (commit and ack), then returns. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopController.abort();
    this.messages?.stop();
    await this.loop;
  }

  private ensureConsumer() {
    return ensureDurableConsumer(this.deps.jsm, this.options.streamName, {
      durable: this.options.durable,
      filterSubject: this.options.filterSubject,
      maxDeliver: this.maxDeliver,
      ackWaitMs: this.options.ackWaitMs ?? 30_000,
      maxAckPending: this.options.maxAckPending ?? 1_000,
      inactiveThresholdMs: this.options.inactiveThresholdMs ?? 0,
    });
  }

  private get maxDeliver(): number {
    return this.options.maxDeliver ?? 20;
  }

  private async run(): Promise<void> {
    const retry: BackoffPolicy = { initialMs: 250, maxMs: 10_000, jitter: 0.2 };
    let attempt = 0;
    while (this.running) {
      try {
        if (attempt > 0) await this.ensureConsumer();
        const consumer = await this.deps.js.consumers.get(
          this.options.streamName,
          this.options.durable,
        );
        const messages = await consumer.consume({
          max_messages: this.options.batchSize ?? 100,
        });
        this.messages = messages;
        this.watch(messages);
        if (!this.running) messages.stop();
        this.consuming = true;
        await this.drain(messages, () => {
          attempt = 0;
        });
      } catch (err) {
        if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) {
          // Nothing can be pulled or acknowledged any more; unacknowledged messages are redelivered.
          this.logger.error(
            { consumer: this.options.durable, err: errorMessage(err) },
            'NATS connection closed; consumer stopped',
          );
          this.running = false;
          break;
        }
        this.logger.warn(
          { consumer: this.options.durable, err: errorMessage(err) },
          'consumer stopped pulling; restarting',
        );
      } finally {
        this.consuming = false;
        this.messages = undefined;
      }
      if (!this.running) break;
      attempt++;
      await sleep(backoffDelay(attempt, retry), this.stopController.signal);
    }
  }

  /** Ends the pull loop when the consumer or stream disappears, so run() recreates it. */
  private watch(messages: ConsumerMessages): void {
    void (async () => {
      for await (const s of messages.status()) {
        if (
          s.type === 'consumer_deleted' ||
          s.type === 'consumer_not_found' ||
          s.type === 'stream_not_found'
        ) {
          this.logger.warn(
            { consumer: this.options.durable, status: s.type },
            'consumer or stream vanished; recreating',
          );
          messages.stop();
          return;
        }
      }
    })().catch(() => undefined);
  }

  /**
   * Reads the pulled messages and handles them in order: whatever has arrived while the
   * previous batch was handled (up to handleBatchSize) is the next batch. Returns when the
   * message iterator ends (stop, or a vanished consumer); rethrows its error.
   */
  private async drain(messages: ConsumerMessages, onMessage: () => void): Promise<void> {
    const max = Math.max(1, this.options.handleBatchSize ?? 100);
    const queue: JsMsg[] = [];
    const arrived = new WakeSignal();
    const taken = new WakeSignal();
    let ended = false;
    let failure: unknown;
    const reader = (async () => {
      try {
        for await (const msg of messages) {
          queue.push(msg);
          arrived.wake();
          // Back-pressure: the pull client asks for more only as fast as batches are taken.
          while (queue.length >= max && this.running) await taken.wait(1_000);
        }
      } catch (err) {
        failure = err;
      } finally {
        ended = true;
        arrived.wake();
      }
    })();
    for (;;) {
      if (queue.length === 0) {
        if (ended) break;
        await arrived.wait(60_000);
        continue;
      }
      const batch = queue.splice(0, max);
      taken.wake();
      onMessage();
      if (!this.running) {
        // Pulled but not started: hand them back for another instance now.
        for (const msg of batch) msg.nak();
        continue;
      }
      await this.processBatch(batch);
    }
    await reader;
    if (failure !== undefined) throw failure;
  }

  /** Parses a message; dead-letters it and returns undefined when it is not a natgw event. */
  private async parse(msg: JsMsg): Promise<RecordedEvent | undefined> {
    try {
      const event = fromCloudEvent(msg.data);
      if (!UUID.test(event.id)) {
        throw new InvalidMessageError(`CloudEvent "id" ${JSON.stringify(event.id)} is not a UUID`);
      }
      return event;
    } catch (err) {
      const reason = err instanceof InvalidMessageError ? err.reason : errorMessage(err);
      await this.deadLetter(msg, undefined, `unparseable: ${reason}`);
      return undefined;
    }
  }

  /** True for messages the handler never sees: our own dead letters and unselected types. */
  private ignores(event: RecordedEvent): boolean {
    return (
      event.streamId === deadLetterStreamId(this.options.durable) ||
      (this.typeFilter !== undefined && !this.typeFilter.has(event.type))
    );
  }

  /** Handles pulled messages in delivery order (see handleInOne); never throws. */
  private async processBatch(batch: JsMsg[]): Promise<void> {
    if (batch.length === 1) return this.process(batch[0]);
    const work: Delivery[] = [];
    const ignored: JsMsg[] = [];
    for (const msg of batch) {
      const event = await this.parse(msg);
      if (!event) continue;
      if (this.ignores(event)) ignored.push(msg);
      else work.push({ msg, event });
    }
    this.counters.ignored += ignored.length;
    await Promise.all([...ignored.map((m) => this.ack(m)), this.handleInOne(work)]);
  }

  /**
   * Handles deliveries in one transaction with one inbox insert, then acks them; never
   * throws. When the handler fails on one of them, the batch rolls back and is handled
   * again as three parts: the deliveries before it (a batch), that one alone (a nak or a
   * dead letter, as for any message) and the ones after it (a batch). When the
   * transaction itself fails, each delivery is handled on its own.
   */
  private async handleInOne(work: Delivery[]): Promise<void> {
    if (work.length === 0) return;
    if (work.length === 1) return this.process(work[0].msg, work[0].event);
    const heartbeats = work.map((w) => this.keepAlive(w.msg));
    let failedAt: number | undefined;
    let handled: boolean[];
    try {
      handled = await this.deps.dataSource.transaction(async (manager) => {
        const claimed = await claimInboxBatch(
          manager,
          this.options.durable,
          work.map((w) => w.event.id),
        );
        const outcomes: boolean[] = [];
        for (const [i, { msg, event }] of work.entries()) {
          // An id delivered twice in one batch is handled once.
          const mine = claimed.delete(event.id.toLowerCase());
          outcomes.push(mine);
          if (!mine) continue;
          failedAt = i;
          await this.options.handler(event, {
            manager,
            subject: msg.subject,
            deliveryCount: msg.info.deliveryCount,
            streamSequence: msg.seq,
            consumer: this.options.durable,
          });
          failedAt = undefined;
        }
        return outcomes;
      });
    } catch {
      for (const h of heartbeats) clearInterval(h);
      if (failedAt === undefined) {
        for (const w of work) await this.process(w.msg, w.event);
        return;
      }
      await this.handleInOne(work.slice(0, failedAt));
      await this.process(work[failedAt].msg, work[failedAt].event);
      await this.handleInOne(work.slice(failedAt + 1));
      return;
    }
    for (const h of heartbeats) clearInterval(h);
    for (const [i, { msg, event }] of work.entries()) {
      this.counters[handled[i] ? 'handled' : 'duplicates']++;
      if (handled[i]) this.options.hooks?.handled?.(event);
      try {
        await this.options.hooks?.beforeAck?.(msg);
      } catch (err) {
        this.logger.warn({ err: errorMessage(err) }, 'beforeAck hook failed');
      }
    }
    await Promise.all(work.map((w) => this.ack(w.msg)));
  }

  /** Processes one message (parsed already when `parsed` is given); never throws. */
  private async process(msg: JsMsg, parsed?: RecordedEvent): Promise<void> {
    const deliveryCount = msg.info.deliveryCount;
    const event = parsed ?? (await this.parse(msg));
    if (!event) return;
    if (this.ignores(event)) {
      // Our own dead letters never reach our handler: a handler that rejects them would loop.
      this.counters.ignored++;
      await this.ack(msg);
      return;
    }
    let outcome: Outcome;
    const heartbeat = this.keepAlive(msg);
    try {
      outcome = await this.deps.dataSource.transaction(async (manager) => {
        if (!(await claimInbox(manager, this.options.durable, event.id))) return 'duplicate';
        await this.options.handler(event, {
          manager,
          subject: msg.subject,
          deliveryCount,
          streamSequence: msg.seq,
          consumer: this.options.durable,
        });
        return 'handled';
      });
    } catch (err) {
      if (err instanceof InvalidMessageError) {
        await this.deadLetter(msg, event, `rejected by the handler: ${err.reason}`);
      } else if (this.maxDeliver > 0 && deliveryCount >= this.maxDeliver) {
        await this.deadLetter(
          msg,
          event,
          `failed on all ${deliveryCount} deliveries (max_deliver); last error: ${errorMessage(err)}`,
        );
      } else {
        this.nak(msg, err, event);
      }
      return;
    } finally {
      clearInterval(heartbeat);
    }
    this.counters[outcome === 'handled' ? 'handled' : 'duplicates']++;
    if (outcome === 'handled' && event) this.options.hooks?.handled?.(event);
    try {
      await this.options.hooks?.beforeAck?.(msg);
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'beforeAck hook failed');
    }
    await this.ack(msg);
  }

  /** Tells the server we are still working, so a slow handler is not redelivered meanwhile. */
  private keepAlive(msg: JsMsg): NodeJS.Timeout {
    const every = Math.max(500, Math.floor((this.options.ackWaitMs ?? 30_000) / 2));
    return setInterval(() => {
      try {
        msg.working();
      } catch {
        // The connection is gone; the redelivery will be skipped by the inbox.
      }
    }, every);
  }

  private nak(msg: JsMsg, err: unknown, event?: RecordedEvent): void {
    const deliveryCount = msg.info.deliveryCount;
    const delayMs = backoffDelay(
      deliveryCount,
      this.options.nakBackoff ?? { initialMs: 1_000, maxMs: 60_000, jitter: 0.2 },
    );
    this.counters.naks++;
    this.logger.warn(
      {
        consumer: this.options.durable,
        seq: msg.seq,
        eventId: event?.id,
        type: event?.type,
        deliveryCount,
        delayMs,
        err: errorMessage(err),
      },
      'handler failed; retrying later',
    );
    try {
      msg.nak(delayMs);
    } catch {
      // Disconnected: the server redelivers after ack_wait anyway.
    }
  }

  private async ack(msg: JsMsg): Promise<void> {
    try {
      const confirmed = await msg.ackAck({ timeout: 5_000 });
      if (!confirmed) this.counters.ackFailures++;
    } catch (err) {
      // The work is committed; the redelivery will find the inbox row and skip.
      this.counters.ackFailures++;
      this.logger.warn(
        { consumer: this.options.durable, seq: msg.seq, err: errorMessage(err) },
        'ack not confirmed; a redelivery will be skipped',
      );
    }
  }

  /**
   * Records the message as a `MessageDeadLettered` event, then terminates it.
   * On the last allowed delivery the server will not redeliver, so the record
   * is retried here until it is stored; earlier, a failure is a delayed nak.
   */
  private async deadLetter(
    msg: JsMsg,
    event: RecordedEvent | undefined,
    reason: string,
  ): Promise<void> {
    const { durable, streamName } = this.options;
    const data: MessageDeadLetteredData = {
      consumer: durable,
      stream: streamName,
      subject: msg.subject,
      streamSequence: msg.seq,
      deliveryCount: msg.info.deliveryCount,
      reason: jsonbSafeText(reason),
      ...describeRawBody(msg.data),
    };
    if (event) data.eventId = event.id;
    const metadata: Record<string, string> = {};
    if (this.options.source) metadata.source = this.options.source;
    if (event) metadata.causationId = event.id;
    if (event?.metadata.correlationId) metadata.correlationId = event.metadata.correlationId;
    const record = () =>
      this.deps.store.append(
        deadLetterStreamId(durable),
        [
          {
            id: deadLetterEventId(streamName, durable, msg.seq),
            type: DEAD_LETTER_EVENT_TYPE,
            data,
            metadata,
          },
        ],
        { expectedVersion: 'any' },
      );
    const lastChance = this.maxDeliver > 0 && msg.info.deliveryCount >= this.maxDeliver;
    for (let attempt = 1; ; attempt++) {
      try {
        await record();
        break;
      } catch (err) {
        if (!lastChance) {
          this.nak(msg, err, event);
          return;
        }
        if (this.stopController.signal.aborted) {
          this.logger.error(
            { consumer: durable, seq: msg.seq, reason, err: errorMessage(err) },
            'could not record a dead letter before shutdown; the message is lost to this consumer',
          );
          return;
        }
        await sleep(
          backoffDelay(attempt, { initialMs: 500, maxMs: 10_000 }),
          this.stopController.signal,
        );
      }
    }
    // No reason text: nats-server 2.9 ignores a "+TERM <reason>" ack.
    msg.term();
    this.counters.deadLettered++;
    this.logger.error(
      { consumer: durable, subject: msg.subject, seq: msg.seq, eventId: event?.id, reason },
      'message dead-lettered',
    );
  }
}
