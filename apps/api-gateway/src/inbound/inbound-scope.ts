import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import { PostgresEventStore, ProjectionHost, StreamAppend } from '@natgw/event-store';
import type { Admission } from '../resources/resource-log';
import { uuidV5 } from '@natgw/messaging';
import { ResourceLog } from '../resources/resource-log';
import { InboundOperation } from './inbound-contract';

/** The inbound request being handled, for the events it appends. */
export interface InboundScope {
  operation: InboundOperation;
  /** The request's message id; without one the request is not idempotent. */
  messageId?: string;
  /** The external system the request came from (its subject's `<system>` token). */
  system?: string;
}

const scopes = new AsyncLocalStorage<InboundScope>();

/** Runs `work` as the handling of one inbound request. */
export function inInboundScope<T>(scope: InboundScope, work: () => Promise<T>): Promise<T> {
  return scopes.run(scope, work);
}

/**
 * The id of the `index`th event one inbound request appends: derived from its
 * message id (and the system that sent it, so one system cannot use up another's
 * ids), so a retried request appends events the log already holds, which
 * the store refuses as duplicates. Every attempt of a request appends at most
 * once (a lost race appends nothing), so `index` restarts at 0 per append and
 * counts across the streams of one transaction (the object's own event is 0).
 */
export function inboundEventId(
  operation: InboundOperation,
  messageId: string,
  index: number,
  system?: string,
) {
  const from = system === undefined ? '' : `${system}/`;
  return uuidV5(`inbound/networkinterfaces/${from}${operation}/${messageId}/${index}`);
}

/**
 * The ResourceLog the inbound use cases append through: the same appends as
 * REST, with event ids from the request's message id (see inboundEventId).
 */
@Injectable()
export class InboundResourceLog extends ResourceLog {
  constructor(store: PostgresEventStore, projections: ProjectionHost, dataSource: DataSource) {
    super(store, projections, dataSource);
  }

  override async appendAll(appends: StreamAppend[], admit?: Admission): Promise<RecordedEvent[]> {
    const scope = scopes.getStore();
    const messageId = scope?.messageId;
    if (!scope || messageId === undefined) return super.appendAll(appends, admit);
    let index = 0;
    return super.appendAll(
      appends.map((a) => ({
        ...a,
        events: a.events.map((e) => ({
          ...e,
          id: inboundEventId(scope.operation, messageId, index++, scope.system),
        })),
      })),
      admit,
    );
  }
}
