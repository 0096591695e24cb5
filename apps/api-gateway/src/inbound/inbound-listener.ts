import { Controller, Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { Msg } from '@nats-io/nats-core';
import { API_GATEWAY_SOURCE, Status } from '@natgw/contracts';
import { PostgresEventStore } from '@natgw/event-store';
import {
  describeRawBody,
  JetStreamServer,
  jsonbSafeText,
  NatsReply,
  NatsRequestContext,
  uuidV5,
} from '@natgw/messaging';
import { apiErrors } from '../http/api-error';
import {
  inboundActor,
  inboundPatterns,
  INBOUND_QUEUE_GROUP,
  INBOUND_REJECTED_EVENT_TYPE,
  INBOUND_REPLY_PREFIXES,
  INBOUND_STREAM_ID,
  InboundOperation,
  InboundRequestRejectedData,
  inboundSubject,
  isAllowedInboundReply,
  STATUS_CODE_HEADER,
  systemInboundSubject,
} from './inbound-contract';
import { InboundNicHandler, InboundOutcome } from './inbound-nic-handler';

/** Which subjects the inbound listener serves. */
export interface InboundListenerOptions {
  /** NATS_SUBJECT_PREFIX: requests come on `<prefix>.inbound.networkinterfaces.*`. */
  subjectPrefix: string;
}

export const INBOUND_LISTENER_OPTIONS = Symbol('INBOUND_LISTENER_OPTIONS');

/**
 * Serves `<prefix>.inbound.<system>.networkinterfaces.{upsert,delete}` (every external
 * system's subject) and the unnamed `<prefix>.inbound.networkinterfaces.{upsert,delete}`
 * in the queue group `natgw-api-gateway`, so replicas share the requests: `@MessagePattern`
 * handlers on the JetStream transport (MessagingModule's JetStreamServer, which subscribes,
 * answers with what they return, and finishes them at shutdown). Requests for one object are handled in
 * arrival order; others run concurrently. Replies go only to inbox subjects
 * (INBOUND_REPLY_PREFIXES): a request naming another reply subject is not run. A failed
 * request without a usable reply subject is recorded as `InboundRequestRejected` in the
 * stream `inbound:networkinterfaces`.
 */
@Controller()
export class InboundListener implements OnApplicationBootstrap {
  private readonly logger = new Logger('InboundNats');
  private readonly inFlight = new Map<string, Promise<NatsReply | undefined>>();

  constructor(
    private readonly transport: JetStreamServer,
    @Inject(INBOUND_LISTENER_OPTIONS) private readonly options: InboundListenerOptions,
    private readonly handler: InboundNicHandler,
    private readonly store: PostgresEventStore,
  ) {}

  /** True once the transport's subscriptions are in place. */
  get listening(): boolean {
    return this.transport.listening;
  }

  onApplicationBootstrap(): void {
    const prefix = this.options.subjectPrefix;
    this.logger.log(
      `serving ${systemInboundSubject(prefix, 'upsert')}, ${inboundSubject(prefix, 'upsert')} and .delete in queue group ${INBOUND_QUEUE_GROUP}`,
    );
  }

  @MessagePattern(inboundPatterns('upsert'), { queue: INBOUND_QUEUE_GROUP })
  upsert(
    @Payload() _data: Uint8Array,
    @Ctx() ctx: NatsRequestContext,
  ): Promise<NatsReply | undefined> {
    return this.schedule('upsert', ctx.message);
  }

  @MessagePattern(inboundPatterns('delete'), { queue: INBOUND_QUEUE_GROUP })
  delete(
    @Payload() _data: Uint8Array,
    @Ctx() ctx: NatsRequestContext,
  ): Promise<NatsReply | undefined> {
    return this.schedule('delete', ctx.message);
  }

  /** The `<system>` token of a system's subject; undefined on the unnamed subject. */
  private systemOf(subject: string): string | undefined {
    const tokens = subject.split('.').slice(this.options.subjectPrefix.split('.').length);
    return tokens.length === 4 ? tokens[1] : undefined;
  }

  /** Chains requests for the same object; the key is read cheaply from the raw body. */
  private schedule(operation: InboundOperation, msg: Msg): Promise<NatsReply | undefined> {
    const system = this.systemOf(msg.subject);
    const key = objectKey(msg.data);
    const previous = this.inFlight.get(key) ?? Promise.resolve(undefined);
    // serve() answers every outcome itself; a throw that escapes it anyway is logged here,
    // so neither this chain nor the next request's rejects unhandled (which would end the process).
    const done = previous
      .then(() => this.serve(operation, msg, system))
      .catch((err: unknown) => {
        this.logger.error(`inbound ${operation} request failed: ${(err as Error).message}`);
        return undefined;
      });
    this.inFlight.set(key, done);
    void done.finally(() => {
      if (this.inFlight.get(key) === done) this.inFlight.delete(key);
    });
    return done;
  }

  /** Runs one request; the reply (sent by the transport) or undefined when there is none. */
  private async serve(
    operation: InboundOperation,
    msg: Msg,
    system: string | undefined,
  ): Promise<NatsReply | undefined> {
    const messageId = msg.headers?.get('Nats-Msg-Id') || undefined;
    if (msg.reply && !isAllowedInboundReply(msg.reply)) {
      await this.refuseReply(operation, msg, system, messageId);
      return undefined;
    }
    const outcome = await this.handler.handle(operation, msg.data, messageId, system);
    if (msg.reply) {
      return {
        data: JSON.stringify(outcome.ok ? outcome.body : outcome.status),
        headers: { [STATUS_CODE_HEADER]: String(outcome.ok ? 200 : outcome.status.code) },
      };
    }
    if (!outcome.ok) {
      try {
        await this.recordRejection(operation, msg, system, outcome);
      } catch (err) {
        this.logger.error(
          `inbound ${operation} request ${outcome.requestId ?? '(no id)'}: could not record the outcome: ${(err as Error).message}`,
        );
      }
    }
    return undefined;
  }

  /**
   * A request naming a reply subject outside the inboxes (e.g. `$JS.API.STREAM.PURGE.…` or
   * an event subject, to make natgw publish there) is not run and not answered: only
   * recorded, so its sender can be found.
   */
  private async refuseReply(
    operation: InboundOperation,
    msg: Msg,
    system: string | undefined,
    messageId: string | undefined,
  ): Promise<void> {
    const status: Status = apiErrors.badRequest(
      `the reply subject must start with one of ${INBOUND_REPLY_PREFIXES.join(', ')} (an inbox of the requester): the request was not run`,
      [{ field: 'reply', reason: 'FieldValueInvalid', message: 'not an inbox subject' }],
    ).status;
    try {
      await this.recordRejection(operation, msg, system, {
        ok: false,
        status,
        requestId: messageId,
      });
    } catch (err) {
      this.logger.error(
        `inbound ${operation} request with reply subject outside the inboxes: could not record it: ${(err as Error).message}`,
      );
    }
  }

  private async recordRejection(
    operation: InboundOperation,
    msg: Msg,
    system: string | undefined,
    outcome: Extract<InboundOutcome, { ok: false }> & { requestId?: string },
  ): Promise<void> {
    const { status, requestId } = outcome;
    const data: InboundRequestRejectedData = {
      operation,
      subject: msg.subject,
      ...(msg.reply ? { reply: jsonbSafeText(msg.reply) } : {}),
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
            ? {
                id: uuidV5(
                  `inbound/networkinterfaces/${system === undefined ? '' : `${system}/`}${operation}/${requestId}/rejected`,
                ),
              }
            : {}),
          type: INBOUND_REJECTED_EVENT_TYPE,
          data,
          metadata: {
            source: API_GATEWAY_SOURCE,
            actor: inboundActor(system),
            ...(requestId !== undefined ? { correlationId: requestId } : {}),
          },
        },
      ],
      { expectedVersion: 'any' },
    );
    this.logger.warn(
      `inbound ${operation} request ${requestId ?? '(no id)'} on ${msg.subject} without a usable reply subject was rejected (${status.code} ${status.reason}): recorded in ${INBOUND_STREAM_ID}`,
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
