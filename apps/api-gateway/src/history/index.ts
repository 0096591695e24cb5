import { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventHistoryReader } from '@natgw/projections';
import { EventAccess } from './event-access';
import { HistoryController } from './history.controller';
import { ListEvents } from './list-events';
import { ListNodes } from './list-nodes';

export const HISTORY_CONTROLLERS = [HistoryController];

/** What `events` and `nodes` need; AllocationHistoryReader comes with AUDIT_PROVIDERS. */
export const HISTORY_PROVIDERS: Provider[] = [
  {
    provide: EventHistoryReader,
    inject: [DataSource],
    useFactory: (ds: DataSource) => new EventHistoryReader(ds),
  },
  EventAccess,
  ListEvents,
  ListNodes,
];
