import { NatSlots1700000200000 } from './1700000200000-nat-slots';
import { ResourceProjection1700000100000 } from './1700000100000-resource-projection';
import { AuditIndexes1700000300000 } from './1700000300000-audit-indexes';
import { NatSlotVni1700000400000 } from './1700000400000-nat-slot-vni';

/** The read models' migrations, in order; run after the event store's own. */
export const PROJECTION_MIGRATIONS = [
  ResourceProjection1700000100000,
  NatSlots1700000200000,
  AuditIndexes1700000300000,
  NatSlotVni1700000400000,
];
