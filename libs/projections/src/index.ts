import { ResourceChangeRecord } from './entities/resource-change.entity';
import { ResourceRecord } from './entities/resource.entity';
import { ResourceVersionState } from './entities/resource-version-state.entity';

export * from './entities/resource.entity';
export * from './entities/resource-change.entity';
export * from './entities/resource-version-state.entity';
export { PROJECTION_MIGRATIONS } from './migrations';
export * from './stored-resource';
export * from './resource-objects';
export {
  RESOURCE_CHANGES_CHANNEL,
  recordResourceChange,
  setResourceSubresource,
} from './resource-change-log';
export type { ResourceChange } from './resource-change-log';
export * from './resource-projection';
export * from './status/status-applier';
export * from './status/update-resource-status';
export * from './queries/resource-reader';
export * from './queries/resource-version-too-old.error';
export * from './compaction';
export * from './change-listener';

/** The TypeORM entities of the read models (pass them to openDatabase / EventStoreModule). */
export const PROJECTION_ENTITIES = [ResourceRecord, ResourceChangeRecord, ResourceVersionState];
