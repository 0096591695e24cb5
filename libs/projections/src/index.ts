import { ResourceRecord } from './entities/resource.entity';
import { ResourceChangeRecord } from './entities/resource-change.entity';
import { ResourceVersionState } from './entities/resource-version-state.entity';

export * from './entities/resource.entity';
export * from './entities/resource-change.entity';
export * from './entities/resource-version-state.entity';
export * from './stored-resource';
export * from './resource-objects';
export * from './resource-batch';
export * from './resource-projection';
export * from './status/status-applier';
export * from './status/resource-status-appliers';
export * from './status/allocation-status.applier';
export * from './status/dataplane-status';
export * from './status/dataplane-status.applier';
export * from './status/port-usage-event';
export * from './status/port-usage-status.applier';
export * from './nat-slots';
export * from './queries/resource-reader';
export * from './queries/resource-version-too-old.error';
export * from './compaction';
export * from './change-listener';

/** The TypeORM entities of the read models (pass them to openDatabase / EventStoreModule). */
export const PROJECTION_ENTITIES = [ResourceRecord, ResourceChangeRecord, ResourceVersionState];
/** Their tables are created by @natgw/schema's migrations (NATGW_SCHEMA). */
export * from './audit/allocation-history.reader';
export * from './audit/event-history.reader';
export * from './quotas/quota-reader';
export * from './claims/claim-streams';
export * from './status/network-vni-status.applier';
