import { Injectable } from '@nestjs/common';
import { PostgresEventStore } from '@natgw/event-store';
import { QuotaReader } from '@natgw/projections';

/** The api-gateway's QuotaReader: NATGatewayQuotas read from their streams in the log. */
@Injectable()
export class QuotaBook extends QuotaReader {
  constructor(store: PostgresEventStore) {
    super(store);
  }
}
