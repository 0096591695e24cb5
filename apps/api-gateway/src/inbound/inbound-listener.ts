import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { headers as natsHeaders, Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { API_GATEWAY_SOURCE } from '@natgw/contracts';
import { PostgresEventStore } from '@natgw/event-store';
import { describeRawBody, jsonbSafeText, NATS_CONNECTION, uuidV5 } from '@natgw/messaging';
import {
  INBOUND_OPERATIONS,
  INBOUND_QUEUE_GROUP,
  INBOUND_REJECTED_EVENT_TYPE,
  INBOUND_STREAM_ID,
  InboundOperation,
  InboundRequestRejectedData,
  inboundSubject,
  STATUS_CODE_HEADER,
} from './inbound-contract';
import { InboundNicHandler, InboundOutcome } from './inbound-nic-handler';

/** Which subjects the inbound listener serves. */
export interface InboundListenerOptions {
  /** NATS_SUBJECT_PREFIX: requests come on `<prefix>.inbound.networkinterfaces.*`. */
  subjectPrefix: string;
}

export const INBOUND_LISTENER_OPTIONS = Symbol('INBOUND_LISTENER_OPTIONS');

/**
 * Serves `<prefix>.inbound.networkinterfaces.{upsert,delete}` in the queue group
 * `natgw-api-gateway`, so replicas share the requests, on the service's NATS
 * connection (MessagingModule). Requests for one object are handled in arrival order; others
 * run concurrently. A failed request without a reply subject is recorded as
 * `InboundRequestRejected` in the stream `inbound:networkinterfaces`.
 */
@Injectable()
export class InboundListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('InboundNats');
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(INBOUND_LISTENER_OPTIONS) private readonly options: InboundListenerOptions,
    private readonly handler: InboundNicHandler,
    private readonly store: PostgresEventStore,
  ) {}

  /** True once the subscriptions are in place. */
  get listening(): boolean {
    return this.subscriptions.length > 0 && !this.nc.isClosed();
  }

  onApplicationBootstrap(): void {
    this.subscribe();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Stop taking requests and finish the ones in flight; MessagingModule closes NATS after.
    await Promise.all(this.subscriptions.map((s) => s.drain().catch(() => undefined)));
    await Promise.all(this.inFlight.values());
  }

  private subscribe(): void {
    const nc = this.nc;
    for (const operation of INBOUND_OPERATIONS) {
      const subject = inboundSubject(this.options.subjectPrefix, operation);
      this.subscriptions.push(
        nc.subscribe(subject, {
          queue: INBOUND_QUEUE_GROUP,
          callback: (err, msg) => {
            if (err) {
              this.logger.warn(`subscription ${subject}: ${err.message}`);
              return;
            }
            this.schedule(operation, msg);
          },
        }),
      );
    }
    this.logger.log(
      `serving ${inboundSubject(this.options.subjectPrefix, 'upsert')} and .delete in queue group ${INBOUND_QUEUE_GROUP}`,
    );
  }

  /** Chains requests for the same object; the key is read cheaply from the raw body. */
  private schedule(operation: InboundOperation, msg: Msg): void {
    const key = objectKey(msg.data);
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const done = previous.then(() => this.serve(operation, msg));
    this.inFlight.set(key, done);
    void done.finally(() => {
      if (this.inFlight.get(key) === done) this.inFlight.delete(key);
    });
  }

  private async serve(operation: InboundOperation, msg: Msg): Promise<void> {
    const messageId = msg.headers?.get('Nats-Msg-Id') || undefined;
    const outcome = await this.handler.handle(operation, msg.data, messageId);
    try {
      if (msg.reply) {
        const h = natsHeaders();
        h.set(STATUS_CODE_HEADER, String(outcome.ok ? 200 : outcome.status.code));
        msg.respond(JSON.stringify(outcome.ok ? outcome.body : outcome.status), { headers: h });
      } else if (!outcome.ok) {
        await this.recordRejection(operation, msg, outcome);
      }
    } catch (err) {
      this.logger.error(
        `inbound ${operation} request ${outcome.requestId ?? '(no id)'}: could not answer or record the outcome: ${(err as Error).message}`,
      );
    }
  }

  private async recordRejection(
    operation: InboundOperation,
    msg: Msg,
    outcome: Extract<InboundOutcome, { ok: false }> & { requestId?: string },
  ): Promise<void> {
    const { status, requestId } = outcome;
    const data: InboundRequestRejectedData = {
      operation,
      subject: msg.subject,
      ...(requestId !== undefined ? { requestId: jsonbSafeText(requestId) } : {}),
      ...(outcome.namespace !== undefined ? { namespace: jsonbSafeText(outcome.namespace) } : {}),
      ...(outcome.name !== undefined ? { name: jsonbSafeText(outcome.name) } : {}),
      code: status.code,
      reason: status.reason ?? 'Unknown',
      message: jsonbSafeText(status.message ?? ''),
      status: JSON.parse(jsonbSafeText(JSON.stringify(status), 1 << 20)) as typeof status,
      ...describeRawBody(msg.data),
    };
    await this.store.append(
      INBOUND_STREAM_ID,
      [
        {
          // A retried rejected request is recorded once.
          ...(requestId !== undefined
            ? { id: uuidV5(`inbound/networkinterfaces/${operation}/${requestId}/rejected`) }
            : {}),
          type: INBOUND_REJECTED_EVENT_TYPE,
          data,
          metadata: {
            source: API_GATEWAY_SOURCE,
            actor: 'nats:inbound',
            ...(requestId !== undefined ? { correlationId: requestId } : {}),
          },
        },
      ],
      { expectedVersion: 'any' },
    );
    this.logger.warn(
      `inbound ${operation} request ${requestId ?? '(no id)'} without a reply subject was rejected (${status.code} ${status.reason}): recorded in ${INBOUND_STREAM_ID}`,
    );
  }
}

/** `namespace/name` of the object a request is about, or the whole body when it does not parse. */
function objectKey(data: Uint8Array): string {
  try {
    const body = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
    const meta = (body.object as { metadata?: Record<string, unknown> } | undefined)?.metadata;
    const namespace = meta?.namespace ?? body.namespace ?? 'default';
    const name = meta?.name ?? body.name;
    return `${String(namespace)}/${String(name)}`;
  } catch {
    return '';
  }
}
