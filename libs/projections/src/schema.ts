import { MESSAGING_MIGRATIONS } from '@natgw/messaging';
import { ResourceRecord } from './entities/resource.entity';
import { ResourceChangeRecord } from './entities/resource-change.entity';
import { ResourceVersionState } from './entities/resource-version-state.entity';
import { PROJECTION_MIGRATIONS } from './migrations';

/**
 * natgw's whole database schema beyond the event log itself: every service passes
 * these to EventStoreModule / openDatabase, so any of them can migrate the database.
 */
export const NATGW_SCHEMA = {
  entities: [ResourceRecord, ResourceChangeRecord, ResourceVersionState],
  migrations: [...MESSAGING_MIGRATIONS, ...PROJECTION_MIGRATIONS],
};
