import { EventLog1700000000000 } from './1700000000000-event-log';
import { AppendCustomPlans1700000000001 } from './1700000000001-append-custom-plans';
import { StreamPrefixIndex1700000000002 } from './1700000000002-stream-prefix-index';
import { ProjectionSnapshots1700000000003 } from './1700000000003-projection-snapshots';

/** The event store's own migrations, in order. Read models add theirs after these. */
export const EVENT_STORE_MIGRATIONS = [
  EventLog1700000000000,
  AppendCustomPlans1700000000001,
  StreamPrefixIndex1700000000002,
  ProjectionSnapshots1700000000003,
];
