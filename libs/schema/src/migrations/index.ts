import { AppendCustomPlans1700000000001 } from './1700000000001-append-custom-plans';
import { EventLog1700000000000 } from './1700000000000-event-log';
import { StreamPrefixIndex1700000000002 } from './1700000000002-stream-prefix-index';
import { ProjectionSnapshots1700000000003 } from './1700000000003-projection-snapshots';
import { AppendWithoutNotify1700000000005 } from './1700000000005-append-without-notify';
import { LogRetention1700000000006 } from './1700000000006-log-retention';
import { StreamSnapshots1700000000007 } from './1700000000007-stream-snapshots';
import { CommitOrderBase1700000000010 } from './1700000000010-commit-order-base';
import { MessagingInbox1700000100000 } from './1700000100000-messaging-inbox';
import { ResourceProjection1700000100000 } from './1700000100000-resource-projection';
import { NatSlots1700000200000 } from './1700000200000-nat-slots';
import { AuditIndexes1700000300000 } from './1700000300000-audit-indexes';
import { NatSlotVni1700000400000 } from './1700000400000-nat-slot-vni';
import { RetiringSlotAuditIndexes1700000500000 } from './1700000500000-retiring-slot-audit-indexes';

/** The event log: `natgw_events`, `natgw_streams`, `natgw_checkpoints` and the append plans. */
export const EVENT_LOG_MIGRATIONS = [
  EventLog1700000000000,
  AppendCustomPlans1700000000001,
  StreamPrefixIndex1700000000002,
  ProjectionSnapshots1700000000003,
  AppendWithoutNotify1700000000005,
  LogRetention1700000000006,
  StreamSnapshots1700000000007,
  CommitOrderBase1700000000010,
];

/** The log plus the consumers' inbox (`natgw_inbox`): enough for the relay and the consumers. */
export const MESSAGING_MIGRATIONS = [...EVENT_LOG_MIGRATIONS, MessagingInbox1700000100000];

/**
 * natgw's whole schema, in the order it was written (TypeORM records each by class
 * name in `natgw_migrations`, so a database migrated before they were gathered here
 * runs none of them again): the log, the inbox, then the read models.
 */
export const NATGW_MIGRATIONS = [
  ...MESSAGING_MIGRATIONS,
  ResourceProjection1700000100000,
  NatSlots1700000200000,
  AuditIndexes1700000300000,
  NatSlotVni1700000400000,
  RetiringSlotAuditIndexes1700000500000,
];
