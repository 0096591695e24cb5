import { Injectable } from '@nestjs/common';
import type { ApiRequest } from '../http/api-request';
import type { EventItem, EventList, RecordedEvent } from '@natgw/contracts';
import { EventHistoryReader } from '@natgw/projections';
import { ADMIN_API_VERSION } from '../pools/ip-pool-object';
import type { Principal } from '../auth/token-authenticator';
import { EventAccess } from './event-access';
import { EventQuery } from './event-query';

function item(e: RecordedEvent): EventItem {
  return {
    id: e.id,
    stream: e.streamId,
    version: e.version,
    type: e.type,
    time: e.recordedAt.toISOString(),
    position: e.globalPosition,
    transaction: e.transactionId,
    metadata: e.metadata,
    data: e.data,
  };
}

/**
 * GET events: the log as people read it. A stream's newest events (403 when the
 * stream is outside the token's namespaces), one event by id, or every event of
 * a correlation (or caused by an event) around an instant, less those the token
 * may not read.
 */
@Injectable()
export class ListEvents {
  constructor(
    private readonly reader: EventHistoryReader,
    private readonly access: EventAccess,
  ) {}

  async execute(req: ApiRequest, principal: Principal, query: EventQuery): Promise<EventList> {
    let events: RecordedEvent[];
    if (query.by === 'stream') {
      await this.access.assertReadable(req, principal, query.stream);
      events = await this.reader.streamEvents(query.stream, query.types, query.limit);
    } else if (query.by === 'id') {
      const one = await this.reader.byId(query.id);
      events = one ? [one] : [];
    } else {
      events = await this.reader.related(query.id, query.from, query.to, query.limit);
    }
    const { items, omitted } = await this.access.filter(principal, events);
    return { apiVersion: ADMIN_API_VERSION, kind: 'EventList', omitted, items: items.map(item) };
  }
}
